import { flapState } from '@alert-router/core/escalation';
import type { DeliveryRecord, Incident, TimelineEntry } from '@alert-router/core/incident';
import { episodeId, latchKey, isRecovery, newIncident } from '@alert-router/core/lifecycle';
import { resolveWithNotices, unfinishedNotices, type ResolveInput } from '@alert-router/core/notices';
import { route } from '@alert-router/core/route';
import { originOf, resolutionActor } from '@alert-router/core/sources/common';
import type { Channel, Notification } from '@alert-router/core/types';
import { newClaim, sendNotices, type DeliveryDeps } from './delivery';
import type { ProblemResult } from './store/port';

export type { Deliver, PipelineLogger, PipelineMetrics } from './delivery';

export interface PipelineDeps extends DeliveryDeps {
  /** Name of the silence that matches (notifications are then recorded, not sent), or null. */
  silencedBy?: (n: Notification, severity: string) => string | null | Promise<string | null>;
}

export type OutcomeKind = 'opened' | 'duplicate' | 'redelivery' | 'resent' | 'in-progress' | 'stale' | 'resolved' | 'no-episode';

export interface Outcome {
  kind: OutcomeKind;
  incidentId: string | null;
  severity: string;
  channels: Channel[];
  deliveries: Record<string, DeliveryRecord>;
  /** Some notice failed and will be resent: the invocation should fail so that SNS / Lambda retries it too. */
  retryableFailure: boolean;
}

type Base = Pick<Outcome, 'severity' | 'channels'>;
type Routed = ReturnType<typeof route>;

/**
 * The alarm path: classify → the latch's one conditional write (new episode? duplicate? redelivery?) → the incident
 * written with its notices pending (nothing is sent before the record of it is stored) → fan-out → outcomes recorded.
 */
export async function processNotification(n: Notification, deps: PipelineDeps): Promise<Outcome> {
  const routed = route(n, deps.policy);
  const base: Base = { severity: routed.classification.severity, channels: routed.channels };
  deps.metrics.count('AlarmsReceived', 1, { severity: base.severity });
  if (isRecovery(n)) return recover(n, routed, deps, base);

  const id = episodeId(n);
  const nowIso = deps.now().toISOString();
  const r = await deps.store.recordProblem(latchKey(n), n.changedAt, id, {
    now: nowIso,
    severity: routed.classification.severity,
    channels: routed.channels,
    alarmName: n.alarmName,
    messageId: n.sns?.messageId ?? null,
  });
  const trimming = r.kind === 'conflict' ? Promise.resolve() : trimFlips(n, r.flips, deps);
  const [outcome] = await Promise.all([afterProblemWrite(n, r, id, routed, nowIso, deps, base), trimming]);
  return outcome;
}

async function afterProblemWrite(
  n: Notification,
  r: ProblemResult,
  id: string,
  routed: Routed,
  nowIso: string,
  deps: PipelineDeps,
  base: Base,
): Promise<Outcome> {
  if (r.kind === 'opened') return open(n, routed, { id, openedAt: nowIso, flips: r.flips }, deps, base, 'opened');
  if (r.kind === 'duplicate') {
    deps.metrics.count('Deduplicated');
    const entry: TimelineEntry = {
      at: nowIso,
      type: 'duplicate',
      by: originOf(n),
      detail: `${n.state ?? n.rawState ?? 'message'} at ${n.changedAt}${n.reason ? `: ${n.reason.slice(0, 300)}` : ''}`,
    };
    if (await deps.store.recordDuplicate(r.openId, entry)) return { kind: 'duplicate', incidentId: r.openId, ...base, deliveries: {}, retryableFailure: false };
    // The episode's incident was never stored (its worker died and its redeliveries ran out): this alarm stores it.
    const stranded = r.openedAt && Date.parse(nowIso) - Date.parse(r.openedAt) >= deps.leaseMs;
    if (!stranded) return { kind: 'duplicate', incidentId: r.openId, ...base, deliveries: {}, retryableFailure: false };
    return open(
      n,
      routed,
      { id: r.openId, openedAt: r.openedAt!, flips: r.flips, note: 'stored by a later ALARM: the worker that opened the episode stopped before storing it' },
      deps,
      base,
      'resent',
    );
  }
  const { latch, incident } = r;
  if (incident) return resendDue(incident, deps, base);
  if (latch?.openId === id) {
    // This change opened the episode, but its incident was never stored (the first worker died or is a few ms
    // behind): store it. The store's conditional create decides who owns the pages, so nobody sends twice.
    return open(
      n,
      routed,
      {
        id,
        openedAt: latch.openedAt ?? nowIso,
        flips: (latch.flips ?? []).filter((t) => t < n.changedAt),
        note: 'stored by a redelivery: the first worker stopped before storing the incident',
      },
      deps,
      base,
      'resent',
    );
  }
  if (latch && latch.lastChange > n.changedAt) {
    deps.logger.warn('out-of-order state change ignored', { incidentKey: n.incidentKey, changedAt: n.changedAt, lastChange: latch.lastChange });
    return { kind: 'stale', incidentId: latch.openId ?? null, ...base, deliveries: {}, retryableFailure: false };
  }
  return { kind: 'redelivery', incidentId: latch?.openId ?? null, ...base, deliveries: {}, retryableFailure: false };
}

/** Stores the new incident with its trigger notices pending under this worker's claim, then sends them. */
async function open(
  n: Notification,
  routed: Routed,
  episode: { id: string; openedAt: string; flips: string[]; note?: string },
  deps: PipelineDeps,
  base: Base,
  kind: 'opened' | 'resent',
): Promise<Outcome> {
  const nowIso = deps.now().toISOString();
  const held = await holdBack(n, episode.flips, routed.classification.severity, nowIso, deps);
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
    return resendDue(stored, deps, base);
  }
  if (kind === 'opened') deps.metrics.count('IncidentsOpened', 1, { severity: incident.severity });
  const keys = Object.keys(incident.deliveries).filter((k) => incident.deliveries[k].status === 'pending');
  const report = await sendNotices(deps, incident, claim.owner, keys);
  return { kind, incidentId: incident.id, ...base, deliveries: report.deliveries, retryableFailure: report.retryableFailure };
}

/**
 * The silence / flapping stage: whether the new episode is recorded without being announced (a silence in force, or
 * an alarm still flapping), and the flapping note for its timeline.
 */
export async function holdBack(
  n: Notification,
  flips: string[],
  severity: string,
  now: string,
  deps: Pick<PipelineDeps, 'policy' | 'silencedBy'>,
): Promise<{ silencedBy: string | null; flapping: TimelineEntry | null }> {
  const flap = flapState(flips, n.changedAt, deps.policy);
  const window = deps.policy.flapping.windowMinutes;
  const stillFlapping = flap.wasFlapping ? `flapping: ${flap.changes} state changes in ${window} min` : null;
  const silencedBy = (await deps.silencedBy?.(n, severity)) ?? stillFlapping;
  const detail = flap.wasFlapping
    ? `still flapping (${flap.changes} changes): recorded, not notified`
    : `started flapping (${flap.changes} changes in ${window} min): notified once, then summarised in the digest`;
  return { silencedBy, flapping: flap.flapping ? { at: now, type: 'flapping', detail } : null };
}

/** A redelivery finds its incident stored: it sends what is due (failed and due again, or abandoned by a dead sender). */
async function resendDue(incident: Incident, deps: PipelineDeps, base: Base): Promise<Outcome> {
  const claim = newClaim(deps);
  const c = await deps.store.claimNotices(incident.id, claim, incident);
  if (c.kind === 'updated' && c.send.length > 0) {
    deps.metrics.count('DeliveriesRetried', c.send.length);
    const report = await sendNotices(deps, c.incident, claim.owner, c.send);
    return { kind: 'resent', incidentId: incident.id, ...base, deliveries: report.deliveries, retryableFailure: report.retryableFailure };
  }
  const now = c.kind === 'missing' ? incident : c.incident;
  // Anything still unfinished is recorded with its lease or retry time: the sweep sends it if nobody else does.
  const kind = unfinishedNotices(now).length > 0 ? 'in-progress' : 'redelivery';
  if (kind === 'redelivery') deps.metrics.count('Deduplicated');
  return { kind, incidentId: incident.id, ...base, deliveries: {}, retryableFailure: false };
}

async function recover(n: Notification, routed: Routed, deps: PipelineDeps, base: Base): Promise<Outcome> {
  const r = await deps.store.recordRecovery(n.incidentKey, n.changedAt, { alarmName: n.alarmName, messageId: n.sns?.messageId ?? null });
  if (r.kind === 'conflict') {
    const { latch } = r;
    // The OK that closed this episode, again: finish its resolve (store it, resend what failed).
    if (latch?.closedId && latch.closedChange === n.changedAt) return resolveFromAlarm(n, routed, latch.closedId, null, deps, base, r.incident);
    if (latch && latch.lastChange > n.changedAt) return { kind: 'stale', incidentId: null, ...base, deliveries: {}, retryableFailure: false };
    return r.incident ? resendDue(r.incident, deps, base) : { kind: 'redelivery', incidentId: null, ...base, deliveries: {}, retryableFailure: false };
  }
  const trimming = trimFlips(n, r.flips, deps);
  if (r.kind === 'no-episode') {
    await trimming;
    return { kind: 'no-episode', incidentId: null, ...base, deliveries: {}, retryableFailure: false };
  }
  const [outcome] = await Promise.all([resolveFromAlarm(n, routed, r.previous.openId!, r.previous.openedAt ?? null, deps, base), trimming]);
  return outcome;
}

/**
 * Resolves the episode the OK closed and announces it where the alarm was announced. When the ALARM's worker has
 * not stored the incident yet (the OK overtook it) the OK stores it, resolved: nobody was paged, and the ALARM's
 * worker, finding it stored, pages nobody.
 */
async function resolveFromAlarm(
  n: Notification,
  routed: Routed,
  id: string,
  openedAt: string | null,
  deps: PipelineDeps,
  base: Base,
  known?: Incident | null,
): Promise<Outcome> {
  const at = deps.now().toISOString();
  const claim = newClaim(deps);
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
  let r = await deps.store.resolveIncident(id, input, known ?? undefined);
  if (r.kind === 'missing') {
    const unannounced = newIncident(routed, openedAt ?? at, deps.policy, { claim, id });
    for (const [k, d] of Object.entries(unannounced.deliveries))
      unannounced.deliveries[k] = { ...d, status: 'skipped', error: 'the alarm recovered before its incident was stored; not announced' };
    unannounced.timeline.push({ at, type: 'note', detail: 'stored by its OK: the alarm recovered before the ALARM was recorded' });
    const resolved = resolveWithNotices(unannounced, input)!.incident;
    if (await deps.store.createIncident(resolved)) {
      deps.metrics.count('IncidentsResolved', 1, { severity: resolved.severity });
      return { kind: 'resolved', incidentId: id, ...base, deliveries: {}, retryableFailure: false };
    }
    r = await deps.store.resolveIncident(id, input);
    if (r.kind === 'missing') throw new Error(`incident ${id} was neither created nor found`);
  }
  if (r.kind === 'unchanged') {
    // Already resolved (by a person, or by an earlier copy of this OK): send what that resolve left due.
    return resendDue(r.incident, deps, base);
  }
  deps.metrics.count('IncidentsResolved', 1, { severity: r.incident.severity });
  const report = await sendNotices(deps, r.incident, claim.owner, r.send);
  return { kind: 'resolved', incidentId: id, ...base, deliveries: report.deliveries, retryableFailure: report.retryableFailure };
}

/** Trims the flapping history once it is long (a second write, after the decision, not before fan-out). */
async function trimFlips(n: Notification, previous: string[], deps: PipelineDeps): Promise<void> {
  if (previous.length < 32) return;
  const { recent } = flapState(previous, n.changedAt, deps.policy);
  await deps.store.trimFlips(latchKey(n), n.changedAt, recent.slice(-16));
}
