/**
 * Alert hygiene over a seeded week. Every incident is made by the real pipeline on a controlled clock from
 * the alarm fixtures (test/fixtures/alarms; state, state-change time and message id set per step): acks from
 * Slack and the dashboard, an escalation, a repeat alarm, a flapping alarm, one still open. The report is read
 * back through the store (by-day index) and every number is asserted, with the suggested change of each class.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  computeHygiene,
  defaultPolicy,
  hygieneBulletin,
  niceBeyond,
  parseInput,
  renderBulletinEmail,
  renderBulletinSlack,
  valuesInReason,
  type HygieneReport,
  type Notification,
  type Policy,
} from '@alert-router/core';
import {
  acknowledgeIncident,
  deliverWithRetry,
  loadHygiene,
  processNotification,
  resolveIncident,
  runEscalations,
  runHygiene,
  type Actor,
} from '@alert-router/aws';
import { makeIncident } from './helpers/incident-factory';
import { routerWithPeers } from './helpers/router-runtime';
import { ungroupedPolicy } from './helpers/policies';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function message(file: string): Record<string, unknown> {
  const raw = JSON.parse(readFileSync(resolve(ROOT, 'test/fixtures/alarms', file), 'utf8')) as Record<string, unknown> & {
    Records?: { Sns: { Message: string } }[];
  };
  return raw.Records ? (JSON.parse(raw.Records[0].Sns.Message) as Record<string, unknown>) : raw;
}

const FIXTURES = {
  node: message('metric-alarm.event.json'), // self-resolving (P2)
  network: message('treat-missing-data-junk.event.json'), // flapping (P1)
  cpu: message('eu-west-1-empty-dimensions.alarm.json'), // misses its response time (P2)
  latency: message('extended-statistic.event.json'), // noisy (P1)
  telemetry: message('log-metric-filter.alarm.json'), // stays open (P1)
};
const NAME = Object.fromEntries(Object.entries(FIXTURES).map(([k, m]) => [k, m.AlarmName as string])) as Record<keyof typeof FIXTURES, string>;

function policy(): Policy {
  const base = ungroupedPolicy();
  return {
    ...base,
    rules: [
      { alarmName: NAME.network, severity: 'P1' },
      { alarmName: NAME.latency, severity: 'P1' },
      { alarmName: NAME.telemetry, severity: 'P1' },
      ...base.rules,
    ],
  };
}

const alice: Actor = { id: 'U024BE7LH', name: 'alice', via: 'slack' };
const bob: Actor = { id: 'dashboard', name: 'bob', via: 'dashboard' };
const FROM = '2026-11-23T00:00:00.000Z';
const TO = new Date('2026-11-30T00:00:00.000Z');

describe('alert hygiene over a seeded week (real pipeline, controlled clock)', () => {
  let env: Awaited<ReturnType<typeof routerWithPeers>>;
  let clock = new Date(FROM);
  const ids: Record<string, string[]> = { node: [], network: [], cpu: [], latency: [], telemetry: [] };
  let weekly: HygieneReport;
  let monthly: HygieneReport;

  function alarm(key: keyof typeof FIXTURES, state: 'ALARM' | 'OK', at: string): Notification {
    const stamp = at.replace('Z', '+0000');
    return parseInput({ ...FIXTURES[key], NewStateValue: state, OldStateValue: state === 'OK' ? 'ALARM' : 'OK', StateChangeTime: stamp }).notifications[0];
  }
  async function fire(key: keyof typeof FIXTURES, state: 'ALARM' | 'OK', at: string) {
    clock = new Date(at);
    const out = await processNotification(alarm(key, state, at), env.rt);
    if (out.kind === 'opened') ids[key].push(out.incidentId!);
    return out;
  }
  async function ack(key: keyof typeof FIXTURES, at: string, who = alice) {
    clock = new Date(at);
    expect((await acknowledgeIncident(env.rt, ids[key].at(-1)!, who)).kind).toBe('done');
  }
  const minutes = (iso: string, m: number) => new Date(Date.parse(iso) + m * 60_000).toISOString();

  beforeAll(async () => {
    env = await routerWithPeers(
      {},
      { policy: policy(), now: () => clock, deliver: (n, notice) => deliverWithRetry(n, notice, { budgetMs: 60_000, sleep: async () => {}, random: () => 0 }) },
    );
    // The day before the week: only the monthly report sees it.
    await fire('node', 'ALARM', '2026-11-22T23:00:00.000Z');
    await fire('node', 'OK', '2026-11-22T23:02:00.000Z');
    // Mon: the telemetry alarm opens and is acknowledged in 10 min, then nobody resolves it; a node failure clears in 2 min.
    await fire('telemetry', 'ALARM', '2026-11-23T06:00:00.000Z');
    await ack('telemetry', '2026-11-23T06:10:00.000Z');
    await fire('node', 'ALARM', '2026-11-23T09:00:00.000Z');
    await fire('node', 'OK', '2026-11-23T09:02:00.000Z');
    // Tue: NetworkOut flaps, a state change a minute for 8 minutes.
    for (let k = 0; k < 8; k++) await fire('network', k % 2 ? 'OK' : 'ALARM', minutes('2026-11-24T10:00:00.000Z', k));
    // Wed: the CPU alarm escalates after its 2 h, is acknowledged an hour late and resolved by a person.
    await fire('cpu', 'ALARM', '2026-11-25T08:00:00.000Z');
    clock = new Date('2026-11-25T10:01:00.000Z');
    expect((await runEscalations(env.rt)).escalated.map((e) => e.id)).toEqual(ids.cpu);
    await ack('cpu', '2026-11-25T11:00:00.000Z', bob);
    clock = new Date('2026-11-25T12:00:00.000Z');
    expect((await resolveIncident(env.rt, ids.cpu[0], bob, { note: 'instance replaced' })).kind).toBe('done');
    // Thu–Sat: another node failure each of Thu and Sat; latency fires five times, acknowledged in 4 min, OK after 30.
    await fire('node', 'ALARM', '2026-11-26T09:00:00.000Z');
    await fire('node', 'OK', '2026-11-26T09:02:00.000Z');
    for (const start of [
      '2026-11-26T14:00:00.000Z',
      '2026-11-27T14:00:00.000Z',
      '2026-11-27T16:00:00.000Z',
      '2026-11-28T14:00:00.000Z',
      '2026-11-28T16:00:00.000Z',
    ]) {
      await fire('latency', 'ALARM', start);
      await ack('latency', minutes(start, 4));
      if (start === '2026-11-26T14:00:00.000Z') expect((await fire('latency', 'ALARM', minutes(start, 10))).kind).toBe('duplicate');
      await fire('latency', 'OK', minutes(start, 30));
    }
    await fire('node', 'ALARM', '2026-11-28T09:00:00.000Z');
    await fire('node', 'OK', '2026-11-28T09:02:00.000Z');

    clock = TO;
    weekly = await loadHygiene(env.rt, { days: 7 });
    monthly = await loadHygiene(env.rt, { days: 30 });
  });
  afterAll(async () => {
    await env?.close();
  });

  it("counts the week's incidents per severity, with MTTA and MTTR", () => {
    expect(weekly).toMatchObject({ from: FROM, to: TO.toISOString(), days: 7, total: 14, bySeverity: { P0: 0, P1: 10, P2: 4, P3: 0 } });
    // Acknowledged: telemetry 10 min, cpu 3 h, latency 5 × 4 min → (600 + 10800 + 1200) / 7.
    expect(weekly.mtta.all).toEqual({ count: 7, meanSeconds: 1800, medianSeconds: 240, maxSeconds: 10800 });
    // Resolved: node 3 × 2 min, network 4 × 1 min, cpu 4 h, latency 5 × 30 min → 24000 / 13.
    expect(weekly.mttr.all).toEqual({ count: 13, meanSeconds: 1846, medianSeconds: 120, maxSeconds: 14400 });
    expect(weekly.trendBucket).toBe('day');
    expect(weekly.trend.map((t) => t.count)).toEqual([2, 4, 1, 2, 2, 3, 0]);
  });

  it('ranks the alarms that fire most (incidents + repeats)', () => {
    expect(weekly.mostFiring.map((a) => [a.alarmName, a.fired, a.incidents, a.duplicates])).toEqual([
      [NAME.latency, 6, 5, 1],
      [NAME.network, 4, 4, 0],
      [NAME.node, 3, 3, 0],
      [NAME.telemetry, 1, 1, 0],
      [NAME.cpu, 1, 1, 0],
    ]);
  });

  it('lists the alarms that resolve by themselves, with their threshold and the values seen', () => {
    expect(
      weekly.selfResolving.map((a) => ({ name: a.alarmName, n: a.selfResolved, threshold: a.threshold, values: a.valuesSeen, periods: a.evaluationPeriods })),
    ).toEqual([
      { name: NAME.network, n: 4, threshold: 5e9, values: [6.4e9], periods: 1 },
      { name: NAME.node, n: 3, threshold: 1, values: [3], periods: 1 },
    ]);
  });

  it('lists flapping, breached and long-open alarms, and the share of pages grouped or silenced', () => {
    expect(weekly.flapping.map((a) => [a.alarmName, a.flapping, a.incidents])).toEqual([[NAME.network, 2, 4]]);
    expect(weekly.breached.map((a) => [a.alarmName, a.breaches, a.severity])).toEqual([[NAME.cpu, 1, 'P2']]);
    expect(weekly.longestOpen.slice(0, 2).map((o) => [o.id, o.openSeconds, o.resolvedAt])).toEqual([
      [ids.telemetry[0], 6 * 86400 + 18 * 3600, null],
      [ids.cpu[0], 4 * 3600, '2026-11-25T12:00:00.000Z'],
    ]);
    expect(weekly.longestOpen).toHaveLength(5);
    // 14 incidents + 1 repeat; the repeat was folded in, the fourth NetworkOut incident recorded without a page.
    expect(weekly.pages).toEqual({ received: 15, grouped: 1, silenced: 1, share: 0.133 });
  });

  it("suggests one change per alarm class, in the runbook's terms", () => {
    expect(weekly.suggestions.map(({ alarmName, class: c, change, from, to }) => ({ alarmName, c, change, from, to }))).toEqual([
      { alarmName: NAME.network, c: 'flapping', change: 'threshold', from: 5e9, to: 7.1e9 },
      { alarmName: NAME.node, c: 'self-resolving', change: 'evaluation-periods', from: 1, to: 2 },
      { alarmName: NAME.cpu, c: 'breached', change: 'severity', from: 'P2', to: 'P1' },
      { alarmName: NAME.telemetry, c: 'long-open', change: 'severity', from: 'P1', to: 'P2' },
      { alarmName: NAME.latency, c: 'noisy', change: 'threshold', from: 0.5, to: 0.6 },
    ]);
    expect(weekly.suggestions[1].text).toContain('3 of 3 times (threshold 1; values seen 3): raise the evaluation periods from 1 to 2');
  });

  it('monthly: 30 days, the day before included, MTTA/MTTR per week', () => {
    expect(monthly).toMatchObject({ days: 30, total: 15, bySeverity: { P0: 0, P1: 10, P2: 5, P3: 0 }, trendBucket: 'week' });
    expect(monthly.trend.map((t) => [t.start.slice(0, 10), t.count, t.mttaSeconds, t.mttrSeconds])).toEqual([
      ['2026-10-31', 0, null, null],
      ['2026-11-07', 0, null, null],
      ['2026-11-14', 0, null, null],
      ['2026-11-21', 12, 2424, 1855],
      ['2026-11-28', 3, 240, 1240],
    ]);
    expect(monthly.selfResolving.find((a) => a.alarmName === NAME.node)?.selfResolved).toBe(4);
  });

  it('is served by GET /api/hygiene and sent to Slack and email by the scheduled run', async () => {
    const before = { slack: env.slack.received.length, email: env.smtp.messages.length, pagerduty: env.pagerduty.received.length };
    const run = await runHygiene(env.rt, { days: 7 });
    expect(run.slack.status).toBe('sent');
    expect(run.email.status).toBe('sent');
    expect(run.report).toEqual(weekly);
    expect(env.slack.received.length).toBe(before.slack + 1);
    expect(JSON.stringify(env.slack.received.at(-1)!.body)).toContain('Weekly alert hygiene: 14 incidents, 5 suggested changes');
    expect(env.smtp.messages.length).toBe(before.email + 1);
    expect(env.smtp.messages.at(-1)!.to).toEqual(['team@example.com']);
    expect(env.pagerduty.received.length).toBe(before.pagerduty);
  });
});

describe('hygiene maths', () => {
  it('reads the datapoints quoted in a CloudWatch reason, and nothing else', () => {
    expect(valuesInReason('Threshold Crossed: 2 datapoints [42.0 (15/01/24 10:00:00), 37.5 (15/01/24 09:55:00)] were greater')).toEqual([42, 37.5]);
    expect(valuesInReason('no brackets at all')).toEqual([]);
    expect(valuesInReason('[not a number (x)]')).toEqual([]);
    expect(valuesInReason(`${'['.repeat(10_000)}`)).toEqual([]);
  });

  it('rounds suggested thresholds outward to two significant digits', () => {
    expect(niceBeyond(1357.4, 'up')).toBe(1400);
    expect(niceBeyond(0.336, 'up')).toBe(0.34);
    expect(niceBeyond(0.34, 'up')).toBe(0.34);
    expect(niceBeyond(81, 'down')).toBe(81);
    expect(niceBeyond(80.9, 'down')).toBe(80);
  });

  it('suggests for a P0 that misses its response time without raising it, and for a band alarm without a number', () => {
    const p = defaultPolicy();
    const r = computeHygiene({
      policy: p,
      from: FROM,
      to: TO.toISOString(),
      incidents: [
        makeIncident({ id: 'INC-00000001', openedAt: '2026-11-24T10:00:00.000Z', acknowledgedAt: '2026-11-24T10:30:00.000Z', acknowledgedBy: 'slack:U1 (a)' }),
        ...[1, 2, 3, 4, 5].map((k) =>
          makeIncident({
            id: `INC-0000001${k}`,
            incidentKey: 'band',
            alarmName: 'Band',
            severity: 'P3',
            openedAt: `2026-11-2${k + 2}T10:00:00.000Z`,
            status: 'resolved',
            resolvedAt: `2026-11-2${k + 2}T12:00:00.000Z`,
            resolvedBy: 'cloudwatch',
            alarm: { comparison: 'LessThanLowerOrGreaterThanUpperThreshold', threshold: null },
          }),
        ),
      ],
    });
    expect(r.suggestions.map((s) => [s.alarmName, s.class, s.change, s.from, s.to])).toEqual([
      ['HighErrorRate', 'breached', 'severity', 'P0', null],
      ['Band', 'noisy', 'threshold', null, null],
    ]);
    expect(r.suggestions[0].text).toContain('already P0');
  });

  it('renders inert alarm names in the Slack and email report', () => {
    const name = '<!channel> <script>x</script>';
    const r = computeHygiene({
      policy: defaultPolicy(),
      from: FROM,
      to: TO.toISOString(),
      incidents: [makeIncident({ alarmName: name, openedAt: '2026-11-24T10:00:00.000Z' })],
    });
    const b = hygieneBulletin(r, 'https://alerts.example.com');
    expect(JSON.stringify(renderBulletinSlack(b))).not.toContain('<!channel>');
    const mail = renderBulletinEmail(b);
    expect(mail.html).not.toContain('<script>x');
    expect(mail.html).toContain('&lt;script&gt;x');
  });
});
