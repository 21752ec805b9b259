import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseSnsMessage } from '@alert-router/core';
import { handleSnsEvent, processNotification } from '@alert-router/aws';
import { RUNBOOK_ALARMS, snsNotification } from '../packages/local/src/demo';
import { snsEventFromHttp } from '../packages/local/src/lambda-events';
import { gate } from './helpers/gate';
import { routerWithPeers } from './helpers/router-runtime';

type Env = Awaited<ReturnType<typeof routerWithPeers>>;
const [errorRate, responseTime, , dbCpu] = RUNBOOK_ALARMS;
const T0 = new Date('2026-11-20T10:00:00.000Z');

function notification(alarm = errorRate, state: 'ALARM' | 'OK' = 'ALARM', at = T0, messageId?: string) {
  const body = snsNotification(alarm, state, at, messageId);
  return parseSnsMessage({ ...body, Subject: body.Subject ?? null }, 'Sns');
}

describe('alarm pipeline against dynalite and loopback channels', () => {
  let env: Env;
  beforeEach(async () => {
    env = await routerWithPeers();
  });
  afterEach(async () => {
    await env.close();
  });

  it('opens a P0 incident, pages PagerDuty and Slack once: the latch write and the incident (pages pending) are stored before fan-out', async () => {
    await env.rt.silenceCache.refresh(); // a warm container (the cold start is the next-but-one test)
    env.local.requests.reset();
    let atFanOut: Record<string, number> | null = null;
    const pdNotifier = env.rt.notifiers.pagerduty;
    const send = pdNotifier.send.bind(pdNotifier);
    pdNotifier.send = async (notice, signal) => {
      atFanOut ??= Object.fromEntries(env.local.requests.byCommand);
      return send(notice, signal);
    };
    const out = await processNotification(notification(), env.rt);
    expect(out.kind).toBe('opened');
    expect(out.severity).toBe('P0');
    // The latch's conditional write, then the incident with its pages pending (nothing is sent before its record is
    // stored); after fan-out one revision-guarded write records the outcomes.
    expect(atFanOut).toEqual({ UpdateItemCommand: 1, PutItemCommand: 1 });
    expect(Object.fromEntries(env.local.requests.byCommand)).toEqual({ UpdateItemCommand: 1, PutItemCommand: 2 });
    expect(env.pagerduty.received).toHaveLength(1);
    expect(env.slack.received).toHaveLength(1);
    expect(env.smtp.messages).toHaveLength(0);
    const pd = env.pagerduty.received[0].body as { event_action: string; dedup_key: string; payload: { severity: string } };
    expect(pd.event_action).toBe('trigger');
    expect(pd.payload.severity).toBe('critical');
    const stored = await env.rt.store.getIncident(out.incidentId!);
    expect(stored?.status).toBe('open');
    expect(stored?.deliveries['trigger:pagerduty'].status).toBe('delivered');
    expect(stored?.deliveries['trigger:slack'].status).toBe('delivered');
    expect(stored?.timeline.map((e) => e.type)).toEqual(['opened', 'delivery', 'delivery']);
  });

  it('a slow channel does not keep the incident invisible: it is stored pending, then updated', async () => {
    const slackSent = gate(env.rt.notifiers.slack);
    const running = processNotification(notification(), env.rt);
    await slackSent.reached;
    const [visible] = await env.rt.store.listUnresolved();
    expect(visible?.deliveries['trigger:slack'].status).toBe('pending');
    slackSent.release();
    const out = await running;
    const stored = await env.rt.store.getIncident(out.incidentId!);
    expect(stored?.deliveries['trigger:slack'].status).toBe('delivered');
    expect(stored?.deliveries['trigger:pagerduty'].status).toBe('delivered');
  });

  it('a redelivery (same MessageId) changes nothing and sends nothing', async () => {
    const n = notification(errorRate, 'ALARM', T0, 'm-1');
    const first = await processNotification(n, env.rt);
    const before = await env.rt.store.getIncident(first.incidentId!);
    const again = await processNotification(notification(errorRate, 'ALARM', T0, 'm-1'), env.rt);
    expect(again.kind).toBe('redelivery');
    expect(again.incidentId).toBe(first.incidentId);
    expect(env.pagerduty.received).toHaveLength(1);
    expect(env.slack.received).toHaveLength(1);
    const after = await env.rt.store.getIncident(first.incidentId!);
    expect(after).toEqual(before);
  });

  it('ten concurrent deliveries of one alarm give one incident and one page', async () => {
    const outs = await Promise.all(Array.from({ length: 10 }, (_, i) => processNotification(notification(errorRate, 'ALARM', T0, `m-${i}`), env.rt)));
    expect(outs.filter((o) => o.kind === 'opened')).toHaveLength(1);
    expect(new Set(outs.map((o) => o.incidentId)).size).toBe(1);
    expect(env.pagerduty.received).toHaveLength(1);
    expect(env.slack.received).toHaveLength(1);
    expect(await env.rt.store.listUnresolved()).toHaveLength(1);
  });

  it('OK resolves where it was announced; a later ALARM opens a new episode', async () => {
    const opened = await processNotification(notification(responseTime, 'ALARM', T0), env.rt);
    expect(opened.severity).toBe('P1');
    expect(env.slack.received).toHaveLength(1);
    expect(env.smtp.messages).toHaveLength(1);
    const ok = await processNotification(notification(responseTime, 'OK', new Date(T0.getTime() + 600_000)), env.rt);
    expect(ok.kind).toBe('resolved');
    expect(ok.incidentId).toBe(opened.incidentId);
    expect(env.slack.received).toHaveLength(2);
    expect(env.smtp.messages).toHaveLength(2);
    expect(env.pagerduty.received).toHaveLength(0);
    const resolved = await env.rt.store.getIncident(opened.incidentId!);
    expect(resolved?.status).toBe('resolved');
    expect(resolved?.resolvedBy).toBe('cloudwatch');
    expect(await env.rt.store.listUnresolved()).toHaveLength(0);

    const okAgain = await processNotification(notification(responseTime, 'OK', new Date(T0.getTime() + 600_000)), env.rt);
    expect(okAgain.kind).not.toBe('resolved');
    expect(env.slack.received).toHaveLength(2);

    const reopened = await processNotification(notification(responseTime, 'ALARM', new Date(T0.getTime() + 1_200_000)), env.rt);
    expect(reopened.kind).toBe('opened');
    expect(reopened.incidentId).not.toBe(opened.incidentId);
  });

  it('a newer ALARM while the episode is open is a duplicate on its timeline, not a page', async () => {
    const opened = await processNotification(notification(dbCpu, 'ALARM', T0), env.rt);
    const dup = await processNotification(notification(dbCpu, 'ALARM', new Date(T0.getTime() + 300_000)), env.rt);
    expect(dup.kind).toBe('duplicate');
    expect(dup.incidentId).toBe(opened.incidentId);
    expect(env.smtp.messages).toHaveLength(1);
    const inc = await env.rt.store.getIncident(opened.incidentId!);
    expect(inc?.duplicates).toBe(1);
    expect(inc?.timeline.some((e) => e.type === 'duplicate')).toBe(true);
  });

  it('an OK older than the last change seen (out of order) does not resolve', async () => {
    const opened = await processNotification(notification(errorRate, 'ALARM', T0), env.rt);
    const stale = await processNotification(notification(errorRate, 'OK', new Date(T0.getTime() - 60_000)), env.rt);
    expect(stale.kind).not.toBe('resolved');
    expect((await env.rt.store.getIncident(opened.incidentId!))?.status).toBe('open');
  });

  it('a channel outage blocks no other channel; the retry resends only what failed', async () => {
    env.slack.fallback = { status: 500, body: 'internal_error' };
    const n = notification(errorRate, 'ALARM', T0, 'm-x');
    await expect(handleSnsEvent(snsEventFromHttp({ ...snsNotification(errorRate, 'ALARM', T0, 'm-x') }), env.rt)).rejects.toThrow(/deliveries failed/);
    expect(env.pagerduty.received).toHaveLength(1);
    const id = (await env.rt.store.listUnresolved())[0].id;
    let inc = await env.rt.store.getIncident(id);
    expect(inc?.deliveries['trigger:pagerduty'].status).toBe('delivered');
    expect(inc?.deliveries['trigger:slack'].status).toBe('failed');
    expect(inc?.deliveries['trigger:slack'].error).toMatch(/500/);

    env.slack.fallback = { status: 200, body: 'ok' };
    const slackBefore = env.slack.received.length;
    const retry = await processNotification(n, env.rt);
    expect(retry.kind).toBe('resent');
    expect(env.pagerduty.received).toHaveLength(1);
    expect(env.slack.received.length).toBe(slackBefore + 1);
    inc = await env.rt.store.getIncident(id);
    expect(inc?.deliveries['trigger:slack'].status).toBe('delivered');

    const third = await processNotification(n, env.rt);
    expect(third.kind).toBe('redelivery');
    expect(env.slack.received.length).toBe(slackBefore + 1);
  });

  it('a permanent refusal (PagerDuty 400) is recorded, not retried, and does not fail the invocation', async () => {
    env.pagerduty.fallback = {
      status: 400,
      body: JSON.stringify({ status: 'invalid event', message: 'Event object is invalid', errors: ['Length of dedup_key is too long'] }),
    };
    const result = await handleSnsEvent(snsEventFromHttp(snsNotification(errorRate, 'ALARM', T0)), env.rt);
    expect(result.outcomes[0].kind).toBe('opened');
    const inc = await env.rt.store.getIncident(result.outcomes[0].incidentId!);
    expect(inc?.deliveries['trigger:pagerduty']).toMatchObject({ status: 'failed', retryable: false, attempts: 1 });
    expect(inc?.deliveries['trigger:slack'].status).toBe('delivered');
  });

  it('keeps unreadable records as dead letters with the reason', async () => {
    const result = await handleSnsEvent({ Records: [{ Sns: { Type: 'Notification', MessageId: 'x' } }] }, env.rt);
    expect(result.deadLettered).toEqual([{ path: 'Records[0].Sns.Message', reason: expect.stringMatching(/string|Invalid|required/i) }]);
    const kept = await env.rt.store.listDeadLetters(env.rt.now().toISOString().slice(0, 10));
    expect(kept).toHaveLength(1);
    expect(kept[0].raw).toContain('"MessageId":"x"');
  });

  it('routes a non-alarm message (AWS Budgets prose) instead of dropping it', async () => {
    const result = await handleSnsEvent(
      snsEventFromHttp({
        Type: 'Notification',
        MessageId: 'b-1',
        TopicArn: 'arn:aws:sns:us-east-1:123456789012:MediumAlertsTopic',
        Subject: 'AWS Budgets: Monthly budget has exceeded your alert threshold',
        Message:
          'AWS Budget Notification November 26, 2026\nAWS Account 123456789012\n\nDear AWS Customer,\n\nYou requested that we alert you when the ACTUAL Cost associated with your Monthly budget is greater than $100.00.',
        Timestamp: '2026-11-26T10:00:00.000Z',
      }),
      env.rt,
    );
    expect(result.outcomes[0]).toMatchObject({ kind: 'opened', severity: 'P2' });
    expect(env.smtp.messages).toHaveLength(1);
    expect(env.smtp.messages[0].raw).toContain('Budgets');
  });

  it('an alarm after 15 s idle is checked against silences created meanwhile by another container', async () => {
    let clock = T0.getTime();
    const a = await routerWithPeers({}, { now: () => new Date(clock) });
    try {
      await handleSnsEvent(snsEventFromHttp(snsNotification(responseTime, 'ALARM', new Date(clock - 1000), 'warm-up')), a.rt); // loads the cache
      // straight into the table, as another container would: this runtime's cache is not told
      await a.rt.silences.create({ match: 'HighError*', reason: 'deploy', author: 'U1', minutes: 60, now: new Date(clock).toISOString() });
      clock += 16_000;
      const r = await handleSnsEvent(snsEventFromHttp(snsNotification(errorRate, 'ALARM', new Date(clock - 1000), 'after-silence')), a.rt);
      expect(r.outcomes[0].kind).toBe('opened');
      expect(a.pagerduty.received).toHaveLength(0);
      const incident = await a.rt.store.getIncident(r.outcomes[0].incidentId!);
      expect(incident?.silencedBy).toMatch(/deploy/);
    } finally {
      await a.close();
    }
  });

  it('a cold start reads the silences beside the alarm write, not before it', async () => {
    let seq = 0; // order of events, not time
    const spans: { command: string; start: number; end: number }[] = [];
    env.local.db.middlewareStack.add(
      (next, context) => async (args) => {
        const span = { command: context.commandName ?? '?', start: ++seq, end: Infinity };
        spans.push(span);
        try {
          return await next(args);
        } finally {
          span.end = ++seq;
        }
      },
      { step: 'initialize', name: 'spans' },
    );
    let firstSendAt = Infinity;
    const slack = env.rt.notifiers.slack;
    const slackSend = slack.send.bind(slack);
    slack.send = (notice, signal) => ((firstSendAt = Math.min(firstSendAt, ++seq)), slackSend(notice, signal));
    await handleSnsEvent(snsEventFromHttp(snsNotification(errorRate, 'ALARM', T0, 'cold')), env.rt);
    const query = spans.find((x) => x.command === 'QueryCommand')!;
    const write = spans.find((x) => x.command === 'UpdateItemCommand')!;
    expect(query).toBeDefined();
    expect(write.start).toBeLessThan(query.end); // in parallel: the write did not wait for the silences
    expect(
      spans
        .filter((x) => x.start < firstSendAt)
        .map((x) => x.command)
        .sort(),
    ).toEqual(['PutItemCommand', 'QueryCommand', 'UpdateItemCommand']);
  });

  it('announces every plain message, even with the same subject; a redelivery of one sends nothing', async () => {
    const budget = (messageId: string, percent: number, at: string) =>
      snsEventFromHttp({
        Type: 'Notification',
        MessageId: messageId,
        TopicArn: 'arn:aws:sns:us-east-1:123456789012:MediumAlertsTopic',
        Subject: 'AWS Budgets: Monthly budget has exceeded your alert threshold',
        Message: `You requested that we alert you when the ACTUAL Cost associated with your Monthly budget is greater than ${percent}% of $100.00.`,
        Timestamp: at,
      });
    const first = await handleSnsEvent(budget('b-80', 80, '2026-11-26T10:00:00.000Z'), env.rt);
    const second = await handleSnsEvent(budget('b-100', 100, '2026-11-27T09:00:00.000Z'), env.rt);
    const again = await handleSnsEvent(budget('b-80', 80, '2026-11-26T10:00:00.000Z'), env.rt);
    expect(first.outcomes[0].kind).toBe('opened');
    expect(second.outcomes[0].kind).toBe('opened');
    expect(second.outcomes[0].incidentId).not.toBe(first.outcomes[0].incidentId);
    expect(again.outcomes[0].kind).toBe('redelivery');
    expect(env.smtp.messages.map((m) => (m.raw.includes('greater than 100%') ? 100 : 80))).toEqual([80, 100]);
  });
});
