/**
 * The webhook channels' HTTP on a thread of its own (send-thread-worker.mjs), for `npm start`: the thread that takes
 * alarms keeps rendering, recording and deciding; the sockets, HTTP parsing and streams of the Slack and
 * PagerDuty requests run on the other core. The notifiers see fetch's shape (http.ts FetchLike), and every
 * outcome they know still happens: a status and its body, Retry-After, an abort by the attempt's deadline, a
 * network error. If the thread dies, the requests it held fail as network errors (retried by the delivery
 * rule, resent by the sweep) and the next request starts a new thread.
 */
import { Worker } from 'node:worker_threads';
import type { FetchLike, FetchLikeResponse } from '@alert-router/aws/notifiers/http';

interface Reply {
  id: number;
  status?: number;
  statusText?: string;
  headers?: Record<string, string>;
  body?: string;
  error?: { name: string; message: string; code?: string };
}

interface Pending {
  url: string;
  resolve: (r: FetchLikeResponse) => void;
  reject: (err: unknown) => void;
  done: () => void;
}

export interface SendThread {
  fetch: FetchLike;
  /** Requests sent and not yet answered. */
  inFlight(): number;
  /** Ends the thread; requests still in it fail as network errors. */
  close(): Promise<void>;
}

function threadResponse(url: string, r: Required<Pick<Reply, 'status' | 'statusText' | 'headers' | 'body'>>): FetchLikeResponse {
  const body = r.body;
  return {
    ok: r.status >= 200 && r.status < 300,
    status: r.status,
    statusText: r.statusText,
    url,
    headers: {
      get: (name) => r.headers[name.toLowerCase()] ?? null,
      entries: () => Object.entries(r.headers),
    },
    text: async () => body,
    json: async () => JSON.parse(body) as unknown,
    arrayBuffer: async () => {
      const b = Buffer.from(body, 'utf8');
      return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
    },
  };
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('aborted', 'AbortError');
}

function threadError(e: NonNullable<Reply['error']>): Error {
  return Object.assign(new Error(e.message), { name: e.name, ...(e.code ? { code: e.code } : {}) });
}

export function startSendThread(): SendThread {
  const pending = new Map<number, Pending>();
  let nextId = 0;
  let worker: Worker | null = null;

  const failAll = (why: string) => {
    for (const p of pending.values()) {
      p.done();
      p.reject(Object.assign(new Error(`send thread: ${why}`), { code: 'ECONNRESET' }));
    }
    pending.clear();
  };

  const thread = (): Worker => {
    if (worker) return worker;
    const w = new Worker(new URL('./send-thread-worker.mjs', import.meta.url));
    w.on('message', (reply: Reply) => {
      const p = pending.get(reply.id);
      if (!p) return; // aborted meanwhile
      pending.delete(reply.id);
      p.done();
      if (reply.error) p.reject(threadError(reply.error));
      else
        p.resolve(
          threadResponse(p.url, { status: reply.status ?? 0, statusText: reply.statusText ?? '', headers: reply.headers ?? {}, body: reply.body ?? '' }),
        );
    });
    w.on('error', (err) => {
      if (worker === w) worker = null;
      failAll(`failed: ${err.message}`);
    });
    w.on('exit', (code) => {
      if (worker === w) worker = null;
      failAll(`stopped (exit ${code})`);
    });
    worker = w;
    return w;
  };

  const fetch: FetchLike = (url, init = {}) =>
    new Promise<FetchLikeResponse>((resolve, reject) => {
      const signal = init.signal ?? undefined;
      if (signal?.aborted) return reject(abortReason(signal));
      const id = nextId++;
      const href = typeof url === 'string' ? url : url.href;
      const onAbort = () => {
        if (!pending.delete(id)) return;
        worker?.postMessage({ abort: id });
        reject(abortReason(signal!));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      pending.set(id, { url: href, resolve, reject, done: () => signal?.removeEventListener('abort', onAbort) });
      thread().postMessage({ id, url: href, method: init.method ?? 'GET', headers: init.headers ?? {}, body: init.body ?? '' });
    });

  return {
    fetch,
    inFlight: () => pending.size,
    close: async () => {
      const w = worker;
      worker = null;
      if (w) await w.terminate();
      failAll('closed');
    },
  };
}
