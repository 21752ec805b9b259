import { deliveryKey, pending, type DeliveryRecord, type Incident, type SendChannel, type TimelineEntry } from '@alert-router/core';
import { fanOut } from './alarm-pipeline';
import type { Runtime } from './runtime';
import { TABLE } from './table';

/** Who did something, and through what (`slack`, `dashboard`, `escalation`...). */
export interface Actor {
  id: string;
  name: string;
  via: 'slack' | 'dashboard' | 'api';
}

export type ActionResult =
  | { kind: 'done'; incident: Incident }
  | { kind: 'not-found' }
  | { kind: 'already-acknowledged'; incident: Incident }
  | { kind: 'already-resolved'; incident: Incident };

export function actorLabel(a: Actor): string {
  return `${a.via}:${a.id} (${a.name})`;
}

/** Channels on which the incident was actually announced (a trigger or an escalation delivered). */
export function announcedChannels(i: Incident): SendChannel[] {
  const out = new Set<SendChannel>();
  for (const [key, d] of Object.entries(i.deliveries ?? {})) {
    const [event, channel] = key.split(':') as [string, SendChannel];
    if ((event === 'trigger' || event === 'escalate') && d.status === 'delivered') out.add(channel);
  }
  return [...out];
}

async function current(rt: Runtime, id: string): Promise<ActionResult> {
  const i = await rt.store.getIncident(id);
  if (!i) return { kind: 'not-found' };
  if (i.status === 'resolved') return { kind: 'already-resolved', incident: i };
  return { kind: 'already-acknowledged', incident: i };
}

/**
 * Acknowledge: stops escalation, records who/when/where, tells PagerDuty (same dedup_key) and the other
 * channels that announced it, except those in `skip` (Slack updates its own message through response_url).
 */
export async function acknowledgeIncident(rt: Runtime, id: string, actor: Actor, opts: { skip?: SendChannel[] } = {}): Promise<ActionResult> {
  const at = rt.now().toISOString();
  const entry: TimelineEntry = { at, type: 'acknowledged', by: actorLabel(actor) };
  const { byDue } = TABLE.indexes;
  const updated = await rt.store.updateIncident(id, {
    set: { status: 'acknowledged', acknowledgedAt: at, acknowledgedBy: actorLabel(actor), updatedAt: at },
    remove: [byDue.partitionKey, byDue.sortKey],
    condition: '#status = :open',
    conditionValues: { ':open': 'open' },
    append: [entry],
  });
  if (!updated) return current(rt, id);
  await tell(rt, updated, 'acknowledge', actor, opts.skip ?? []);
  rt.metrics.count('IncidentsAcknowledged', 1, { severity: updated.severity });
  return { kind: 'done', incident: (await rt.store.getIncident(id)) ?? updated };
}

/** Resolve by a person: frees the alarm for a new episode and says so where the incident was announced. */
export async function resolveIncident(rt: Runtime, id: string, actor: Actor, opts: { note?: string; skip?: SendChannel[] } = {}): Promise<ActionResult> {
  const at = rt.now().toISOString();
  const before = await rt.store.getIncident(id);
  if (!before) return { kind: 'not-found' };
  if (before.status === 'resolved') return { kind: 'already-resolved', incident: before };
  const channels = announcedChannels(before).filter((c) => !(opts.skip ?? []).includes(c));
  const initial: Record<string, DeliveryRecord> = {};
  for (const c of channels) initial[deliveryKey('resolve', c)] = pending(at, rt.leaseMs);
  const entry: TimelineEntry = { at, type: 'resolved', by: actorLabel(actor), ...(opts.note ? { detail: opts.note.slice(0, 1000) } : {}) };
  const resolved = await rt.store.markResolved(id, at, actorLabel(actor), entry, initial);
  if (!resolved) return current(rt, id);
  await rt.store.releaseLatch(resolved.incidentKey, id);
  const result = await fanOut('resolve', resolved, channels, rt, { actor: actor.name, note: opts.note });
  await rt.store.recordDeliveries(id, result.deliveries, result.entries, rt.now().toISOString());
  if (result.retryableFailure) await rt.store.scheduleRedelivery(id, redeliveryTime(rt));
  rt.metrics.count('IncidentsResolved', 1, { severity: resolved.severity });
  return { kind: 'done', incident: (await rt.store.getIncident(id)) ?? resolved };
}

async function tell(rt: Runtime, incident: Incident, event: 'acknowledge', actor: Actor, skip: SendChannel[]): Promise<void> {
  const channels = announcedChannels(incident).filter((c) => !skip.includes(c));
  if (channels.length === 0) return;
  const result = await fanOut(event, incident, channels, rt, { actor: actor.name });
  await rt.store.recordDeliveries(incident.id, result.deliveries, result.entries, rt.now().toISOString());
  if (result.retryableFailure) await rt.store.scheduleRedelivery(incident.id, redeliveryTime(rt));
}

/** A failed ack/resolve notice is resent by the next escalation sweep (every minute). */
export function redeliveryTime(rt: Runtime, attempt = 0): string {
  return new Date(rt.now().getTime() + Math.min(60_000 * 2 ** attempt, 30 * 60_000)).toISOString();
}
