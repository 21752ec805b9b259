/**
 * The webhook channels' HTTP client (notifiers/http.ts pooledFetch): one keep-alive pool per process, so
 * sequential notices reuse one connection; aborts really close the socket; a pooled socket the peer closed
 * is replaced without failing the delivery. Real loopback peers; every wait is on an event, none on time.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeHttpPool, pooledFetch } from '../packages/aws/src/notifiers/http';
import { createNotifiers } from '../packages/aws/src/notifiers/channels';
import { OutboxBuffer } from '../packages/aws/src/notifiers/outbox';
import { deliverWithRetry } from '../packages/aws/src/notifiers/retry';
import { makeNotice } from './helpers/incident-factory';

interface Peer {
  url: string;
  /** Server-side TCP connections accepted so far. */
  connections: Socket[];
  /** Requests seen, with the index of the connection each came on. */
  requests: { path: string; connection: number; body: string }[];
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse, info: { connection: number; nthOnConnection: number; body: string }) => void;

const ok: Handler = (req, res) => {
  const pd = req.url?.startsWith('/v2/enqueue');
  res.writeHead(pd ? 202 : 200, { 'content-type': pd ? 'application/json' : 'text/html' });
  res.end(pd ? JSON.stringify({ status: 'success', message: 'Event processed', dedup_key: 'k' }) : 'ok');
};

const peers: Peer[] = [];

async function peer(handler: Handler = ok): Promise<Peer> {
  const connections: Socket[] = [];
  const requests: Peer['requests'] = [];
  const perConnection = new Map<Socket, number>();
  const server: Server = createServer((req, res) => {
    const socket = req.socket;
    const connection = connections.indexOf(socket);
    const nth = (perConnection.get(socket) ?? 0) + 1;
    perConnection.set(socket, nth);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      requests.push({ path: req.url ?? '', connection, body });
      handler(req, res, { connection, nthOnConnection: nth, body });
    });
  });
  server.on('connection', (s: Socket) => connections.push(s));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const p: Peer = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connections,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  peers.push(p);
  return p;
}

beforeEach(() => closeHttpPool());
afterEach(async () => {
  closeHttpPool();
  while (peers.length) await peers.pop()!.close();
});

const quiet = { outbox: new OutboxBuffer(), print: () => undefined };

describe('keep-alive pool', () => {
  it('making the notifiers connects nowhere; N sequential Slack and PagerDuty notices reuse one connection', async () => {
    const p = await peer();
    const n = createNotifiers({ slackWebhookUrl: `${p.url}/services/T/B/X`, pagerdutyRoutingKey: 'K', pagerdutyEventsUrl: `${p.url}/v2/enqueue` }, quiet);
    expect(p.connections).toHaveLength(0);
    const N = 6;
    for (let i = 0; i < N; i++) {
      const notifier = i % 2 === 0 ? n.slack : n.pagerduty;
      const r = await deliverWithRetry(notifier, makeNotice());
      expect(r, `notice ${i}`).toMatchObject({ status: 'delivered', attempts: 1 });
    }
    expect(p.requests).toHaveLength(N);
    expect(p.connections).toHaveLength(1);
    expect(new Set(p.requests.map((r) => r.connection))).toEqual(new Set([0]));
  });

  it('concurrent requests open at most one connection each, and the next burst reuses them', async () => {
    const p = await peer();
    const burst = () => Promise.all(Array.from({ length: 4 }, () => pooledFetch(`${p.url}/x`, { method: 'POST', body: '{}' }).then((r) => r.text())));
    await burst();
    const afterFirst = p.connections.length;
    expect(afterFirst).toBeGreaterThanOrEqual(1);
    expect(afterFirst).toBeLessThanOrEqual(4);
    await burst();
    expect(p.connections).toHaveLength(afterFirst);
    expect(p.requests).toHaveLength(8);
  });

  it('a pooled connection the peer dropped is replaced: the notice is still delivered in one attempt', async () => {
    // The peer answers the first request on each connection and drops the connection at the second, as a
    // server does that closed an idle keep-alive socket the client had not yet seen close.
    const p = await peer((req, res, info) => {
      if (info.nthOnConnection > 1) return req.socket.destroy();
      ok(req, res, info);
    });
    const { slack } = createNotifiers({ slackWebhookUrl: `${p.url}/services/T/B/X` }, quiet);
    expect(await deliverWithRetry(slack, makeNotice())).toMatchObject({ status: 'delivered', attempts: 1 });
    expect(await deliverWithRetry(slack, makeNotice())).toMatchObject({ status: 'delivered', attempts: 1 });
    expect(p.connections).toHaveLength(2);
  });
});

describe('aborts', () => {
  it('an abort before the answer destroys the socket and rejects with the signal reason', async () => {
    const p = await peer(() => undefined); // never answers
    const ctrl = new AbortController();
    const pending = pooledFetch(`${p.url}/hang`, { method: 'POST', body: '{}', signal: ctrl.signal });
    await expect.poll(() => p.requests.length, { timeout: 10_000 }).toBe(1);
    const serverSide = p.connections[0];
    const closed = once(serverSide, 'close');
    ctrl.abort(new DOMException('attempt timed out after 5 ms', 'TimeoutError'));
    await expect(pending).rejects.toMatchObject({ name: 'TimeoutError' });
    await closed; // the peer saw the connection go: the abort was real, not just a promise that stopped waiting
  });

  it('an abort in the middle of the body rejects text() and closes the socket', async () => {
    const p = await peer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '100' });
      res.write('partial'); // and never the rest
    });
    const ctrl = new AbortController();
    const res = await pooledFetch(`${p.url}/slow-body`, { method: 'POST', body: '{}', signal: ctrl.signal });
    expect(res.status).toBe(200);
    const closed = once(p.connections[0], 'close');
    ctrl.abort(new DOMException('attempt timed out', 'TimeoutError'));
    await expect(res.text()).rejects.toMatchObject({ name: 'TimeoutError' });
    await closed;
  });

  it('a notice to a peer that never answers fails as a retryable timeout, each attempt on a new socket', async () => {
    const p = await peer(() => undefined);
    const { pagerduty } = createNotifiers({ pagerdutyRoutingKey: 'K', pagerdutyEventsUrl: `${p.url}/v2/enqueue` }, quiet);
    // attemptTimeoutMs is the budget of each attempt; the injected sleep makes the backoff instant.
    const r = await deliverWithRetry(pagerduty, makeNotice(), { maxAttempts: 2, attemptTimeoutMs: 50, budgetMs: 60_000, sleep: async () => undefined });
    expect(r).toMatchObject({ status: 'failed', attempts: 2, retryable: true });
    expect(r.error).toMatch(/timed out/);
    expect(p.connections).toHaveLength(2);
    await expect.poll(() => p.connections.every((s) => s.destroyed), { timeout: 10_000 }).toBe(true);
  });
});

describe('responses', () => {
  it('keeps status, Retry-After and body, and does not follow redirects', async () => {
    const p = await peer((req, res) => {
      if (req.url === '/moved') {
        res.writeHead(301, { location: `${p.url}/elsewhere` }).end();
        return;
      }
      res.writeHead(429, { 'retry-after': '2', 'content-type': 'text/plain' }).end('rate_limited');
    });
    const limited = await pooledFetch(`${p.url}/x`, { method: 'POST', body: 'ü' });
    expect(limited).toMatchObject({ ok: false, status: 429 });
    expect(limited.headers.get('Retry-After')).toBe('2');
    expect(await limited.text()).toBe('rate_limited');
    expect(p.requests[0].body).toBe('ü');

    const moved = await pooledFetch(`${p.url}/moved`, { method: 'POST', body: '{}' });
    expect(moved.status).toBe(301);
    expect(p.requests.map((r) => r.path)).toEqual(['/x', '/moved']);
  });
});
