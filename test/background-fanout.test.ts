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
  let dir: string | undefined;
  let app: StartedRouter | undefined;
  let held = gate();
  // A lease of 2 s (budget under it): after a kill -9 the dead sender's lease lapses soon (awaited on the record).
  const env = () => ({
    SLACK_WEBHOOK_URL: slack.url,
    PAGERDUTY_ROUTING_KEY: 'background-probe-key',
    PAGERDUTY_EVENTS_URL: pd.url,
    DELIVERY_LEASE_MS: '2000',
    DELIVERY_BUDGET_MS: '1500',
  });

  /** npm start on a fresh --data DIR, its next Slack page held open by the test until `held.open()`. */
  async function startWithSlackHeld(args: string[] = []): Promise<StartedRouter> {
    dir = mkdtempSync(join(tmpdir(), 'alert-router-bg-'));
    app = await startRouterProcess(['--data', dir, ...args], env());
    held = gate();
    slack.script = [{ status: 200, body: 'ok', until: held.opened }];
    return app;
  }

  /** An alarm answered 200 whose Slack page has reached the peer (unanswered); and the process's exit. */
  async function pageAtSlack(router: StartedRouter): Promise<{ id: string; alarm: DemoAlarm; exited: Promise<unknown> }> {
    const arrived = nextArrival(slack);
    const alarm = probe();
    const r = await postAlarm(router.url, alarm);
    expect(r.status).toBe(200);
    await arrived;
    return { id: r.body.outcomes[0].incidentId, alarm, exited: new Promise((resolve) => router.proc.once('exit', resolve)) };
  }

  beforeAll(async () => {
    [slack, pd] = await Promise.all([startSlackPeer(), startPagerDutyPeer()]);
  });
  afterEach(async () => {
    held.open();
    await app?.stop();
    app = undefined;
    slack.script = [];
    slack.onArrive = undefined;
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });
  afterAll(async () => {
    await Promise.all([slack?.close(), pd?.close()]);
  });

  it('answers 200 with the pages recorded pending while Slack has not answered; the page is delivered after', async () => {
    const router = await startWithSlackHeld();
    const alarm = probe();
    const r = await postAlarm(router.url, alarm);
    // Slack is still held: an answer that waited for it could not have come.
    expect(r.status).toBe(200);
    expect(r.body.outcomes[0]).toMatchObject({ kind: 'opened', deliveries: { 'trigger:slack': { status: 'pending' } } });
    expect(slackText(slack).filter((t) => t.includes(alarm.name))).toEqual([]);
    const id = r.body.outcomes[0].incidentId;
    expect((await incident(router.url, id)).deliveries['trigger:slack']).toMatchObject({ status: 'pending' });
    held.open();
    await expect.poll(async () => (await incident(router.url, id)).deliveries['trigger:slack'].status, { timeout: 20_000 }).toBe('delivered');
    expect(slackText(slack).filter((t) => t.includes(alarm.name))).toHaveLength(1);
  });

  it('with --background 0 the answer waits for the sends, as the Lambda does', async () => {
    const router = await startWithSlackHeld(['--background', '0']);
    const arrived = nextArrival(slack);
    const answer = postAlarm(router.url, probe());
    await arrived;
    held.open(); // Slack answers only now: an answer that shows it delivered waited for it
    const r = await answer;
    expect(r.status).toBe(200);
    expect(r.body.outcomes[0].deliveries['trigger:slack']).toMatchObject({ status: 'delivered' });
  });

  it('a stop finishes the send in flight and records it before the store closes', async () => {
    const router = await startWithSlackHeld();
    const { id, exited } = await pageAtSlack(router);
    router.proc.kill('SIGTERM');
    await router.waitForOutput('stopping: finishing 1 send in flight');
    held.open();
    expect(await exited).toBe(0);
    const stored = await withDataDir(dir!, ({ incidents }) => incidents.getIncident(id));
    expect(stored?.deliveries['trigger:slack']).toMatchObject({ status: 'delivered', attempts: 1 });
    expect(stored?.deliveries['trigger:pagerduty']).toMatchObject({ status: 'delivered' });
  });

  it('kill -9 while Slack holds the page: the restarted router resends it from the record, nothing lost', async () => {
    const first = await startWithSlackHeld();
    const { id, alarm, exited } = await pageAtSlack(first);
    first.proc.kill('SIGKILL');
    await exited;
    // The held request dies with its sender; the peer never answered it, so it counts as not received.
    held.open();

    const second = (app = await startRouterProcess(['--data', dir!], env()));
    const pending = (await incident(second.url, id)).deliveries['trigger:slack'];
    expect(pending).toMatchObject({ status: 'pending' });
    const lapse = Date.parse(pending.leaseUntil!);
    await expect.poll(() => Date.now() > lapse, { timeout: 30_000, interval: 50 }).toBe(true);
    const sweep = await fetch(`${second.url}/internal/sweep`, { method: 'POST' });
    expect(sweep.status).toBe(200);
    await expect.poll(async () => (await incident(second.url, id)).deliveries['trigger:slack'].status, { timeout: 20_000 }).toBe('delivered');
    expect(slackText(slack).filter((t) => t.includes(alarm.name))).toHaveLength(1);
  });
});
