/** Small HTTP helpers shared by the HTTP notifiers: Retry-After, status → DeliveryError, network errors. */
import { Agent, request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { DeliveryError } from '@alert-router/core/errors';

/** Longest Retry-After we keep (the retry rule caps it by the remaining budget anyway). */
const RETRY_AFTER_MAX_MS = 3_600_000;

/**
 * `Retry-After` as milliseconds from now: delta-seconds (`1`, `2.5`) or an HTTP date.
 * Undefined when absent or unparsable; never negative.
 */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value === null || value === undefined) return undefined;
  const v = value.trim();
  if (!v) return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Math.min(Math.round(Number.parseFloat(v) * 1000), RETRY_AFTER_MAX_MS);
  if (!/[a-z]/i.test(v)) return undefined; // an HTTP date has a day or month name
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.min(Math.max(0, at - now), RETRY_AFTER_MAX_MS);
}

/** The shared rule for HTTP statuses: 5xx, 429 and 408 may succeed later; other 4xx will not. */
export function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 429 || status === 408;
}

/** A short, single-line excerpt of a response body for error messages. */
export function bodyExcerpt(body: string, max = 300): string {
  // eslint-disable-next-line no-control-regex
  const line = body.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max)}…` : line;
}

/** DeliveryError for a non-success HTTP response. */
export function httpDeliveryError(channel: string, status: number, body: string, retryAfterHeader: string | null | undefined, detail?: string): DeliveryError {
  const retryable = isRetryableStatus(status);
  const retryAfterMs = retryable ? parseRetryAfter(retryAfterHeader) : undefined;
  const what = detail ?? bodyExcerpt(body);
  return new DeliveryError(`${channel}: HTTP ${status}${what ? `: ${what}` : ''}`, {
    retryable,
    status,
    retryAfterMs,
    context: { channel, status },
  });
}

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ENETDOWN',
  'EHOSTDOWN',
]);

function errorCode(err: unknown): string | undefined {
  const e = err as { code?: unknown; cause?: { code?: unknown } } | null;
  const code = e?.code ?? e?.cause?.code;
  return typeof code === 'string' ? code : undefined;
}

/** True for connection-level failures (refused, reset, DNS, undici socket errors, fetch's TypeError). */
export function isNetworkError(err: unknown): boolean {
  const code = errorCode(err);
  if (code && (NETWORK_CODES.has(code) || code.startsWith('UND_ERR'))) return true;
  return err instanceof TypeError && /fetch failed|network/i.test(err.message);
}

/**
 * DeliveryError for a request that got no response: aborted by our per-attempt timeout (signal),
 * a network failure, or something else (not retryable: a bug does not heal by retrying).
 */
export function requestDeliveryError(channel: string, err: unknown, signal?: AbortSignal): DeliveryError {
  if (err instanceof DeliveryError) return err;
  if (signal?.aborted) {
    const reason = signal.reason as { name?: string; message?: string } | undefined;
    const timeout = reason?.name === 'TimeoutError';
    return new DeliveryError(`${channel}: ${timeout ? 'timed out' : `aborted${reason?.message ? ` (${reason.message})` : ''}`}`, {
      retryable: true,
      cause: err,
      context: { channel, timeout },
    });
  }
  const name = (err as { name?: string } | null)?.name;
  if (name === 'AbortError' || name === 'TimeoutError') {
    return new DeliveryError(`${channel}: timed out`, { retryable: true, cause: err, context: { channel, timeout: true } });
  }
  const code = errorCode(err);
  const message = (err as Error | null)?.message ?? String(err);
  const causeMessage = (err as { cause?: { message?: string } } | null)?.cause?.message;
  const text = `${channel}: ${code ? `${code} ` : ''}${message}${causeMessage && causeMessage !== message ? ` (${causeMessage})` : ''}`;
  return new DeliveryError(text, { retryable: isNetworkError(err), cause: err, context: { channel, code } });
}

// ---------------------------------------------------------------------------------------------
// Pooled HTTP client for the webhook channels (Slack, PagerDuty)

/** The part of fetch the HTTP notifiers use (global fetch works too, cast: lib.dom here does not declare Headers.entries). */
export interface FetchLikeInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  redirect?: 'error' | 'follow' | 'manual';
  signal?: AbortSignal | null;
}

export interface FetchLikeResponse {
  readonly ok: boolean;
  readonly status: number;
  readonly statusText: string;
  readonly url: string;
  readonly headers: { get(name: string): string | null; entries(): Iterable<[string, string]> };
  text(): Promise<string>;
  json(): Promise<unknown>;
  arrayBuffer(): Promise<ArrayBuffer>;
}

export type FetchLike = (url: string | URL, init?: FetchLikeInit) => Promise<FetchLikeResponse>;

/**
 * One keep-alive pool per protocol for the whole process (a Lambda container), made on first use: a burst
 * of notices and the next warm invocation reuse open connections instead of paying TCP (+ TLS) set-up each.
 * Idle sockets close after FREE_SOCKET_MS (a peer's own Keep-Alive: timeout=N hint is honoured by Node).
 */
export const FREE_SOCKET_MS = 15_000;
export const MAX_SOCKETS_PER_HOST = 32;
let agents: { http?: Agent; https?: HttpsAgent } = {};

function agentFor(protocol: string): Agent {
  if (protocol === 'https:') {
    agents.https ??= new HttpsAgent({ keepAlive: true, maxSockets: MAX_SOCKETS_PER_HOST, timeout: FREE_SOCKET_MS });
    return agents.https;
  }
  agents.http ??= new Agent({ keepAlive: true, maxSockets: MAX_SOCKETS_PER_HOST, timeout: FREE_SOCKET_MS });
  return agents.http;
}

/** Closes the pooled connections (tests, and a local server shutting down). The next request opens new ones. */
export function closeHttpPool(): void {
  agents.http?.destroy();
  agents.https?.destroy();
  agents = {};
}

class PooledResponse implements FetchLikeResponse {
  readonly ok: boolean;
  readonly status: number;
  readonly statusText: string;
  /** Read from the start, so the socket goes back to the pool even when nobody asks for the body. */
  private readonly body: Promise<string>;

  constructor(
    readonly url: string,
    private readonly res: IncomingMessage,
    signal: AbortSignal | null | undefined,
  ) {
    this.status = res.statusCode ?? 0;
    this.statusText = res.statusMessage ?? '';
    this.ok = this.status >= 200 && this.status < 300;
    this.body = readBody(res, signal);
    this.body.catch(() => undefined); // unread bodies must not become unhandled rejections
  }

  readonly headers = {
    get: (name: string): string | null => {
      const v = this.res.headers[name.toLowerCase()];
      return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
    },
    entries: (): Iterable<[string, string]> =>
      Object.entries(this.res.headers).map(([k, v]): [string, string] => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]),
  };

  /** The whole body; rejects when the connection fails or the signal aborts before its end. */
  text(): Promise<string> {
    return this.body;
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.body) as unknown;
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const b = Buffer.from(await this.body, 'utf8');
    return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
  }
}

function readBody(res: IncomingMessage, signal: AbortSignal | null | undefined): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    const onAbort = () => res.destroy(); // 'close' below rejects with the signal's reason
    const settle = (err: unknown | null) => {
      signal?.removeEventListener('abort', onAbort);
      if (err === null) resolve(Buffer.concat(chunks).toString('utf8'));
      else reject(signal?.aborted ? abortError(signal) : err);
    };
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => settle(null));
    res.on('error', (err) => settle(err));
    res.on('close', () => {
      if (!res.complete) settle(Object.assign(new Error('response closed before its end'), { code: 'ECONNRESET' }));
    });
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('aborted', 'AbortError');
}

/** A keep-alive socket the peer closed while it sat idle fails at once; such a request never reached the peer. */
function staleSocketError(err: unknown, req: ClientRequest): boolean {
  const code = (err as { code?: string } | null)?.code;
  return req.reusedSocket && (code === 'ECONNRESET' || code === 'EPIPE');
}

function send(target: URL, init: FetchLikeInit, retryStale: boolean): Promise<FetchLikeResponse> {
  const body = init.body ?? '';
  const headers: Record<string, string> = { ...init.headers, 'content-length': String(Buffer.byteLength(body)) };
  const requestFn = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<FetchLikeResponse>((resolve, reject) => {
    let responded = false;
    const req = requestFn(target, { method: init.method ?? 'GET', headers, agent: agentFor(target.protocol), signal: init.signal ?? undefined }, (res) => {
      responded = true;
      resolve(new PooledResponse(target.href, res, init.signal));
    });
    req.on('error', (err) => {
      if (init.signal?.aborted) reject(abortError(init.signal));
      // Only while no response has begun: a reset mid-response is a failure of a request the peer received.
      else if (retryStale && !responded && staleSocketError(err, req)) send(target, init, false).then(resolve, reject);
      else reject(err);
    });
    req.end(body);
  });
}

let transport: FetchLike | null = null;

/**
 * Sends pooledFetch's requests through `t` instead of this thread's pool until the returned undo (which leaves
 * a later transport in place). `npm start` puts them on a thread of their own (packages/local/src/send-thread.ts);
 * a Lambda never does.
 */
export function useHttpTransport(t: FetchLike): () => void {
  transport = t;
  return () => {
    if (transport === t) transport = null;
  };
}

/** A process sends to a handful of webhook URLs: each is parsed once (never mutated after). */
const parsedUrls = new Map<string, URL>();
function parsedUrl(url: string): URL {
  let parsed = parsedUrls.get(url);
  if (!parsed) {
    parsed = new URL(url);
    if (parsedUrls.size < 32) parsedUrls.set(url, parsed);
  }
  return parsed;
}

/**
 * fetch's shape over node:http(s) with the shared keep-alive pool: several times less CPU per request than
 * global fetch here. The AbortSignal really aborts (the socket is destroyed, before or during the response);
 * redirects are not followed (a 3xx is returned as it is). A request on a pooled socket the peer had closed
 * is sent once more on a fresh one.
 */
export const pooledFetch: FetchLike = async (url, init = {}) => {
  if (transport) return transport(url, init);
  const target = typeof url === 'string' ? parsedUrl(url) : url;
  if (target.protocol !== 'http:' && target.protocol !== 'https:') throw new TypeError(`unsupported protocol ${target.protocol}`);
  return send(target, init, true);
};
