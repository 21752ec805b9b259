/**
 * Regression tests for the losses of issue 11 (1–5), each driven to the interleaving that lost a page or a resolve
 * with barriers and injected store failures (no timing), against dynalite and loopback channel peers.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseSnsMessage } from '@alert-router/core';
import { handleSnsEvent, processNotification, runEscalations, type Runtime } from '@alert-router/aws';
import { RUNBOOK_ALARMS, snsNotification } from '../packages/local/src/demo';
import { snsEventFromHttp } from '../packages/local/src/lambda-events';
import { gate } from './helpers/gate';
import { routerWithPeers } from './helpers/router-runtime';

const [errorRate, responseTime] = RUNBOOK_ALARMS;
const T0 = new Date('2026-11-20T10:00:00.000Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);

type Env = Awaited<ReturnType<typeof routerWithPeers>>;
type PdBody = { event_action: string; dedup_key: string };

function note(a = errorRate, state: 'ALARM' | 'OK' = 'ALARM', when = T0, messageId = `${a.name}-${state}-${when.getTime()}`) {
  const b = snsNotification(a, state, when, messageId);
  return parseSnsMessage({ ...b, Subject: b.Subject ?? null }, 'Sns');
}

/** What SNS does: deliver again while the invocation fails (non-2xx), at most `times` times. */
async function deliverUntilAccepted(rt: Runtime, body: ReturnType<typeof snsNotification>, times = 5): Promise<number> {
  for (let i = 1; i <= times; i++) {
    try {
      await handleSnsEvent(snsEventFromHttp(body), rt);
      return i;
    } catch {
      /* SNS delivers again */
    }
  }
  throw new Error(`still failing after ${times} deliveries`);
}

/** Pauses every call of `method` on the store after it ran, until released (the worker is "between two writes"). */
function pauseAfter(rt: Runtime, method: string) {
  const store = rt.store as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
  const original = store[method].bind(rt.store);
  let arrive!: () => void;
  let open!: () => void;
  const reached = new Promise<void>((r) => (arrive = r));
  const released = new Promise<void>((r) => (open = r));
  let once = false;
  store[method] = async (...args: unknown[]) => {
    const r = await original(...args);
    if (!once) {
      once = true;
      store[method] = original;
      arrive();
      await released;
    }
    return r;
  };
  return { reached, release: () => open() };
}

/** The process dies at the next call of `method`: the call does not happen, nothing after it runs. */
function crashAt(rt: Runtime, method: string) {
  const store = rt.store as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
  const original = store[method];
  store[method] = async () => {
    store[method] = original;
    throw new Error(`crash before ${method}`);
  };
}

const slackTexts = (env: Env) => env.slack.received.map((r) => JSON.stringify(r.body));
const pd = (env: Env, action: string) => env.pagerduty.received.map((r) => r.body as PdBody).filter((b) => b.event_action === action);

describe('issue 11 losses, reproduced', () => {
  let env: Env;
  let clock = T0.getTime();
  beforeEach(async () => {
    clock = at(1).getTime();
    env = await routerWithPeers({}, { now: () => new Date(clock) });
  });
  afterEach(() => env.close());

  it("loss 1: an OK that lands between its ALARM's latch write and the rest of its work resolves the episode", async () => {
    const paused = pauseAfter(env.rt, 'recordProblem');
    const alarm = processNotification(note(responseTime, 'ALARM', at(0)), env.rt);
    await paused.reached;
    await deliverUntilAccepted(env.rt, snsNotification(responseTime, 'OK', at(1), 'ok-1'));
    paused.release();
    await alarm.catch(() => undefined);
    await deliverUntilAccepted(env.rt, snsNotification(responseTime, 'OK', at(1), 'ok-1')); // SNS may deliver the OK again
    expect(await env.rt.store.listUnresolved()).toEqual([]);
    // The alarm recovered before anyone was told: nobody is paged, or the page is followed by its resolve.
    const texts = slackTexts(env);
    const opened = texts.filter((t) => t.includes(`ALARM: ${responseTime.name} `)).length;
    const resolved = texts.filter((t) => t.includes(`*Resolved:* ${responseTime.name} `)).length;
    expect(resolved).toBe(opened);
  });

  it('loss 1: an OK that lands while its ALARM is paging is announced after the page, on every channel paged', async () => {
    const slackSending = gate(env.rt.notifiers.slack);
    const alarm = processNotification(note(responseTime, 'ALARM', at(0)), env.rt);
    await slackSending.reached;
    const ok = await processNotification(note(responseTime, 'OK', at(1)), env.rt);
    expect(ok.kind).toBe('resolved');
    slackSending.release();
    await alarm;
    const texts = slackTexts(env);
    expect(texts).toHaveLength(2);
    expect(texts[0]).toContain(`ALARM: ${responseTime.name} `);
    expect(texts[1]).toContain(`*Resolved:* ${responseTime.name} `);
    expect(env.smtp.messages).toHaveLength(2); // email: paged, then resolved
    const inc = await env.rt.store.getIncident(ok.incidentId!);
    expect(inc?.status).toBe('resolved');
    expect(inc?.deliveries['resolve:slack'].status).toBe('delivered');
    expect(inc?.deliveries['resolve:email'].status).toBe('delivered');
  });

  it('loss 1: a repeated OK finishes a resolve whose worker died after the latch write', async () => {
    const a = await processNotification(note(responseTime, 'ALARM', at(0)), env.rt);
    crashAt(env.rt, 'updateIncident');
    await expect(processNotification(note(responseTime, 'OK', at(1)), env.rt)).rejects.toThrow(/crash/);
    const again = await processNotification(note(responseTime, 'OK', at(1)), env.rt);
    expect(again.kind).toBe('resolved');
    const inc = await env.rt.store.getIncident(a.incidentId!);
    expect(inc?.status).toBe('resolved');
    expect(inc?.deliveries['resolve:slack'].status).toBe('delivered');
  });

  it('loss 2: a resolve Slack failed is resent by the redelivery, and by the sweep when no redelivery comes', async () => {
    await processNotification(note(responseTime, 'ALARM', at(0)), env.rt);
    env.slack.fallback = { status: 500, body: 'internal_error' };
    await expect(handleSnsEvent(snsEventFromHttp(snsNotification(responseTime, 'OK', at(1), 'ok-1')), env.rt)).rejects.toThrow(/deliveries failed/);
    env.slack.fallback = { status: 200, body: 'ok' };
    const resolves = () => slackTexts(env).filter((t) => t.includes('*Resolved:*')).length; // the peer counts refused tries too
    const before = resolves();
    await handleSnsEvent(snsEventFromHttp(snsNotification(responseTime, 'OK', at(1), 'ok-1')), env.rt);
    expect(resolves()).toBe(before + 1);

    // Another alarm: the resolve fails and SNS gives up; the sweep sends it.
    const other = { ...responseTime, name: 'OtherLatency' };
    const a = await processNotification(note(other, 'ALARM', at(0)), env.rt);
    env.slack.fallback = { status: 500, body: 'internal_error' };
    await expect(handleSnsEvent(snsEventFromHttp(snsNotification(other, 'OK', at(1), 'ok-2')), env.rt)).rejects.toThrow(/deliveries failed/);
    env.slack.fallback = { status: 200, body: 'ok' };
    const sent = env.slack.received.length;
    clock += 60_000;
    await runEscalations(env.rt);
    expect((await env.rt.store.getIncident(a.incidentId!))?.deliveries['resolve:slack'].status).toBe('delivered');
    expect(
      slackTexts(env)
        .slice(sent)
        .filter((t) => t.includes(`*Resolved:* ${other.name} `)),
    ).toHaveLength(1);
  });

  it('loss 3: a failed escalation page fails the sweep and is resent by the next one', async () => {
    const a = await processNotification(note(errorRate, 'ALARM', at(0)), env.rt);
    clock = at(6).getTime();
    env.pagerduty.fallback = { status: 500, body: '{"status":"error"}' };
    const first = await runEscalations(env.rt);
    expect(first.escalated).toHaveLength(1);
    expect(first.failed).toEqual([a.incidentId]);
    env.pagerduty.fallback = { status: 202, body: '{}' };
    clock += 60_000;
    const second = await runEscalations(env.rt);
    expect(second.redelivered).toContainEqual({ id: a.incidentId, event: 'escalate', channel: 'pagerduty', outcome: 'delivered' });
    const inc = await env.rt.store.getIncident(a.incidentId!);
    const escalations = Object.entries(inc!.deliveries).filter(([k]) => k.startsWith('escalate'));
    expect(escalations.length).toBeGreaterThan(0);
    expect(escalations.every(([, d]) => d.status === 'delivered')).toBe(true);
  });

  it('loss 4: a crash before the incident is stored is not answered 2xx by the redelivery; nothing is stranded', async () => {
    crashAt(env.rt, 'createIncident');
    const body = snsNotification(errorRate, 'ALARM', at(0), 'crash-1');
    const tries = await deliverUntilAccepted(env.rt, body);
    expect(tries).toBe(2);
    const [inc] = await env.rt.store.listUnresolved();
    expect(inc).toBeDefined();
    expect(Object.values(inc.deliveries).map((d) => d.status)).toEqual(['delivered', 'delivered']);
    expect(pd(env, 'trigger')).toHaveLength(1); // nothing was sent before the incident that records it
    // A later ALARM of that alarm is a duplicate of a real incident, not a silent fold into nothing.
    const dup = await processNotification(note(errorRate, 'ALARM', at(3)), env.rt);
    expect(dup).toMatchObject({ kind: 'duplicate', incidentId: inc.id });
  });

  it('loss 4: when SNS gave up on an ALARM whose worker died before storing it, the next ALARM of that alarm stores it and pages', async () => {
    crashAt(env.rt, 'createIncident');
    await expect(handleSnsEvent(snsEventFromHttp(snsNotification(errorRate, 'ALARM', at(0), 'lost-1')), env.rt)).rejects.toThrow(/crash/);
    // No redelivery comes. Inside the lease the opener may still be at work: a newer ALARM only counts as a duplicate.
    expect((await processNotification(note(errorRate, 'ALARM', at(0.5)), env.rt)).kind).toBe('duplicate');
    expect(pd(env, 'trigger')).toHaveLength(0);
    clock += env.rt.leaseMs;
    const later = await processNotification(note(errorRate, 'ALARM', at(2)), env.rt);
    expect(later.kind).toBe('resent');
    const inc = await env.rt.store.getIncident(later.incidentId!);
    expect(inc?.deliveries['trigger:pagerduty'].status).toBe('delivered');
    expect(inc?.timeline.some((e) => e.type === 'note' && /stored by a later ALARM/.test(e.detail ?? ''))).toBe(true);
    expect(pd(env, 'trigger')).toHaveLength(1);
  });

  it('loss 4: a crash after the pages went out, before their outcome was recorded: the sweep resends once the lease ends, same dedup_key', async () => {
    crashAt(env.rt, 'completeNotices');
    await expect(handleSnsEvent(snsEventFromHttp(snsNotification(errorRate, 'ALARM', at(0), 'crash-2')), env.rt)).rejects.toThrow(/crash/);
    // The redelivery inside the lease finds the pages recorded pending: durable, so it may answer 2xx.
    const again = await handleSnsEvent(snsEventFromHttp(snsNotification(errorRate, 'ALARM', at(0), 'crash-2')), env.rt);
    expect(again.outcomes[0].kind).toBe('in-progress');
    clock += env.rt.leaseMs + 1;
    await runEscalations(env.rt);
    const [inc] = await env.rt.store.listUnresolved();
    expect(inc.deliveries['trigger:pagerduty'].status).toBe('delivered');
    expect(inc.deliveries['trigger:slack'].status).toBe('delivered');
    const triggers = pd(env, 'trigger');
    expect(triggers).toHaveLength(2);
    expect(new Set(triggers.map((t) => t.dedup_key)).size).toBe(1);
  });

  it('loss 5: a 301 KB alarm gets a visible incident that fits the store, its pages recorded, and its whole text kept', async () => {
    const body = snsNotification(errorRate, 'ALARM', at(0), 'big-1');
    const message = JSON.parse(body.Message) as Record<string, unknown>;
    message.NewStateReason = `Threshold crossed: ${'x'.repeat(301 * 1024)}`;
    body.Message = JSON.stringify(message);
    await deliverUntilAccepted(env.rt, body, 1);
    const [inc] = await env.rt.store.listUnresolved();
    expect(inc?.alarmName).toBe(errorRate.name);
    expect(inc.alarm.reason!.length).toBeLessThanOrEqual(4000);
    expect(inc.deliveries['trigger:pagerduty'].status).toBe('delivered');
    expect(inc.deliveries['trigger:slack'].status).toBe('delivered');
    const kept = await env.rt.store.listDeadLetters(new Date(clock).toISOString().slice(0, 10));
    expect(kept.map((k) => k.raw)).toContain(body.Message);
  });
});
