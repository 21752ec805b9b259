/**
 * Issue 13 with the Slack Web API: a storm of 50 alarms on the real alarm path (dynalite, the shipped default
 * policy) is one chat.postMessage; later members are thread replies and in-place edits of that message; the 50 OKs
 * end with one resolve in the thread and the message reading "Resolved".
 */
import { afterEach, describe, expect, it } from 'vitest';
import { defaultPolicy, parseSnsMessage } from '@alert-router/core';
import { deliverWithRetry, handleSnsEvent, processNotification, runEscalations, SlackWebApiNotifier } from '@alert-router/aws';
import { RUNBOOK_ALARMS, snsNotification, type DemoAlarm } from '../packages/local/src/demo';
import { snsEventFromHttp } from '../packages/local/src/lambda-events';
import { routerWithPeers } from './helpers/router-runtime';
import { startSlackWebApiPeer, type SlackWebApiPeer } from './helpers/slack-web-api-peer';

const [errorRate] = RUNBOOK_ALARMS;
/** An attempt timer that never runs out (it ends with its attempt). */
const never = (_ms: number, ended: AbortSignal) => new Promise<void>((resolve) => ended.addEventListener('abort', () => resolve(), { once: true }));
const T0 = new Date('2026-11-20T10:00:00.000Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);
const named = (a: DemoAlarm, name: string): DemoAlarm => ({ ...a, name });
const body = (a: DemoAlarm, state: 'ALARM' | 'OK', when: Date) => snsNotification(a, state, when, `${a.name}-${state}-${when.getTime()}`);
const note = (a: DemoAlarm, state: 'ALARM' | 'OK', when: Date) => {
  const b = body(a, state, when);
  return parseSnsMessage({ ...b, Subject: b.Subject ?? null }, 'Sns');
};

describe('a storm through the Slack Web API', () => {
  let peer: SlackWebApiPeer;
  let env: Awaited<ReturnType<typeof routerWithPeers>>;
  afterEach(async () => {
    await env?.close();
    await peer?.close();
  });

  it('50 alarms: one chat.postMessage, later members in its thread and the message edited; 50 OKs: one resolve', async () => {
    peer = await startSlackWebApiPeer();
    let clock = at(1).getTime();
    env = await routerWithPeers(
      { SLACK_BOT_TOKEN: peer.token, SLACK_CHANNEL: '#incidents', SLACK_API_URL: peer.apiUrl, SLACK_WEBHOOK_URL: '' },
      // No attempt runs out on this machine's speed: 50 concurrent workers on dynalite can take seconds.
      { now: () => new Date(clock), policy: defaultPolicy(), deliver: (n, notice) => deliverWithRetry(n, notice, { attemptTimer: never, budgetMs: 600_000 }) },
    );
    expect(env.rt.notifiers.slack).toBeInstanceOf(SlackWebApiNotifier);
    const alarms = Array.from({ length: 50 }, (_, i) => named(errorRate, `Storm-${String(i).padStart(2, '0')}`));

    const outcomes = await Promise.all(alarms.map((a) => processNotification(note(a, 'ALARM', at(0)), env.rt)));
    const id = outcomes[0].incidentId!;
    expect(new Set(outcomes.map((o) => o.incidentId)).size).toBe(1);
    expect(peer.topLevel()).toHaveLength(1);
    const parent = peer.topLevel()[0];
    expect((await env.rt.store.getIncident(id))?.deliveries['trigger:slack'].ref).toBe(`${peer.channelId}:${parent.ts}`);
    const joined = peer.replies(parent.ts);
    expect(joined.length).toBeGreaterThan(0);
    expect(joined.length).toBeLessThanOrEqual(49);
    expect(joined.every((r) => r.text.includes('Updated'))).toBe(true);
    expect(parent.edits.length).toBeGreaterThan(0);
    expect(parent.edits.length).toBeLessThanOrEqual(joined.length); // an edit older than the one shown is left out
    expect(parent.text).toContain('50 alarms: ');

    clock = at(2).getTime();
    // Ten at a time: every recovery is an immediate thread update (two more writes on the one incident each), and
    // fifty at once can exceed the store's tries for one incident (the SNS redelivery would then finish it).
    for (let i = 0; i < alarms.length; i += 10) {
      await Promise.all(alarms.slice(i, i + 10).map((a) => processNotification(note(a, 'OK', at(1)), env.rt)));
    }
    expect((await env.rt.store.getIncident(id))?.status).toBe('resolved');
    const resolves = peer.replies(parent.ts).filter((r) => r.text.includes('*Resolved:*'));
    expect(resolves).toHaveLength(1);
    expect(parent.text).toMatch(/^:white_check_mark: \*Resolved\*: all alarms recovered/);
    expect(parent.text).toContain('— all recovered');
    expect(parent.text).toContain('50 alarms: ');
    expect(peer.topLevel()).toHaveLength(1);

    // Redeliveries of all 100 messages and a sweep change nothing.
    const seen = peer.calls.length;
    for (const a of alarms) {
      await handleSnsEvent(snsEventFromHttp(body(a, 'ALARM', at(0))), env.rt);
      await handleSnsEvent(snsEventFromHttp(body(a, 'OK', at(1))), env.rt);
    }
    clock = at(12).getTime();
    await runEscalations(env.rt);
    expect(peer.calls.length).toBe(seen);
  }, 120_000); // a deadline, not a measurement: 100 alarms through dynalite take a while on a busy machine
});
