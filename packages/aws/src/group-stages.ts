/**
 * The alarm path's grouping stages (the decisions are core's grouping.ts): before the latch, which open group a new
 * alarm is to join; after it, joining that group or opening a new one. Every step is a conditional write (the group
 * record's version, the incident's revision, the latch's open episode), so concurrent alarms of one outage end up in
 * one group and a crash between any two steps leaves nothing that a redelivery cannot finish:
 *
 * - the latch names the group before the member is in it, so the member's OK always finds the group it joined;
 * - joining is idempotent by the member's episode id, and an OK that overtook the join records the member as
 *   recovered, so the late join does nothing;
 * - a group record that points at an incident nobody stored yet (its creator died or is a few ms behind) is
 *   stored by whoever comes next, with itself as the first member.
 */
import {
  candidateGroup,
  extendedRecord,
  groupIdFor,
  joinGroup,
  memberFor,
  newGroupIncident,
  openedRecord,
  type Candidate,
  type GroupChangeOptions,
  type GroupingPlan,
  type GroupRecord,
} from '@alert-router/core/grouping';
import { addMinutes } from '@alert-router/core/clock';
import type { Incident } from '@alert-router/core/incident';
import { incidentId, latchKey } from '@alert-router/core/lifecycle';
import type { Routed } from '@alert-router/core/route';
import { originOf } from '@alert-router/core/sources/common';
import type { Notification } from '@alert-router/core/types';
import { newClaim } from './delivery';
import type { Episode, PipelineDeps } from './alarm-stages';
import { groupLookup, type Latch } from './store/port';

/** What the grouping stage decided before the latch: the plan, and the group the latch is to name. */
export interface GroupIntent {
  plan: GroupingPlan;
  candidate: Candidate;
  record: GroupRecord | null;
  /** The alarm's latch as the lookup read it: whether this delivery can open an episode at all. */
  latch?: Latch | null;
}

/** Before the latch (one read): the group a new alarm of this key is to join, or none (it opens one). */
export async function groupIntent(n: Notification, plan: GroupingPlan, deps: PipelineDeps): Promise<GroupIntent> {
  const children = n.alarmKind === 'composite' ? n.triggeringChildren.map((c) => c.arn) : [];
  const read = await deps.store.lookupGroup(plan.key, latchKey(n), children);
  return { plan, candidate: candidateGroup(groupLookup(read), deps.now().toISOString(), plan.maxAge), record: read.record, latch: read.latch };
}

/** What a group change needs beside the incident: the claim its notices go under, the timings, Slack's threads. */
export function changeOptions(
  n: Pick<Notification, 'kind'>,
  plan: GroupChangeOptions['plan'],
  deps: Pick<PipelineDeps, 'policy' | 'notifiers'>,
  claim: GroupChangeOptions['claim'],
): GroupChangeOptions {
  return { claim, policy: deps.policy, plan, threads: deps.notifiers.slack?.threads === true, by: originOf(n) };
}

const MAX_STEPS = 8;

export type GroupRecorded =
  /** This worker changed the group (or stored it): it owns `send`. */
  | { kind: 'recorded'; incident: Incident; owner: string; send: string[] }
  /** The member was in its group already (a redelivery): send what the group has due. */
  | { kind: 'member'; stored: Incident }
  /** The episode ended (its OK came) before it settled in a group: nothing left to announce. */
  | { kind: 'over' };

/**
 * Before the latch write: the group a new episode is to join. The key's open group if there is one (and it is not
 * one this worker found closed); otherwise the episode opens one, its group record written first (conditional on
 * the version read, so that of the alarms of an outage arriving together one opens it and the others join it).
 */
export async function reserveGroup(
  n: Notification,
  intent: GroupIntent,
  groupId: string,
  deps: PipelineDeps,
  closed: Set<string> = new Set(),
): Promise<string> {
  const now = deps.now().toISOString();
  let record = intent.record;
  let candidate = intent.candidate;
  for (let step = 0; step < MAX_STEPS; step++) {
    if (candidate.kind === 'join' && !closed.has(candidate.groupId)) return candidate.groupId;
    if (await deps.store.putGroupRecord(openedRecord(intent.plan, groupId, now, record), record?.version ?? 0)) return groupId;
    record = (await deps.store.lookupGroup(intent.plan.key, latchKey(n), [])).record;
    candidate = candidateGroup({ record, lastGroupId: null, childGroups: [] }, now, intent.plan.maxAge);
  }
  throw new Error(`alarm ${n.alarmName}: no group settled after ${MAX_STEPS} tries (concurrent writers); the redelivery retries`);
}

/**
 * record (grouped): the member joins the group its latch names (`episode.groupId`, reserved before the latch write),
 * storing it when nobody has yet. The first worker of the episode and any copy of its delivery (or a redelivery after
 * a crash) do the same: they follow the latch, and the latch moves (compare-and-set) only away from a group that
 * refused the member (resolved, full), so the member ends up in exactly one group.
 */
export async function recordInGroup(n: Notification, routed: Routed, episode: Episode, intent: GroupIntent, deps: PipelineDeps): Promise<GroupRecorded> {
  const claim = newClaim(deps);
  const now = claim.now;
  const { plan } = intent;
  const key = latchKey(n);
  const member = memberFor(n, routed.classification.severity, episode.id, now);
  const options = changeOptions(n, plan, deps, claim);
  const closed = new Set<string>();
  let target = episode.groupId ?? episode.id;
  for (let step = 0; step < MAX_STEPS; step++) {
    const r = await deps.store.updateIncident<{ send: string[]; raised: boolean }>(target, (cur) => {
      const j = joinGroup(cur, member, routed, options);
      return j.kind === 'joined' ? { incident: j.incident, send: j.send, raised: j.raised } : null;
    });
    if (r.kind === 'updated') {
      deps.metrics.count('GroupedAlarms', 1, { severity: member.severity });
      if (r.raised) deps.metrics.count('GroupSeverityRaised', 1, { severity: r.incident.severity });
      if (intent.record?.groupId === target) {
        const extended = extendedRecord(intent.record, plan, now);
        if (extended) await deps.store.putGroupRecord(extended, intent.record.version); // best effort: a lost race only shortens the window
      }
      await pointChildren(n, target, plan, now, deps);
      return { kind: 'recorded', incident: r.incident, owner: claim.owner, send: r.send };
    }
    if (r.kind === 'missing') {
      // Reserved, not stored yet (this episode opens it, or its opener stopped or is a few ms behind): store it, this
      // alarm first; whoever else was to store it finds it stored and joins.
      const opener = target === episode.id;
      const incident = newGroupIncident(routed, member, plan, deps.policy, { claim, groupId: target, openedAt: opener ? episode.openedAt : now });
      if (opener && episode.note) incident.timeline.push({ at: now, type: 'note', detail: episode.note });
      if (await deps.store.createIncident(incident)) {
        await pointChildren(n, target, plan, now, deps);
        return created(incident, claim.owner, deps);
      }
      continue;
    }
    const j = joinGroup(r.incident, member, routed, options);
    if (j.kind === 'already') return { kind: 'member', stored: r.incident };
    // Resolved or full: another group (the key's open one, or a new one), the latch moved there first.
    closed.add(target);
    const fresh = await deps.store.lookupGroup(plan.key, key, []);
    const derived = groupIdFor(episode.id, step + 1, (suffix) => incidentId(`${key}${suffix}`, n.changedAt));
    const next = await reserveGroup(
      n,
      { plan, record: fresh.record, candidate: candidateGroup({ record: fresh.record, lastGroupId: null, childGroups: [] }, now, plan.maxAge) },
      derived,
      deps,
      closed,
    );
    if (!(await deps.store.setLatchGroup(key, episode.id, target, next))) {
      // Another worker of this episode moved it (follow the latch), or its OK came (nothing left to do).
      const latch = await deps.store.getLatch(key);
      if (!latch || latch.openId !== episode.id) return over(deps, episode);
      target = latch.groupId ?? latch.openId;
    } else target = next;
  }
  throw new Error(`alarm ${n.alarmName}: no group settled after ${MAX_STEPS} tries (concurrent writers); the redelivery retries`);
}

/** A composite alarm in a group: its triggering children that fire within the window join that group too. */
async function pointChildren(n: Notification, groupId: string, plan: GroupingPlan, now: string, deps: PipelineDeps): Promise<void> {
  if (n.alarmKind !== 'composite' || n.triggeringChildren.length === 0) return;
  await deps.store.pointChildren(
    n.triggeringChildren.map((c) => c.arn),
    { groupId, until: addMinutes(now, plan.window) },
  );
}

function created(incident: Incident, owner: string, deps: PipelineDeps): GroupRecorded {
  deps.metrics.count('IncidentsOpened', 1, { severity: incident.severity });
  const send = Object.keys(incident.deliveries).filter((k) => incident.deliveries[k].status === 'pending');
  return { kind: 'recorded', incident, owner, send };
}

function over(deps: PipelineDeps, episode: Episode): GroupRecorded {
  deps.logger.info('alarm recovered before it joined a group; not announced', { episode: episode.id });
  return { kind: 'over' };
}
