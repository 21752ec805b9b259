/**
 * The digest, the hygiene report and stakeholder updates through the Slack Web API when the bot token and channel
 * are set (a loopback peer speaking chat.postMessage): top level, or in the incident's thread for an update; `ok:
 * false` and 429 through the Web API notifier's error mapping and the shared retry rule; the webhook when no bot
 * token is set.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { parseSnsMessage } from '@alert-router/core';
import { postStakeholderUpdate, processNotification, runDigest, runHygiene, SlackWebApiNotifier, type Actor, type RetryOptions } from '@alert-router/aws';
import { RUNBOOK_ALARMS, snsNotification } from '../packages/local/src/demo';
import { routerWithPeers } from './helpers/router-runtime';
import { startSlackWebApiPeer, type SlackWebApiPeer } from './helpers/slack-web-api-peer';

type Env = Awaited<ReturnType<typeof routerWithPeers>>;
const opened: { env: Env; peer: SlackWebApiPeer }[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map(async ({ env, peer }) => Promise.all([env.close(), peer.close()])));
});

/** A router with the bot token and channel set (and the webhook too: the Web API is chosen over it). */
async function webApiRouter(): Promise<{ env: Env; peer: SlackWebApiPeer }> {
  const peer = await startSlackWebApiPeer();
  const env = await routerWithPeers({ SLACK_BOT_TOKEN: peer.token, SLACK_CHANNEL: '#incidents', SLACK_API_URL: peer.apiUrl });
  opened.push({ env, peer });
  return { env, peer };
}

/** Waits recorded, never slept (attempt counts do not depend on the machine's speed); outbox lines kept quiet. */
function recordingRetry(): { waits: number[]; retry: RetryOptions; print: (line: string) => void } {
  const waits: number[] = [];
  return { waits, retry: { sleep: async (ms: number) => void waits.push(ms), random: () => 0 }, print: () => undefined };
}

const BOB: Actor = { id: 'bob', name: 'bob', via: 'dashboard' };
const postMessages = (peer: SlackWebApiPeer) => peer.calls.filter((c) => c.method === 'chat.postMessage');

async function openIncident(env: Env): Promise<string> {
  const body = snsNotification(RUNBOOK_ALARMS[0], 'ALARM', env.rt.now());
  const r = await processNotification(parseSnsMessage({ ...body, Subject: body.Subject ?? null }, 'Sns'), env.rt);
  expect(r.kind).toBe('opened');
  return r.incidentId!;
}

describe('digest and hygiene report through the Web API', () => {
  it('posts the digest top level with chat.postMessage, through the notifier incident notices use', async () => {
    const { env, peer } = await webApiRouter();
    expect(env.rt.notifiers.slack).toBeInstanceOf(SlackWebApiNotifier);
    const run = await runDigest(env.rt, recordingRetry());
    expect(run.slack).toEqual({ status: 'sent', attempts: 1 });
    expect(postMessages(peer)).toHaveLength(1);
    expect(postMessages(peer)[0].authorization).toBe(`Bearer ${peer.token}`);
    const [message] = peer.topLevel();
    expect(message.channel).toBe(peer.channelId);
    expect(message.thread_ts).toBeUndefined();
    expect(message.text).toContain('Alert digest, last 24 h');
    expect(Array.isArray(message.blocks)).toBe(true);
    expect(env.slack.received).toEqual([]); // the webhook peer hears nothing
  });

  it('posts the hygiene report top level', async () => {
    const { env, peer } = await webApiRouter();
    const run = await runHygiene(env.rt, { days: 7, ...recordingRetry() });
    expect(run.slack.status).toBe('sent');
    expect(peer.topLevel().map((m) => m.text)).toEqual([expect.stringContaining('alert hygiene')]);
    expect(env.slack.received).toEqual([]);
  });

  it('reports an ok:false answer as a failure, once (not retryable), without the token', async () => {
    const { env, peer } = await webApiRouter();
    peer.faults.push({ method: 'chat.postMessage', error: 'not_in_channel' });
    const { waits, ...deps } = recordingRetry();
    const run = await runDigest(env.rt, deps);
    expect(run.slack).toMatchObject({ status: 'failed', attempts: 1 });
    expect(run.slack.status === 'failed' && run.slack.error).toContain('not_in_channel');
    expect(JSON.stringify(run.slack)).not.toContain(peer.token);
    expect(waits).toEqual([]);
    expect(peer.messages).toEqual([]);
    expect(run.email.status).toBe('sent'); // the other channel is independent
  });

  it("waits a 429's Retry-After, then posts", async () => {
    const { env, peer } = await webApiRouter();
    peer.faults.push({ method: 'chat.postMessage', status: 429, retryAfter: '2' });
    const { waits, ...deps } = recordingRetry();
    const run = await runDigest(env.rt, deps);
    expect(run.slack).toEqual({ status: 'sent', attempts: 2 });
    expect(waits).toEqual([2000]);
    expect(peer.topLevel()).toHaveLength(1);
  });
});

describe('stakeholder updates through the Web API', () => {
  it("go in the incident's thread when its first message has a Web API ref", async () => {
    const { env, peer } = await webApiRouter();
    const id = await openIncident(env);
    const [parent] = peer.topLevel();
    expect((await env.rt.store.getIncident(id))?.deliveries['trigger:slack'].ref).toBe(`${peer.channelId}:${parent.ts}`);

    const text = 'Failing over to the standby database; next update in 30 minutes.';
    const r = await postStakeholderUpdate(env.rt, id, BOB, text, recordingRetry());
    expect(r.kind === 'posted' && r.sent.slack).toEqual({ status: 'sent', attempts: 1 });
    const replies = peer.replies(parent.ts);
    expect(replies).toHaveLength(1);
    expect(replies[0].channel).toBe(parent.channel);
    expect(replies[0].reply_broadcast).toBeUndefined();
    expect(JSON.stringify(replies[0].blocks)).toContain('Failing over to the standby database');
    expect(peer.topLevel()).toEqual([parent]);
    expect(env.slack.received).toEqual([]);
  });

  it('go top level when Slack has no message of the incident, and an ok:false is recorded on the timeline', async () => {
    const { env, peer } = await webApiRouter();
    peer.faults.push({ method: 'chat.postMessage', error: 'channel_not_found' }); // the trigger fails for good
    const id = await openIncident(env);
    expect(peer.messages).toEqual([]);

    const first = await postStakeholderUpdate(env.rt, id, BOB, 'Investigating.', recordingRetry());
    expect(first.kind === 'posted' && first.sent.slack.status).toBe('sent');
    expect(peer.topLevel()).toHaveLength(1);
    expect(peer.topLevel()[0].thread_ts).toBeUndefined();

    peer.faults.push({ method: 'chat.postMessage', error: 'msg_blocked' });
    const second = await postStakeholderUpdate(env.rt, id, BOB, 'Still investigating.', recordingRetry());
    expect(second.kind === 'posted' && second.sent.slack).toMatchObject({ status: 'failed', attempts: 1 });
    const notes = (await env.rt.store.getIncident(id))!.timeline.filter((e) => e.type === 'note').map((e) => e.detail);
    expect(notes.at(-1)).toContain('Slack failed (slack: chat.postMessage: msg_blocked)');
  });
});

describe('without a bot token', () => {
  it('the digest and a stakeholder update still go through the incoming webhook', async () => {
    const peer = await startSlackWebApiPeer();
    const env = await routerWithPeers();
    opened.push({ env, peer });
    expect(env.rt.notifiers.slack).not.toBeInstanceOf(SlackWebApiNotifier);
    const id = await openIncident(env);
    const before = env.slack.received.length;
    expect((await runDigest(env.rt, recordingRetry())).slack.status).toBe('sent');
    const r = await postStakeholderUpdate(env.rt, id, BOB, 'Investigating.', recordingRetry());
    expect(r.kind === 'posted' && r.sent.slack.status).toBe('sent');
    expect(env.slack.received.slice(before).map((m) => m.path)).toEqual(['/services/T000/B000/XXXX', '/services/T000/B000/XXXX']);
    expect(peer.calls).toEqual([]);
  });
});
