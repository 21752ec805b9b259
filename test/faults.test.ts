import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseSnsMessage } from '@alert-router/core';
import { buildRuntime, createDocumentClient, DynamoIncidentStore, handleSnsEvent, processNotification, readConfig } from '@alert-router/aws';
import { RUNBOOK_ALARMS, snsNotification } from '../packages/local/src/demo';
import { snsEventFromHttp } from '../packages/local/src/lambda-events';
import { routerWithPeers } from './helpers/router-runtime';
import { rng } from './simulation/sim';

const [errorRate, responseTime] = RUNBOOK_ALARMS;
const T0 = new Date('2026-11-20T10:00:00.000Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);

function note(a = errorRate, state: 'ALARM' | 'OK' = 'ALARM', when = T0, messageId?: string) {
  const b = snsNotification(a, state, when, messageId);
  return parseSnsMessage({ ...b, Subject: b.Subject ?? null }, 'Sns');
}

type Env = Awaited<ReturnType<typeof routerWithPeers>>;

/** A seeded shuffle (the seed is printed, so a failing order can be replayed with SHUFFLE_SEED=...). */
const SEED = Number(process.env.SHUFFLE_SEED ?? Date.now() % 100_000);
console.log(`faults.test.ts shuffle seed ${SEED} (SHUFFLE_SEED=${SEED} replays it)`);
function shuffled<T>(items: T[], salt: number): T[] {
  const random = rng(SEED * 31 + salt);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** Records the order in which each incident's channel deliveries (retries included) start and end: order, not time. */
function deliveryOrder(env: Env): { incidentId: string; event: 'start' | 'end'; channel: string }[] {
  const events: { incidentId: string; event: 'start' | 'end'; channel: string }[] = [];
  const deliver = env.rt.deliver;
  env.rt.deliver = async (notifier, notice) => {
    events.push({ incidentId: notice.incident.id, event: 'start', channel: notifier.channel });
    try {
      return await deliver(notifier, notice);
    } finally {
      events.push({ incidentId: notice.incident.id, event: 'end', channel: notifier.channel });
    }
  };
  return events;
}
const actions = (env: Env, action: string) => env.pagerduty.received.filter((r) => (r.body as { event_action: string }).event_action === action);

describe('redelivery storms', () => {
  let env: Env;
  beforeEach(async () => {
    env = await routerWithPeers();
  });
  afterEach(() => env.close());

  it('10 concurrent copies of an ALARM interleaved with 3 copies of its OK: one episode, one page, one resolve', async () => {
    await processNotification(note(errorRate, 'ALARM', at(0), 'alarm-msg'), env.rt);
    const storm = shuffled(
      [
        ...Array.from({ length: 9 }, () => note(errorRate, 'ALARM', at(0), 'alarm-msg')),
        ...Array.from({ length: 3 }, () => note(errorRate, 'OK', at(5), 'ok-msg')),
      ],
      0,
    );
    await Promise.all(storm.map((n) => processNotification(n, env.rt)));
    expect(actions(env, 'trigger')).toHaveLength(1);
    expect(actions(env, 'resolve')).toHaveLength(1);
    expect(await env.rt.store.listUnresolved()).toHaveLength(0);
    const now = env.rt.now().getTime();
    expect(await env.rt.store.listOpenedBetween(new Date(now - 3_600_000).toISOString(), new Date(now + 60_000).toISOString())).toHaveLength(1);
  });

  // Every interleaving of these copies gives the same outcome (the simulation checks them all, seed by seed): an OK
  // that overtakes its ALARM's work stores the episode resolved, one that lands mid-fan-out is sent after the page.
  it('when ALARM and OK copies race from the start, pages and resolves always pair up and nothing stays open', async () => {
    for (let round = 0; round < 5; round++) {
      const a = { ...responseTime, name: `Race-${round}` };
      const storm = shuffled(
        [...Array.from({ length: 10 }, () => note(a, 'ALARM', at(0), 'a')), ...Array.from({ length: 3 }, () => note(a, 'OK', at(1), 'o'))],
        round + 1,
      );
      await Promise.all(storm.map((n) => processNotification(n, env.rt)));
    }
    const slackTexts = env.slack.received.map((r) => JSON.stringify(r.body));
    for (let round = 0; round < 5; round++) {
      const opened = slackTexts.filter((t) => t.includes(`ALARM: Race-${round} `)).length;
      const resolved = slackTexts.filter((t) => t.includes(`*Resolved:* Race-${round} `)).length;
      expect(opened).toBeLessThanOrEqual(1);
      expect(resolved).toBe(opened);
    }
    expect(await env.rt.store.listUnresolved()).toHaveLength(0);
  });
});

describe('channel faults', () => {
  let env: Env;
  let clock = at(1).getTime();
  beforeEach(async () => {
    clock = at(1).getTime();
    env = await routerWithPeers({ DELIVERY_BUDGET_MS: '2500' }, { now: () => new Date(clock) });
  });
  afterEach(() => env.close());

  it('Slack 429 with Retry-After and then 500s, PagerDuty 429 then hanging, SMTP refusing: each channel within its own budget', async () => {
    env.slack.script.push({ status: 429, body: 'rate_limited', headers: { 'retry-after': '1' } });
    env.slack.fallback = { status: 500, body: 'internal_error' };
    env.pagerduty.script.push({ status: 429, body: '{"status":"throttle event"}' });
    env.pagerduty.fallback = { status: 202, body: '{}', delayMs: 60_000 };
    env.smtp.script.push(451, 451, 451, 451, 451);
    const order = deliveryOrder(env);
    const p0 = processNotification(note(errorRate, 'ALARM', at(0)), env.rt);
    const p1 = processNotification(note(responseTime, 'ALARM', at(0)), env.rt);
    const [a, b] = await Promise.all([p0, p1]);
    // One budget, not the sum of channels: an incident's channels all start before any of them is done.
    for (const [id, channels] of [
      [a.incidentId, ['pagerduty', 'slack']],
      [b.incidentId, ['slack', 'email']],
    ] as const) {
      const mine = order.filter((e) => e.incidentId === id);
      const firstEnd = mine.findIndex((e) => e.event === 'end');
      expect(new Set(mine.slice(0, firstEnd).map((e) => e.channel))).toEqual(new Set(channels));
    }
    const p0i = await env.rt.store.getIncident(a.incidentId!);
    const p1i = await env.rt.store.getIncident(b.incidentId!);
    expect(p0i?.deliveries['trigger:pagerduty']).toMatchObject({ status: 'failed', retryable: true });
    expect(p0i?.deliveries['trigger:slack']).toMatchObject({ status: 'failed', retryable: true });
    expect(p0i?.deliveries['trigger:slack'].error).toMatch(/500|429/);
    expect(p1i?.deliveries['trigger:email']).toMatchObject({ status: 'failed', retryable: true });
    expect(p1i?.deliveries['trigger:email'].error).toMatch(/451|try again/i);
    expect(a.retryableFailure && b.retryableFailure).toBe(true);

    // AWS retries the invocation once the peers recover (a minute later: past any Retry-After): only what failed is resent, once.
    clock += 60_000;
    env.slack.fallback = { status: 200, body: 'ok' };
    env.pagerduty.fallback = { status: 202, body: '{}' };
    const slackBefore = env.slack.received.length;
    const pdBefore = env.pagerduty.received.length;
    const r1 = await processNotification(note(errorRate, 'ALARM', at(0)), env.rt);
    const r2 = await processNotification(note(responseTime, 'ALARM', at(0)), env.rt);
    expect([r1.kind, r2.kind]).toEqual(['resent', 'resent']);
    expect(env.pagerduty.received.length - pdBefore).toBe(1);
    expect(env.slack.received.length - slackBefore).toBe(2); // P0's and P1's Slack, each once
    expect(env.smtp.messages).toHaveLength(1);
    const after = await env.rt.store.getIncident(b.incidentId!);
    expect(Object.values(after!.deliveries).every((d) => d.status === 'delivered')).toBe(true);
  });

  it('the Lambda handler always finishes within its timeout even when every channel hangs', async () => {
    env.slack.fallback = { status: 200, body: 'ok', delayMs: 60_000 };
    env.pagerduty.fallback = { status: 202, body: '{}', delayMs: 60_000 };
    await expect(handleSnsEvent(snsEventFromHttp(snsNotification(errorRate, 'ALARM', at(0))), env.rt)).rejects.toThrow(/deliveries failed/);
    // Each channel gave up at its own budget (2.5 s here; the function's timeout is 30 s), recorded as retryable.
    const [inc] = await env.rt.store.listUnresolved();
    for (const c of ['pagerduty', 'slack'])
      expect(inc.deliveries[`trigger:${c}`]).toMatchObject({ status: 'failed', retryable: true, error: expect.stringMatching(/timed out|budget/) });
  });
});

describe('DynamoDB throttling', () => {
  it('the SDK retries throttled requests (dynalite behind a fault-injecting proxy) and the alarm is routed once', async () => {
    const env = await routerWithPeers();
    let throttleNext = 3;
    let throttled = 0;
    const target = new URL(env.local.endpoint);
    const proxy = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        if (throttleNext > 0) {
          throttleNext--;
          throttled++;
          res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' });
          res.end(
            JSON.stringify({
              __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
              message: 'The level of configured provisioned throughput for the table was exceeded.',
            }),
          );
          return;
        }
        const fwd = httpRequest({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
          res.writeHead(up.statusCode ?? 500, up.headers);
          up.pipe(res);
        });
        fwd.end(Buffer.concat(chunks));
      });
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
    try {
      const endpoint = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
      const db = createDocumentClient({ region: 'us-east-1', endpoint, maxAttempts: 6 });
      const rt = buildRuntime(
        readConfig({
          ...process.env,
          ROUTER_TABLE: env.local.tableName,
          DYNAMODB_ENDPOINT: endpoint,
          SLACK_WEBHOOK_URL: `${env.slack.url}/x`,
          PAGERDUTY_ROUTING_KEY: 'k',
          PAGERDUTY_EVENTS_URL: env.pagerduty.url,
        }),
        {
          db,
          store: new DynamoIncidentStore(db, env.local.tableName),
        },
      );
      const out = await processNotification(note(), rt);
      expect(out.kind).toBe('opened');
      expect(throttled).toBe(3);
      expect(env.pagerduty.received).toHaveLength(1);
      db.destroy();
    } finally {
      proxy.closeAllConnections();
      proxy.close();
      await env.close();
    }
  });
});
