/**
 * When a silence ends (expires or is removed), the unresolved incidents it held since they opened are announced on
 * their channels as if they had just fired, marked "was silenced by SIL-… (reason) since …", with their escalation
 * and response time counted from that moment. Called by every escalation sweep (one status-index query for the
 * held incidents); an incident that resolved during the silence is not listed, so nothing is sent for it.
 */
import { planRelease, type Incident, type SendChannel } from '@alert-router/core';
import { fanOut } from './alarm-pipeline';
import { queryDescending } from './index-query';
import type { Runtime } from './runtime';
import { TABLE } from './table';

/** Most held incidents one sweep reads; more wait for the next sweep. */
const HELD_READ_LIMIT = 500;

export interface Released {
  id: string;
  silenceId: string;
  notify: SendChannel[];
}

/** Unresolved incidents with `silencedBy` set, newest first (the status index, filtered in DynamoDB). */
async function heldIncidents(rt: Runtime): Promise<Incident[]> {
  const { byStatus } = TABLE.indexes;
  const out: Incident[] = [];
  const held = queryDescending(
    rt,
    {
      IndexName: 'byStatus',
      KeyConditionExpression: '#pk = :open',
      FilterExpression: 'attribute_exists(silencedBy) AND silencedBy <> :null',
      ExpressionAttributeNames: { '#pk': byStatus.partitionKey },
      ExpressionAttributeValues: { ':open': 'OPEN', ':null': null },
    },
    1000,
  );
  for await (const i of held) {
    out.push(i);
    if (out.length >= HELD_READ_LIMIT) break;
  }
  return out;
}

/** Never fails the sweep it is part of: what cannot be read or written now is released by a later sweep. */
export async function releaseEndedSilences(rt: Runtime, now: string): Promise<Released[]> {
  let held: Incident[];
  try {
    held = await heldIncidents(rt);
    if (held.length === 0) return [];
    // Only a fresh copy may say a silence is over: with a stale or missing one, nothing is released this sweep.
    await rt.silenceCache.refresh();
  } catch (err) {
    rt.logger.warn('held incidents or silences unreadable; releases wait for the next sweep', { error: rt.redact((err as Error).message) });
    return [];
  }
  const silences = rt.silenceCache.all();
  const released = await Promise.all(
    held.map((i) =>
      releaseOne(rt, i, silences, now).catch((err: Error) => {
        rt.logger.warn('release failed; the next sweep tries again', { incidentId: i.id, error: rt.redact(err.message) });
        return null;
      }),
    ),
  );
  return released.filter((r): r is Released => r !== null);
}

async function releaseOne(rt: Runtime, incident: Incident, silences: ReturnType<Runtime['silenceCache']['all']>, now: string): Promise<Released | null> {
  const plan = planRelease(incident, silences, now, rt.policy);
  if (!plan) return null;
  const { byDue } = TABLE.indexes;
  const nextAt = plan.escalation?.nextAt;
  // Guarded by the silencedBy it read: overlapping sweeps (or an ack meanwhile changing nothing here) announce once.
  const updated = await rt.store.updateIncident(incident.id, {
    set: { silencedBy: null, releasedAt: now, escalation: plan.escalation, updatedAt: now, ...(nextAt ? { [byDue.partitionKey]: 'DUE', [byDue.sortKey]: `${nextAt}#${incident.id}` } : {}) },
    condition: 'silencedBy = :seen AND #status <> :resolved',
    conditionValues: { ':seen': incident.silencedBy, ':resolved': 'resolved' },
    append: [{ at: now, type: 'silenced', by: 'escalation', detail: `silence ended: announced (${plan.note})` }],
  });
  if (!updated) return null;
  const notify = updated.channels.filter((c): c is SendChannel => c !== 'dashboard');
  const result = await fanOut('trigger', updated, notify, rt, { note: plan.note });
  await rt.store.recordDeliveries(incident.id, result.deliveries, result.entries, rt.now().toISOString());
  return { id: incident.id, silenceId: plan.silenceId, notify };
}
