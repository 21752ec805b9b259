/**
 * Issue 13's storm, black-box: `npm start` on the shipped policy (grouping on) with Slack (webhook), PagerDuty and
 * SMTP peers on loopback. 50 distinct alarms of one account, region and topic (P0) posted together are one incident
 * with 50 members: one PagerDuty trigger, at most 3 Slack messages, at most 2 emails; their 50 OKs one PagerDuty
 * resolve; redelivering all 100 messages changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_POLICY_PATH } from '@alert-router/core';
import { snsNotification, type DemoAlarm } from '../packages/local/src/demo';
import type { SnsHttpBody } from '../packages/local/src/lambda-events';
import { postSns, startRouterProcess, type StartedRouter } from './helpers/npm-start';
import { startPagerDutyPeer, startSlackPeer, startSmtpPeer, type HttpPeer, type SmtpPeer } from './helpers/peers';
import { startSlackWebApiPeer, type SlackWebApiPeer } from './helpers/slack-web-api-peer';

const N = 50;

/** SNS delivers until it gets a 2xx. */
async function deliver(url: string, body: SnsHttpBody): Promise<void> {
  for (let i = 0; i < 10; i++) {
    const status = await postSns(url, body);
    if (status >= 200 && status < 300) return;
  }
  throw new Error(`${body.MessageId}: not accepted after 10 deliveries`);
}

/** Resolves once the incident has no notice left pending or scheduled (every send recorded). */
async function settled(url: string, id: string): Promise<void> {
  const unfinished = async () => {
    const { incident } = (await (await fetch(`${url}/api/incidents/${id}`)).json()) as { incident: { deliveries: Record<string, { status: string }> } };
    return Object.values(incident.deliveries).filter((d) => d.status === 'pending' || d.status === 'scheduled').length;
  };
  await expect.poll(unfinished, { timeout: 30_000 }).toBe(0);
}

type ApiIncident = { id: string; status: string; members: { incidentKey: string; alarmName: string; state: string; severity: string }[] };

describe('npm start: an alarm storm is one page', () => {
  let app: StartedRouter;
  let slack: HttpPeer;
  let pd: HttpPeer;
  let smtp: SmtpPeer;
  const now = new Date();
  const alarms: DemoAlarm[] = Array.from({ length: N }, (_, i) => ({
    name: `Storm${String(i).padStart(2, '0')}`,
    topic: 'Critical',
    namespace: 'AWS/ApplicationELB',
    metric: 'HTTPCode_Target_5XX_Count',
    dimensions: { LoadBalancer: `app/storm/${i}` },
    threshold: 10,
    statistic: 'SUM',
    description: 'storm member',
  }));
  const problems = alarms.map((a, i) => snsNotification(a, 'ALARM', now, `storm-alarm-${i}`));
  const recoveries = alarms.map((a, i) => snsNotification(a, 'OK', new Date(now.getTime() + 60_000), `storm-ok-${i}`));
  const pdActions = (action: string) => pd.received.filter((r) => (r.body as { event_action: string }).event_action === action);
  const incidents = async () => ((await (await fetch(`${app.url}/api/incidents?limit=100`)).json()) as { incidents: ApiIncident[] }).incidents;

  beforeAll(async () => {
    [slack, pd, smtp] = await Promise.all([startSlackPeer(), startPagerDutyPeer(), startSmtpPeer()]);
    app = await startRouterProcess([], {
      ROUTER_POLICY_FILE: DEFAULT_POLICY_PATH,
      SLACK_WEBHOOK_URL: `${slack.url}/services/T000/B000/XXXX`,
      PAGERDUTY_ROUTING_KEY: 'R0UT1NGKEY0000000000000000000000',
      PAGERDUTY_EVENTS_URL: pd.url,
      SMTP_URL: smtp.url,
      EMAIL_FROM: 'router@example.test',
      EMAIL_TO: 'oncall@example.test',
    });
  });
  afterAll(async () => {
    await app?.stop();
    await Promise.all([slack?.close(), pd?.close(), smtp?.close()]);
  });

  it('50 alarms → one incident with 50 members, one page; 50 OKs → one resolve; 100 redeliveries change nothing', async () => {
    await Promise.all(problems.map((b) => deliver(app.url, b)));
    await expect.poll(async () => (await incidents()).find((i) => i.members?.length === N)?.members.length, { timeout: 60_000 }).toBe(N);
    const open = (await incidents()).filter((i) => i.status !== 'resolved');
    expect(open).toHaveLength(1);
    const [group] = open;
    expect(new Set(group.members.map((m) => m.alarmName))).toEqual(new Set(alarms.map((a) => a.name)));
    expect(group.members.every((m) => m.state === 'firing' && m.severity === 'P0')).toBe(true);
    await expect.poll(() => pdActions('trigger').length, { timeout: 30_000 }).toBe(1);
    expect(slack.received.length).toBeLessThanOrEqual(3);
    expect(smtp.messages.length).toBeLessThanOrEqual(2);

    await Promise.all(recoveries.map((b) => deliver(app.url, b)));
    await expect.poll(async () => (await incidents()).find((i) => i.id === group.id)?.status, { timeout: 60_000 }).toBe('resolved');
    await expect.poll(() => pdActions('resolve').length, { timeout: 30_000 }).toBe(1);
    const dedup = (r: HttpPeer['received'][number]) => (r.body as { dedup_key: string }).dedup_key;
    expect(dedup(pdActions('resolve')[0])).toBe(dedup(pdActions('trigger')[0]));
    expect(slack.received.length).toBeLessThanOrEqual(3);
    expect(smtp.messages.length).toBeLessThanOrEqual(2);

    await settled(app.url, group.id);
    const seen = { pd: pd.received.length, slack: slack.received.length, smtp: smtp.messages.length };
    for (const b of [...problems, ...recoveries]) await deliver(app.url, b);
    await fetch(`${app.url}/internal/sweep`, { method: 'POST' });
    expect({ pd: pd.received.length, slack: slack.received.length, smtp: smtp.messages.length }).toEqual(seen);
    const after = await incidents();
    expect(after.filter((i) => i.status !== 'resolved')).toHaveLength(0);
    expect(after.filter((i) => (i.members ?? []).some((m) => m.alarmName.startsWith('Storm')))).toHaveLength(1);
  });
});

describe('npm start: the same storm through the Slack Web API', () => {
  let app: StartedRouter;
  let slack: SlackWebApiPeer;
  let pd: HttpPeer;
  const now = new Date();
  const alarms: DemoAlarm[] = Array.from({ length: N }, (_, i) => ({
    name: `ThreadStorm${String(i).padStart(2, '0')}`,
    topic: 'Critical',
    namespace: 'AWS/ApplicationELB',
    metric: 'HTTPCode_Target_5XX_Count',
    dimensions: { LoadBalancer: `app/thread-storm/${i}` },
    threshold: 10,
    statistic: 'SUM',
    description: 'storm member',
  }));
  const problems = alarms.map((a, i) => snsNotification(a, 'ALARM', now, `thread-alarm-${i}`));
  const recoveries = alarms.map((a, i) => snsNotification(a, 'OK', new Date(now.getTime() + 60_000), `thread-ok-${i}`));
  const pdActions = (action: string) => pd.received.filter((r) => (r.body as { event_action: string }).event_action === action);
  const incidents = async () => ((await (await fetch(`${app.url}/api/incidents?limit=100`)).json()) as { incidents: ApiIncident[] }).incidents;

  beforeAll(async () => {
    [slack, pd] = await Promise.all([startSlackWebApiPeer(), startPagerDutyPeer()]);
    app = await startRouterProcess([], {
      ROUTER_POLICY_FILE: DEFAULT_POLICY_PATH,
      SLACK_BOT_TOKEN: slack.token,
      SLACK_CHANNEL: '#incidents',
      SLACK_API_URL: slack.apiUrl,
      PAGERDUTY_ROUTING_KEY: 'R0UT1NGKEY0000000000000000000000',
      PAGERDUTY_EVENTS_URL: pd.url,
    });
  });
  afterAll(async () => {
    await app?.stop();
    await Promise.all([slack?.close(), pd?.close()]);
  });

  it('one chat.postMessage for the group; later members as thread replies and chat.updates; one resolve', async () => {
    await Promise.all(problems.map((b) => deliver(app.url, b)));
    await expect.poll(async () => (await incidents()).find((i) => i.members?.length === N)?.members.length, { timeout: 60_000 }).toBe(N);
    await expect.poll(() => pdActions('trigger').length, { timeout: 30_000 }).toBe(1);
    await expect.poll(() => slack.topLevel().length, { timeout: 30_000 }).toBe(1);
    const parent = slack.topLevel()[0];
    await expect.poll(() => slack.replies(parent.ts).length, { timeout: 30_000 }).toBeGreaterThan(0);
    expect(parent.edits.length).toBeGreaterThan(0);
    expect(slack.calls.filter((c) => c.method === 'chat.postMessage' && !c.args.thread_ts)).toHaveLength(1);

    await Promise.all(recoveries.map((b) => deliver(app.url, b)));
    await expect.poll(async () => (await incidents()).find((i) => i.members?.length === N)?.status, { timeout: 60_000 }).toBe('resolved');
    await expect.poll(() => pdActions('resolve').length, { timeout: 30_000 }).toBe(1);
    await expect.poll(() => parent.text, { timeout: 30_000 }).toMatch(/Resolved/);
    expect(slack.topLevel()).toHaveLength(1);
    // Every notice of the group recorded (the resolve's edit and its thread reply both sent) before counting.
    await settled(app.url, (await incidents()).find((i) => i.members?.length === N)!.id);

    const calls = slack.calls.length;
    const pages = pd.received.length;
    for (const b of [...problems, ...recoveries]) await deliver(app.url, b);
    await fetch(`${app.url}/internal/sweep`, { method: 'POST' });
    expect({ slack: slack.calls.length, pd: pd.received.length }).toEqual({ slack: calls, pd: pages });
  });
});
