import { createHash, hash } from 'node:crypto';
import { truncateUnits } from './render/escape';
import { addMinutes, responseDeadline } from './clock';
import type { Policy } from './policy';
import type { Routed } from './route';
import type { AlarmSnapshot, DeliveryRecord, EscalationState, Incident, TimelineEntry } from './incident';
import { deliveryKey } from './incident';
import { pendingNotice, type Claim } from './notices';
import type { Notification, SendChannel, Severity } from './types';
import { originOf } from './sources/common';
import { isSendChannel } from './channels';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * The short id people type (`/incident ack INC-7F3A9K2M`). Derived from the alarm and the state change that
 * opened the episode, so concurrent deliveries of one alarm agree on it without reading anything.
 */
export function incidentId(incidentKey: string, changedAt: string): string {
  const digest = hash('sha256', `${incidentKey}|${changedAt}`, 'buffer');
  // The first 40 bits of the digest, 8 Crockford digits (most significant first). 40 bits are exact in a double.
  let bits = 0;
  for (let i = 0; i < 5; i++) bits = bits * 256 + digest[i];
  let out = '';
  for (let i = 0; i < 8; i++) {
    out = CROCKFORD[bits % 32] + out;
    bits = Math.floor(bits / 32);
  }
  return `INC-${out}`;
}

/**
 * What serialises episodes (the store's latch). An alarm: its incident key, so one episode is open at a time and
 * an OK closes it. A plain message (AWS Budgets, custom text) has no OK and no state: every publish is its own
 * episode — a second Budgets notice with the same subject must be announced too — while a redelivery (same SNS
 * MessageId) still folds into the first.
 */
export function latchKey(n: Notification): string {
  if (n.kind !== 'message') return n.incidentKey;
  return `${n.incidentKey}#${n.sns?.messageId ?? n.changedAt}`;
}

/** The episode id of a notification that opens one (see incidentId). */
export function episodeId(n: Notification): string {
  return incidentId(latchKey(n), n.changedAt);
}

/** People type ids in any case, with or without the prefix, and confuse O/0, I/L/1. */
export function normaliseIncidentId(input: string): string | null {
  const s = input
    .trim()
    .toUpperCase()
    .replace(/^INC-?/, '')
    .replace(/O/g, '0')
    .replace(/[IL]/g, '1');
  return /^[0-9A-HJKMNP-TV-Z]{8}$/.test(s) ? `INC-${s}` : null;
}

/** How much of a plain message's text the incident keeps (the alarm path dead-letters the whole of a longer one). */
export const INCIDENT_TEXT_LIMIT = 4000;

export function snapshot(n: Notification): AlarmSnapshot {
  return {
    kind: n.kind,
    alarmKind: n.alarmKind,
    description: n.description,
    state: n.state,
    previousState: n.previousState,
    rawState: n.rawState,
    reason: n.reason,
    changedAt: n.changedAt,
    account: n.account,
    region: n.region,
    regionName: n.regionName,
    alarmArn: n.alarmArn,
    namespace: n.namespace,
    metric: n.metric,
    dimensions: n.dimensions,
    threshold: n.threshold,
    comparison: n.comparison,
    evaluationPeriods: n.evaluationPeriods,
    period: n.period,
    statistic: n.statistic,
    expression: n.expression,
    alarmRule: n.alarmRule,
    triggeringChildren: n.triggeringChildren.slice(0, MAX_CHILDREN),
    topicArn: n.sns?.topicArn ?? null,
    text: n.text && n.text.length > INCIDENT_TEXT_LIMIT ? truncateUnits(n.text, INCIDENT_TEXT_LIMIT + 1) : n.text,
    ...(n.source ? { source: n.source } : {}),
  };
}

/**
 * The escalation chain in force, copied onto the incident when it opens (with each step's wait resolved to
 * minutes) so that editing the policy does not change running escalations. A null wait means "next business day".
 */
export function escalationFor(severity: Severity, openedAt: string, policy: Policy): EscalationState | null {
  const responseTime = policy.severities[severity].responseTime;
  const chain = policy.severities[severity].escalation.map((s) => {
    const after = s.after ?? responseTime;
    return { notify: [...s.notify], tier: s.tier, repeat: s.repeat, afterMinutes: after === 'next-business-day' ? null : after };
  });
  if (chain.length === 0) return null;
  const first = chain[0];
  return {
    step: 0,
    count: 0,
    chain,
    nextAt: first.afterMinutes !== null ? addMinutes(openedAt, first.afterMinutes) : responseDeadline(severity, openedAt, policy),
  };
}

/** Whether a notification means the problem is over (an alarm's OK, a webhook alert's resolution). */
export function isRecovery(n: Notification): boolean {
  return n.kind !== 'message' && n.state === 'OK';
}

export function sendChannels(r: Routed): SendChannel[] {
  return r.channels.filter(isSendChannel);
}

/** A new episode for a routed notification (not yet stored). Deliveries start `pending` under a lease. */
export function newIncident(
  r: Routed,
  now: string,
  policy: Policy,
  opts: { claim: Claim; silencedBy?: string | null; id?: string; incidentKey?: string },
): Incident {
  const n = r.notification;
  const id = opts.id ?? episodeId(n);
  const silencedBy = opts.silencedBy ?? null;
  const deliveries: Record<string, DeliveryRecord> = {};
  for (const c of sendChannels(r)) {
    deliveries[deliveryKey('trigger', c)] = silencedBy
      ? { status: 'skipped', attempts: 0, at: now, error: `silenced: ${silencedBy}`.slice(0, 500), event: 'trigger', channel: c }
      : pendingNotice({ event: 'trigger', channel: c }, opts.claim);
  }
  const timeline: TimelineEntry[] = [
    {
      at: now,
      type: 'opened',
      by: originOf(n),
      detail: `${n.state ?? n.rawState ?? 'message'} · ${r.classification.severity} by ${r.classification.by}${r.classification.detail ? ` (${r.classification.detail})` : ''}`,
    },
  ];
  if (silencedBy) timeline.push({ at: now, type: 'silenced', detail: silencedBy });
  return {
    id,
    incidentKey: opts.incidentKey ?? storedIncidentKey(n.incidentKey),
    alarmName: bound(n.alarmName, ALARM_NAME_MAX)!,
    severity: r.classification.severity,
    classifiedBy: r.classification.by,
    status: 'open',
    openedAt: now,
    acknowledgedAt: null,
    acknowledgedBy: null,
    resolvedAt: null,
    resolvedBy: null,
    channels: r.channels,
    runbook: r.classification.runbook,
    alarm: boundSnapshot(snapshot(n)),
    deliveries,
    timeline,
    escalation: silencedBy ? null : escalationFor(r.classification.severity, now, policy),
    silencedBy,
    flapping: false,
    duplicates: 0,
    updatedAt: now,
    rev: 1,
  };
}

function bound(s: string | null, max: number): string | null {
  return s !== null && s.length > max ? truncateUnits(s, max) : s;
}

/** The longest each text field of an incident's alarm facts may be (UTF-16 units). */
const SNAPSHOT_BOUNDS = {
  description: 4000,
  reason: 4000,
  rawState: 100,
  account: 100,
  region: 100,
  regionName: 200,
  alarmArn: 2048,
  namespace: 512,
  metric: 512,
  comparison: 200,
  statistic: 200,
  expression: 4000,
  alarmRule: 4000,
  topicArn: 2048,
  text: INCIDENT_TEXT_LIMIT + 1,
} as const satisfies Partial<Record<keyof AlarmSnapshot, number>>;
const BOUNDED_FIELDS = Object.keys(SNAPSHOT_BOUNDS) as (keyof typeof SNAPSHOT_BOUNDS)[];
const MAX_DIMENSIONS = 30;
const DIMENSION_NAME_MAX = 256;
const DIMENSION_VALUE_MAX = 1024;
const MAX_CHILDREN = 20;
const CHILD_ARN_MAX = 2048;
/** A triggering child's state and time. */
const CHILD_FIELD_MAX = 100;
/** Alarm names beyond this many UTF-16 units are cut on the incident. */
const ALARM_NAME_MAX = 1024;

/**
 * The alarm facts trimmed so that an incident always fits a DynamoDB item (400 KB) whatever the message held
 * (the whole message is kept as a raw record by the SNS handler).
 */
export function boundSnapshot(a: AlarmSnapshot): AlarmSnapshot {
  // fromEntries defines own properties: a dimension named `__proto__` is kept (an assignment would drop it).
  const dimensions: Record<string, string> = Object.fromEntries(
    Object.entries(a.dimensions ?? {})
      .slice(0, MAX_DIMENSIONS)
      .map(([k, v]) => [bound(k, DIMENSION_NAME_MAX)!, bound(String(v), DIMENSION_VALUE_MAX)!]),
  );
  const out: AlarmSnapshot = {
    ...a,
    dimensions,
    triggeringChildren: (a.triggeringChildren ?? [])
      .slice(0, MAX_CHILDREN)
      .map((c) => ({ arn: bound(c.arn, CHILD_ARN_MAX)!, state: bound(c.state, CHILD_FIELD_MAX), at: bound(c.at, CHILD_FIELD_MAX) })),
  };
  for (const f of BOUNDED_FIELDS) (out as Record<string, unknown>)[f] = bound(a[f], SNAPSHOT_BOUNDS[f]);
  return out;
}

/** Whether boundSnapshot would cut something of `a` (checked field by field: no copy, no JSON). */
function exceedsBounds(a: AlarmSnapshot): boolean {
  for (const f of BOUNDED_FIELDS) if ((a[f]?.length ?? 0) > SNAPSHOT_BOUNDS[f]) return true;
  const dims = Object.entries(a.dimensions ?? {});
  if (dims.length > MAX_DIMENSIONS || dims.some(([k, v]) => k.length > DIMENSION_NAME_MAX || String(v).length > DIMENSION_VALUE_MAX)) return true;
  const children = a.triggeringChildren ?? [];
  return (
    children.length > MAX_CHILDREN ||
    children.some((c) => c.arn.length > CHILD_ARN_MAX || (c.state?.length ?? 0) > CHILD_FIELD_MAX || (c.at?.length ?? 0) > CHILD_FIELD_MAX)
  );
}

/** Whether the incident keeps less than the notification said (then the SNS handler keeps the message whole). */
export function trimmedForStorage(n: Notification): boolean {
  return n.alarmName.length > ALARM_NAME_MAX || n.triggeringChildren.length > MAX_CHILDREN || exceedsBounds(snapshot(n));
}

/** Incident keys (alarm ARN or name) longer than 1 KB are stored as their SHA-256, the same for every copy. */
export function storedIncidentKey(key: string): string {
  return Buffer.byteLength(key, 'utf8') <= 1024 ? key : `sha256:${createHash('sha256').update(key).digest('hex')}`;
}
