/**
 * The send thread of `npm start` (packages/local/src/send-thread.ts): the webhook channels' HTTP on a worker,
 * against loopback peers. Every outcome a notifier reads in-thread must come through unchanged: status, body,
 * Retry-After, an abort by the attempt's deadline, a network error, a thread that dies.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DeliveryError } from '@alert-router/core/errors';
import { pooledFetch, useHttpTransport } from '@alert-router/aws/notifiers/http';
import { SlackNotifier } from '@alert-router/aws/notifiers/slack';
import { PagerDutyNotifier } from '@alert-router/aws/notifiers/pagerduty';
import { startSendThread, type SendThread } from '../packages/local/src/send-thread';
import { EmailNotifier, useSmtpTransport } from '@alert-router/aws/notifiers/email';
import { startPagerDutyPeer, startSlackPeer, startSmtpPeer, type HttpPeer } from './helpers/peers';
import { makeNotice } from './helpers/incident-factory';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

function thread(): SendThread {
  const t = startSendThread();
  cleanups.push(() => t.close());
  return t;
}

async function peer(start: () => Promise<HttpPeer>): Promise<HttpPeer> {
  const p = await start();
  cleanups.push(() => p.close());
  return p;
}

const notice = () => makeNotice();

describe('send thread', () => {
  it('returns the status, headers and body the peer sent, and the peer gets the request as sent', async () => {
    const slack = await peer(startSlackPeer);
    slack.script.push({ status: 201, body: '{"a":1}', headers: { 'x-thing': 'yes' } });
    const t = thread();
    const res = await t.fetch(`${slack.url}/services/T/B/X`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text":"hé"}' });
    expect(res.status).toBe(201);
    expect(res.ok).toBe(true);
    expect(res.headers.get('X-Thing')).toBe('yes');
    expect(await res.json()).toEqual({ a: 1 });
    expect(slack.received[0]).toMatchObject({ path: '/services/T/B/X', body: { text: 'hé' } });
    expect(slack.received[0].headers['content-length']).toBe(String(Buffer.byteLength('{"text":"hé"}')));
    expect(t.inFlight()).toBe(0);
  });

  it('hands what a callback sends to the thread as one message before the event loop runs anything queued meanwhile', async () => {
    const slack = await peer(startSlackPeer);
    const t = thread();
    const post = vi.spyOn(Worker.prototype, 'postMessage');
    cleanups.push(() => post.mockRestore());
    // Queued first, as the next request's callbacks are when a fan-out starts after its answer: with the batch
    // flushed in a check phase of its own, this ran first and the notices waited behind it.
    let postedBefore = -1;
    setImmediate(() => (postedBefore = post.mock.calls.length));
    const url = `${slack.url}/services/T/B/X`;
    const sends = [1, 2, 3].map((i) => t.fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: `{"text":"${i}"}` }));
    await Promise.all(sends);
    expect(postedBefore).toBe(1);
    expect((post.mock.calls[0][0] as unknown[]).length).toBe(3);
    expect(slack.received.map((r) => (r.body as { text: string }).text).sort()).toEqual(['1', '2', '3']);
  });

  it("carries Slack's 429 Retry-After and 500 to the notifier as the same DeliveryErrors as in-thread", async () => {
    const slack = await peer(startSlackPeer);
    const t = thread();
    const url = `${slack.url}/services/T/B/X`;
    const outcome = async (fetch: typeof pooledFetch) => {
      const n = new SlackNotifier({ webhookUrl: url, fetch });
      return n.send(notice(), new AbortController().signal).catch((e: unknown) => e);
    };
    for (const fetch of [t.fetch, pooledFetch]) {
      slack.script.push({ status: 429, body: 'rate_limited', headers: { 'retry-after': '7' } });
      const limited = await outcome(fetch);
      expect(limited).toBeInstanceOf(DeliveryError);
      expect(limited).toMatchObject({ retryable: true, status: 429, retryAfterMs: 7000 });
      slack.script.push({ status: 500, body: 'oops' });
      expect(await outcome(fetch)).toMatchObject({ retryable: true, status: 500 });
      slack.script.push({ status: 400, body: 'invalid_payload' });
      expect(await outcome(fetch)).toMatchObject({ retryable: false, status: 400 });
    }
  });

  it('PagerDuty through the thread: 202 is sent, 400 is not retried', async () => {
    const pd = await peer(startPagerDutyPeer);
    const t = thread();
    const n = new PagerDutyNotifier({ routingKey: 'R0UT1NGKEY0000000000000000000000', eventsUrl: pd.url, fetch: t.fetch });
    await n.send(notice(), new AbortController().signal);
    expect(pd.received).toHaveLength(1);
    pd.script.push({ status: 400, body: '{"status":"invalid event","errors":["bad"]}' });
    expect(await n.send(notice(), new AbortController().signal).catch((e: unknown) => e)).toMatchObject({ retryable: false, status: 400 });
  });

  it('an abort rejects at once and closes the request on the peer', async () => {
    let closed!: () => void;
    const peerClosed = new Promise<void>((r) => (closed = r));
    let arrived!: () => void;
    const peerArrived = new Promise<void>((r) => (arrived = r));
    const server: Server = createServer((req) => {
      arrived();
      req.socket.on('close', closed); // never answers
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))));
    const t = thread();
    const ac = new AbortController();
    const pending = t.fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, { method: 'POST', body: 'x', signal: ac.signal });
    await peerArrived;
    ac.abort(new DOMException('deadline', 'TimeoutError'));
    await expect(pending).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(t.inFlight()).toBe(0);
    await peerClosed;
    // already aborted: never sent
    await expect(t.fetch('http://127.0.0.1:9/', { signal: ac.signal })).rejects.toMatchObject({ name: 'TimeoutError' });
  });

  it('a refused connection is a network error the delivery rule retries', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    await new Promise<void>((r) => server.close(() => r()));
    const t = thread();
    const n = new SlackNotifier({ webhookUrl: `http://127.0.0.1:${port}/services/T/B/X`, fetch: t.fetch });
    expect(await n.send(notice(), new AbortController().signal).catch((e: unknown) => e)).toMatchObject({ retryable: true });
  });

  it('a thread that dies fails what it held as a network error, and the next request starts a new one', async () => {
    const slack = await peer(startSlackPeer);
    let release!: () => void;
    slack.script.push({ status: 200, body: 'ok', until: new Promise<void>((r) => (release = r)) });
    let arrived!: () => void;
    const held = new Promise<void>((r) => (arrived = r));
    slack.onArrive = () => arrived();
    const t = thread();
    const url = `${slack.url}/services/T/B/X`;
    const pending = t.fetch(url, { method: 'POST', body: '{}' }).catch((e: unknown) => e);
    await held;
    await t.kill(); // the thread is gone with the request in it, as in a crash
    release();
    const err = await pending;
    expect(err).toMatchObject({ code: 'ECONNRESET' });
    const again = await t.fetch(url, { method: 'POST', body: '{}' });
    expect(again.status).toBe(200);
  });

  it('after close nothing is sent: a request fails at once as a network error (the sweep resends it after a restart)', async () => {
    const slack = await peer(startSlackPeer);
    const t = thread();
    const url = `${slack.url}/services/T/B/X`;
    expect((await t.fetch(url, { method: 'POST', body: '{}' })).status).toBe(200);
    await t.close();
    expect(await t.fetch(url, { method: 'POST', body: '{}' }).catch((e: unknown) => e)).toMatchObject({ code: 'ECONNRESET' });
    expect(slack.received).toHaveLength(1);
  });

  it('a request that cannot be made fails alone with its own error; the thread and the requests beside it go on', async () => {
    const slack = await peer(startSlackPeer);
    const t = thread();
    const url = `${slack.url}/services/T/B/X`;
    const [bad, good] = await Promise.all([
      t.fetch(url, { method: 'POST', headers: { authorization: 'Bearer abc\r\nX-Evil: 1' }, body: '{}' }).catch((e: unknown) => e),
      t.fetch(url, { method: 'POST', body: '{"ok":1}' }),
    ]);
    expect(bad).toMatchObject({ code: 'ERR_INVALID_CHAR' });
    expect(good.status).toBe(200);
    const n = new SlackNotifier({ webhookUrl: url, fetch: t.fetch });
    await n.send(notice(), new AbortController().signal);
    expect(slack.received.map((r) => r.body)).toEqual([{ ok: 1 }, expect.objectContaining({})]);
    expect(slack.received).toHaveLength(2);
  });

  it('useHttpTransport sends pooledFetch through the thread until undone, and an undo leaves a newer transport', async () => {
    const slack = await peer(startSlackPeer);
    const t = thread();
    const seen: string[] = [];
    const spy: typeof pooledFetch = (url, init) => {
      seen.push(String(url));
      return t.fetch(url, init);
    };
    const undo = useHttpTransport(spy);
    cleanups.push(undo);
    await pooledFetch(`${slack.url}/one`, { method: 'POST', body: '{}' });
    const other: typeof pooledFetch = (url, init) => {
      seen.push(`other ${String(url)}`);
      return t.fetch(url, init);
    };
    const undoOther = useHttpTransport(other);
    undo(); // not the current one any more: no effect
    await pooledFetch(`${slack.url}/two`, { method: 'POST', body: '{}' });
    undoOther();
    await pooledFetch(`${slack.url}/three`, { method: 'POST', body: '{}' });
    expect(seen).toEqual([`${slack.url}/one`, `other ${slack.url}/two`]);
    expect(slack.received.map((r) => r.path)).toEqual(['/one', '/two', '/three']);
  });

  it('email through the thread: the SMTP peer gets the bytes composed in-thread; 550 is final, 451 is retried', async () => {
    const smtp = await startSmtpPeer();
    cleanups.push(() => smtp.close());
    const t = thread();
    const n = new EmailNotifier({ transport: smtp.url, from: 'router@example.com', to: ['team@example.com'] });
    const undo = useSmtpTransport(t.smtpTransport);
    cleanups.push(undo);
    cleanups.push(() => n.close());
    const sent = await n.send(notice(), new AbortController().signal);
    expect(smtp.messages).toHaveLength(1);
    expect(smtp.messages[0]).toMatchObject({ from: 'router@example.com', to: ['team@example.com'] });
    expect(smtp.messages[0].raw).toContain(`Message-ID: ${sent.ref}`);
    smtp.script.push(550);
    expect(await n.send(notice(), new AbortController().signal).catch((e: unknown) => e)).toMatchObject({ retryable: false, status: 550 });
    smtp.script.push(451);
    expect(await n.send(notice(), new AbortController().signal).catch((e: unknown) => e)).toMatchObject({ retryable: true, status: 451 });
    expect(smtp.messages).toHaveLength(1);
    expect(t.inFlight()).toBe(0);
  });

  it('an email whose attempt is aborted rejects at once as a timeout the rule retries', async () => {
    const t = thread();
    const ac = new AbortController();
    ac.abort(new DOMException('deadline', 'TimeoutError'));
    const transporter = t.smtpTransport('smtp://127.0.0.1:9');
    const err = await transporter.sendMail({ raw: Buffer.from('x'), envelope: { from: 'a@b.c', to: ['d@e.f'] }, signal: ac.signal }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'TimeoutError' });
  });
});
