import { RouterError } from '@alert-router/core/errors';
import { flapState } from '@alert-router/core/escalation';
import { deliveryKey, type DeliveryRecord, type Incident, type NoticeEvent, type TimelineEntry } from '@alert-router/core/incident';
import { deliveriesToRetry, episodeId, latchKey, isRecovery, newIncident, pending, sendChannels, snapshot } from '@alert-router/core/lifecycle';
import type { Notice, NoticeLinks, Notifier } from '@alert-router/core/notifier';
import type { Policy } from '@alert-router/core/policy';
import { route } from '@alert-router/core/route';
import type { Channel, Notification, SendChannel } from '@alert-router/core/types';
import type { DeliveryOutcome } from './notifiers/retry';
import type { DynamoIncidentStore, Latch } from './store';

export type Deliver = (notifier: Notifier, notice: Notice) => Promise<DeliveryOutcome>;

export interface PipelineLogger {
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

export interface PipelineMetrics {
  count(name: string, value?: number, dimensions?: Record<string, string>): void;
}

export interface PipelineDeps {
  store: DynamoIncidentStore;
  notifiers: Record<SendChannel, Notifier>;
  policy: Policy;
  deliver: Deliver;
  links: (incident: Incident) => NoticeLinks;
  /** How long a `pending` delivery belongs to its sender before another worker may take it over. */
  leaseMs: number;
  now: () => Date;
  logger: PipelineLogger;
  metrics: PipelineMetrics;
  /** Name of the silence that matches (notifications are then recorded, not sent), or null. */
  silencedBy?: (n: Notification, severity: string) => string | null | Promise<string | null>;
  /** See QUICK_FAN_OUT_MS. */
  quickFanOutMs?: number;
  /** Strips configured secrets from peer answers before they are logged or stored. */
  redact?: (text: string) => string;
}

export type OutcomeKind = 'opened' | 'duplicate' | 'redelivery' | 'resent' | 'in-progress' | 'stale' | 'resolved' | 'no-episode';

export interface Outcome {
  kind: OutcomeKind;
  incidentId: string | null;
  severity: string;
  channels: Channel[];
  deliveries: Record<string, DeliveryRecord>;
  /** Some delivery failed in a way a later retry may fix: the invocation should fail so AWS retries it. */
  retryableFailure: boolean;
}

/** The alarm path: classify → one conditional write → parallel fan-out → record outcomes. */
export async function processNotification(n: Notification, deps: PipelineDeps): Promise<Outcome> {
  const routed = route(n, deps.policy);
  const base = { severity: routed.classification.severity, channels: routed.channels };
  const nowIso = deps.now().toISOString();
  deps.metrics.count('AlarmsReceived', 1, { severity: base.severity });

  if (isRecovery(n)) {
    const r = await deps.store.recordRecovery(n.incidentKey, n.changedAt, { alarmName: n.alarmName, messageId: n.sns?.messageId ?? null });
    if (r.kind === 'conflict') return retryConflict(r.incident, 'resolve', n, deps, base);
    const trimming = trimFlips(n, r.flips, deps);
    if (r.kind === 'no-episode') {
      await trimming;
      return { kind: 'no-episode', incidentId: null, ...base, deliveries: {}, retryableFailure: false };
    }
    const [outcome] = await Promise.all([resolveFromAlarm(n, r.previous, deps, base), trimming]);
    return outcome;
  }

  const id = episodeId(n);
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
  r: Awaited<ReturnType<DynamoIncidentStore['recordProblem']>>,
  id: string,
  routed: ReturnType<typeof route>,
  nowIso: string,
  deps: PipelineDeps,
  base: Pick<Outcome, 'severity' | 'channels'>,
): Promise<Outcome> {
  if (r.kind === 'duplicate') {
    deps.metrics.count('Deduplicated');
    await deps.store.recordDuplicate(r.openId, {
      at: nowIso,
      type: 'duplicate',
      by: n.kind === 'alarm' ? 'cloudwatch' : 'sns',
      detail: `${n.state ?? n.rawState ?? 'message'} at ${n.changedAt}${n.reason ? `: ${n.reason.slice(0, 300)}` : ''}`,
    });
    return { kind: 'duplicate', incidentId: r.openId, ...base, deliveries: {}, retryableFailure: false };
  }
  if (r.kind === 'conflict') {
    if (r.latch && r.latch.lastChange > n.changedAt) {
      deps.logger.warn('out-of-order state change ignored', { incidentKey: n.incidentKey, changedAt: n.changedAt, lastChange: r.latch.lastChange });
      return { kind: 'stale', incidentId: r.latch.openId ?? null, ...base, deliveries: {}, retryableFailure: false };
    }
    if (!r.incident && r.latch?.openId === id) return takeOverOrWait(n, r.latch, deps, base);
    return retryConflict(r.incident, 'trigger', n, deps, base);
  }

  const flap = flapState(r.flips, n.changedAt, deps.policy);
  const flapping = flap.wasFlapping ? `flapping: ${flap.changes} state changes in ${deps.policy.flapping.windowMinutes} min` : null;
  const silencedBy = (await deps.silencedBy?.(n, routed.classification.severity)) ?? flapping;
  const incident = newIncident(routed, nowIso, deps.policy, { leaseMs: deps.leaseMs, silencedBy });
  if (flap.flapping) {
    incident.flapping = true;
    incident.timeline.push({
      at: nowIso,
      type: 'flapping',
      detail: flap.wasFlapping ? `still flapping (${flap.changes} changes): recorded, not notified` : `started flapping (${flap.changes} changes in ${deps.policy.flapping.windowMinutes} min): notified once, then summarised in the digest`,
    });
    deps.metrics.count('Flapping');
  }
  const channels = silencedBy ? [] : sendChannels(routed);
  const sent = fanOut('trigger', incident, channels, deps);
  // Fast channels (the usual case): one write stores the incident with its delivery outcomes. A slow channel
  // must not keep the incident invisible (a person may ack from Slack meanwhile): store it pending, then update.
  const quick = await Promise.race([sent, sleep(deps.quickFanOutMs ?? QUICK_FAN_OUT_MS)]);
  let result: FanOutResult;
  if (quick) {
    result = quick;
    if (!(await deps.store.createIncident(withOutcomes(incident, result)))) {
      deps.logger.warn('incident already stored by another worker', { id });
      await deps.store.recordDeliveries(incident.id, result.deliveries, result.entries, deps.now().toISOString());
    }
  } else {
    const wasCreated = await deps.store.createIncident(incident);
    if (!wasCreated) deps.logger.warn('incident already stored by another worker', { id });
    result = await sent;
    await deps.store.recordDeliveries(incident.id, result.deliveries, result.entries, deps.now().toISOString());
  }
  deps.metrics.count('IncidentsOpened', 1, { severity: incident.severity });
  return { kind: 'opened', incidentId: incident.id, ...base, deliveries: result.deliveries, retryableFailure: result.retryableFailure };
}

/** Trims the flapping history once it is long (a second write, after the decision, not before fan-out). */
async function trimFlips(n: Notification, previous: string[], deps: PipelineDeps): Promise<void> {
  if (previous.length < 32) return;
  const { recent } = flapState(previous, n.changedAt, deps.policy);
  await deps.store.trimFlips(latchKey(n), n.changedAt, recent.slice(-16));
}

/**
 * How long the alarm path waits for the fan-out before storing the incident as pending. Long enough that a busy
 * process (50 alarms in flight) still writes each incident once with its outcomes instead of pending + update, short
 * enough that nobody can click a button on a message before its incident exists (and a channel that hangs does not
 * hide the incident).
 */
export const QUICK_FAN_OUT_MS = 250;

function sleep(ms: number): Promise<null> {
  return new Promise((resolve) => setTimeout(() => resolve(null), ms).unref());
}

function withOutcomes(incident: Incident, r: FanOutResult): Incident {
  return { ...incident, deliveries: { ...incident.deliveries, ...r.deliveries }, timeline: [...incident.timeline, ...r.entries] };
}

async function resolveFromAlarm(n: Notification, previous: Latch, deps: PipelineDeps, base: Pick<Outcome, 'severity' | 'channels'>): Promise<Outcome> {
  const id = previous.openId!;
  const at = deps.now().toISOString();
  const announced = (previous.channels ?? []).filter((c): c is SendChannel => c !== 'dashboard');
  const entry: TimelineEntry = { at, type: 'resolved', by: 'cloudwatch', detail: n.reason ? n.reason.slice(0, 500) : 'alarm returned to OK' };
  const initial: Record<string, DeliveryRecord> = {};
  for (const c of announced) initial[deliveryKey('resolve', c)] = pending(at, deps.leaseMs);
  const resolved = await resolveWhenStored(id, at, entry, initial, deps);
  if (!resolved) {
    // Resolved by a person meanwhile: nothing more to announce.
    return { kind: 'resolved', incidentId: id, ...base, deliveries: {}, retryableFailure: false };
  }
  const incident: Incident = { ...resolved, alarm: { ...resolved.alarm, state: n.state, previousState: n.previousState, reason: n.reason, changedAt: n.changedAt } };
  const channels = incident.silencedBy ? [] : announced;
  const result = await fanOut('resolve', incident, channels, deps, { actor: 'CloudWatch (alarm OK)' });
  const skipped: Record<string, DeliveryRecord> = {};
  if (incident.silencedBy) for (const c of announced) skipped[deliveryKey('resolve', c)] = { status: 'skipped', attempts: 0, at, error: `silenced: ${incident.silencedBy}` };
  await deps.store.recordDeliveries(id, { ...skipped, ...result.deliveries }, result.entries, deps.now().toISOString());
  deps.metrics.count('IncidentsResolved', 1, { severity: incident.severity });
  return { kind: 'resolved', incidentId: id, ...base, deliveries: result.deliveries, retryableFailure: result.retryableFailure };
}

/**
 * Resolves the incident the latch pointed at. The OK can overtake the ALARM's worker, which stores the incident
 * only once its fan-out is done (≤ one channel budget): then wait for it rather than lose the resolution.
 */
async function resolveWhenStored(id: string, at: string, entry: TimelineEntry, initial: Record<string, DeliveryRecord>, deps: PipelineDeps): Promise<Incident | null> {
  const deadline = Date.now() + Math.min(deps.leaseMs, 20_000);
  for (let wait = 20; ; wait = Math.min(wait * 2, 500)) {
    const resolved = await deps.store.markResolved(id, at, 'cloudwatch', entry, initial);
    if (resolved) return resolved;
    if (await deps.store.getIncident(id)) return null;
    if (Date.now() + wait > deadline) {
      throw new RouterError(`incident ${id} was never stored by the worker that opened it; failing so the OK is retried`);
    }
    await sleep(wait);
  }
}

/** The latch says this episode is ours but no incident was stored: its first worker is still busy, or died. */
async function takeOverOrWait(n: Notification, latch: Latch, deps: PipelineDeps, base: Pick<Outcome, 'severity' | 'channels'>): Promise<Outcome> {
  const now = deps.now();
  const openedAt = Date.parse(latch.openedAt ?? '');
  if (!Number.isNaN(openedAt) && now.getTime() - openedAt < deps.leaseMs) {
    return { kind: 'in-progress', incidentId: latch.openId ?? null, ...base, deliveries: {}, retryableFailure: false };
  }
  const routed = route(n, deps.policy);
  const incident = newIncident(routed, latch.openedAt ?? now.toISOString(), deps.policy, { leaseMs: deps.leaseMs });
  incident.timeline.push({ at: now.toISOString(), type: 'note', detail: 'recreated by a retry: the first worker stopped before storing the incident' });
  for (const k of Object.keys(incident.deliveries)) incident.deliveries[k] = pending(now.toISOString(), deps.leaseMs);
  if (!(await deps.store.createIncident(incident))) {
    return { kind: 'in-progress', incidentId: incident.id, ...base, deliveries: {}, retryableFailure: false };
  }
  const result = await fanOut('trigger', incident, sendChannels(routed), deps);
  await deps.store.recordDeliveries(incident.id, result.deliveries, result.entries, deps.now().toISOString());
  return { kind: 'resent', incidentId: incident.id, ...base, deliveries: result.deliveries, retryableFailure: result.retryableFailure };
}

/** Same state change seen again: resend only what failed (or was abandoned); otherwise change nothing. */
async function retryConflict(incident: Incident | null, event: NoticeEvent, n: Notification, deps: PipelineDeps, base: Pick<Outcome, 'severity' | 'channels'>): Promise<Outcome> {
  if (!incident) return { kind: 'redelivery', incidentId: null, ...base, deliveries: {}, retryableFailure: false };
  const now = deps.now().toISOString();
  const candidates = deliveriesToRetry(incident, event, now);
  if (candidates.length === 0) {
    deps.metrics.count('Deduplicated');
    return { kind: 'redelivery', incidentId: incident.id, ...base, deliveries: {}, retryableFailure: false };
  }
  const lease = new Date(Date.parse(now) + deps.leaseMs).toISOString();
  const claims = await Promise.all(candidates.map((c) => deps.store.claimDelivery(incident.id, deliveryKey(event, c), now, lease)));
  const mine = candidates.filter((_, i) => claims[i]);
  if (mine.length === 0) return { kind: 'in-progress', incidentId: incident.id, ...base, deliveries: {}, retryableFailure: false };
  const view: Incident = event === 'resolve' ? { ...incident, alarm: { ...incident.alarm, ...pickState(n) } } : incident;
  const result = await fanOut(event, view, mine, deps, event === 'resolve' ? { actor: 'CloudWatch (alarm OK)' } : {});
  await deps.store.recordDeliveries(incident.id, result.deliveries, result.entries, deps.now().toISOString());
  deps.metrics.count('DeliveriesRetried', mine.length);
  return { kind: 'resent', incidentId: incident.id, ...base, deliveries: result.deliveries, retryableFailure: result.retryableFailure };
}

function pickState(n: Notification): Partial<Incident['alarm']> {
  const s = snapshot(n);
  return { state: s.state, previousState: s.previousState, reason: s.reason, changedAt: s.changedAt };
}

export interface FanOutResult {
  deliveries: Record<string, DeliveryRecord>;
  entries: TimelineEntry[];
  retryableFailure: boolean;
}

/** Sends one notice on every channel in parallel: as slow as the slowest channel, one failure blocks none. */
export async function fanOut(
  event: NoticeEvent,
  incident: Incident,
  channels: SendChannel[],
  deps: Pick<PipelineDeps, 'notifiers' | 'deliver' | 'links' | 'now' | 'policy' | 'metrics' | 'logger' | 'redact'>,
  extra: Partial<Pick<Notice, 'tier' | 'actor' | 'note'>> = {},
): Promise<FanOutResult> {
  const notice: Notice = { event, incident, policy: deps.policy, links: deps.links(incident), ...extra };
  const outcomes = await Promise.all(
    channels.map(async (c) => {
      try {
        return await deps.deliver(deps.notifiers[c], notice);
      } catch (err) {
        return { status: 'failed', attempts: 1, error: (err as Error).message, retryable: true, elapsedMs: 0 } satisfies DeliveryOutcome;
      }
    }),
  );
  const deliveries: Record<string, DeliveryRecord> = {};
  const entries: TimelineEntry[] = [];
  let retryableFailure = false;
  channels.forEach((c, i) => {
    const o = deps.redact && outcomes[i].error ? { ...outcomes[i], error: deps.redact(outcomes[i].error!) } : outcomes[i];
    const at = deps.now().toISOString();
    const record: DeliveryRecord = { status: o.status, attempts: o.attempts, at };
    if (o.error) record.error = o.error.slice(0, 500);
    if (o.ref) record.ref = o.ref.slice(0, 300);
    if (o.status === 'failed') {
      record.retryable = o.retryable !== false;
      retryableFailure ||= record.retryable;
      deps.metrics.count('DeliveryFailures', 1, { channel: c });
      deps.logger.error('delivery failed', { incidentId: incident.id, channel: c, event, attempts: o.attempts, error: record.error, retryable: record.retryable });
    } else {
      deps.metrics.count('Delivered', 1, { channel: c });
    }
    deliveries[deliveryKey(event, c)] = record;
    entries.push({
      at,
      type: 'delivery',
      channel: c,
      event,
      outcome: o.status,
      attempts: o.attempts,
      ...(extra.tier ? { detail: `tier ${extra.tier}` } : {}),
      ...(o.error ? { detail: o.error.slice(0, 300) } : {}),
    });
  });
  return { deliveries, entries, retryableFailure };
}
