/**
 * Issue 11's `kill -9` probe, black-box: `npm start -- --data DIR` with loopback Slack, PagerDuty and SMTP peers.
 * N alarms are posted at concurrency 20; the process is killed the moment the peers have received K notices
 * (inside the peer, before it answers: the router dies between a send and its record). It restarts on the same
 * DIR, every message that got no 2xx is delivered again (as SNS does), one sweep runs, and nothing may be lost
 * or stuck; then every OK resolves what was paged.
 *
 * CRASH_N (default 120), CRASH_SEED (default: random, printed) and CRASH_CONCURRENCY (default 20) change the run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultPolicy, pagerDutyDedupKey, type Incident, type Severity } from '@alert-router/core';
import { BACKGROUND_LIMIT } from '../packages/local/src/background';
import { snsNotification, type DemoAlarm } from '../packages/local/src/demo';
import type { SnsHttpBody } from '../packages/local/src/lambda-events';
import { postSns, startRouterProcess, type StartedRouter } from './helpers/npm-start';
import { startPagerDutyPeer, startSlackPeer, startSmtpPeer, type HttpPeer, type SmtpPeer } from './helpers/peers';
import { rng } from './simulation/sim';

const N = Number(process.env.CRASH_N ?? 120);
const CONCURRENCY = Number(process.env.CRASH_CONCURRENCY ?? 20);
const SEED = Number(process.env.CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
/** A lease far above a loopback send, so a live sender is never overtaken; the dead one's lapse is awaited. */
const LEASE_MS = 6000;
/** Under the lease (as in production: 8 s budget, 45 s lease): a live sender gives up before anyone may take over. */
const BUDGET_MS = 5000;
const TOPICS = ['Critical', 'High', 'Medium', 'Low'] as const;
const TOPIC_SEVERITY: Record<DemoAlarm['topic'], Severity> = { Critical: 'P0', High: 'P1', Medium: 'P2', Low: 'P3' };
const PAGED = ['pagerduty', 'slack', 'email'] as const;
type Paged = (typeof PAGED)[number];
const ID = /INC-[0-9A-Z]{8}/;

interface Probe {
  alarm: DemoAlarm;
  problem: SnsHttpBody;
  recovery: SnsHttpBody;
  acked: boolean;
}

/** Runs `work` over `items` with at most `limit` in flight; stops taking new items once `stop()` says so. */
async function pool<T>(items: T[], limit: number, work: (item: T) => Promise<void>, stop: () => boolean = () => false): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length && !stop()) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

/** SNS's side of a delivery: again until a 2xx, at most 8 times. */
async function deliverUntilAccepted(url: string, body: SnsHttpBody): Promise<boolean> {
  for (let attempt = 0; attempt < 8; attempt++) {
    const status = await postSns(url, body);
    if (status >= 200 && status < 300) return true;
  }
  return false;
}

async function allIncidents(url: string): Promise<Incident[]> {
  const out: Incident[] = [];
  let cursor: string | null = null;
  do {
    const r = await fetch(`${url}/api/incidents?limit=500&hours=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    expect(r.status).toBe(200);
    const page = (await r.json()) as { incidents: Incident[]; next: string | null };
    out.push(...page.incidents);
    cursor = page.next;
  } while (cursor);
  return out;
}

async function sweep(url: string): Promise<number> {
  const r = await fetch(`${url}/internal/sweep`, { method: 'POST' });
  await r.arrayBuffer();
  return r.status;
}

/** What the peers received, per incident id and channel: triggers (with PagerDuty's dedup keys) and resolves. */
function sinkLog(slack: HttpPeer, pd: HttpPeer, smtp: SmtpPeer) {
  const log = new Map<string, Record<Paged, { triggers: number; resolves: number; dedupKeys: string[] }>>();
  const entry = (id: string, channel: Paged) => {
    if (!log.has(id)) log.set(id, Object.fromEntries(PAGED.map((c) => [c, { triggers: 0, resolves: 0, dedupKeys: [] }])) as never);
    return log.get(id)![channel];
  };
  for (const r of pd.received) {
    const body = r.body as { event_action: string; dedup_key: string };
    // the dedup key is `incidentKey#id`: the id is its tail
    const id = ID.exec(body.dedup_key)?.[0];
    if (!id) throw new Error(`PagerDuty event without an incident id: ${JSON.stringify(body)}`);
    const e = entry(id, 'pagerduty');
    if (body.event_action === 'trigger') {
      e.triggers++;
      e.dedupKeys.push(body.dedup_key);
    }
    if (body.event_action === 'resolve') e.resolves++;
  }
  for (const r of slack.received) {
    const text = JSON.stringify(r.body);
    const id = ID.exec(text)?.[0];
    if (!id) throw new Error(`Slack message without an incident id: ${text.slice(0, 300)}`);
    const e = entry(id, 'slack');
    if (text.includes('*Resolved:*')) e.resolves++;
    else e.triggers++;
  }
  for (const m of smtp.messages) {
    const subject = /^Subject: (.*)$/m.exec(m.raw)?.[1] ?? '';
    const id = ID.exec(subject)?.[0];
    if (!id) throw new Error(`email without an incident id in its subject: ${subject}`);
    const e = entry(id, 'email');
    if (/\] RESOLVED/i.test(subject)) e.resolves++;
    else e.triggers++;
  }
  return log;
}

/** Notices a live sender holds (pending under a lease that has not lapsed). */
function inFlight(incidents: Incident[], now = Date.now()): string[] {
  return incidents.flatMap((i) =>
    Object.entries(i.deliveries ?? {})
      .filter(([, d]) => d.status === 'pending' && d.leaseUntil !== undefined && Date.parse(d.leaseUntil) > now)
      .map(([k]) => `${i.id} ${k}`),
  );
}

function unfinished(incidents: Incident[]): string[] {
  return incidents.flatMap((i) =>
    Object.entries(i.deliveries ?? {})
      .filter(([, d]) => d.status === 'pending' || (d.status === 'failed' && d.retryable))
      .map(([k, d]) => `${i.id} ${k} ${d.status}`),
  );
}

describe(`kill -9 under load (npm start --data; N=${N}, seed ${SEED})`, () => {
  let slack: HttpPeer;
  let pd: HttpPeer;
  let smtp: SmtpPeer;
  let dir: string;
  let app: StartedRouter | undefined;
  const env = () => ({
    SLACK_WEBHOOK_URL: slack.url,
    PAGERDUTY_ROUTING_KEY: 'crash-probe-routing-key',
    PAGERDUTY_EVENTS_URL: pd.url,
    SMTP_URL: smtp.url,
    EMAIL_FROM: 'router@example.test',
    EMAIL_TO: 'oncall@example.test',
    DELIVERY_LEASE_MS: String(LEASE_MS),
    DELIVERY_BUDGET_MS: String(BUDGET_MS),
  });

  beforeAll(async () => {
    console.log(`crash-recovery: seed ${SEED} (CRASH_SEED=${SEED} replays the same alarms and kill point), N=${N}`);
    [slack, pd, smtp] = await Promise.all([startSlackPeer(), startPagerDutyPeer(), startSmtpPeer()]);
    dir = mkdtempSync(join(tmpdir(), 'alert-router-crash-'));
  });
  afterAll(async () => {
    await app?.stop();
    await Promise.all([slack?.close(), pd?.close(), smtp?.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('loses nothing and leaves nothing stuck once redeliveries and one sweep have run; every OK resolves what was paged', async () => {
    const started = Date.now();
    const random = rng(SEED);
    const now = new Date();
    const probes: Probe[] = Array.from({ length: N }, (_, n) => {
      const alarm: DemoAlarm = {
        name: `CrashProbe${SEED}x${String(n).padStart(4, '0')}`,
        topic: TOPICS[Math.floor(random() * TOPICS.length)],
        namespace: 'Custom/CrashProbe',
        metric: 'Probe',
        dimensions: { Probe: String(n) },
        threshold: 1,
        statistic: 'SUM',
        description: 'crash probe',
      };
      return {
        alarm,
        problem: snsNotification(alarm, 'ALARM', now, `problem-${SEED}-${n}`),
        recovery: snsNotification(alarm, 'OK', new Date(now.getTime() + 1000), `recovery-${SEED}-${n}`),
        acked: false,
      };
    });
    const policy = defaultPolicy();
    const expected = probes.reduce((n, p) => n + policy.severities[TOPIC_SEVERITY[p.alarm.topic]].channels.filter((c) => c !== 'dashboard').length, 0);
    const K = Math.max(1, Math.floor(expected * (0.2 + 0.5 * random())));
    console.log(`crash-recovery: ${expected} trigger notices expected; kill -9 when the peers hold ${K}`);

    // 1. Load, and kill -9 at the K-th notice the peers receive.
    app = await startRouterProcess(['--data', dir], env());
    const first = app;
    const exited = new Promise((r) => first.proc.once('exit', r));
    let received = 0;
    let killed = false;
    const onReceive = () => {
      if (++received === K && !killed) {
        killed = true;
        first.proc.kill('SIGKILL');
      }
    };
    slack.onReceive = pd.onReceive = smtp.onReceive = onReceive;
    await pool(
      probes,
      CONCURRENCY,
      async (p) => {
        const status = await postSns(first.url, p.problem);
        p.acked = status >= 200 && status < 300;
      },
      () => killed,
    );
    // Every ALARM may be answered before its pages go out (they are recorded first): the kill can come after the load.
    await expect.poll(() => killed, { message: `the peers received only ${received} of ${K} notices`, timeout: 60_000, interval: 20 }).toBe(true);
    await exited;
    slack.onReceive = pd.onReceive = smtp.onReceive = undefined;
    const unacked = probes.filter((p) => !p.acked);
    console.log(`crash-recovery: killed with ${received} notices at the peers; ${probes.length - unacked.length} of ${N} ALARMs had a 2xx`);

    // 2. Restart on the same store; SNS delivers every message without a 2xx again (the unsent ones too).
    app = await startRouterProcess(['--data', dir], env());
    const second = app;
    const undelivered: string[] = [];
    await pool(unacked, CONCURRENCY, async (p) => {
      if (!(await deliverUntilAccepted(second.url, p.problem))) undelivered.push(p.alarm.name);
    });
    expect(undelivered, 'ALARMs SNS would give up on').toEqual([]);

    // The dead process's leases lapse (they are on the records: awaited, not slept), then one sweep.
    const leaseEnds = (await allIncidents(second.url)).flatMap((i) =>
      Object.values(i.deliveries ?? {}).flatMap((d) => (d.status === 'pending' && d.leaseUntil ? [Date.parse(d.leaseUntil)] : [])),
    );
    const lastLease = Math.max(0, ...leaseEnds);
    await expect.poll(() => Date.now() > lastLease, { timeout: 60_000, interval: 100 }).toBe(true);
    expect(await sweep(second.url)).toBe(200);

    // 3. Nothing lost, nothing stuck.
    const mine = (await allIncidents(second.url)).filter((i) => i.alarmName.startsWith(`CrashProbe${SEED}x`));
    const byAlarm = new Map<string, Incident[]>();
    for (const i of mine) byAlarm.set(i.alarmName, [...(byAlarm.get(i.alarmName) ?? []), i]);
    expect(probes.filter((p) => byAlarm.get(p.alarm.name)?.length !== 1).map((p) => `${p.alarm.name}: ${byAlarm.get(p.alarm.name)?.length ?? 0}`)).toEqual([]);
    expect(unfinished(mine)).toEqual([]);
    for (const p of probes) expect(byAlarm.get(p.alarm.name)![0].severity, p.alarm.name).toBe(TOPIC_SEVERITY[p.alarm.topic]);

    const afterAlarms = sinkLog(slack, pd, smtp);
    const missing: string[] = [];
    const duplicates: string[] = [];
    for (const p of probes) {
      const incident = byAlarm.get(p.alarm.name)![0];
      const seen = afterAlarms.get(incident.id);
      for (const channel of policy.severities[incident.severity].channels) {
        if (channel === 'dashboard') continue;
        const got = seen?.[channel as Paged];
        if (!got || got.triggers < 1) missing.push(`${incident.id} ${incident.severity} ${channel}`);
        else if (got.triggers > 1) duplicates.push(`${incident.id} ${channel} ×${got.triggers}`);
      }
      for (const key of seen?.pagerduty.dedupKeys ?? [])
        expect(key, `${incident.id}: every PagerDuty trigger carries its dedup key`).toBe(pagerDutyDedupKey(incident));
    }
    expect(missing, 'channels the policy requires that got no trigger').toEqual([]);
    // Only a send in flight at the kill can have gone out and not been recorded: at most one per concurrent delivery
    // or fan-out still running after its answer.
    expect(new Set(duplicates.map((d) => d.split(' ')[0])).size).toBeLessThanOrEqual(CONCURRENCY + BACKGROUND_LIMIT);
    console.log(`crash-recovery: ${duplicates.length} duplicate triggers (a crash between send and record): ${duplicates.join(', ') || 'none'}`);

    // 4. Every OK: each paged channel is told, nothing stays open.
    const okUndelivered: string[] = [];
    await pool(probes, CONCURRENCY, async (p) => {
      if (!(await deliverUntilAccepted(second.url, p.recovery))) okUndelivered.push(p.alarm.name);
    });
    expect(okUndelivered).toEqual([]);
    // The resolves were recorded before the OKs were answered; their sends finish after it (awaited, not slept).
    await expect.poll(async () => inFlight(await allIncidents(second.url)), { timeout: 30_000, interval: 50 }).toEqual([]);
    expect(await sweep(second.url)).toBe(200);
    const resolved = (await allIncidents(second.url)).filter((i) => i.alarmName.startsWith(`CrashProbe${SEED}x`));
    expect(resolved.filter((i) => i.status !== 'resolved').map((i) => `${i.id} ${i.status}`)).toEqual([]);
    expect(unfinished(resolved)).toEqual([]);
    const afterOks = sinkLog(slack, pd, smtp);
    const unresolved: string[] = [];
    for (const [id, channels] of afterOks) for (const c of PAGED) if (channels[c].triggers > 0 && channels[c].resolves < 1) unresolved.push(`${id} ${c}`);
    expect(unresolved, 'paged channels that never got the resolve').toEqual([]);
    console.log(`crash-recovery: N=${N} seed ${SEED} passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }, 600_000);
});
