import { deliveriesToRetry, deliveryKey, describeSilence, planEscalation, type Incident, type NoticeEvent, type SendChannel, type Silence } from '@alert-router/core';
import { redeliveryTime } from './actions';
import { fanOut } from './alarm-pipeline';
import type { Runtime } from './runtime';
import { releaseEndedSilences, type Released } from './silence-release';
import { TABLE } from './table';

export interface EscalationRun {
  due: number;
  escalated: { id: string; step: number; tier: string; notify: string[] }[];
  /** Ack/resolve notices resent after a channel failed them. */
  redelivered: { id: string; event: NoticeEvent; channel: SendChannel; outcome: string }[];
  skipped: { id: string; why: string }[];
  /** Incidents a silence held since they opened, announced now that it ended (silence-release.ts). */
  released: Released[];
}

/**
 * One scheduled sweep: incidents past their deadline come from the byDue index (no scan); each step is taken
 * with a conditional write guarded by the escalation state it started from, so overlapping runs never
 * escalate twice and a run that finds the incident acknowledged, resolved or silenced meanwhile does nothing.
 */
export async function runEscalations(rt: Runtime, limit = 100): Promise<EscalationRun> {
  const now = rt.now().toISOString();
  const released = await releaseEndedSilences(rt, now);
  const due = await rt.store.listDue(now, limit);
  const run: EscalationRun = { due: due.length, escalated: [], redelivered: [], skipped: [], released };
  if (due.some((i) => i.status === 'open')) await freshSilences(rt);
  await Promise.all(due.map((i) => escalateOne(rt, i, now, run)));
  return run;
}

/**
 * Silences are created and ended by other functions (Slack, dashboard), so the cache of this container may be
 * stale: one query per sweep (not one per incident) brings it up to date before any step is taken. When the
 * query fails the sweep goes on with what the cache holds (at least the policy's silences).
 */
async function freshSilences(rt: Runtime): Promise<void> {
  try {
    await rt.silenceCache.refresh();
  } catch (err) {
    rt.logger.warn('silence refresh failed; escalating against the cached silences', { error: rt.redact((err as Error).message) });
  }
}

const HELD = 'escalation held: silenced by ';

/**
 * A due step held by a silence created after the incident opened: the escalation state is not touched (the
 * step runs on the first sweep after the silence ends). The timeline says so once per silence — later sweeps
 * see the entry and write nothing; the write is guarded by `updatedAt` so overlapping runs add it once.
 */
async function hold(rt: Runtime, incident: Incident, silence: Silence, now: string): Promise<void> {
  if (incident.timeline.some((e) => e.type === 'silenced' && e.by === 'escalation' && e.detail?.startsWith(`${HELD}${silence.id} `))) return;
  await rt.store.updateIncident(incident.id, {
    set: { updatedAt: now },
    condition: '#status = :open AND updatedAt = :seen',
    conditionValues: { ':open': 'open', ':seen': incident.updatedAt },
    append: [{ at: now, type: 'silenced', by: 'escalation', detail: `${HELD}${describeSilence(silence)}` }],
  });
}

/** Most sweeps that resend a failed ack/resolve notice before giving up on it. */
const MAX_REDELIVERIES = 10;

async function redeliver(rt: Runtime, incident: Incident, now: string, run: EscalationRun): Promise<void> {
  const lease = new Date(Date.parse(now) + rt.leaseMs).toISOString();
  let failedAgain = false;
  for (const event of ['acknowledge', 'resolve'] as const) {
    const channels = deliveriesToRetry(incident, event, now).filter((c) => (incident.deliveries[deliveryKey(event, c)]?.attempts ?? 0) < MAX_REDELIVERIES * 4);
    const claimed = await Promise.all(channels.map((c) => rt.store.claimDelivery(incident.id, deliveryKey(event, c), now, lease)));
    const mine = channels.filter((_, i) => claimed[i]);
    if (mine.length === 0) continue;
    const result = await fanOut(event, incident, mine, rt, { actor: event === 'resolve' ? (incident.resolvedBy ?? undefined) : (incident.acknowledgedBy ?? undefined) });
    for (const [key, d] of Object.entries(result.deliveries)) {
      const previous = incident.deliveries[key]?.attempts ?? 0;
      d.attempts += previous;
      run.redelivered.push({ id: incident.id, event, channel: key.split(':')[1] as SendChannel, outcome: d.status });
    }
    await rt.store.recordDeliveries(incident.id, result.deliveries, result.entries, rt.now().toISOString());
    failedAgain ||= result.retryableFailure;
  }
  if (failedAgain) await rt.store.scheduleRedelivery(incident.id, redeliveryTime(rt, 1));
  else await rt.store.clearRedelivery(incident.id);
}

async function escalateOne(rt: Runtime, incident: Incident, now: string, run: EscalationRun): Promise<void> {
  if (incident.status !== 'open') {
    await redeliver(rt, incident, now, run);
    run.skipped.push({ id: incident.id, why: incident.status });
    return;
  }
  const silence = rt.silenceCache.match(incident.alarmName, now);
  const plan = planEscalation(incident, now, rt.policy, silence);
  if (plan.kind === 'none') {
    if (plan.why === 'silenced' && silence && !incident.silencedBy) await hold(rt, incident, silence, now);
    run.skipped.push({ id: incident.id, why: plan.why });
    return;
  }
  const { byDue } = TABLE.indexes;
  const dueIndex = plan.next.nextAt ? { [byDue.partitionKey]: 'DUE', [byDue.sortKey]: `${plan.next.nextAt}#${incident.id}` } : {};
  const contact = rt.policy.contacts[plan.tier]?.name ?? plan.tier;
  const updated = await rt.store.updateIncident(incident.id, {
    set: { escalation: plan.next, updatedAt: now, ...dueIndex },
    remove: plan.next.nextAt ? [] : [byDue.partitionKey, byDue.sortKey],
    condition: '#status = :open AND (attribute_not_exists(silencedBy) OR silencedBy = :null) AND escalation.step = :step AND escalation.#count = :count AND escalation.nextAt = :at',
    conditionValues: { ':open': 'open', ':null': null, ':step': plan.from.step, ':count': plan.from.count, ':at': plan.from.nextAt },
    append: [
      {
        at: now,
        type: 'escalated',
        by: 'escalation',
        detail: `step ${plan.step + 1}/${plan.from.chain.length}${plan.from.chain[plan.step].repeat > 1 ? ` (${plan.count + 1} of ${plan.from.chain[plan.step].repeat})` : ''}: ${contact} via ${plan.notify.join(', ')}`,
      },
    ],
  });
  if (!updated) {
    run.skipped.push({ id: incident.id, why: 'changed-meanwhile' });
    return;
  }
  run.escalated.push({ id: incident.id, step: plan.step, tier: plan.tier, notify: plan.notify });
  rt.metrics.count('Escalations', 1, { severity: incident.severity });
  const result = await fanOut('escalate', updated, plan.notify, rt, { tier: plan.tier });
  await rt.store.recordDeliveries(incident.id, result.deliveries, result.entries, rt.now().toISOString());
}
