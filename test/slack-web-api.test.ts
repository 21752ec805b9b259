/**
 * The Slack Web API notifier against a loopback peer speaking chat.postMessage / chat.update: one message per
 * incident, later notices in its thread with the parent edited in place; each fault class through the shared
 * retry rule; the registry's choice between the bot token and the webhook.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { parseSnsMessage, type DeliveryRecord, type Incident, type Notice } from '@alert-router/core';
import {
  channelSecrets,
  createNotifiers,
  deliverWithRetry,
  parentMessage,
  parseSlackRef,
  processNotification,
  readConfig,
  secretValues,
  SlackNotifier,
  SlackWebApiNotifier,
  type SlackWebApiNotifierOptions,
} from '@alert-router/aws';
import { DeliveryError } from '@alert-router/core/errors';
import { runSlashCommand } from '../packages/aws/src/slack/commands';
import { RUNBOOK_ALARMS, snsNotification } from '../packages/local/src/demo';
import { routerWithPeers } from './helpers/router-runtime';
import { makeNotice } from './helpers/incident-factory';
import { makeGroup } from './helpers/group-factory';
import { startSlackWebApiPeer, type PeerMessage, type SlackWebApiPeer } from './helpers/slack-web-api-peer';

let peer: SlackWebApiPeer;
const peers: SlackWebApiPeer[] = [];
afterEach(async () => {
  await Promise.all(peers.splice(0).map((p) => p.close()));
});

async function start(): Promise<SlackWebApiPeer> {
  peer = await startSlackWebApiPeer();
  peers.push(peer);
  return peer;
}

function notifier(overrides: Partial<SlackWebApiNotifierOptions> = {}): SlackWebApiNotifier {
  return new SlackWebApiNotifier({ token: peer.token, channel: '#incidents', apiUrl: peer.apiUrl, ...overrides });
}

/** Waits recorded, never slept: the tests do not depend on the machine's speed. */
function recordingSleep() {
  const waits: number[] = [];
  return { waits, sleep: async (ms: number) => void waits.push(ms) };
}

const send = (n: Notice, overrides: Partial<SlackWebApiNotifierOptions> = {}) => notifier(overrides).send(n, new AbortController().signal);

/** The incident as the store has it after its Slack trigger was delivered with `ref`. */
function announced(incident: Incident, ref: string, extra: Partial<DeliveryRecord> = {}): Incident {
  const trigger: DeliveryRecord = { status: 'delivered', attempts: 1, at: incident.openedAt, ref, event: 'trigger', channel: 'slack', ...extra };
  return { ...incident, deliveries: { ...incident.deliveries, 'trigger:slack': trigger } };
}

const texts = (m: PeerMessage) => JSON.stringify([m.text, m.blocks, m.attachments]);

const FIVE = ['HighErrorRate', 'HighResponseTime', { name: 'Api5xx', recovered: true }, 'DBCpu', { name: 'QueueDepth', recovered: true }];

describe('SlackWebApiNotifier: one message per incident, the rest in its thread', () => {
  it('trigger → chat.postMessage (blocks + text, form-encoded, Bearer token) and ref <channel>:<ts>', async () => {
    await start();
    const r = await deliverWithRetry(notifier(), makeNotice({ incident: makeGroup(FIVE) }));
    expect(r).toMatchObject({ status: 'delivered', attempts: 1 });
    expect(peer.messages).toHaveLength(1);
    const [m] = peer.messages;
    expect(r.ref).toBe(`${peer.channelId}:${m.ts}`);
    expect(parseSlackRef(r.ref)).toEqual({ channel: peer.channelId, ts: m.ts });
    expect(m.text).toContain('5 alarms: HighErrorRate, HighResponseTime');
    expect((m.blocks as { type: string }[])[0].type).toBe('header');
    expect(texts(m)).toContain('incident_ack');
    const [call] = peer.calls;
    expect(call.method).toBe('chat.postMessage');
    expect(call.contentType).toContain('application/x-www-form-urlencoded');
    expect(call.authorization).toBe(`Bearer ${peer.token}`);
    expect(call.args.unfurl_links).toBe('false');
  });

  it('update, acknowledge, escalate, resolve → thread replies, and the parent edited in place each time', async () => {
    await start();
    let group = makeGroup(FIVE.slice(0, 2));
    const first = await send(makeNotice({ incident: group }));
    const parentTs = parseSlackRef(first.ref)?.ts ?? '';
    const parent = () => peer.find(parentTs);

    // Three more alarms join, one recovers.
    group = announced(makeGroup(FIVE), first.ref ?? '');
    const upd = await deliverWithRetry(
      notifier(),
      makeNotice({ event: 'update', incident: group, note: 'joined: Api5xx, DBCpu, QueueDepth; recovered: Api5xx' }),
    );
    expect(upd.status).toBe('delivered');
    expect(peer.topLevel()).toHaveLength(1);
    expect(peer.replies(parentTs)).toHaveLength(1);
    expect(upd.ref).toBe(`${peer.channelId}:${peer.replies(parentTs)[0].ts}`);
    expect(texts(peer.replies(parentTs)[0])).toContain('joined: Api5xx, DBCpu, QueueDepth; recovered: Api5xx');
    expect(parent()?.edits).toHaveLength(1);
    expect(parent()?.text).toContain('5 alarms: HighErrorRate, HighResponseTime, Api5xx, DBCpu, QueueDepth — 2 recovered');

    const acked: Incident = { ...group, status: 'acknowledged', acknowledgedBy: 'slack:U024BE7LH (alice)', acknowledgedAt: '2024-01-15T10:42:00.000Z' };
    await send(makeNotice({ event: 'acknowledge', incident: acked, actor: 'slack:U024BE7LH (alice)' }));
    expect(parent()?.text.startsWith(':eyes: *Acknowledged* by @alice at 2024-01-15 10:42 UTC')).toBe(true);
    expect(texts(parent() as PeerMessage)).not.toContain('incident_ack'); // only Resolve is left

    await send(makeNotice({ event: 'escalate', incident: group, tier: 'teamLead' }));
    const escalation = peer.replies(parentTs).at(-1);
    expect(escalation?.reply_broadcast).toBe(true);

    const done: Incident = { ...acked, status: 'resolved', resolvedBy: 'cloudwatch', resolvedAt: '2024-01-15T11:00:00.000Z' };
    await send(makeNotice({ event: 'resolve', incident: done }));
    expect(parent()?.text.startsWith(':white_check_mark: *Resolved*')).toBe(true);
    expect(texts(parent() as PeerMessage)).not.toContain('incident_resolve');

    expect(peer.topLevel()).toHaveLength(1);
    expect(peer.replies(parentTs)).toHaveLength(4);
    expect(parent()?.edits).toHaveLength(4);
    expect(peer.calls.map((c) => c.method)).toEqual(['chat.postMessage', ...Array<string[]>(4).fill(['chat.update', 'chat.postMessage']).flat()]);
  });

  it('a trigger that may have landed (its sender died) still anchors the thread', async () => {
    await start();
    const first = await send(makeNotice());
    const incident = announced(makeNotice().incident, first.ref ?? '', { status: 'pending', mayHaveLanded: true });
    expect(parentMessage(incident)).not.toBeNull();
    await send(makeNotice({ event: 'acknowledge', incident: { ...incident, status: 'acknowledged', acknowledgedBy: 'dashboard' } }));
    expect(peer.replies(parseSlackRef(first.ref)?.ts ?? '')).toHaveLength(1);
  });

  it('an incident Slack first heard of by an escalation (P2 → team lead): later notices thread under that message', async () => {
    await start();
    const p2 = makeNotice().incident;
    const first = await send(makeNotice({ event: 'escalate', incident: p2, tier: 'teamLead' }));
    const escalated: Incident = {
      ...p2,
      deliveries: {
        'escalate#0.1:slack': { status: 'delivered', attempts: 1, at: '2024-01-15T12:05:00.000Z', ref: first.ref, event: 'escalate', channel: 'slack' },
        'escalate#1.1:slack': {
          status: 'delivered',
          attempts: 1,
          at: '2024-01-15T12:35:00.000Z',
          ref: 'C0INCIDENT:1799999999.000001',
          event: 'escalate',
          channel: 'slack',
        },
      },
    };
    expect(parentMessage(escalated)).toEqual(parseSlackRef(first.ref));
    await send(
      makeNotice({ event: 'resolve', incident: { ...escalated, status: 'resolved', resolvedBy: 'cloudwatch', resolvedAt: '2024-01-15T13:00:00.000Z' } }),
    );
    const parentTs = parseSlackRef(first.ref)?.ts ?? '';
    expect(peer.topLevel()).toHaveLength(1);
    expect(peer.replies(parentTs)).toHaveLength(1);
    expect(peer.find(parentTs)?.text).toMatch(/^:white_check_mark: \*Resolved\*: the alarm recovered/);
    // A trigger that did not land leaves the escalation the parent; one that landed is the parent.
    const failedTrigger: DeliveryRecord = { status: 'failed', attempts: 1, at: p2.openedAt, retryable: false, ref: 'C0INCIDENT:1600000000.000001' };
    expect(parentMessage({ deliveries: { ...escalated.deliveries, 'trigger:slack': failedTrigger } })).toEqual(parseSlackRef(first.ref));
    expect(parentMessage({ deliveries: { ...escalated.deliveries, 'trigger:slack': { ...failedTrigger, status: 'delivered' } } })).toEqual({
      channel: 'C0INCIDENT',
      ts: '1600000000.000001',
    });
  });

  it('without a parent ref (webhook or outbox trigger, or none yet): a top-level message', async () => {
    await start();
    for (const ref of [undefined, 'outbox:3', 'not a ref']) {
      const incident = announced(makeNotice().incident, ref as string);
      await send(makeNotice({ event: 'resolve', incident: { ...incident, status: 'resolved', resolvedAt: '2024-01-15T11:00:00.000Z' } }));
    }
    expect(peer.topLevel()).toHaveLength(3);
    expect(peer.calls.every((c) => c.method === 'chat.postMessage' && c.args.thread_ts === undefined)).toBe(true);
  });

  it('an update whose incident has no first message yet waits for it (retryable, Retry-After beyond the budget), posting nothing', async () => {
    await start();
    const group = makeGroup(FIVE);
    for (const trigger of [
      { status: 'failed', attempts: 4, at: group.openedAt, retryable: true, error: 'slack: HTTP 500' },
      { status: 'pending', attempts: 0, at: group.openedAt, leaseUntil: '2024-01-15T10:06:00.000Z', owner: 'other' },
    ] satisfies DeliveryRecord[]) {
      const incident = { ...group, deliveries: { 'trigger:slack': trigger } };
      const r = await deliverWithRetry(notifier(), makeNotice({ event: 'update', incident, note: 'joined: DBCpu' }), { sleep: recordingSleep().sleep });
      expect(r).toMatchObject({ status: 'failed', attempts: 1, retryable: true, retryAfterMs: 60_000 });
      expect(r.error).toContain('first message has not landed yet');
    }
    expect(peer.calls).toEqual([]);
    // A trigger that failed for good (or went through the webhook) leaves a message of its own as the only way.
    const failed = {
      ...group,
      deliveries: { 'trigger:slack': { status: 'failed', attempts: 1, at: group.openedAt, retryable: false } satisfies DeliveryRecord },
    };
    expect((await deliverWithRetry(notifier(), makeNotice({ event: 'update', incident: failed }))).status).toBe('delivered');
    expect(peer.topLevel()).toHaveLength(1);
  });

  it('a failed chat.update (message_not_found, cant_update_message) does not lose the reply', async () => {
    await start();
    const first = await send(makeNotice());
    const failures: { ref: string; error: string }[] = [];
    for (const error of ['message_not_found', 'cant_update_message']) {
      peer.faults.push({ method: 'chat.update', error });
      const r = await deliverWithRetry(
        notifier({ onParentUpdateFailed: (f) => failures.push(f) }),
        makeNotice({ event: 'update', incident: announced(makeGroup(FIVE), first.ref ?? ''), note: 'joined: DBCpu' }),
      );
      expect(r).toMatchObject({ status: 'delivered', attempts: 1 });
    }
    expect(peer.replies(parseSlackRef(first.ref)?.ts ?? '')).toHaveLength(2);
    expect(failures.map((f) => f.error)).toEqual(['slack: chat.update: message_not_found', 'slack: chat.update: cant_update_message']);
    expect(failures[0].ref).toBe(first.ref);
  });

  it('a reply that fails is retried, and the retry repeats the (idempotent) parent edit', async () => {
    await start();
    const first = await send(makeNotice());
    peer.faults.push({ method: 'chat.postMessage', status: 500 });
    const { waits, sleep } = recordingSleep();
    const r = await deliverWithRetry(notifier(), makeNotice({ event: 'update', incident: announced(makeGroup(FIVE), first.ref ?? '') }), { sleep });
    expect(r).toMatchObject({ status: 'delivered', attempts: 2 });
    expect(waits).toHaveLength(1);
    const parentTs = parseSlackRef(first.ref)?.ts ?? '';
    expect(peer.replies(parentTs)).toHaveLength(1);
    expect(peer.find(parentTs)?.edits).toHaveLength(2);
  });
});

describe('SlackWebApiNotifier: faults through the shared retry rule', () => {
  it('a wrong bot token → invalid_auth, not retryable, the token never in the error', async () => {
    await start();
    const { waits, sleep } = recordingSleep();
    const r = await deliverWithRetry(notifier({ token: 'xoxb-wrong-secret-token' }), makeNotice(), { sleep });
    expect(r).toMatchObject({ status: 'failed', attempts: 1, retryable: false, error: 'slack: chat.postMessage: invalid_auth' });
    expect(waits).toEqual([]);
    expect(JSON.stringify(r)).not.toContain('xoxb-wrong-secret-token');
  });

  it.each(['channel_not_found', 'not_in_channel', 'msg_too_long', 'invalid_blocks', 'is_archived'])(
    'ok:false %s → failed at once, not retryable, the code in the error',
    async (code) => {
      await start();
      peer.faults.push({ error: code });
      const { waits, sleep } = recordingSleep();
      const r = await deliverWithRetry(notifier(), makeNotice(), { sleep });
      expect(r).toMatchObject({ status: 'failed', attempts: 1, retryable: false });
      expect(r.error).toBe(`slack: chat.postMessage: ${code}`);
      expect(waits).toEqual([]);
      expect(peer.messages).toEqual([]);
    },
  );

  it('a channel the peer does not know really answers channel_not_found', async () => {
    await start();
    const r = await deliverWithRetry(notifier({ channel: 'nope' }), makeNotice());
    expect(r).toMatchObject({ status: 'failed', retryable: false, error: 'slack: chat.postMessage: channel_not_found' });
  });

  it('ok:false internal_error and HTTP 500 are retryable: delivered on the next attempt', async () => {
    await start();
    peer.faults.push({ error: 'internal_error' }, { status: 500 });
    const { waits, sleep } = recordingSleep();
    const r = await deliverWithRetry(notifier(), makeNotice(), { sleep });
    expect(r).toMatchObject({ status: 'delivered', attempts: 3 });
    expect(waits).toHaveLength(2);
    expect(peer.messages).toHaveLength(1);
  });

  it('HTTP 429 Retry-After → DeliveryError retryable with retryAfterMs; the rule waits exactly that', async () => {
    await start();
    peer.faults.push({ status: 429, retryAfter: '2' });
    const err = await send(makeNotice()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeliveryError);
    expect(err).toMatchObject({ retryable: true, retryAfterMs: 2000, status: 429 });

    peer.faults.push({ status: 429, retryAfter: '3' });
    const { waits, sleep } = recordingSleep();
    const r = await deliverWithRetry(notifier(), makeNotice(), { sleep });
    expect(r).toMatchObject({ status: 'delivered', attempts: 2 });
    expect(waits).toEqual([3000]);
  });

  it('a Retry-After longer than the budget ends the series with retryAfterMs for a later run', async () => {
    await start();
    peer.faults.push({ status: 429, retryAfter: '30' });
    const r = await deliverWithRetry(notifier(), makeNotice(), { sleep: recordingSleep().sleep });
    expect(r).toMatchObject({ status: 'failed', attempts: 1, retryable: true, retryAfterMs: 30_000 });
    expect(r.error).toContain('HTTP 429');
  });

  it('a Retry-After given as an HTTP date is honoured too', async () => {
    await start();
    peer.faults.push({ status: 429, retryAfter: new Date(Date.now() + 3_600_000).toUTCString() });
    const err = (await send(makeNotice()).catch((e: unknown) => e)) as DeliveryError;
    expect(err).toBeInstanceOf(DeliveryError);
    expect(err.retryable).toBe(true);
    expect(err.retryAfterMs).toBeGreaterThan(60_000);
  });

  it('the AbortSignal ends a call that hangs: retryable, nothing recorded as sent', async () => {
    await start();
    peer.faults.push({ hang: true });
    const ctrl = new AbortController();
    peer.onCall = () => ctrl.abort(new Error('lambda ending'));
    const err = (await notifier()
      .send(makeNotice(), ctrl.signal)
      .catch((e: unknown) => e)) as DeliveryError;
    expect(err).toBeInstanceOf(DeliveryError);
    expect(err.retryable).toBe(true);
    expect(err.message).toContain('lambda ending');
    expect(peer.messages).toEqual([]);
  });

  it('concurrent sends on one notifier keep their own signals; clients are reused afterwards', async () => {
    await start();
    const n = notifier();
    peer.faults.push({ hang: true });
    const first = new AbortController();
    const hanging = n.send(makeNotice(), first.signal).catch((e: unknown) => e);
    await expect.poll(() => peer.calls.length, { timeout: 20_000, interval: 5 }).toBe(1);
    const second = await n.send(makeNotice(), new AbortController().signal);
    expect(parseSlackRef(second.ref)).not.toBeNull();
    first.abort(new Error('first cancelled'));
    expect(await hanging).toBeInstanceOf(DeliveryError);
    const third = await n.send(makeNotice(), new AbortController().signal);
    expect(parseSlackRef(third.ref)).not.toBeNull();
    expect(peer.messages).toHaveLength(2);
  });

  it('an attempt that hangs times out under the retry rule and the next one lands', async () => {
    await start();
    peer.faults.push({ hang: true });
    let attempt = 0;
    const attemptTimer = async (_ms: number, ended: AbortSignal) => {
      // attempt 1 runs out as soon as the peer holds its request; later attempts never time out
      if (++attempt === 1) await expect.poll(() => peer.calls.length, { timeout: 20_000, interval: 5 }).toBe(1);
      else await new Promise<void>((resolve) => ended.addEventListener('abort', () => resolve(), { once: true }));
    };
    const r = await deliverWithRetry(notifier(), makeNotice(), { attemptTimer, sleep: recordingSleep().sleep });
    expect(r).toMatchObject({ status: 'delivered', attempts: 2 });
    expect(peer.messages).toHaveLength(1);
  });

  it('a refused connection is retryable', async () => {
    await start();
    const url = peer.apiUrl;
    await peer.close();
    peers.splice(0);
    const r = await deliverWithRetry(notifier({ apiUrl: url }), makeNotice(), { sleep: recordingSleep().sleep, maxAttempts: 2 });
    expect(r).toMatchObject({ status: 'failed', attempts: 2, retryable: true });
    expect(r.error).toContain('ECONNREFUSED');
  });
});

describe('SlackWebApiNotifier: alarm text stays inert', () => {
  it('names with <!channel>, <@U123>, *bold* and links are escaped in the message, the reply and the parent edit', async () => {
    await start();
    const evil = makeGroup(['<!channel> DB down', '<@U123> *bold*', '<https://evil.example|click me>', '<!here|here>']);
    const first = await send(makeNotice({ incident: evil }));
    await send(makeNotice({ event: 'update', incident: announced(evil, first.ref ?? ''), note: 'joined: <!channel>, <@U123>' }));
    expect(peer.messages).toHaveLength(2);
    for (const m of peer.messages) {
      const all = [texts(m), ...m.edits.map((e) => JSON.stringify(e))].join('\n');
      expect(all).not.toMatch(/<!channel>|<!here|<@U123>|<https:\/\/evil/);
      expect(all).toContain('&lt;!channel&gt;');
    }
  });
});

describe('the registry chooses the Slack notifier', () => {
  const token = 'xoxb-registry-secret';
  it('bot token and channel → the Web API; otherwise the webhook; neither → the outbox', () => {
    const both = createNotifiers({ slackBotToken: token, slackChannel: '#incidents', slackWebhookUrl: 'https://hooks.slack.com/services/T/B/X' });
    expect(both.slack).toBeInstanceOf(SlackWebApiNotifier);
    expect(createNotifiers({ slackBotToken: token, slackWebhookUrl: 'https://hooks.slack.com/services/T/B/X' }).slack).toBeInstanceOf(SlackNotifier);
    expect(createNotifiers({ slackChannel: '#incidents', slackWebhookUrl: 'https://hooks.slack.com/services/T/B/X' }).slack).toBeInstanceOf(SlackNotifier);
    expect(createNotifiers({ slackBotToken: token }).slack.constructor.name).toBe('OutboxNotifier');
  });

  it('reads SLACK_BOT_TOKEN, SLACK_CHANNEL, SLACK_API_URL; the token is a secret', () => {
    const c = readConfig({ ROUTER_TABLE: 't', SLACK_BOT_TOKEN: token, SLACK_CHANNEL: 'C0INCIDENT', SLACK_API_URL: 'http://127.0.0.1:9/api/' });
    expect(c).toMatchObject({ slackBotToken: token, slackChannel: 'C0INCIDENT', slackApiUrl: 'http://127.0.0.1:9/api/' });
    expect(channelSecrets(c)).toContain(token);
    expect(secretValues(c)).toContain(token);
    expect(() => readConfig({ ROUTER_TABLE: 't', SLACK_API_URL: 'not a url' })).toThrow(/SLACK_API_URL: expected a URL/);
  });

  it('the configured Web API notifier posts to SLACK_API_URL', async () => {
    await start();
    const { slack } = createNotifiers({ slackBotToken: peer.token, slackChannel: '#incidents', slackApiUrl: peer.apiUrl.replace(/\/$/, '') });
    const r = await deliverWithRetry(slack, makeNotice());
    expect(r.status).toBe('delivered');
    expect(peer.messages).toHaveLength(1);
  });
});

describe('the loopback peer', () => {
  it('takes JSON bodies too (token in the header), and refuses a missing token', async () => {
    await start();
    const post = (body: unknown, headers: Record<string, string>) =>
      fetch(`${peer.apiUrl}chat.postMessage`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) }).then(
        (r) => r.json() as Promise<{ ok: boolean; error?: string; ts?: string }>,
      );
    const ok = await post({ channel: 'C0INCIDENT', text: 'hi', blocks: [{ type: 'divider' }] }, { authorization: `Bearer ${peer.token}` });
    expect(ok).toMatchObject({ ok: true });
    expect(peer.find(ok.ts ?? '')?.blocks).toEqual([{ type: 'divider' }]);
    expect(await post({ channel: 'C0INCIDENT', text: 'hi' }, {})).toEqual({ ok: false, error: 'not_authed' });
    expect(await post({ channel: 'C0INCIDENT', text: 'x'.repeat(40_001) }, { authorization: `Bearer ${peer.token}` })).toEqual({
      ok: false,
      error: 'msg_too_long',
    });
  });
});

describe('through the router: alarm, slash-command ack, OK', () => {
  it('one chat.postMessage per incident; the ack and the resolve are thread replies that edit the parent', async () => {
    await start();
    const env = await routerWithPeers({ SLACK_BOT_TOKEN: peer.token, SLACK_CHANNEL: '#incidents', SLACK_API_URL: peer.apiUrl, SLACK_WEBHOOK_URL: '' });
    try {
      expect(env.rt.notifiers.slack).toBeInstanceOf(SlackWebApiNotifier);
      const at = new Date('2026-11-20T10:00:00.000Z');
      const alarm = (state: 'ALARM' | 'OK', t: Date) => {
        const body = snsNotification(RUNBOOK_ALARMS[0], state, t);
        return parseSnsMessage({ ...body, Subject: body.Subject ?? null }, 'Sns');
      };
      const opened = await processNotification(alarm('ALARM', at), env.rt);
      const id = opened.incidentId ?? '';
      expect(peer.topLevel()).toHaveLength(1);
      const parentTs = peer.topLevel()[0].ts;
      expect((await env.rt.store.getIncident(id))?.deliveries['trigger:slack'].ref).toBe(`${peer.channelId}:${parentTs}`);
      expect(env.slack.received).toEqual([]); // the webhook peer hears nothing

      const reply = await runSlashCommand(env.rt, { command: '/incident', text: `ack ${id}`, userId: 'U024BE7LH', userName: 'alice', responseUrl: null });
      expect(reply.text).toContain('@alice acknowledged');
      expect(peer.replies(parentTs)).toHaveLength(1);
      expect(peer.find(parentTs)?.text).toMatch(/^:eyes: \*Acknowledged\* by @alice at /);

      await processNotification(alarm('OK', new Date(at.getTime() + 60_000)), env.rt);
      expect((await env.rt.store.getIncident(id))?.status).toBe('resolved');
      expect(peer.replies(parentTs)).toHaveLength(2);
      expect(peer.find(parentTs)?.text).toMatch(/^:white_check_mark: \*Resolved\*/);
      expect(peer.topLevel()).toHaveLength(1);
      expect(peer.find(parentTs)?.edits).toHaveLength(2);
    } finally {
      await env.close();
    }
  });
});
