/**
 * What the alarm path costs the DynamoDB table: store requests and capacity units (table and each index, by the
 * capacity model) per new alarm, per redelivery, per later ALARM folded into the open episode, per OK and per
 * redelivered OK. The alarm path runs for real (processNotification on dynalite, Slack / PagerDuty / SMTP peers on
 * loopback); test/store-requests.test.ts asserts on it and bench/store-ops.ts prints it.
 */
import { parseSnsMessage } from '@alert-router/core';
import { createDocumentClient, processNotification } from '@alert-router/aws';
import { meterCapacity, type CapacityTally } from '@alert-router/aws/capacity-meter';
import { RUNBOOK_ALARMS, snsNotification, type DemoAlarm } from '../../packages/local/src/demo';
import { routerWithPeers } from './router-runtime';

export const ALARM_STEPS = ['new alarm', 'redelivery', 'later ALARM (duplicate)', 'its redelivery', 'OK', 'OK redelivered'] as const;
export type AlarmStep = (typeof ALARM_STEPS)[number];

export interface StepCost {
  /** What each alarm's step came to (the pipeline's outcome kind), to show the step did what it says. */
  outcomes: string[];
  /** One tally per alarm, in order. */
  tallies: CapacityTally[];
}

const T0 = Date.UTC(2026, 11, 1, 9, 0, 0);

/** Runs `alarms` alarms (P0: PagerDuty + Slack) through every step, one at a time, metering each step. */
export async function measureAlarmCosts(alarms: number): Promise<Record<AlarmStep, StepCost>> {
  const env = await routerWithPeers();
  const peek = createDocumentClient({ region: 'us-east-1', endpoint: env.local.endpoint });
  const meter = meterCapacity(env.local.db, peek, env.local.tableName);
  const out = Object.fromEntries(ALARM_STEPS.map((s) => [s, { outcomes: [], tallies: [] }])) as unknown as Record<AlarmStep, StepCost>;
  try {
    await env.rt.silenceCache.refresh(); // a warm container: the silences are cached, not read beside the latch
    for (let n = 0; n < alarms; n++) {
      const alarm: DemoAlarm = { ...RUNBOOK_ALARMS[0], name: `CostProbe${n}` };
      const at = (minutes: number) => new Date(T0 + n * 3_600_000 + minutes * 60_000);
      const step = async (name: AlarmStep, state: 'ALARM' | 'OK', minutes: number, messageId: string) => {
        await env.rt.silenceCache.refresh();
        const body = snsNotification(alarm, state, at(minutes), messageId);
        meter.reset();
        const r = await processNotification(parseSnsMessage({ ...body, Subject: body.Subject ?? null }, 'Sns'), env.rt);
        out[name].outcomes.push(r.kind);
        out[name].tallies.push(structuredClone(meter.tally()));
      };
      await step('new alarm', 'ALARM', 0, `a-${n}`);
      await step('redelivery', 'ALARM', 0, `a-${n}`);
      await step('later ALARM (duplicate)', 'ALARM', 5, `b-${n}`);
      await step('its redelivery', 'ALARM', 5, `b-${n}`);
      await step('OK', 'OK', 10, `c-${n}`);
      await step('OK redelivered', 'OK', 10, `c-${n}`);
    }
  } finally {
    peek.destroy();
    await env.close();
  }
  return out;
}

/** The mean of each figure over the tallies. */
export function meanTally(tallies: CapacityTally[]): CapacityTally {
  const mean = (pick: (t: CapacityTally) => Record<string, number>) => {
    const sum: Record<string, number> = {};
    for (const t of tallies) for (const [k, v] of Object.entries(pick(t))) sum[k] = (sum[k] ?? 0) + v;
    return Object.fromEntries(Object.entries(sum).map(([k, v]) => [k, v / tallies.length]));
  };
  return {
    requests: mean((t) => t.requests),
    write: mean((t) => t.write),
    writeIfAll: mean((t) => t.writeIfAll),
    read: mean((t) => t.read),
    reportedWrite: mean((t) => t.reportedWrite),
    reportedRead: mean((t) => t.reportedRead),
    failedConditions: tallies.reduce((n, t) => n + t.failedConditions, 0) / tallies.length,
  };
}
