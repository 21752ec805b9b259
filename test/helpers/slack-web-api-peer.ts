/**
 * A loopback server speaking the part of Slack's Web API the router uses: POST /api/chat.postMessage and
 * /api/chat.update, form-encoded (what @slack/web-api sends) or JSON bodies, the bot token as a Bearer header (or a
 * `token` field). It keeps every message with its ts, thread_ts and edits, and answers as Slack does: HTTP 200 with
 * `ok: false` and an error code (invalid_auth, channel_not_found, message_not_found, msg_too_long, no_text…),
 * or, when programmed, HTTP 429 with Retry-After, 500, or no answer at all.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface PeerEdit {
  text: string;
  blocks: unknown;
  attachments: unknown;
}

export interface PeerMessage {
  channel: string;
  ts: string;
  thread_ts?: string;
  reply_broadcast?: boolean;
  text: string;
  blocks: unknown;
  attachments: unknown;
  /** Every chat.update of it, oldest first (the fields above are the current ones). */
  edits: PeerEdit[];
}

export type PeerFault = { method?: string } & (
  | { error: string }
  | { status: number; retryAfter?: string; body?: string }
  /** Reads the request and never answers (the sender's signal must end it). */
  | { hang: true }
);

export interface PeerCall {
  method: string;
  contentType: string;
  authorization: string | undefined;
  args: Record<string, unknown>;
}

export interface SlackWebApiPeer {
  /** Base URL to give the client as `slackApiUrl` (ends with `/api/`). */
  apiUrl: string;
  token: string;
  /** The channel ID a `#name` channel resolves to. */
  channelId: string;
  messages: PeerMessage[];
  calls: PeerCall[];
  /** Answers for the next matching calls (first fault whose method matches, or has none), consumed once each. */
  faults: PeerFault[];
  /** Called as each call is recorded, before it is answered. */
  onCall?: (call: PeerCall) => void;
  topLevel(): PeerMessage[];
  replies(ts: string): PeerMessage[];
  find(ts: string): PeerMessage | undefined;
  close(): Promise<void>;
}

/** Slack's own bound on `text` (chat.postMessage answers msg_too_long beyond it). */
const TEXT_MAX = 40_000;
const KNOWN_CHANNEL = /^[CGD][A-Z0-9]{2,}$/;

function parseArgs(contentType: string, raw: string): Record<string, unknown> {
  if (contentType.startsWith('application/json')) return JSON.parse(raw || '{}') as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of new URLSearchParams(raw)) {
    // Form bodies carry blocks and attachments as JSON strings.
    out[k] = (k === 'blocks' || k === 'attachments') && /^\s*[[{]/.test(v) ? (JSON.parse(v) as unknown) : v;
  }
  return out;
}

export async function startSlackWebApiPeer(options: { token?: string; channelId?: string } = {}): Promise<SlackWebApiPeer> {
  const token = options.token ?? 'xoxb-test-0000-peer';
  const channelId = options.channelId ?? 'C0INCIDENT';
  let seq = 0;
  const nextTs = () => `${1_700_000_000 + ++seq}.${String(seq).padStart(6, '0')}`;

  const peer: Omit<SlackWebApiPeer, 'apiUrl' | 'close'> = {
    token,
    channelId,
    messages: [],
    calls: [],
    faults: [],
    topLevel: () => peer.messages.filter((m) => !m.thread_ts),
    replies: (ts) => peer.messages.filter((m) => m.thread_ts === ts),
    find: (ts) => peer.messages.find((m) => m.ts === ts),
  };

  const resolveChannel = (c: unknown): string | null => {
    if (typeof c !== 'string' || !c) return null;
    if (c.startsWith('#')) return channelId;
    return KNOWN_CHANNEL.test(c) ? c : null;
  };

  function answer(method: string, args: Record<string, unknown>, authorization: string | undefined): Record<string, unknown> {
    const given = authorization?.replace(/^Bearer /, '') ?? (typeof args.token === 'string' ? args.token : undefined);
    if (!given) return { ok: false, error: 'not_authed' };
    if (given !== token) return { ok: false, error: 'invalid_auth' };
    const channel = resolveChannel(args.channel);
    if (!channel) return { ok: false, error: 'channel_not_found' };
    const text = typeof args.text === 'string' ? args.text : '';
    if (!text && !args.blocks && !args.attachments) return { ok: false, error: 'no_text' };
    if (text.length > TEXT_MAX) return { ok: false, error: 'msg_too_long' };
    if (method === 'chat.postMessage') {
      const threadTs = typeof args.thread_ts === 'string' ? args.thread_ts : undefined;
      const message: PeerMessage = {
        channel,
        ts: nextTs(),
        ...(threadTs ? { thread_ts: threadTs } : {}),
        ...(args.reply_broadcast === true || args.reply_broadcast === 'true' ? { reply_broadcast: true } : {}),
        text,
        blocks: args.blocks,
        attachments: args.attachments,
        edits: [],
      };
      peer.messages.push(message);
      return { ok: true, channel, ts: message.ts, message: { text, ts: message.ts } };
    }
    // chat.update
    const target = peer.messages.find((m) => m.channel === channel && m.ts === args.ts);
    if (!target) return { ok: false, error: 'message_not_found' };
    const edit = { text, blocks: args.blocks, attachments: args.attachments };
    Object.assign(target, edit);
    target.edits.push(edit);
    return { ok: true, channel, ts: target.ts, text };
  }

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const method = (req.url ?? '').replace(/^\/api\//, '').split('?')[0];
      const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
        res.end(JSON.stringify(body));
      };
      if (req.method !== 'POST') return json(405, { ok: false, error: 'method_not_supported_for_channel_type' });
      const contentType = String(req.headers['content-type'] ?? '');
      let args: Record<string, unknown>;
      try {
        args = parseArgs(contentType, Buffer.concat(chunks).toString('utf8'));
      } catch {
        return json(200, { ok: false, error: 'invalid_json' });
      }
      const call: PeerCall = { method, contentType, authorization: req.headers.authorization, args };
      peer.calls.push(call);
      peer.onCall?.(call);
      const at = peer.faults.findIndex((f) => !f.method || f.method === method);
      const fault = at === -1 ? undefined : peer.faults.splice(at, 1)[0];
      if (fault && 'hang' in fault) return; // the client's signal ends it
      if (fault && 'status' in fault) {
        const headers: Record<string, string> = fault.retryAfter !== undefined ? { 'retry-after': fault.retryAfter } : {};
        res.writeHead(fault.status, { 'content-type': 'application/json; charset=utf-8', ...headers });
        res.end(fault.body ?? JSON.stringify({ ok: false, error: fault.status === 429 ? 'ratelimited' : 'internal_error' }));
        return;
      }
      if (fault && 'error' in fault) return json(200, { ok: false, error: fault.error });
      if (method !== 'chat.postMessage' && method !== 'chat.update') return json(200, { ok: false, error: 'unknown_method' });
      json(200, answer(method, args, req.headers.authorization));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return Object.assign(peer, {
    apiUrl: `http://127.0.0.1:${port}/api/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
