/**
 * Notifiers against real protocol peers on loopback: a node:http server speaking Slack's incoming
 * webhook contract, one speaking PagerDuty Events API v2, and smtp-server (read back with mailparser).
 * Plus the shared retry rule with scripted notifiers.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { simpleParser, type ParsedMail, type AddressObject } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { DeliveryError, type Notice, type Notifier } from '@alert-router/core';
import {
  createNotifiers,
  deliverWithRetry,
  EmailNotifier,
  OutboxBuffer,
  OutboxNotifier,
  PagerDutyNotifier,
  parseRetryAfter,
  SlackNotifier,
  type DeliveryOutcome,
  type OutboxEntry,
} from '../packages/aws/src/notifiers/index';
import { makeIncident, makeNotice, resolved } from './helpers/incident-factory';

// ---------------------------------------------------------------------------------------------
// Loopback peers

interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  /** Never answer this request. */
  hang?: boolean;
}

interface Recorded {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

interface HttpPeer {
  url: string;
  requests: Recorded[];
  close(): Promise<void>;
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** An HTTP server answering from a script; after the script, `fallback`. */
async function httpPeer(path: string, script: Reply[], fallback: Reply): Promise<HttpPeer> {
  const requests: Recorded[] = [];
  const queue = [...script];
  const server: Server = createHttpServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      if (req.method !== 'POST' || req.url !== path) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('no_service');
        return;
      }
      const reply = queue.shift() ?? fallback;
      if (reply.hang) return; // keep the socket open, say nothing
      res.writeHead(reply.status, reply.headers ?? { 'content-type': 'text/plain' }).end(reply.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const peer: HttpPeer = {
    url: `http://127.0.0.1:${port}${path}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  cleanups.push(peer.close);
  return peer;
}

/** Slack's incoming webhook contract: 200 "ok", 400 invalid_payload, 429 + Retry-After, 500. */
const SLACK_PATH = '/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX';
const slackOk: Reply = { status: 200, body: 'ok', headers: { 'content-type': 'text/html' } };
const slackPeer = (script: Reply[] = []) => httpPeer(SLACK_PATH, script, slackOk);

/** PagerDuty Events API v2: 202 success, 400 invalid event, 429, 5xx. */
const pdAccepted = (dedupKey: string): Reply => ({
  status: 202,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ status: 'success', message: 'Event processed', dedup_key: dedupKey }),
});
const pdPeer = (script: Reply[], dedupKey = 'srv-dedup') => httpPeer('/v2/enqueue', script, pdAccepted(dedupKey));

/** Records the waits instead of waiting (and, with `clock`, advances a fake clock). */
function recordingSleep(clock?: { t: number }) {
  const waits: number[] = [];
  const sleep = async (ms: number) => {
    waits.push(ms);
    if (clock) clock.t += ms;
  };
  return { waits, sleep };
}

const notice = (overrides: Partial<Notice> = {}) => makeNotice(overrides);

/**
 * Time driven by events, not by the machine's speed: attempt k runs out once `arrived(k)` holds (the peer has
 * seen the k-th request), then the fake clock moves by the attempt's time, and waits move it too, so the budget
 * is spent exactly as on a real clock. Jitter is fixed at its low end.
 */
function eventTime(arrived: (k: number) => boolean) {
  const clock = { t: 0 };
  const timeouts: number[] = [];
  const attemptTimer = async (ms: number) => {
    const k = timeouts.push(ms);
    await expect.poll(() => arrived(k), { timeout: 20_000, interval: 5 }).toBe(true);
    clock.t += ms;
  };
  return { timeouts, options: { now: () => clock.t, sleep: recordingSleep(clock).sleep, attemptTimer, random: () => 0 } };
}

// ---------------------------------------------------------------------------------------------

describe('Retry-After parsing', () => {
  it('reads delta-seconds and HTTP dates', () => {
    const now = Date.parse('2024-01-15T10:00:00Z');
    expect(parseRetryAfter('1', now)).toBe(1000);
    expect(parseRetryAfter(' 2.5 ', now)).toBe(2500);
    expect(parseRetryAfter('Mon, 15 Jan 2024 10:00:03 GMT', now)).toBe(3000);
    expect(parseRetryAfter('Mon, 15 Jan 2024 09:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('-1', now)).toBeUndefined();
  });
});

describe('deliverWithRetry (the shared rule)', () => {
  const scripted = (outcomes: (Error | 'ok' | 'hang')[], calls: { signal: AbortSignal }[] = []): Notifier => ({
    channel: 'slack',
    async send(_n, signal) {
      calls.push({ signal });
      const next = outcomes.shift() ?? 'ok';
      if (next === 'ok') return { ref: 'r1' };
      if (next === 'hang') return new Promise(() => {}); // ignores the signal on purpose
      throw next;
    },
  });
  const retryable = (status = 503) => new DeliveryError(`HTTP ${status}`, { retryable: true, status });

  it('retries retryable errors with bounded, jittered exponential backoff, at most maxAttempts', async () => {
    const { waits, sleep } = recordingSleep();
    const r = await deliverWithRetry(scripted([retryable(), retryable(), retryable(), retryable(), retryable()]), notice(), {
      sleep,
      baseDelayMs: 200,
      maxDelayMs: 500,
      random: () => 0.999,
    });
    expect(r).toMatchObject({ status: 'failed', attempts: 4, retryable: true });
    expect(r.error).toContain('HTTP 503');
    expect(waits).toHaveLength(3);
    expect(waits[0]).toBeGreaterThanOrEqual(100);
    expect(waits[0]).toBeLessThanOrEqual(200);
    expect(waits[1]).toBeGreaterThanOrEqual(200);
    expect(waits[1]).toBeLessThanOrEqual(400);
    expect(waits[2]).toBeLessThanOrEqual(500); // capped
    const low = recordingSleep();
    await deliverWithRetry(scripted([retryable(), retryable()]), notice(), { sleep: low.sleep, random: () => 0 });
    expect(low.waits).toEqual([100, 200]); // equal jitter: never below half the step
  });

  it('does not retry a non-retryable failure, nor an unexpected bug', async () => {
    const calls: { signal: AbortSignal }[] = [];
    const r = await deliverWithRetry(scripted([new DeliveryError('HTTP 403', { retryable: false, status: 403 })], calls), notice(), {
      sleep: recordingSleep().sleep,
    });
    expect(r).toMatchObject({ status: 'failed', attempts: 1, retryable: false, error: 'HTTP 403' });
    expect(calls).toHaveLength(1);
    const bug = await deliverWithRetry(scripted([new TypeError("Cannot read properties of undefined (reading 'x')")]), notice(), {
      sleep: recordingSleep().sleep,
    });
    expect(bug).toMatchObject({ status: 'failed', attempts: 1, retryable: false });
  });

  it('a network-looking error is retried', async () => {
    const err = Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNRESET' } });
    const r = await deliverWithRetry(scripted([err]), notice(), { sleep: recordingSleep().sleep });
    expect(r).toMatchObject({ status: 'delivered', attempts: 2, ref: 'r1' });
  });

  it('waits exactly Retry-After, and gives up at once when it does not fit the budget', async () => {
    const rateLimited = (ms: number) => new DeliveryError('HTTP 429', { retryable: true, status: 429, retryAfterMs: ms });
    const ok = recordingSleep();
    expect(await deliverWithRetry(scripted([rateLimited(1500)]), notice(), { sleep: ok.sleep })).toMatchObject({ status: 'delivered', attempts: 2 });
    expect(ok.waits).toEqual([1500]);
    const tooLong = recordingSleep();
    const r = await deliverWithRetry(scripted([rateLimited(30_000)]), notice(), { sleep: tooLong.sleep, budgetMs: 8000 });
    expect(r).toMatchObject({ status: 'failed', attempts: 1, retryable: true });
    expect(r.error).toContain('Retry-After 30 s does not fit');
    expect(tooLong.waits).toEqual([]);
  });

  it('stays inside the budget by the injected clock', async () => {
    const clock = { t: 0 };
    const { waits, sleep } = recordingSleep(clock);
    const r = await deliverWithRetry(scripted(Array.from({ length: 10 }, () => retryable())), notice(), {
      sleep,
      now: () => clock.t,
      budgetMs: 700,
      baseDelayMs: 400,
      maxAttempts: 10,
      random: () => 1,
    });
    // 1st wait 400 fits (400 + 25 <= 700), the 2nd (800) does not
    expect(waits).toEqual([400]);
    expect(r).toMatchObject({ status: 'failed', attempts: 2 });
    expect(r.error).toContain('budget');
  });

  it('abandons an attempt at its timeout even when the notifier ignores the signal, within the budget', async () => {
    const calls: { signal: AbortSignal }[] = [];
    const { timeouts, options } = eventTime((k) => calls.length >= k);
    const r = await deliverWithRetry(scripted(['hang', 'hang', 'hang'], calls), notice(), {
      attemptTimeoutMs: 150,
      budgetMs: 400,
      baseDelayMs: 10,
      ...options,
    });
    expect(r.status).toBe('failed');
    expect(r.error).toMatch(/timed out after \d+ ms/);
    // 150 (t=150), wait 5, 150 (t=305), wait 10, then only 85 ms of budget left for the third attempt.
    expect(timeouts).toEqual([150, 150, 85]);
    expect(r.attempts).toBe(3);
    expect(calls).toHaveLength(3);
    expect(calls.every((c) => c.signal.aborted)).toBe(true);
    expect(r.elapsedMs).toBeLessThanOrEqual(400);
  });

  it('never throws, whatever the notifier does', async () => {
    const weird: Notifier = {
      channel: 'email',
      send() {
        throw 'a string, not an Error'; // synchronous, not even an Error
      },
    };
    const r = await deliverWithRetry(weird, notice(), { sleep: recordingSleep().sleep });
    expect(r.status).toBe('failed');
    expect(r.error).toContain('a string, not an Error');
    const badClock = await deliverWithRetry(scripted(['ok']), notice(), {
      now: () => {
        throw new Error('clock broke');
      },
    });
    expect(badClock.status).toBe('failed');
  });

  it('stops when the caller cancels', async () => {
    const ctrl = new AbortController();
    const calls: { signal: AbortSignal }[] = [];
    const hangsThenCancelled: Notifier = {
      channel: 'slack',
      send(n, signal) {
        calls.push({ signal });
        queueMicrotask(() => ctrl.abort(new Error('lambda ending'))); // the Lambda ends while the attempt hangs
        return new Promise(() => {});
      },
    };
    const r = await deliverWithRetry(hangsThenCancelled, notice(), { signal: ctrl.signal, attemptTimeoutMs: 5000 });
    expect(calls[0].signal.aborted).toBe(true);
    expect(r).toMatchObject({ status: 'failed', attempts: 1 });
    expect(r.error).toContain('lambda ending');
  });
});

// ---------------------------------------------------------------------------------------------

describe('SlackNotifier against a loopback Slack webhook', () => {
  it('posts the Block Kit message and is delivered on 200 "ok"', async () => {
    const peer = await slackPeer();
    const r = await deliverWithRetry(new SlackNotifier({ webhookUrl: peer.url }), notice());
    expect(r).toMatchObject({ status: 'delivered', attempts: 1 });
    expect(peer.requests).toHaveLength(1);
    const req = peer.requests[0];
    expect(req.headers['content-type']).toContain('application/json');
    const body = JSON.parse(req.body);
    expect(body.text).toContain('INC-7F3A9K2M');
    expect(body.blocks[0].type).toBe('header');
    expect(body.attachments[0].color).toBe('#D32F2F');
    const actions = body.attachments[0].blocks.find((b: { type: string }) => b.type === 'actions');
    expect(actions.elements.map((e: { action_id: string }) => e.action_id)).toEqual(['incident_ack', 'incident_resolve']);
    expect(body).not.toHaveProperty('retryConfig');
    expect(body).not.toHaveProperty('fetch');
  });

  it('429 with Retry-After: 1 then 200: delivered in 2 attempts after waiting exactly a second', async () => {
    const peer = await slackPeer([{ status: 429, headers: { 'retry-after': '1', 'content-type': 'text/plain' }, body: 'rate_limited' }]);
    const delays: number[] = [];
    const { waits, sleep } = recordingSleep();
    const r = await deliverWithRetry(new SlackNotifier({ webhookUrl: peer.url }), notice(), {
      sleep,
      onRetry: (info) => delays.push(info.delayMs),
    });
    expect(r).toMatchObject({ status: 'delivered', attempts: 2 });
    expect(delays).toEqual([1000]);
    expect(waits).toEqual([1000]); // the second request went out only after the one wait of Retry-After
    expect(peer.requests).toHaveLength(2);
  });

  it('500 twice then 200: delivered in 3 attempts', async () => {
    const peer = await slackPeer([
      { status: 500, body: 'rollup_error' },
      { status: 500, body: 'rollup_error' },
    ]);
    const { waits, sleep } = recordingSleep();
    const r = await deliverWithRetry(new SlackNotifier({ webhookUrl: peer.url }), notice(), { sleep });
    expect(r).toMatchObject({ status: 'delivered', attempts: 3 });
    expect(peer.requests).toHaveLength(3);
    expect(waits).toHaveLength(2);
  });

  it('400 invalid_payload fails after one attempt and is not retried', async () => {
    const peer = await slackPeer([{ status: 400, body: 'invalid_payload' }]);
    const { waits, sleep } = recordingSleep();
    const r = await deliverWithRetry(new SlackNotifier({ webhookUrl: peer.url }), notice(), { sleep });
    expect(r).toMatchObject({ status: 'failed', attempts: 1, retryable: false });
    expect(r.error).toBe('slack: HTTP 400: invalid_payload');
    expect(peer.requests).toHaveLength(1);
    expect(waits).toEqual([]);
  });

  it('a refused connection is retryable and fails after maxAttempts without leaking the webhook URL', async () => {
    const peer = await slackPeer();
    const url = peer.url;
    await peer.close();
    const { waits, sleep } = recordingSleep();
    const r = await deliverWithRetry(new SlackNotifier({ webhookUrl: url }), notice(), { sleep, maxAttempts: 3 });
    expect(r).toMatchObject({ status: 'failed', attempts: 3, retryable: true });
    expect(r.error).toContain('ECONNREFUSED');
    expect(r.error).not.toContain('XXXXXXXX');
    expect(waits).toHaveLength(2);
  });
});

// ---------------------------------------------------------------------------------------------

describe('PagerDutyNotifier against a loopback Events API v2', () => {
  it('202 success: delivered, ref is the dedup_key PagerDuty returns, body follows Events v2', async () => {
    const peer = await pdPeer([], 'arn-dedup');
    const r = await deliverWithRetry(new PagerDutyNotifier({ routingKey: 'R0UTINGKEY0000000000000000000000', eventsUrl: peer.url }), notice());
    expect(r).toEqual(expect.objectContaining({ status: 'delivered', attempts: 1, ref: 'arn-dedup' }));
    const body = JSON.parse(peer.requests[0].body);
    expect(body).toMatchObject({
      routing_key: 'R0UTINGKEY0000000000000000000000',
      event_action: 'trigger',
      dedup_key: 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:HighErrorRate#INC-7F3A9K2M',
      payload: { severity: 'critical', source: 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:HighErrorRate' },
      client: 'alert-router',
    });
    expect(peer.requests[0].headers['content-type']).toBe('application/json');
  });

  it('resolve sends only routing_key, dedup_key and event_action', async () => {
    const peer = await pdPeer([]);
    const r = await deliverWithRetry(
      new PagerDutyNotifier({ routingKey: 'K', eventsUrl: peer.url }),
      notice({ event: 'resolve', incident: resolved(makeIncident()) }),
    );
    expect(r.status).toBe('delivered');
    expect(Object.keys(JSON.parse(peer.requests[0].body)).sort()).toEqual(['dedup_key', 'event_action', 'routing_key']);
  });

  it("400 invalid event: failed at once with PagerDuty's errors in the message", async () => {
    const peer = await pdPeer([
      {
        status: 400,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ status: 'invalid event', message: 'Event object is invalid', errors: ["'payload.summary' is missing or blank"] }),
      },
    ]);
    const { waits, sleep } = recordingSleep();
    const r = await deliverWithRetry(new PagerDutyNotifier({ routingKey: 'K', eventsUrl: peer.url }), notice(), { sleep });
    expect(r).toMatchObject({ status: 'failed', attempts: 1, retryable: false });
    expect(r.error).toBe("pagerduty: HTTP 400: invalid event: 'payload.summary' is missing or blank");
    expect(waits).toEqual([]);
    expect(peer.requests).toHaveLength(1);
  });

  it('429 honours Retry-After, 500 is retried', async () => {
    const peer = await pdPeer([
      {
        status: 429,
        headers: { 'retry-after': '2', 'content-type': 'application/json' },
        body: '{"status":"throttle event","message":"Requests for this service are arriving too quickly."}',
      },
      { status: 500, body: 'Internal Server Error' },
    ]);
    const { waits, sleep } = recordingSleep();
    const r = await deliverWithRetry(new PagerDutyNotifier({ routingKey: 'K', eventsUrl: peer.url }), notice(), { sleep, random: () => 0 });
    expect(r).toMatchObject({ status: 'delivered', attempts: 3 });
    expect(waits[0]).toBe(2000);
    expect(waits[1]).toBe(200); // base 200 · 2^1, equal jitter with random 0 → half
    expect(peer.requests).toHaveLength(3);
  });

  it('a peer that never answers: failed within the budget', async () => {
    const peer = await pdPeer([
      { status: 0, hang: true },
      { status: 0, hang: true },
      { status: 0, hang: true },
      { status: 0, hang: true },
    ]);
    const { timeouts, options } = eventTime((k) => peer.requests.length >= k);
    const r = await deliverWithRetry(new PagerDutyNotifier({ routingKey: 'K', eventsUrl: peer.url }), notice(), {
      budgetMs: 1000,
      attemptTimeoutMs: 400,
      baseDelayMs: 50,
      ...options,
    });
    expect(r.status).toBe('failed');
    expect(r.retryable).toBe(true);
    expect(r.error).toMatch(/timed out/);
    // 400 (t=400), wait 25, 400 (t=825), wait 50, then 125 ms left for a last attempt.
    expect(timeouts).toEqual([400, 400, 125]);
    expect(r.attempts).toBe(3);
    expect(r.elapsedMs).toBeLessThanOrEqual(1000);
    expect(peer.requests.length).toBe(r.attempts);
  });
});

// ---------------------------------------------------------------------------------------------

interface Received {
  mail: ParsedMail;
  from: string | false;
  rcpt: string[];
}

async function smtpPeer(options: { onMailFrom?: (attempt: number) => { code: number; message: string } | null } = {}) {
  const received: Received[] = [];
  let mailFromCalls = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    closeTimeout: 100, // do not wait for pooled client sessions to idle out
    onMailFrom(_address, _session, callback) {
      mailFromCalls++;
      const refuse = options.onMailFrom?.(mailFromCalls);
      if (refuse) return callback(Object.assign(new Error(refuse.message), { responseCode: refuse.code }));
      callback();
    },
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((mail) => {
          received.push({ mail, from: session.envelope.mailFrom && session.envelope.mailFrom.address, rcpt: session.envelope.rcptTo.map((r) => r.address) });
          callback();
        })
        .catch(callback);
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `smtp://127.0.0.1:${port}`, received, mailFromCalls: () => mailFromCalls };
}

const addresses = (a: AddressObject | AddressObject[] | undefined) => (Array.isArray(a) ? a : a ? [a] : []).flatMap((x) => x.value.map((v) => v.address));

describe('EmailNotifier against smtp-server', () => {
  it('delivers subject, text and HTML parts to every recipient', async () => {
    const peer = await smtpPeer();
    const email = new EmailNotifier({ transport: peer.url, from: 'Alert Router <alerts@example.com>', to: ['oncall@example.com', 'team@example.com'] });
    const incident = makeIncident({ alarmName: 'HighErrorRate\r\nBcc: attacker@example.com', alarm: { reason: 'errors <script>x</script> & more' } });
    const r = await deliverWithRetry(email, notice({ incident }));
    expect(r).toMatchObject({ status: 'delivered', attempts: 1 });
    expect(r.ref).toMatch(/^<.+@.+>$/);
    expect(peer.received).toHaveLength(1);
    const { mail, from, rcpt } = peer.received[0];
    expect(from).toBe('alerts@example.com');
    expect(rcpt).toEqual(['oncall@example.com', 'team@example.com']);
    expect(addresses(mail.to)).toEqual(['oncall@example.com', 'team@example.com']);
    expect(addresses(mail.bcc)).toEqual([]);
    expect(mail.subject).toBe('[P0] ALARM: HighErrorRate Bcc: attacker@example.com (INC-7F3A9K2M)');
    expect(mail.text).toContain('errors <script>x</script> & more');
    expect(mail.text).toContain('Runbook: High Error Rate');
    expect(mail.html).toContain('errors &lt;script&gt;x&lt;/script&gt; &amp; more');
    expect(mail.html).not.toContain('<script>');
    expect(mail.headers.get('x-alert-router-incident')).toBe('INC-7F3A9K2M');
    expect(r.ref).toBe(mail.messageId);
  });

  it('451 then accepted: delivered in 2 attempts', async () => {
    const peer = await smtpPeer({ onMailFrom: (n) => (n === 1 ? { code: 451, message: 'Temporary local problem, try again' } : null) });
    const email = new EmailNotifier({ transport: peer.url, from: 'alerts@example.com', to: ['oncall@example.com'] });
    const { waits, sleep } = recordingSleep();
    const r = await deliverWithRetry(email, notice(), { sleep });
    expect(r).toMatchObject({ status: 'delivered', attempts: 2 });
    expect(waits).toHaveLength(1);
    expect(peer.mailFromCalls()).toBe(2);
    expect(peer.received).toHaveLength(1);
  });

  it('550 refused: failed, not retried', async () => {
    const peer = await smtpPeer({ onMailFrom: () => ({ code: 550, message: 'Sender rejected' }) });
    const email = new EmailNotifier({ transport: peer.url, from: 'alerts@example.com', to: ['oncall@example.com'] });
    const { waits, sleep } = recordingSleep();
    const r = await deliverWithRetry(email, notice(), { sleep });
    expect(r).toMatchObject({ status: 'failed', attempts: 1, retryable: false });
    expect(r.error).toContain('550');
    expect(r.error).toContain('Sender rejected');
    expect(waits).toEqual([]);
    expect(peer.mailFromCalls()).toBe(1);
    expect(peer.received).toHaveLength(0);
  });

  it('a server that accepts the connection but never greets: failed within the budget', async () => {
    const sockets: Socket[] = [];
    const silent: NetServer = createNetServer((s) => {
      sockets.push(s); // never write the 220 greeting
      s.on('error', () => {});
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          for (const s of sockets) s.destroy();
          silent.close(() => resolve());
        }),
    );
    const { port } = silent.address() as AddressInfo;
    const email = new EmailNotifier({ transport: `smtp://127.0.0.1:${port}`, from: 'alerts@example.com', to: ['oncall@example.com'] });
    const { timeouts, options } = eventTime((k) => sockets.length >= k);
    const r: DeliveryOutcome = await deliverWithRetry(email, notice(), {
      budgetMs: 1000,
      attemptTimeoutMs: 450,
      baseDelayMs: 20,
      ...options,
    });
    expect(r.status).toBe('failed');
    expect(r.retryable).toBe(true);
    // 450 (t=450), wait 10, 450 (t=910), wait 20: 70 ms left, enough for a short last attempt.
    expect(timeouts).toEqual([450, 450, 70]);
    expect(r.attempts).toBe(3);
    expect(sockets.length).toBe(r.attempts);
    expect(r.elapsedMs).toBeLessThanOrEqual(1000);
    expect(r.error).toMatch(/^email: /);
  });
});

// ---------------------------------------------------------------------------------------------

describe('outbox and createNotifiers', () => {
  it('the ring buffer keeps the newest entries up to its capacity (500 by default)', () => {
    expect(new OutboxBuffer().capacity).toBe(500);
    const b = new OutboxBuffer<number>(3);
    for (let n = 1; n <= 5; n++) b.push(n);
    expect(b.toArray()).toEqual([3, 4, 5]);
    expect(b.latest(2)).toEqual([5, 4]);
    expect(b.size).toBe(3);
    expect(b.pushed).toBe(5);
  });

  it('the outbox records and prints one clean line per delivery', async () => {
    const buffer = new OutboxBuffer<OutboxEntry>(10);
    const lines: string[] = [];
    const o = new OutboxNotifier({ channel: 'slack', buffer, print: (l) => lines.push(l), now: () => new Date('2024-01-15T10:05:04Z') });
    const incident = makeIncident({ alarmName: 'High\u001b[31mErrorRate\nfake line' });
    const r = await deliverWithRetry(o, notice({ incident }));
    expect(r).toMatchObject({ status: 'delivered', attempts: 1, ref: 'outbox:1' });
    expect(buffer.toArray()).toEqual([
      {
        at: '2024-01-15T10:05:04.000Z',
        channel: 'slack',
        event: 'trigger',
        incidentId: 'INC-7F3A9K2M',
        summary: expect.stringMatching(/^\[P0\] ALARM: High\\u001B\[31mErrorRate fake line \(INC-7F3A9K2M\) - Threshold Crossed/),
      },
    ]);
    expect(lines).toHaveLength(1);
    // eslint-disable-next-line no-control-regex
    expect(lines[0]).not.toMatch(/[\u0000-\u001f]/);
    expect(lines[0]).toMatch(/^\[outbox\] 2024-01-15T10:05:04.000Z slack {5}\[P0\] ALARM/);
  });

  it('each channel is real when configured, else the outbox', () => {
    const none = createNotifiers({});
    expect(Object.keys(none).sort()).toEqual(['email', 'pagerduty', 'slack']);
    for (const [channel, n] of Object.entries(none)) {
      expect(n).toBeInstanceOf(OutboxNotifier);
      expect(n.channel).toBe(channel);
    }
    const all = createNotifiers({
      slackWebhookUrl: 'https://hooks.slack.com/services/T/B/X',
      pagerdutyRoutingKey: 'K',
      pagerdutyEventsUrl: 'http://127.0.0.1:1/v2/enqueue',
      smtpUrl: 'smtp://127.0.0.1:2525',
      emailFrom: 'alerts@example.com',
      emailTo: ['a@example.com'],
    });
    expect(all.slack).toBeInstanceOf(SlackNotifier);
    expect(all.pagerduty).toBeInstanceOf(PagerDutyNotifier);
    expect(all.email).toBeInstanceOf(EmailNotifier);
    // email needs a transport, a sender and recipients
    expect(createNotifiers({ smtpUrl: 'smtp://127.0.0.1:2525', emailFrom: 'a@example.com', emailTo: [' '] }).email).toBeInstanceOf(OutboxNotifier);
    expect(createNotifiers({ emailFrom: 'a@example.com', emailTo: ['b@example.com'], sesRegion: 'eu-west-1' }).email).toBeInstanceOf(EmailNotifier);
  });
});
