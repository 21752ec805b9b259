/**
 * The one delivery mechanism, as pure transitions of an incident. Every notice (trigger, resolve, escalation step,
 * acknowledge) is written on its incident as `pending` under a lease owned by one claim *before* it is sent; only
 * that owner records its outcome; a notice whose lease expired (the sender died) or whose retry is due can be
 * claimed again by anyone (an SNS/Lambda redelivery, the escalation sweep). A resend after a crash is the only
 * way a notice goes out twice, and it carries the same PagerDuty dedup_key (the incident's).
 *
 * A resolve is announced on the channels the incident was announced on: right away where a trigger or escalation
 * was delivered; after it where one is still in flight (the resolve then belongs to that sender, which sends it
 * once its own notice landed); nowhere where nothing was delivered (those notices are skipped, not retried).
 */
import type { DeliveryRecord, Incident, NoticeEvent, TimelineEntry } from './incident';
import { deliveryKey, noticeTarget } from './incident';
import type { SendChannel } from './types';

/** Sends of one notice (each one run of the retry rule) before the router gives up on it. */
export const NOTICE_MAX_ROUNDS = 8;
/** Timeline entries an incident keeps (the first few and the newest); an item must fit DynamoDB's 400 KB. */
export const TIMELINE_LIMIT = 600;

export interface NoticeSpec {
  event: NoticeEvent;
  channel: SendChannel;
  step?: string;
  tier?: string;
  actor?: string;
  note?: string;
  recovery?: DeliveryRecord['recovery'];
}

/** What one send of a notice came to (the retry rule's outcome). */
export interface SendOutcome {
  status: 'delivered' | 'failed';
  attempts: number;
  /** Last error (failed only). */
  error?: string;
  /** Failed only: whether sending again later may work. */
  retryable?: boolean;
  /** Channel reference (PagerDuty dedup_key, SMTP message id...). */
  ref?: string;
  /** Failed only: the channel asked to wait this long (429 Retry-After, beyond the budget) before the next try. */
  retryAfterMs?: number;
}

export interface Claim {
  owner: string;
  now: string;
  leaseMs: number;
}

const plus = (iso: string, ms: number) => new Date(Date.parse(iso) + ms).toISOString();

export function isFinished(d: DeliveryRecord): boolean {
  return d.status === 'delivered' || d.status === 'skipped' || (d.status === 'failed' && d.retryable === false);
}

/** When an unfinished notice needs someone: its lease's end, or its retry time. Null when finished. */
export function noticeDueAt(d: DeliveryRecord): string | null {
  if (d.status === 'pending') return d.leaseUntil ?? d.at;
  if (d.status === 'failed' && d.retryable !== false) return d.retryAt ?? d.at;
  if (d.status === 'scheduled') return d.retryAt ?? d.at;
  return null;
}

/** The incident's place in the sweep's due index: its next escalation step or its earliest due notice. */
export function incidentDueAt(i: Incident): string | null {
  let due: string | null = i.status === 'open' && !i.silencedBy && i.escalation?.nextAt ? i.escalation.nextAt : null;
  for (const d of Object.values(i.deliveries ?? {})) {
    const t = noticeDueAt(d);
    if (t && (due === null || t < due)) due = t;
  }
  return due;
}

export function unfinishedNotices(i: Incident): string[] {
  return Object.entries(i.deliveries ?? {})
    .filter(([, d]) => !isFinished(d))
    .map(([k]) => k);
}

export function pendingNotice(spec: NoticeSpec, c: Claim): DeliveryRecord {
  const d: DeliveryRecord = {
    status: 'pending',
    attempts: 0,
    at: c.now,
    leaseUntil: plus(c.now, c.leaseMs),
    owner: c.owner,
    rounds: 0,
    event: spec.event,
    channel: spec.channel,
  };
  if (spec.tier) d.tier = spec.tier;
  if (spec.actor) d.actor = spec.actor;
  if (spec.note) d.note = spec.note;
  if (spec.recovery) d.recovery = spec.recovery;
  return d;
}

export function noticeKeyOf(spec: NoticeSpec): string {
  return deliveryKey(spec.event, spec.channel, spec.step);
}

function claimable(d: DeliveryRecord, now: string): boolean {
  const due = noticeDueAt(d);
  return due !== null && due <= now;
}

function skip(d: DeliveryRecord, at: string, why: string): DeliveryRecord {
  const { owner: _o, leaseUntil: _l, retryAt: _r, ...rest } = d;
  return { ...rest, status: 'skipped', at, error: why.slice(0, 500) };
}

/** A notice whose sender died, on an incident resolved since: not sent again, but perhaps it landed. */
function stopped(d: DeliveryRecord, at: string): DeliveryRecord {
  return { ...skip(d, at, 'incident resolved while its sender was stopped'), mayHaveLanded: true };
}

function touch(i: Incident, now: string): Incident {
  return { ...i, updatedAt: now > i.updatedAt ? now : i.updatedAt };
}

/** A person's or CloudWatch's state change with its notices and its timeline entry. */
function transition(incident: Incident, change: Partial<Incident>, deliveries: Record<string, DeliveryRecord>, entry: TimelineEntry): Incident {
  return touch({ ...incident, ...change, deliveries, timeline: boundTimeline([...incident.timeline, entry]) }, entry.at);
}

/** Keeps the timeline within TIMELINE_LIMIT entries: the first ten (how it began) and the newest. */
export function boundTimeline(timeline: TimelineEntry[]): TimelineEntry[] {
  if (timeline.length <= TIMELINE_LIMIT) return timeline;
  const dropped = timeline.length - TIMELINE_LIMIT + 1;
  return [...timeline.slice(0, 10), { at: timeline[10].at, type: 'note', detail: `${dropped} older entries not kept` }, ...timeline.slice(10 + dropped)];
}

/** Bytes (UTF-8 JSON) an incident is kept under: a DynamoDB item holds 400 KB, attribute names and indexes included. */
export const INCIDENT_BYTES_MAX = 350_000;

/**
 * The incident trimmed to fit the store: a long-lived group's timeline (members joining, recovering, every delivery)
 * can outgrow the entry bound in bytes; its middle entries go first (the first ten and the newest stay), noted.
 */
export function fitToStore(i: Incident): Incident {
  if (!i.members && i.timeline.length < 100) return i;
  let next = i;
  while (Buffer.byteLength(JSON.stringify(next), 'utf8') > INCIDENT_BYTES_MAX && next.timeline.length > 40) {
    const t = next.timeline;
    const drop = Math.ceil((t.length - 20) / 2);
    const kept = [
      ...t.slice(0, 10),
      { at: t[10].at, type: 'note' as const, detail: `${drop} older entries not kept (the incident must fit the store)` },
      ...t.slice(10 + drop),
    ];
    next = { ...next, timeline: kept };
  }
  return next;
}

export interface ClaimResult {
  incident: Incident;
  /** Notices this claim now owns and must send. */
  send: string[];
}

/**
 * Claims every due notice (or those of `only`): pending past its lease, or failed and due for a retry. On a
 * resolved incident a trigger, escalation or acknowledgement is no longer sent (skipped); a resolve that follows
 * one whose sender died is sent (the other may have landed), one that follows a notice that never landed is skipped.
 */
export function claimDueNotices(incident: Incident, c: Claim, only?: (key: string, d: DeliveryRecord) => boolean): ClaimResult {
  const deliveries = { ...incident.deliveries };
  const send: string[] = [];
  const resolved = incident.status === 'resolved';
  const claimedNow = new Set<string>();
  for (const [key, d] of Object.entries(deliveries)) {
    if (!claimable(d, c.now) || (only && !only(key, d))) continue;
    if (d.after && deliveries[d.after] && !isFinished(deliveries[d.after]) && !claimable(deliveries[d.after], c.now)) continue; // its leader is in flight
    claimedNow.add(key);
    const { event } = noticeTarget(key, d);
    if (resolved && event !== 'resolve') {
      deliveries[key] = d.status === 'pending' ? stopped(d, c.now) : skip(d, c.now, 'incident resolved before it was delivered');
      continue;
    }
    deliveries[key] = {
      ...d,
      status: 'pending',
      owner: c.owner,
      leaseUntil: plus(c.now, c.leaseMs),
      at: c.now,
      ...(d.status === 'pending' ? { mayHaveLanded: true } : {}),
    };
    delete deliveries[key].retryAt;
    send.push(key);
  }
  // A resolve waits for the notice it follows; if that one never landed, the resolve has nothing to end.
  const kept: string[] = [];
  for (const key of send) {
    const after = deliveries[key].after;
    const leader = after ? incident.deliveries[after] : undefined;
    const channel = noticeTarget(key, deliveries[key]).channel;
    if (after && leader && !claimedNow.has(after) && !deliveries[key].announced && !channelAnnounced(deliveries, channel)) {
      deliveries[key] = skip(deliveries[key], c.now, 'not announced on this channel');
      continue;
    }
    delete deliveries[key].after; // decided: it goes out now
    kept.push(key);
  }
  return { incident: touch({ ...incident, deliveries }, c.now), send: kept };
}

export interface CompleteResult {
  incident: Incident;
  /** Keys whose outcome was recorded (the claim still owned them). */
  recorded: string[];
  /** Notices that failed for good in this step (4xx, or the router gave up). */
  failedForGood: string[];
  /** Resolves that followed a notice completed here and are now due from the same owner. */
  followUps: string[];
  /** Notices left failed and retryable. */
  retryLater: string[];
}

function retryAt(outcome: SendOutcome, rounds: number, now: string): string {
  if (outcome.retryAfterMs !== undefined) return plus(now, outcome.retryAfterMs);
  if (rounds <= 1) return now;
  return plus(now, Math.min(60_000 * 2 ** (rounds - 2), 30 * 60_000));
}

/** Records the outcomes of the notices `owner` sent (a notice someone else took over meanwhile is left alone). */
export function completeNotices(incident: Incident, owner: string, outcomes: Record<string, SendOutcome>, now: string): CompleteResult {
  const deliveries = { ...incident.deliveries };
  const entries: TimelineEntry[] = [];
  const out: Omit<CompleteResult, 'incident'> = { recorded: [], failedForGood: [], followUps: [], retryLater: [] };
  const resolved = incident.status === 'resolved';
  for (const [key, o] of Object.entries(outcomes)) {
    const d = deliveries[key];
    if (!d || d.status !== 'pending' || d.owner !== owner) continue;
    const { event, channel } = noticeTarget(key, d);
    const rounds = (d.rounds ?? 0) + 1;
    const { owner: _o, leaseUntil: _l, ...rest } = d;
    const next: DeliveryRecord = { ...rest, attempts: d.attempts + o.attempts, rounds, at: now };
    delete next.error;
    delete next.retryable;
    if (o.ref) next.ref = o.ref.slice(0, 300);
    if (o.status === 'delivered') {
      next.status = 'delivered';
    } else {
      next.status = 'failed';
      next.error = (o.error ?? 'not sent').slice(0, 500);
      const retryable = o.retryable !== false;
      if (retryable && resolved && event !== 'resolve') {
        Object.assign(next, { status: 'skipped', error: `incident resolved before it was delivered (last try: ${next.error})`.slice(0, 500) });
      } else if (retryable && rounds < NOTICE_MAX_ROUNDS) {
        next.retryable = true;
        next.retryAt = retryAt(o, rounds, now);
        out.retryLater.push(key);
      } else {
        next.retryable = false;
        if (retryable) next.error = `gave up after ${rounds} sends: ${next.error}`.slice(0, 500);
        out.failedForGood.push(key);
      }
    }
    deliveries[key] = next;
    out.recorded.push(key);
    entries.push({
      at: now,
      type: 'delivery',
      channel,
      event,
      outcome: next.status as 'delivered' | 'failed' | 'skipped',
      attempts: o.attempts,
      ...(d.tier ? { detail: `tier ${d.tier}` } : {}),
      ...(next.error ? { detail: next.error.slice(0, 300) } : {}),
    });
  }
  // Resolves that waited for a notice completed here: they go out once nothing announcing is in flight on their
  // channel, if anything announcing landed there.
  for (const [key, d] of Object.entries(deliveries)) {
    if (d.status !== 'pending' || !d.after || d.owner !== owner || !out.recorded.includes(d.after)) continue;
    const channel = noticeTarget(key, d).channel;
    const other = inFlightOn(deliveries, channel, now);
    if (other) deliveries[key] = { ...d, after: other, owner: deliveries[other].owner, leaseUntil: deliveries[other].leaseUntil };
    else if (d.announced || channelAnnounced(deliveries, channel)) {
      out.followUps.push(key);
      const { after: _a, ...rest } = d;
      deliveries[key] = rest;
    } else deliveries[key] = skip(d, now, 'not announced on this channel');
  }
  return { incident: touch({ ...incident, deliveries, timeline: boundTimeline([...incident.timeline, ...entries]) }, now), ...out };
}

const ANNOUNCING: NoticeEvent[] = ['trigger', 'escalate'];

/** Delivered, or sent by a sender that died before recording it (so perhaps delivered). */
function landed(d: DeliveryRecord): boolean {
  return d.status === 'delivered' || d.mayHaveLanded === true;
}

function channelAnnounced(deliveries: Record<string, DeliveryRecord>, channel: SendChannel): boolean {
  return Object.entries(deliveries).some(([k, d]) => {
    const t = noticeTarget(k, d);
    return t.channel === channel && ANNOUNCING.includes(t.event) && landed(d);
  });
}

/** A trigger or escalation on the channel still owned by a live sender. */
function inFlightOn(deliveries: Record<string, DeliveryRecord>, channel: SendChannel, now: string): string | null {
  for (const [k, d] of Object.entries(deliveries)) {
    const t = noticeTarget(k, d);
    if (t.channel === channel && ANNOUNCING.includes(t.event) && d.status === 'pending' && (d.leaseUntil ?? '') > now) return k;
  }
  return null;
}

/** Channels on which the incident was announced (a trigger or escalation delivered). */
export function announcedChannels(i: Incident): SendChannel[] {
  const out = new Set<SendChannel>();
  for (const [key, d] of Object.entries(i.deliveries ?? {})) {
    const t = noticeTarget(key, d);
    if (ANNOUNCING.includes(t.event) && landed(d)) out.add(t.channel);
  }
  return [...out];
}

export interface ResolveInput {
  at: string;
  by: string;
  entry: TimelineEntry;
  claim: Claim;
  /** Channels that learn it another way (a Slack button updates its own message). */
  skip?: SendChannel[];
  actor?: string;
  note?: string;
  recovery?: DeliveryRecord['recovery'];
  ttl?: number;
}

/**
 * Resolves an unresolved incident and records its resolve notices (see the file comment for which channels).
 * Returns null when it already is resolved.
 */
export function resolveWithNotices(incident: Incident, r: ResolveInput): ClaimResult | null {
  if (incident.status === 'resolved') return null;
  const deliveries = { ...incident.deliveries };
  const send: string[] = [];
  const byChannel = new Map<SendChannel, { delivered: boolean; inFlight: string | null }>();
  for (const [key, d] of Object.entries(deliveries)) {
    const t = noticeTarget(key, d);
    if (!ANNOUNCING.includes(t.event)) continue;
    const s = byChannel.get(t.channel) ?? { delivered: false, inFlight: null };
    byChannel.set(t.channel, s);
    if (landed(d)) s.delivered = true;
    if (d.status === 'delivered') continue;
    if (d.status === 'pending' && (d.leaseUntil ?? '') > r.at) s.inFlight = key;
    else if (d.status === 'pending') {
      // Its sender stopped: it may have landed, so the resolve goes out; it is not sent again.
      deliveries[key] = stopped(d, r.at);
      s.delivered = true;
    } else if (!isFinished(d)) deliveries[key] = skip(d, r.at, 'incident resolved before it was delivered');
  }
  // A group's update being sent on a channel already announced: the resolve follows it from the same sender, so the
  // update's in-place edit cannot land after the resolve's (on Lambda every invocation is its own process).
  for (const [key, d] of Object.entries(deliveries)) {
    const t = noticeTarget(key, d);
    const s = byChannel.get(t.channel);
    if (t.event === 'update' && s?.delivered && !s.inFlight && d.status === 'pending' && !d.after && (d.leaseUntil ?? '') > r.at) s.inFlight = key;
  }
  for (const [key, d] of Object.entries(deliveries)) {
    if (isFinished(d)) continue;
    const event = noticeTarget(key, d).event;
    // An update not yet sent (scheduled, or waiting for its first message) has nothing left to say: the resolve says it.
    if ((event === 'acknowledge' && d.status !== 'pending') || (event === 'update' && (d.status !== 'pending' || d.after)))
      deliveries[key] = skip(d, r.at, 'incident resolved before it was delivered');
  }
  for (const [channel, s] of byChannel) {
    if ((r.skip ?? []).includes(channel) || (!s.delivered && !s.inFlight)) continue;
    const key = deliveryKey('resolve', channel);
    const d = pendingNotice({ event: 'resolve', channel, actor: r.actor, note: r.note, recovery: r.recovery }, r.claim);
    if (s.inFlight) {
      const leader = deliveries[s.inFlight];
      deliveries[key] = { ...d, after: s.inFlight, owner: leader.owner, leaseUntil: leader.leaseUntil, ...(s.delivered ? { announced: true } : {}) };
    } else {
      deliveries[key] = d;
      send.push(key);
    }
  }
  return { incident: transition(incident, { status: 'resolved', resolvedAt: r.at, resolvedBy: r.by }, deliveries, r.entry), send };
}

/** Acknowledges an open incident and records its acknowledge notices on the channels that announced it. */
export function acknowledgeWithNotices(
  incident: Incident,
  a: { at: string; by: string; entry: TimelineEntry; claim: Claim; skip?: SendChannel[]; actor?: string },
): ClaimResult | null {
  if (incident.status !== 'open') return null;
  const deliveries = { ...incident.deliveries };
  const send: string[] = [];
  for (const channel of announcedChannels(incident)) {
    if ((a.skip ?? []).includes(channel)) continue;
    const key = deliveryKey('acknowledge', channel);
    deliveries[key] = pendingNotice({ event: 'acknowledge', channel, actor: a.actor }, a.claim);
    send.push(key);
  }
  return { incident: transition(incident, { status: 'acknowledged', acknowledgedAt: a.at, acknowledgedBy: a.by }, deliveries, a.entry), send };
}

/** Adds notices owned by `claim` (an escalation step's pages) to the incident. */
export function addNotices(incident: Incident, specs: NoticeSpec[], c: Claim, entries: TimelineEntry[] = []): ClaimResult {
  const deliveries = { ...incident.deliveries };
  const send: string[] = [];
  for (const spec of specs) {
    const key = noticeKeyOf(spec);
    deliveries[key] = pendingNotice(spec, c);
    send.push(key);
  }
  return { incident: touch({ ...incident, deliveries, timeline: boundTimeline([...incident.timeline, ...entries]) }, c.now), send };
}
