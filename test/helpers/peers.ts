import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface ScriptedResponse {
  status: number;
  body?: string;
  headers?: Record<string, string>;
  /** Wait this long before answering (a slow or hanging peer). */
  delayMs?: number;
  /** Answer only once this settles (a peer the test holds open). */
  until?: Promise<unknown>;
}

export interface HttpPeer {
  url: string;
  /** Every request body received, parsed as JSON when it is JSON. */
  received: { path: string; headers: IncomingMessage['headers']; body: unknown; at: number }[];
  /** Answers for the next requests, in order; when empty, `fallback` answers. */
  script: ScriptedResponse[];
  fallback: ScriptedResponse;
  /** Called as each request is recorded, before it is answered (a test may crash the sender right there). */
  onReceive?: () => void;
  /** Called as each request has arrived, before any delay or hold. */
  onArrive?: () => void;
  close(): Promise<void>;
}

async function startHttpPeer(fallback: ScriptedResponse): Promise<HttpPeer> {
  const peer: Omit<HttpPeer, 'url' | 'close'> = { received: [], script: [], fallback };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        /* form or text */
      }
      const r = peer.script.shift() ?? peer.fallback;
      const answer = () => {
        if (res.destroyed) return;
        peer.received.push({ path: req.url ?? '/', headers: req.headers, body, at: Date.now() });
        peer.onReceive?.();
        res.writeHead(r.status, { 'content-type': 'application/json', ...(r.headers ?? {}) });
        res.end(r.body ?? '');
      };
      peer.onArrive?.();
      if (r.until) void r.until.then(answer, answer);
      else if (r.delayMs) setTimeout(answer, r.delayMs);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return Object.assign(peer, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

/** Speaks Slack's incoming-webhook contract: 200 `ok`, or what the script says (429 + Retry-After, 500, 400 invalid_payload). */
export function startSlackPeer(): Promise<HttpPeer> {
  return startHttpPeer({ status: 200, body: 'ok', headers: { 'content-type': 'text/html' } });
}

/** Speaks PagerDuty Events API v2: 202 with status/dedup_key, or what the script says. */
export async function startPagerDutyPeer(): Promise<HttpPeer> {
  const peer = await startHttpPeer({ status: 202, body: JSON.stringify({ status: 'success', message: 'Event processed' }) });
  peer.url = `${peer.url}/v2/enqueue`;
  return peer;
}

export interface SmtpPeer {
  url: string;
  port: number;
  messages: { from: string; to: string[]; raw: string }[];
  /** SMTP reply codes to give at DATA for the next messages (e.g. 451, 550); when empty, accept. */
  script: number[];
  /** Called as each message is kept, before it is accepted. */
  onReceive?: () => void;
  close(): Promise<void>;
}

/** A real SMTP server (smtp-server) on loopback that keeps every message it accepts. */
export async function startSmtpPeer(): Promise<SmtpPeer> {
  const peer: Omit<SmtpPeer, 'url' | 'port' | 'close'> = { messages: [], script: [] };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    // close() waits for clients to leave; the router's pooled SMTP sessions would otherwise idle until their 5 s timeout
    closeTimeout: 100,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const code = peer.script.shift();
        if (code && code >= 400) {
          const err = Object.assign(new Error(code >= 500 ? 'mailbox unavailable' : 'try again later'), { responseCode: code });
          callback(err);
          return;
        }
        peer.messages.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        peer.onReceive?.();
        callback();
      });
    },
  });
  // A client that dies mid-session (a killed router) resets its connection: that is the client's failure, not the peer's.
  server.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'ECONNRESET' && err.code !== 'EPIPE') throw err;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.server.address() as AddressInfo).port;
  return Object.assign(peer, {
    port,
    url: `smtp://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}
