/**
 * `npm start` answers `POST /sns` once the incident and its pending notices are recorded, and fans out in the
 * background (the durable delivery path resends what a crash leaves pending). Black-box, against loopback Slack and
 * PagerDuty peers, the Slack one held open by the test: the answer does not wait for it, a stop finishes the send
 * in flight before the store closes, and a kill -9 in the middle of it loses nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Incident } from '@alert-router/core';
import { snsNotification, type DemoAlarm } from '../packages/local/src/demo';
import { withDataDir } from './helpers/data-dir';
import { startRouterProcess, type StartedRouter } from './helpers/npm-start';
import { startPagerDutyPeer, startSlackPeer, type HttpPeer } from './helpers/peers';

interface SnsAnswer {
  outcomes: { kind: string; incidentId: string; deliveries: Record<string, { status: string }> }[];
}

/** A promise the test settles itself: the held Slack answer. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/** Resolves when the peer next has a request arriving (before it answers). */
function nextArrival(peer: HttpPeer): Promise<void> {
  return new Promise((resolve) => {
    peer.onArrive = () => {
      peer.onArrive = undefined;
      resolve();
    };
  });
}

let n = 0;
function probe(): DemoAlarm {
  n++;
  return {
    name: `BackgroundProbe${process.pid}x${n}`,
    topic: 'Critical',
    namespace: 'Custom/Probe',
    metric: 'Probe',
    dimensions: { Probe: String(n) },
    threshold: 1,
    statistic: 'SUM',
    description: 'background fan-out probe',
  };
}

async function postAlarm(url: string, alarm: DemoAlarm): Promise<{ status: number; body: SnsAnswer }> {
  const r = await fetch(`${url}/sns`, {
    method: 'POST',
    body: JSON.stringify(snsNotification(alarm, 'ALARM', new Date())),
    headers: { 'content-type': 'text/plain; charset=UTF-8', 'x-amz-sns-message-type': 'Notification' },
  });
  return { status: r.status, body: (await r.json()) as SnsAnswer };
}

async function incident(url: string, id: string): Promise<Incident> {
  const r = await fetch(`${url}/api/incidents/${id}`);
  expect(r.status).toBe(200);
  return ((await r.json()) as { incident: Incident }).incident;
}

const slackText = (peer: HttpPeer) => peer.received.map((r) => JSON.stringify(r.body));

describe('npm start: the SNS answer once recorded, fan-out in the background', () => {
  let slack: HttpPeer;
  let pd: HttpPeer;
  let dir: string;
  let app: StartedRouter | undefined;
  // A lease of 2 s (budget under it): after a kill -9 the dead sender's lease lapses soon (awaited on the record).
  const env = () => ({
    SLACK_WEBHOOK_URL: slack.url,
    PAGERDUTY_ROUTING_KEY: 'background-probe-key',
    PAGERDUTY_EVENTS_URL: pd.url,
    DELIVERY_LEASE_MS: '2000',
    DELIVERY_BUDGET_MS: '1500',
  });

  beforeAll(async () => {
    [slack, pd] = await Promise.all([startSlackPeer(), startPagerDutyPeer()]);
  });
  afterEach(async () => {
    await app?.stop();
    app = undefined;
    slack.script = [];
    slack.onArrive = undefined;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  afterAll(async () => {
    await Promise.all([slack?.close(), pd?.close()]);
  });

  it('answers 200 with the pages recorded pending while Slack has not answered; the page is delivered after', async () => {
    dir = mkdtempSync(join(tmpdir(), 'alert-router-bg-'));
    app = await startRouterProcess(['--data', dir], env());
    const held = gate();
    slack.script = [{ status: 200, body: 'ok', until: held.opened }];
    const alarm = probe();
    try {
      const r = await postAlarm(app.url, alarm);
      // Slack is still held: an answer that waited for it could not have come.
      expect(r.status).toBe(200);
      expect(r.body.outcomes[0]).toMatchObject({ kind: 'opened', deliveries: { 'trigger:slack': { status: 'pending' } } });
      expect(slackText(slack).filter((t) => t.includes(alarm.name))).toEqual([]);
      const id = r.body.outcomes[0].incidentId;
      expect((await incident(app.url, id)).deliveries['trigger:slack']).toMatchObject({ status: 'pending' });
      held.open();
      await expect.poll(async () => (await incident(app!.url, id)).deliveries['trigger:slack'].status, { timeout: 20_000 }).toBe('delivered');
      expect(slackText(slack).filter((t) => t.includes(alarm.name))).toHaveLength(1);
    } finally {
      held.open();
    }
  });

  it('with --background 0 the answer waits for the sends, as the Lambda does', async () => {
    dir = mkdtempSync(join(tmpdir(), 'alert-router-bg-'));
    app = await startRouterProcess(['--data', dir, '--background', '0'], env());
    const held = gate();
    slack.script = [{ status: 200, body: 'ok', until: held.opened }];
    const arrived = nextArrival(slack);
    try {
      const answer = postAlarm(app.url, probe());
      await arrived;
      held.open(); // Slack answers only now: an answer that shows it delivered waited for it
      const r = await answer;
      expect(r.status).toBe(200);
      expect(r.body.outcomes[0].deliveries['trigger:slack']).toMatchObject({ status: 'delivered' });
    } finally {
      held.open();
    }
  });

  it('a stop finishes the send in flight and records it before the store closes', async () => {
    dir = mkdtempSync(join(tmpdir(), 'alert-router-bg-'));
    app = await startRouterProcess(['--data', dir], env());
    const held = gate();
    slack.script = [{ status: 200, body: 'ok', until: held.opened }];
    const arrived = nextArrival(slack);
    const alarm = probe();
    try {
      const r = await postAlarm(app.url, alarm);
      expect(r.status).toBe(200);
      const id = r.body.outcomes[0].incidentId;
      await arrived;
      const exited = new Promise((resolve) => app!.proc.once('exit', resolve));
      app.proc.kill('SIGTERM');
      await app.waitForOutput('stopping: finishing 1 send in flight');
      held.open();
      expect(await exited).toBe(0);
      const stored = await withDataDir(dir, ({ incidents }) => incidents.getIncident(id));
      expect(stored?.deliveries['trigger:slack']).toMatchObject({ status: 'delivered', attempts: 1 });
      expect(stored?.deliveries['trigger:pagerduty']).toMatchObject({ status: 'delivered' });
    } finally {
      held.open();
    }
  });

  it('kill -9 while Slack holds the page: the restarted router resends it from the record, nothing lost', async () => {
    dir = mkdtempSync(join(tmpdir(), 'alert-router-bg-'));
    app = await startRouterProcess(['--data', dir], env());
    const held = gate();
    slack.script = [{ status: 200, body: 'ok', until: held.opened }];
    const arrived = nextArrival(slack);
    const alarm = probe();
    try {
      const r = await postAlarm(app.url, alarm);
      expect(r.status).toBe(200);
      const id = r.body.outcomes[0].incidentId;
      await arrived;
      const exited = new Promise((resolve) => app!.proc.once('exit', resolve));
      app.proc.kill('SIGKILL');
      await exited;
      // The held request dies with its sender; the peer never answered it, so it counts as not received.
      held.open();

      app = await startRouterProcess(['--data', dir], env());
      const pending = (await incident(app.url, id)).deliveries['trigger:slack'];
      expect(pending).toMatchObject({ status: 'pending' });
      const lapse = Date.parse(pending.leaseUntil!);
      await expect.poll(() => Date.now() > lapse, { timeout: 30_000, interval: 50 }).toBe(true);
      const sweep = await fetch(`${app.url}/internal/sweep`, { method: 'POST' });
      expect(sweep.status).toBe(200);
      await expect.poll(async () => (await incident(app!.url, id)).deliveries['trigger:slack'].status, { timeout: 20_000 }).toBe('delivered');
      expect(slackText(slack).filter((t) => t.includes(alarm.name))).toHaveLength(1);
    } finally {
      held.open();
    }
  });
});
