import {
  addNotices,
  claimDueNotices,
  describeSilence,
  noticeTarget,
  planEscalation,
  type Incident,
  type NoticeEvent,
  type SendChannel,
  type Silence,
  type TimelineEntry,
} from '@alert-router/core';
import { newClaim, sendNotices, type DeliveryDeps } from './delivery';
import { releaseEndedSilences, type Released } from './silence-release';

export interface EscalationRun {
  due: number;
  escalated: { id: string; step: number; tier: string; notify: string[] }[];
  /** Notices resent because their retry was due or their sender died (any kind). */
  redelivered: { id: string; event: NoticeEvent; channel: SendChannel; outcome: string }[];
  skipped: { id: string; why: string }[];
  /** Incidents with a notice that failed again and stays due: the scheduled invocation fails so that it shows. */
  failed: string[];
  /** Incidents a silence held since they opened, announced now that it ended (silence-release.ts). */
  released: Released[];
}

export interface SweepDeps extends DeliveryDeps {
  silenceCache: { refresh(): Promise<unknown>; match(alarmName: string, now: string): Silence | null; all(): Silence[] };
}

/**
 * One scheduled sweep over the byDue index (no scan): every notice whose lease expired or whose retry is due is
 * resent, and open incidents past their deadline get their next escalation step. Claiming the notices and taking
 * the step are one conditional write guarded by the incident's revision, so overlapping runs never send twice and
 * a run that finds the incident acknowledged, resolved or silenced meanwhile does not escalate it.
 */
export async function runEscalations(rt: SweepDeps, limit = 100): Promise<EscalationRun> {
  const now = rt.now().toISOString();
  const released = await releaseEndedSilences(rt);
  const due = await rt.store.listDue(now, limit);
  const run: EscalationRun = { due: due.length, escalated: [], redelivered: [], skipped: [], failed: [], released };
  if (due.some((i) => i.status === 'open')) await freshSilences(rt);
  await Promise.all(due.map((i) => sweepOne(rt, i, now, run)));
  return run;
}

/**
 * Silences are created and ended by other functions (Slack, dashboard), so the cache of this container may be
 * stale: one query per sweep (not one per incident) brings it up to date before any step is taken. When the
 * query fails the sweep goes on with what the cache holds (at least the policy's silences).
 */
async function freshSilences(rt: SweepDeps): Promise<void> {
  try {
    await rt.silenceCache.refresh();
  } catch (err) {
    const message = (err as Error).message;
    rt.logger.warn('silence refresh failed; escalating against the cached silences', { error: rt.redact ? rt.redact(message) : message });
  }
}

const HELD = 'escalation held: silenced by ';

type Step = Extract<ReturnType<typeof planEscalation>, { kind: 'step' }>;

async function sweepOne(rt: SweepDeps, incident: Incident, now: string, run: EscalationRun): Promise<void> {
  const claim = newClaim(rt);
  let why = incident.status === 'open' ? 'not-due' : incident.status;
  const r = await rt.store.updateIncident<{ send: string[]; step: Step | null }>(
    incident.id,
    (cur) => {
      const claimed = claimDueNotices(cur, claim);
      let next = claimed.incident;
      const send = [...claimed.send];
      let step: Step | null = null;
      let changed = JSON.stringify(next.deliveries) !== JSON.stringify(cur.deliveries);
      why = cur.status === 'open' ? 'not-due' : cur.status;
      if (cur.status === 'open') {
        const silence = rt.silenceCache.match(cur.alarmName, now);
        const plan = planEscalation(cur, now, rt.policy, silence);
        if (plan.kind === 'step') {
          step = plan;
          const contact = rt.policy.contacts[plan.tier]?.name ?? plan.tier;
          const repeat = plan.from.chain[plan.step].repeat;
          const entry: TimelineEntry = {
            at: now,
            type: 'escalated',
            by: 'escalation',
            detail: `step ${plan.step + 1}/${plan.from.chain.length}${repeat > 1 ? ` (${plan.count + 1} of ${repeat})` : ''}: ${contact} via ${plan.notify.join(', ')}`,
          };
          const specs = plan.notify.map((channel) => ({ event: 'escalate' as const, channel, step: `${plan.step + 1}.${plan.count + 1}`, tier: plan.tier }));
          const added = addNotices({ ...next, escalation: plan.next }, specs, claim, [entry]);
          next = added.incident;
          send.push(...added.send);
          changed = true;
        } else {
          why = plan.why;
          // A due step held by a silence created after the incident opened: said once per silence on the timeline.
          const said = cur.timeline.some((e) => e.type === 'silenced' && e.by === 'escalation' && e.detail?.startsWith(`${HELD}${silence?.id} `));
          if (plan.why === 'silenced' && silence && !cur.silencedBy && !said) {
            next = { ...next, timeline: [...next.timeline, { at: now, type: 'silenced', by: 'escalation', detail: `${HELD}${describeSilence(silence)}` }] };
            changed = true;
          }
        }
      }
      return changed ? { incident: next, send, step } : null;
    },
    incident,
  );
  if (r.kind !== 'updated') {
    run.skipped.push({ id: incident.id, why: r.kind === 'missing' ? 'missing' : why });
    return;
  }
  if (r.step) {
    run.escalated.push({ id: incident.id, step: r.step.step, tier: r.step.tier, notify: r.step.notify });
    rt.metrics.count('Escalations', 1, { severity: incident.severity });
  } else run.skipped.push({ id: incident.id, why });
  const report = await sendNotices(rt, r.incident, claim.owner, r.send);
  for (const [key, d] of Object.entries(report.deliveries)) {
    const t = noticeTarget(key, d);
    if (!(r.step && t.event === 'escalate' && key.includes(`#${r.step.step + 1}.${r.step.count + 1}:`)))
      run.redelivered.push({ id: incident.id, event: t.event, channel: t.channel, outcome: d.status });
  }
  if (report.retryableFailure) run.failed.push(incident.id);
}
