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
  groupingFor,
  joinGroup,
  memberFor,
  newGroupIncident,
  openedRecord,
  type Candidate,
  type GroupChangeOptions,
  type GroupingPlan,
  type GroupRecord,
} from '@alert-router/core/grouping';
import type { Incident } from '@alert-router/core/incident';
import { incidentId, latchKey } from '@alert-router/core/lifecycle';
import type { Routed } from '@alert-router/core/route';
import { originOf } from '@alert-router/core/sources/common';
import type { Notification } from '@alert-router/core/types';
import { newClaim } from './delivery';
import type { Episode, PipelineDeps } from './alarm-stages';
import { groupLookup } from './store/port';

/** What the grouping stage decided before the latch: the plan, and the group the latch is to name. */
export interface GroupIntent {
  plan: GroupingPlan;
  candidate: Candidate;
  record: GroupRecord | null;
}

/** Before the latch (one read): the group a new alarm of this key is to join, or none (it opens one). */
export async function groupIntent(n: Notification, routed: Routed, deps: PipelineDeps): Promise<GroupIntent | null> {
  const plan = groupingFor(n, routed.classification.severity, deps.policy);
  if (!plan) return null;
  const children = n.alarmKind === 'composite' ? n.triggeringChildren.map((c) => c.arn) : [];
  const read = await deps.store.lookupGroup(plan.key, latchKey(n), children);
  return { plan, candidate: candidateGroup(groupLookup(read), deps.now().toISOString()), record: read.record };
}

function changeOptions(n: Notification, plan: GroupingPlan, deps: PipelineDeps, claim: GroupChangeOptions['claim']): GroupChangeOptions {
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
 * record (grouped): the member joins the group its latch names (`episode.groupId`), or opens a new one (`fresh`: the
 * latch write just opened the episode; otherwise a redelivery finishes what a stopped worker began).
 */
export async function recordInGroup(
  n: Notification,
  routed: Routed,
  episode: Episode,
  intent: GroupIntent,
  fresh: boolean,
  deps: PipelineDeps,
): Promise<GroupRecorded> {
  const claim = newClaim(deps);
  const now = claim.now;
  const { plan } = intent;
  const member = memberFor(n, routed.classification.severity, episode.id, now);
  const options = changeOptions(n, plan, deps, claim);
  let record = intent.record;
  let attempt = 0;
  const target = episode.groupId ?? episode.id;
  let next: { op: 'join' | 'create'; id: string } = { op: fresh && target === episode.id && record?.groupId !== target ? 'create' : 'join', id: target };
  for (let step = 0; step < MAX_STEPS; step++) {
    if (next.op === 'create') {
      if (!(await deps.store.putGroupRecord(openedRecord(plan, next.id, now, record), record?.version ?? 0))) {
        // Another alarm of the outage opened a group first: join it instead.
        record = (await deps.store.lookupGroup(plan.key, latchKey(n), [])).record;
        const c = candidateGroup({ record, lastGroupId: null, childGroups: [] }, now);
        if (c.kind === 'join') {
          if (c.groupId !== next.id && !(await deps.store.setLatchGroup(latchKey(n), episode.id, c.groupId))) return over(deps, episode);
          next = { op: 'join', id: c.groupId };
        }
        continue;
      }
      record = openedRecord(plan, next.id, now, record);
      const incident = newGroupIncident(routed, member, plan, deps.policy, { claim, groupId: next.id, openedAt: episode.openedAt });
      if (episode.note) incident.timeline.push({ at: now, type: 'note', detail: episode.note });
      if (await deps.store.createIncident(incident)) return created(incident, claim.owner, deps);
      next = { op: 'join', id: next.id };
      continue;
    }
    const r = await deps.store.updateIncident<{ send: string[]; raised: boolean }>(next.id, (cur) => {
      const j = joinGroup(cur, member, routed, options);
      return j.kind === 'joined' ? { incident: j.incident, send: j.send, raised: j.raised } : null;
    });
    if (r.kind === 'updated') {
      deps.metrics.count('GroupedAlarms', 1, { severity: member.severity });
      if (r.raised) deps.metrics.count('GroupSeverityRaised', 1, { severity: r.incident.severity });
      if (record && record.groupId === next.id) {
        const extended = extendedRecord(record, plan, now);
        if (extended) await deps.store.putGroupRecord(extended, record.version); // best effort: a lost race only shortens the window
      }
      return { kind: 'recorded', incident: r.incident, owner: claim.owner, send: r.send };
    }
    if (r.kind === 'missing') {
      // The record names a group nobody stored yet (its creator stopped, or is a few ms behind): store it, this alarm first.
      const incident = newGroupIncident(routed, member, plan, deps.policy, { claim, groupId: next.id, openedAt: now });
      if (await deps.store.createIncident(incident)) return created(incident, claim.owner, deps);
      continue;
    }
    const j = joinGroup(r.incident, member, routed, options);
    if (j.kind === 'already') return { kind: 'member', stored: r.incident };
    // Resolved or full: this alarm opens a new group, the latch naming it first.
    attempt += 1;
    const id = groupIdFor(episode.id, attempt, (suffix) => incidentId(`${latchKey(n)}${suffix}`, n.changedAt));
    if (!(await deps.store.setLatchGroup(latchKey(n), episode.id, id))) return over(deps, episode);
    if (record?.groupId !== next.id) record = (await deps.store.lookupGroup(plan.key, latchKey(n), [])).record;
    next = { op: 'create', id };
  }
  throw new Error(`alarm ${n.alarmName}: no group settled after ${MAX_STEPS} tries (concurrent writers); the redelivery retries`);
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
