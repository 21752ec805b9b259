/**
 * The alarm path's stages, each on its own (composed by processNotification in alarm-pipeline.ts, one stage's
 * result the next one's input, a stage that settles the delivery stopping the chain, as Alertmanager's
 * notification pipeline does):
 *
 *   classify → latch → hold back (silence / flapping) → record → fan-out
 *
 * `record` (the incident stored with its notices pending) comes before `fanOut` on purpose: nothing is sent that
 * the store does not know about, and the fan-out records every outcome on the incident it sent from.
 */
import { flapState } from '@alert-router/core/escalation';
import type { GroupMember, Incident, TimelineEntry } from '@alert-router/core/incident';
import { episodeId, latchKey, newIncident } from '@alert-router/core/lifecycle';
import { groupingFor, groupTimings, memberFor, recoverMember, type GroupChangeOptions } from '@alert-router/core/grouping';
import { resolveWithNotices, type Claim, type ResolveInput } from '@alert-router/core/notices';
import { route, type Routed } from '@alert-router/core/route';
import { originOf, resolutionActor } from '@alert-router/core/sources/common';
import type { Notification } from '@alert-router/core/types';
import { newClaim, sendNotices, type DeliveryDeps, type SendReport } from './delivery';
import { changeOptions } from './group-stages';

export interface PipelineDeps extends DeliveryDeps {
  /** Name of the silence that matches (notifications are then recorded, not sent), or null. */
  silencedBy?: (n: Notification, severity: string) => string | null | Promise<string | null>;
  /**
   * Local mode only: takes the fan-out (its notices already recorded pending) to start after the answer and finish
   * in the background (true), so the answer waits neither for the channels nor for rendering their notices; false:
   * the caller starts it and the answer waits for it. Unset on AWS: the Lambda finishes its sends before it returns.
   */
  background?: (start: () => Promise<SendReport>) => boolean;
}

/** An episode this delivery is to store: its id, when it opened, the alarm's recent flips, a note for its timeline. */
export interface Episode {
  id: string;
  /** The group the latch names for it (grouped alarms; its own id when it opens one). */
  groupId?: string;
  /** Held back by a silence when it opened: its own incident (the latch says so to every copy). */
  solo?: boolean;
  openedAt: string;
  flips: string[];
  note?: string;
}

/** What the latch decided: go on with an episode or an incident, or stop here with the delivery settled. */
export type LatchStep =
  /** Store this episode's incident and announce it (`resent`: a redelivery or later ALARM stores it for a worker that died). */
  | { next: 'open'; episode: Episode; kind: 'opened' | 'resent' }
  /** The incident is stored: send what it has due. */
  | { next: 'resend'; incident: Incident }
  /** OK: resolve this episode, or end it in its group (`known`: the incident as the latch read it back). */
  | { next: 'resolve'; id: string; groupId?: string; openedAt: string | null; known?: Incident | null }
  | { next: 'done'; kind: 'duplicate' | 'redelivery' | 'stale' | 'no-episode'; incidentId: string | null };

export interface Latched {
  step: LatchStep;
  /** The flapping history's trim, a second write after the decision that runs beside the rest of the path. */
  trimming: Promise<void>;
}

/** classify: severity, channels and runbook from the policy (pure). */
export function classifyStage(n: Notification, deps: Pick<PipelineDeps, 'policy'>): Routed {
  return route(n, deps.policy);
}

/** latch (ALARM): the one conditional write on the alarm's latch decides whether this delivery opened an episode. */
export async function latchProblem(n: Notification, routed: Routed, deps: PipelineDeps, group?: { groupId?: string; solo: boolean }): Promise<Latched> {
  const groupId = group?.groupId;
  const id = episodeId(n);
  const nowIso = deps.now().toISOString();
  const r = await deps.store.recordProblem(latchKey(n), n.changedAt, id, {
    now: nowIso,
    severity: routed.classification.severity,
    channels: routed.channels,
    alarmName: n.alarmName,
    messageId: n.sns?.messageId ?? null,
    groupId: groupId ?? id,
    solo: group?.solo,
  });
  const trimming = r.kind === 'conflict' ? Promise.resolve() : trimFlips(n, r.flips, deps);
  void trimming.catch(() => undefined); // the composer awaits it; this only keeps an early throw below from orphaning it
  if (r.kind === 'opened')
    return { step: { next: 'open', episode: { id, groupId: groupId ?? id, solo: group?.solo, openedAt: nowIso, flips: r.flips }, kind: 'opened' }, trimming };
  if (r.kind === 'duplicate') {
    deps.metrics.count('Deduplicated');
    const entry: TimelineEntry = {
      at: nowIso,
      type: 'duplicate',
      by: originOf(n),
      detail: `${n.state ?? n.rawState ?? 'message'} at ${n.changedAt}${n.reason ? `: ${n.reason.slice(0, 300)}` : ''}`,
    };
    const target = r.groupId ?? r.openId;
    const done: Latched = { step: { next: 'done', kind: 'duplicate', incidentId: target }, trimming };
    const stranded = r.openedAt && Date.parse(nowIso) - Date.parse(r.openedAt) >= deps.leaseMs;
    if (await deps.store.recordDuplicate(target, entry)) {
      // Its group is stored, but the worker that was to join it stopped before it did (its retries ran out): join now.
      if (!stranded || target === r.openId) return done;
      const group = await deps.store.getIncident(target);
      if (!group?.members || group.members.some((m) => m.episodeId === r.openId)) return done;
      const episode: Episode = {
        id: r.openId,
        groupId: target,
        openedAt: r.openedAt!,
        flips: r.flips,
        note: 'joined by a later ALARM: its worker stopped first',
      };
      return { step: { next: 'open', episode, kind: 'resent' }, trimming };
    }
    // The episode's incident was never stored (its worker died and its redeliveries ran out): this alarm stores it.
    if (!stranded) return done;
    const note = 'stored by a later ALARM: the worker that opened the episode stopped before storing it';
    const episode: Episode = { id: r.openId, groupId: target, openedAt: r.openedAt!, flips: r.flips, note };
    return { step: { next: 'open', episode, kind: 'resent' }, trimming };
  }
  const { latch, incident } = r;
  // A member whose worker stopped between naming its group on the latch and joining it: this delivery joins.
  const notInItsGroup = latch?.openId === id && incident?.members && !incident.members.some((m) => m.episodeId === id);
  if (incident && !notInItsGroup) return { step: { next: 'resend', incident }, trimming };
  if (latch?.openId === id) {
    // This change opened the episode, but its incident was never stored (the first worker died or is a few ms
    // behind): store it. The store's conditional create decides who owns the pages, so nobody sends twice.
    const episode: Episode = {
      id,
      groupId: latch.groupId ?? id,
      solo: latch.solo === true,
      openedAt: latch.openedAt ?? nowIso,
      flips: (latch.flips ?? []).filter((t) => t < n.changedAt),
      note: 'stored by a redelivery: the first worker stopped before storing the incident',
    };
    return { step: { next: 'open', episode, kind: 'resent' }, trimming };
  }
  if (latch && latch.lastChange > n.changedAt) {
    deps.logger.warn('out-of-order state change ignored', { incidentKey: n.incidentKey, changedAt: n.changedAt, lastChange: latch.lastChange });
    return { step: { next: 'done', kind: 'stale', incidentId: latch.openId ?? null }, trimming };
  }
  return { step: { next: 'done', kind: 'redelivery', incidentId: latch?.openId ?? null }, trimming };
}

/** latch (OK): clears the latch in one write and names the episode it closed. */
export async function latchRecovery(n: Notification, deps: PipelineDeps): Promise<Latched> {
  const r = await deps.store.recordRecovery(n.incidentKey, n.changedAt, { alarmName: n.alarmName, messageId: n.sns?.messageId ?? null });
  if (r.kind === 'conflict') {
    const { latch } = r;
    const trimming = Promise.resolve();
    // The OK that closed this episode, again: finish its resolve (store it, resend what failed).
    if (latch?.closedId && latch.closedChange === n.changedAt)
      return { step: { next: 'resolve', id: latch.closedId, groupId: latch.closedGroupId, openedAt: null, known: r.incident }, trimming };
    if (latch && latch.lastChange > n.changedAt) return { step: { next: 'done', kind: 'stale', incidentId: null }, trimming };
    return { step: r.incident ? { next: 'resend', incident: r.incident } : { next: 'done', kind: 'redelivery', incidentId: null }, trimming };
  }
  const trimming = trimFlips(n, r.flips, deps);
  if (r.kind === 'no-episode') return { step: { next: 'done', kind: 'no-episode', incidentId: null }, trimming };
  return { step: { next: 'resolve', id: r.previous.openId!, groupId: r.previous.groupId, openedAt: r.previous.openedAt ?? null }, trimming };
}

/**
 * hold back (silence / flapping): whether the new episode is recorded without being announced (a silence in force,
 * or an alarm still flapping), and the flapping note for its timeline.
 */
export async function holdBack(
  n: Notification,
  flips: string[],
  severity: string,
  now: string,
  deps: Pick<PipelineDeps, 'policy' | 'silencedBy'>,
): Promise<{ silencedBy: string | null; flapping: TimelineEntry | null; stillFlapping: boolean }> {
  const flap = flapState(flips, n.changedAt, deps.policy);
  const window = deps.policy.flapping.windowMinutes;
  const stillFlapping = flap.wasFlapping ? `flapping: ${flap.changes} state changes in ${window} min` : null;
  const silencedBy = (await deps.silencedBy?.(n, severity)) ?? stillFlapping;
  const detail = flap.wasFlapping
    ? `still flapping (${flap.changes} changes): recorded, not notified`
    : `started flapping (${flap.changes} changes in ${window} min): notified once, then summarised in the digest`;
  return { silencedBy, flapping: flap.flapping ? { at: now, type: 'flapping', detail } : null, stillFlapping: flap.wasFlapping };
}

export type Held = Awaited<ReturnType<typeof holdBack>>;

/** What `record` came to: this worker stored the incident and owns its pending notices, or it was stored already. */
export type Recorded = { created: true; incident: Incident; owner: string; send: string[] } | { created: false; stored: Incident };

/** record: stores the new incident with its trigger notices pending under this worker's claim (a conditional create). */
export async function recordEpisode(
  routed: Routed,
  episode: Episode,
  held: Held,
  opts: { opened: boolean; now: string },
  deps: PipelineDeps,
): Promise<Recorded> {
  const nowIso = opts.now;
  const claim = newClaim(deps);
  const incident = newIncident(routed, episode.openedAt, deps.policy, { claim, silencedBy: held.silencedBy, id: episode.id });
  if (episode.note) incident.timeline.push({ at: nowIso, type: 'note', detail: episode.note });
  if (held.flapping) {
    incident.flapping = true;
    incident.timeline.push(held.flapping);
    deps.metrics.count('Flapping');
  }
  if (!(await deps.store.createIncident(incident))) {
    const stored = await deps.store.getIncident(incident.id);
    if (!stored) throw new Error(`incident ${incident.id} was neither created nor found`);
    return { created: false, stored };
  }
  if (opts.opened) deps.metrics.count('IncidentsOpened', 1, { severity: incident.severity });
  const send = Object.keys(incident.deliveries).filter((k) => incident.deliveries[k].status === 'pending');
  return { created: true, incident, owner: claim.owner, send };
}

/** What `recordResolve` came to: resolve notices to send, nothing to send, or an earlier resolve whose due notices to send. */
export type ResolveRecorded =
  | { kind: 'resolved'; incident: Incident; owner: string; send: string[] }
  /** A member of a group recovered; the group is still open (its update notices to send). */
  | { kind: 'recovered'; incident: Incident; owner: string; send: string[] }
  | { kind: 'stored-resolved' }
  | { kind: 'already-resolved'; incident: Incident };

/**
 * record (OK): resolves the episode the OK closed, with resolve notices where the alarm was announced. When the
 * ALARM's worker has not stored the incident yet (the OK overtook it) the OK stores it, resolved: nobody was paged,
 * and the ALARM's worker, finding it stored, pages nobody.
 */
export async function recordResolve(
  n: Notification,
  routed: Routed,
  episode: { id: string; groupId?: string; openedAt: string | null; known?: Incident | null },
  deps: PipelineDeps,
): Promise<ResolveRecorded> {
  const { openedAt, known } = episode;
  const id = episode.groupId ?? episode.id;
  const at = deps.now().toISOString();
  const claim: Claim = newClaim(deps);
  const input: ResolveInput = {
    at,
    by: originOf(n),
    entry: {
      at,
      type: 'resolved',
      by: originOf(n),
      detail: n.reason ? n.reason.slice(0, 500) : n.kind === 'alarm' ? 'alarm returned to OK' : 'resolved at the source',
    },
    claim,
    actor: resolutionActor(n),
    recovery: { state: n.state, previousState: n.previousState, reason: n.reason ? n.reason.slice(0, 2000) : null, changedAt: n.changedAt },
  };
  const severity = routed.classification.severity;
  const member = memberFor(n, severity, episode.id, at);
  const plan = groupingFor(n, severity, deps.policy);
  const options = changeOptions(n, plan ?? groupTimings(deps.policy), deps, claim);
  const end = (cur: Incident) => (cur.members?.length ? endMember(cur, member, input, options) : resolveWithNotices(cur, input));
  let r = await deps.store.updateIncident(id, end, known ?? undefined);
  if (r.kind === 'missing') {
    const unannounced = newIncident(routed, openedAt ?? at, deps.policy, { claim, id });
    if (plan || id !== episode.id) {
      unannounced.groupKey = plan?.key ?? 'unknown';
      unannounced.members = [{ ...member, state: 'recovered', recoveredAt: at }];
    }
    for (const [k, d] of Object.entries(unannounced.deliveries))
      unannounced.deliveries[k] = { ...d, status: 'skipped', error: 'the alarm recovered before its incident was stored; not announced' };
    unannounced.timeline.push({ at, type: 'note', detail: 'stored by its OK: the alarm recovered before the ALARM was recorded' });
    const resolved = resolveWithNotices(unannounced, input)!.incident;
    if (await deps.store.createIncident(resolved)) {
      deps.metrics.count('IncidentsResolved', 1, { severity: resolved.severity });
      return { kind: 'stored-resolved' };
    }
    r = await deps.store.updateIncident(id, end);
    if (r.kind === 'missing') throw new Error(`incident ${id} was neither created nor found`);
  }
  // Already resolved (by a person, or by an earlier copy of this OK): what that resolve left due is sent.
  if (r.kind === 'unchanged') return { kind: 'already-resolved', incident: r.incident };
  if (r.incident.status !== 'resolved') return { kind: 'recovered', incident: r.incident, owner: claim.owner, send: r.send };
  deps.metrics.count('IncidentsResolved', 1, { severity: r.incident.severity });
  return { kind: 'resolved', incident: r.incident, owner: claim.owner, send: r.send };
}

/** A member's OK in its group: marked recovered; the group resolves with the last one. Null: recovered already. */
function endMember(cur: Incident, member: GroupMember, input: ResolveInput, o: GroupChangeOptions) {
  const r = recoverMember(cur, member, input, o);
  return r.kind === 'recovered' ? { incident: r.incident, send: r.send } : null;
}

/** record (a redelivery): claims what the stored incident has due (failed and due again, or abandoned by a dead sender). */
export async function claimDue(incident: Incident, deps: PipelineDeps): Promise<{ incident: Incident; owner: string; send: string[] }> {
  const claim = newClaim(deps);
  const c = await deps.store.claimNotices(incident.id, claim, incident);
  if (c.kind === 'updated') return { incident: c.incident, owner: claim.owner, send: c.send };
  return { incident: c.kind === 'missing' ? incident : c.incident, owner: claim.owner, send: [] };
}

/** fan-out: sends the notices `owner` holds, all channels in parallel, and records what each came to (or, with `background`, answers with them pending). */
export function fanOut(deps: PipelineDeps, incident: Incident, owner: string, keys: string[]): Promise<SendReport> {
  const start = () => sendNotices(deps, incident, owner, keys);
  if (!deps.background || keys.length === 0 || !deps.background(start)) return start();
  return Promise.resolve({ deliveries: Object.fromEntries(keys.map((k) => [k, incident.deliveries[k]])), retryableFailure: false });
}

/** Trims the flapping history once it is long (a second write, after the decision, not before fan-out). */
async function trimFlips(n: Notification, previous: string[], deps: PipelineDeps): Promise<void> {
  if (previous.length < 32) return;
  const { recent } = flapState(previous, n.changedAt, deps.policy);
  await deps.store.trimFlips(latchKey(n), n.changedAt, recent.slice(-16));
}
