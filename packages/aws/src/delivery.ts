import { randomUUID } from 'node:crypto';
import {
  noticeTarget,
  type Claim,
  type DeliveryRecord,
  type Incident,
  type Notice,
  type NoticeLinks,
  type Notifier,
  type Policy,
  type SendChannel,
  type SendOutcome,
} from '@alert-router/core';
import type { DeliveryOutcome } from './notifiers/retry';
import type { IncidentStore } from './store/port';

export type Deliver = (notifier: Notifier, notice: Notice) => Promise<DeliveryOutcome>;

export interface PipelineLogger {
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

export interface PipelineMetrics {
  count(name: string, value?: number, dimensions?: Record<string, string>): void;
}

/** What the one sender needs. */
export interface DeliveryDeps {
  store: IncidentStore;
  notifiers: Record<SendChannel, Notifier>;
  policy: Policy;
  deliver: Deliver;
  links: (incident: Incident) => NoticeLinks;
  /** How long a claimed notice belongs to its sender before another worker may take it over. */
  leaseMs: number;
  now: () => Date;
  logger: PipelineLogger;
  metrics: PipelineMetrics;
  /** Strips configured secrets from peer answers before they are logged or stored. */
  redact?: (text: string) => string;
  /** Claim tokens (injectable so that a simulation replays exactly). */
  newOwner?: () => string;
}

export interface SendReport {
  /** The recorded state of every notice this sender sent. */
  deliveries: Record<string, DeliveryRecord>;
  /** Some notice failed and will be resent (by a redelivery or the sweep): the invocation should fail. */
  retryableFailure: boolean;
}

export function newClaim(deps: Pick<DeliveryDeps, 'now' | 'leaseMs' | 'newOwner'>): Claim {
  return { owner: deps.newOwner?.() ?? randomUUID(), now: deps.now().toISOString(), leaseMs: deps.leaseMs };
}

function noticeFor(deps: DeliveryDeps, incident: Incident, key: string): { channel: SendChannel; notice: Notice } {
  const d = incident.deliveries[key];
  const { event, channel } = noticeTarget(key, d);
  const view: Incident = d.recovery ? { ...incident, alarm: { ...incident.alarm, ...d.recovery } } : incident;
  const notice: Notice = { event, incident: view, policy: deps.policy, links: deps.links(view) };
  if (d.tier) notice.tier = d.tier;
  if (d.actor) notice.actor = d.actor;
  if (d.note) notice.note = d.note;
  return { channel, notice };
}

async function sendOne(deps: DeliveryDeps, incident: Incident, key: string): Promise<SendOutcome> {
  const { channel, notice } = noticeFor(deps, incident, key);
  let o: DeliveryOutcome;
  try {
    o = await deps.deliver(deps.notifiers[channel], notice);
  } catch (err) {
    o = { status: 'failed', attempts: 1, error: (err as Error).message, retryable: true, elapsedMs: 0 };
  }
  const out: SendOutcome = { status: o.status, attempts: o.attempts };
  if (o.error) out.error = deps.redact ? deps.redact(o.error) : o.error;
  if (o.status === 'failed') out.retryable = o.retryable !== false;
  if (o.ref) out.ref = o.ref;
  if (o.retryAfterMs !== undefined) out.retryAfterMs = o.retryAfterMs;
  return out;
}

/**
 * The one sender: sends the notices `owner` holds on the incident (all channels in parallel), records what they
 * came to, then sends the resolves that waited for them. A crash anywhere leaves the notices pending under the
 * lease, and whoever claims them after it resends them (the only way a notice goes out twice).
 */
export async function sendNotices(deps: DeliveryDeps, incident: Incident, owner: string, keys: string[]): Promise<SendReport> {
  const report: SendReport = { deliveries: {}, retryableFailure: false };
  let current = incident;
  let batch = keys;
  while (batch.length > 0) {
    const sent = current;
    const outcomes = await Promise.all(batch.map((k) => sendOne(deps, sent, k)));
    const byKey = Object.fromEntries(batch.map((k, i) => [k, outcomes[i]]));
    const r = await deps.store.completeNotices(current.id, owner, byKey, deps.now().toISOString(), current);
    if (r.kind !== 'updated') {
      deps.logger.warn('notices taken over by another sender before their outcome was recorded', { incidentId: incident.id, keys: batch });
      break;
    }
    for (const key of r.recorded) {
      const d = r.incident.deliveries[key];
      const { event, channel } = noticeTarget(key, d);
      report.deliveries[key] = d;
      if (d.status === 'delivered') deps.metrics.count('Delivered', 1, { channel });
      else {
        deps.metrics.count('DeliveryFailures', 1, { channel });
        deps.logger.error('delivery failed', { incidentId: incident.id, channel, event, attempts: d.attempts, error: d.error, retryable: d.retryable });
      }
    }
    for (const key of r.failedForGood) deps.metrics.count('NoticesFailedPermanently', 1, { channel: noticeTarget(key, r.incident.deliveries[key]).channel });
    report.retryableFailure ||= r.retryLater.length > 0;
    current = r.incident;
    batch = r.followUps;
  }
  return report;
}
