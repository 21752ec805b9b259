/**
 * What the alarm path costs the DynamoDB table: store requests and capacity units (table and each index, by the
 * capacity model) per new alarm, per redelivery, per later ALARM folded into the open episode, per OK and per
 * redelivered OK. The alarm path runs for real (processNotification on dynalite, Slack / PagerDuty / SMTP peers on
 * loopback); test/store-requests.test.ts asserts on it and bench/store-ops.ts prints it.
 */
import { defaultPolicy, parseSnsMessage } from '@alert-router/core';
import { createDocumentClient, indexAttributes, processNotification } from '@alert-router/aws';
import { itemBytes, queryUnits } from '@alert-router/aws/capacity';
import { incidentAttributes } from '@alert-router/aws/store/incident-item';
import { meterCapacity, type CapacityTally } from '@alert-router/aws/capacity-meter';
import { RUNBOOK_ALARMS, snsNotification, type DemoAlarm } from '../../packages/local/src/demo';
import { routerWithPeers } from './router-runtime';

export const ALARM_STEPS = ['new alarm', 'redelivery', 'later ALARM (duplicate)', 'its redelivery', 'OK', 'OK redelivered'] as const;
/** With grouping on, a second alarm of the same account and region joins the first one's group. */
export const GROUPED_STEPS = ['new alarm', 'redelivery', 'second alarm (joins the group)', 'its redelivery', 'OK', 'OK redelivered'] as const;
export type AlarmStep = (typeof ALARM_STEPS)[number] | (typeof GROUPED_STEPS)[number];

export interface StepCost {
  /** What each alarm's step came to (the pipeline's outcome kind), to show the step did what it says. */
  outcomes: string[];
  /** One tally per alarm, in order. */
  tallies: CapacityTally[];
}

const T0 = Date.UTC(2026, 11, 1, 9, 0, 0);

/**
 * Runs `alarms` alarms (P0: PagerDuty + Slack) through every step, one at a time and an hour apart on the router's
 * clock, metering each step. `grouped`: on the shipped policy (grouping on) instead of one incident per alarm.
 */
export async function measureAlarmCosts(alarms: number, opts: { grouped?: boolean } = {}): Promise<Partial<Record<AlarmStep, StepCost>>> {
  let clock = T0;
  // Each reading of the clock moves it 1 ms on: writes within a step carry distinct times, as they would.
  const env = await routerWithPeers({}, { now: () => new Date((clock += 1)), ...(opts.grouped ? { policy: defaultPolicy() } : {}) });
  const peek = createDocumentClient({ region: 'us-east-1', endpoint: env.local.endpoint });
  const meter = meterCapacity(env.local.db, peek, env.local.tableName);
  const steps = opts.grouped ? GROUPED_STEPS : ALARM_STEPS;
  const out: Partial<Record<AlarmStep, StepCost>> = Object.fromEntries(steps.map((s) => [s, { outcomes: [], tallies: [] }]));
  try {
    for (let n = 0; n < alarms; n++) {
      const alarm: DemoAlarm = { ...RUNBOOK_ALARMS[0], name: `CostProbe${n}` };
      const step = async (name: AlarmStep, a: DemoAlarm, state: 'ALARM' | 'OK', minutes: number, messageId: string) => {
        const at = T0 + n * 3_600_000 + minutes * 60_000;
        clock = at + 2000;
        await env.rt.silenceCache.refresh(); // a warm container: the silences are cached, not read beside the latch
        const body = snsNotification(a, state, new Date(at), messageId);
        meter.reset();
        const r = await processNotification(parseSnsMessage({ ...body, Subject: body.Subject ?? null }, 'Sns'), env.rt);
        out[name]!.outcomes.push(r.kind);
        out[name]!.tallies.push(structuredClone(meter.tally()));
      };
      await step('new alarm', alarm, 'ALARM', 0, `a-${n}`);
      await step('redelivery', alarm, 'ALARM', 0, `a-${n}`);
      if (opts.grouped) {
        const second: DemoAlarm = { ...RUNBOOK_ALARMS[0], name: `CostProbe${n}Second` };
        await step('second alarm (joins the group)', second, 'ALARM', 1, `b-${n}`);
        await step('its redelivery', second, 'ALARM', 1, `b-${n}`);
      } else {
        await step('later ALARM (duplicate)', alarm, 'ALARM', 5, `b-${n}`);
        await step('its redelivery', alarm, 'ALARM', 5, `b-${n}`);
      }
      await step('OK', alarm, 'OK', 10, `c-${n}`);
      await step('OK redelivered', alarm, 'OK', 10, `c-${n}`);
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

export interface ListingCost {
  name: string;
  listed: number;
  tally: CapacityTally;
  /** Read units the same listing took when the index projected ALL: its query pages over whole incidents. */
  readIfAll: number;
}

/** Opens `open` alarms through the alarm path, then meters the listings the dashboard, digest and sweep run. */
export async function measureListingCosts(open: number): Promise<ListingCost[]> {
  const env = await routerWithPeers();
  const peek = createDocumentClient({ region: 'us-east-1', endpoint: env.local.endpoint });
  const meter = meterCapacity(env.local.db, peek, env.local.tableName);
  try {
    for (let n = 0; n < open; n++) {
      const body = snsNotification({ ...RUNBOOK_ALARMS[n % 4], name: `ListProbe${n}` }, 'ALARM', new Date(T0 + n * 1000));
      await processNotification(parseSnsMessage({ ...body, Subject: body.Subject ?? null }, 'Sns'), env.rt);
    }
    const day = new Date(T0).toISOString().slice(0, 10);
    const future = new Date(T0 + 86_400_000).toISOString();
    const listings: [string, () => Promise<{ id: string }[]>][] = [
      ['listUnresolvedRows(100): the dashboard, rows from the index', () => env.local.store.listUnresolvedRows(100)],
      [`listRowsByDay: the dashboard's history, one day of ${open}`, () => env.local.store.listRowsByDay(day)],
      ['listUnresolved(100): digest, /incident list, /api/incidents', () => env.local.store.listUnresolved(100)],
      [`listByDay: digest, hygiene, one day of ${open}`, () => env.local.store.listByDay(day)],
      ['listDue(100): the escalation sweep, all due', () => env.local.store.listDue(future, 100)],
    ];
    const out: ListingCost[] = [];
    for (const [name, list] of listings) {
      meter.reset();
      const listed = await list();
      const tally = structuredClone(meter.tally());
      const whole = await Promise.all(
        listed.map(async ({ id }) => {
          const i = (await env.local.store.getIncident(id))!;
          return itemBytes({ pk: `INC#${i.id}`, sk: 'INC', ...indexAttributes(i), ...incidentAttributes(i) });
        }),
      );
      out.push({ name, listed: listed.length, tally, readIfAll: queryPagesUnits(whole) });
    }
    return out;
  } finally {
    peek.destroy();
    await env.close();
  }
}

/** Read units of a query over items of these sizes: pages of at most 1,000 items (the store's page) and 1 MB. */
function queryPagesUnits(sizes: number[]): number {
  let units = 0;
  let page: number[] = [];
  for (const size of sizes) {
    if (page.length === 1000 || page.reduce((a, b) => a + b, 0) + size > 1024 * 1024) {
      units += queryUnits(page, false);
      page = [];
    }
    page.push(size);
  }
  return units + queryUnits(page, false);
}
