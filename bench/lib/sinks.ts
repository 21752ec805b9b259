/**
 * Loopback peers run by the bench process: Slack webhook (200 ok), PagerDuty Events v2 (202), an Alertmanager
 * webhook receiver (200) and a real SMTP server (smtp-server). Each records, per alarm number found in the body,
 * when the first notification arrived (performance.now(), same clock as the load generator) and how many arrived.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { NAME_RE } from './workload';

export interface Arrivals {
  /** alarm number → first arrival (ms, performance.now()). */
  first: Map<number, number>;
  /** alarm number → notifications received for it. */
  count: Map<number, number>;
  /** Requests/messages received in total. */
  total: number;
  /** Requests in which no bench alarm name was found. */
  unmatched: number;
  reset(): void;
}

function arrivals(): Arrivals {
  const a: Arrivals = {
    first: new Map(),
    count: new Map(),
    total: 0,
    unmatched: 0,
    reset() {
      a.first.clear();
      a.count.clear();
      a.total = 0;
      a.unmatched = 0;
    },
  };
  return a;
}

/** Records every bench alarm named in one received body (a Slack message names its alarm several times: counted once). */
function record(a: Arrivals, text: string, at: number, tag: string | null): void {
  a.total++;
  const seen = new Set<number>();
  for (const m of text.matchAll(NAME_RE)) {
    if (tag !== null && m[1] !== tag) continue;
    seen.add(Number(m[2]));
  }
  if (seen.size === 0) a.unmatched++;
  for (const idx of seen) {
    if (!a.first.has(idx)) a.first.set(idx, at);
    a.count.set(idx, (a.count.get(idx) ?? 0) + 1);
  }
}

export interface HttpSink {
  url: string;
  arrivals: Arrivals;
  /** Only alarm names of this run tag count (null: any). */
  tag: string | null;
  close(): Promise<void>;
}

async function httpSink(status: number, body: string, contentType: string): Promise<HttpSink> {
  const sink = { arrivals: arrivals(), tag: null as string | null } as HttpSink;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      record(sink.arrivals, Buffer.concat(chunks).toString('utf8'), performance.now(), sink.tag);
      res.writeHead(status, { 'content-type': contentType });
      res.end(body);
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  sink.url = `http://127.0.0.1:${port}`;
  sink.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return sink;
}

export const startSlackSink = () => httpSink(200, 'ok', 'text/html');
export const startPagerDutySink = () => httpSink(202, JSON.stringify({ status: 'success', message: 'Event processed', dedup_key: 'x' }), 'application/json');
export const startWebhookSink = () => httpSink(200, '', 'text/plain');

export interface SmtpSink {
  url: string;
  arrivals: Arrivals;
  tag: string | null;
  close(): Promise<void>;
}

export async function startSmtpSink(): Promise<SmtpSink> {
  const sink = { arrivals: arrivals(), tag: null as string | null } as SmtpSink;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    closeTimeout: 100,
    size: 1024 * 1024,
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        // headers are enough (Subject names the alarm) and are never quoted-printable
        const raw = Buffer.concat(chunks).toString('utf8');
        const headEnd = raw.indexOf('\r\n\r\n');
        record(sink.arrivals, (headEnd > 0 ? raw.slice(0, headEnd) : raw).replace(/\r\n[ \t]+/g, ' '), performance.now(), sink.tag);
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.server.address() as AddressInfo).port;
  sink.url = `smtp://127.0.0.1:${port}`;
  sink.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return sink;
}

export interface Sinks {
  slack: HttpSink;
  pagerduty: HttpSink;
  smtp: SmtpSink;
  webhook: HttpSink;
  /** Point every sink at one run tag and forget earlier arrivals. */
  reset(tag: string): void;
  /** The environment the router reads its channels from. */
  routerEnv(): Record<string, string>;
  close(): Promise<void>;
}

export async function startSinks(): Promise<Sinks> {
  const [slack, pagerduty, smtp, webhook] = await Promise.all([startSlackSink(), startPagerDutySink(), startSmtpSink(), startWebhookSink()]);
  return {
    slack,
    pagerduty,
    smtp,
    webhook,
    reset(tag) {
      for (const s of [slack, pagerduty, smtp, webhook]) {
        s.tag = tag;
        s.arrivals.reset();
      }
    },
    routerEnv: () => ({
      SLACK_WEBHOOK_URL: `${slack.url}/services/T000/B000/XXXX`,
      PAGERDUTY_ROUTING_KEY: 'R0UT1NGKEY0000000000000000000000',
      PAGERDUTY_EVENTS_URL: `${pagerduty.url}/v2/enqueue`,
      SMTP_URL: smtp.url,
      EMAIL_FROM: 'router@example.com',
      EMAIL_TO: 'team@example.com',
    }),
    close: async () => {
      await Promise.all([slack.close(), pagerduty.close(), smtp.close(), webhook.close()]);
    },
  };
}
