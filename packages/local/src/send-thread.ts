/**
 * The channels' network I/O on a thread of its own (send-thread-worker.mjs), for `npm start`: the thread that
 * takes alarms keeps rendering, recording and deciding; the sockets, HTTP parsing and streams of the Slack and
 * PagerDuty requests, and the SMTP sessions of email, run on the other core. The notifiers see the same shapes
 * (fetch's, http.ts FetchLike; a nodemailer transporter's sendMail), and every outcome they know still happens:
 * a status and its body, Retry-After, an SMTP reply code, an abort by the attempt's deadline, a network error.
 * If the thread dies, what it held fails as a network error (retried by the delivery rule, resent by the sweep)
 * and the next request starts a new thread.
 */
import { Worker } from 'node:worker_threads';
import type { SMTPTransportOptions } from 'nodemailer';
import { FREE_SOCKET_MS, MAX_SOCKETS_PER_HOST, type FetchLike, type FetchLikeResponse } from '@alert-router/aws/notifiers/http';
import type { AnyTransporter } from '@alert-router/aws/notifiers/mailer';
import { smtpTransportOptions } from '@alert-router/aws/notifiers/mailer';

interface Reply {
  id: number;
  status?: number;
  statusText?: string;
  headers?: Record<string, string>;
  body?: string;
  info?: { messageId?: string; response?: string };
  error?: { name: string; message: string; code?: string } & Record<string, unknown>;
}

interface Pending {
  resolve: (r: Reply) => void;
  reject: (err: unknown) => void;
  done: () => void;
}

/** What EmailNotifier calls on a transporter. */
interface ThreadMail {
  raw: Buffer;
  envelope: { from: string | false; to: string[] };
  signal?: AbortSignal;
}

export interface SendThread {
  fetch: FetchLike;
  /** An SMTP transporter (EmailNotifier's sendMail) whose sessions live on the thread; mailer.ts's options. */
  smtpTransport(urlOrOptions: string | SMTPTransportOptions): AnyTransporter;
  /** Requests sent and not yet answered. */
  inFlight(): number;
  /** Ends the thread as a crash would (its requests fail as network errors); the next request starts a new one. */
  kill(): Promise<void>;
  /** Ends the thread; requests still in it fail as network errors, and later ones are not sent. */
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

/** The error as the notifier would have seen it in-thread: same name, message, code and SMTP fields. */
function threadError(e: NonNullable<Reply['error']>): Error {
  const { message, ...fields } = e;
  return Object.assign(new Error(message), fields);
}

export function startSendThread(): SendThread {
  /** Each request with the thread it was given to: a thread's end fails its own requests, never a successor's. */
  const pending = new Map<number, Pending & { to: Worker }>();
  let nextId = 0;
  let worker: Worker | null = null;
  let closed = false;
  /** Threads being ended (kill, close): close waits for them, so that their requests have failed by then. */
  const ending = new Map<Worker, Promise<number>>();
  const end = (w: Worker): Promise<number> => {
    let done = ending.get(w);
    if (!done) {
      done = w.terminate();
      ending.set(w, done);
    }
    return done;
  };

  const failOf = (w: Worker, why: string) => {
    for (const [id, p] of pending) {
      if (p.to !== w) continue;
      pending.delete(id);
      p.done();
      p.reject(Object.assign(new Error(`send thread: ${why}`), { code: 'ECONNRESET' }));
    }
  };

  // What one callback of the event loop sends goes as one message before the loop takes any other I/O
  // (process.nextTick; sends made in its promise chains join it when they come from a microtask). Under
  // load a burst of notices comes out of one callback (the store's turn that recorded them), so it is still one
  // wake-up of the thread; a fan-out started alone after its answer no longer waits behind the next request
  // (setImmediate did: the loop read and handled the next POST first; docs/performance-notes.md, "Stop 27").
  // Aborts travel in the same queue, after the job they cancel.
  let outbox: { to: Worker; msgs: Record<string, unknown>[]; transfer: ArrayBuffer[] } | null = null;
  const post = (to: Worker, msg: Record<string, unknown>, transfer: ArrayBuffer[] = []) => {
    if (outbox && outbox.to !== to) flush(); // a new thread: what the old one was to get has failed already
    if (!outbox) {
      outbox = { to, msgs: [], transfer: [] };
      process.nextTick(flush);
    }
    outbox.msgs.push(msg);
    outbox.transfer.push(...transfer);
  };
  const flush = () => {
    const batch = outbox;
    outbox = null;
    if (!batch || batch.to !== worker) return;
    try {
      batch.to.postMessage(batch.msgs, batch.transfer);
    } catch (err) {
      // Nothing of the batch reached the thread: its requests fail as they would have in-thread (not sent).
      for (const m of batch.msgs) {
        const p = typeof m.id === 'number' ? pending.get(m.id) : undefined;
        if (!p) continue;
        pending.delete(m.id as number);
        p.done();
        p.reject(err);
      }
    }
  };

  const thread = (): Worker => {
    if (worker) return worker;
    const w = new Worker(new URL('./send-thread-worker.mjs', import.meta.url), {
      workerData: { maxSockets: MAX_SOCKETS_PER_HOST, freeSocketMs: FREE_SOCKET_MS }, // the in-thread pool's settings
    });
    w.on('message', (replies: Reply[]) => {
      for (const reply of replies) {
        const p = pending.get(reply.id);
        if (!p) continue; // aborted meanwhile
        pending.delete(reply.id);
        p.done();
        if (reply.error) p.reject(threadError(reply.error));
        else p.resolve(reply);
      }
    });
    // A crash emits 'error' before the replies already posted are read; 'exit' (which always follows) comes after
    // them. So its requests fail at 'exit' only: a reply that made it is never turned into a retry.
    let failure = '';
    w.on('error', (err) => {
      if (worker === w) worker = null;
      failure = `failed: ${err.message}`;
    });
    w.on('exit', (code) => {
      if (worker === w) worker = null;
      failOf(w, failure || `stopped (exit ${code})`);
      ending.delete(w);
    });
    worker = w;
    return w;
  };

  /** Posts a job; settles with the thread's reply, or rejects on an abort (the thread is told to drop it). */
  const call = (job: Record<string, unknown>, signal: AbortSignal | undefined, transfer?: ArrayBuffer[]): Promise<Reply> =>
    new Promise<Reply>((resolve, reject) => {
      if (signal?.aborted) return reject(abortReason(signal));
      // After close nothing is sent: the notice stays recorded as not sent, for the sweep after a restart.
      if (closed) return reject(Object.assign(new Error('send thread: closed'), { code: 'ECONNRESET' }));
      let to: Worker;
      try {
        to = thread();
      } catch (err) {
        return reject(err);
      }
      const id = nextId++;
      const onAbort = () => {
        if (!pending.delete(id)) return;
        if (worker === to) post(to, { abort: id });
        reject(abortReason(signal!));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      pending.set(id, { resolve, reject, done: () => signal?.removeEventListener('abort', onAbort), to });
      post(to, { ...job, id }, transfer);
    });

  const fetch: FetchLike = async (url, init = {}) => {
    const href = typeof url === 'string' ? url : url.href;
    const reply = await call({ url: href, method: init.method ?? 'GET', headers: init.headers ?? {}, body: init.body ?? '' }, init.signal ?? undefined);
    return threadResponse(href, { status: reply.status ?? 0, statusText: reply.statusText ?? '', headers: reply.headers ?? {}, body: reply.body ?? '' });
  };

  const smtpTransport = (urlOrOptions: string | SMTPTransportOptions): AnyTransporter => {
    const smtp = smtpTransportOptions(urlOrOptions);
    const transporter = {
      sendMail: async (mail: ThreadMail) => {
        const raw = new Uint8Array(mail.raw); // a copy, moved to the thread (a retry sends the notice's own bytes again)
        const reply = await call({ smtp, raw, envelope: mail.envelope }, mail.signal, [raw.buffer as ArrayBuffer]);
        return { messageId: reply.info?.messageId, response: reply.info?.response, envelope: mail.envelope };
      },
      close: () => undefined, // the sessions end with the thread
    };
    // EmailNotifier uses sendMail and close only; the rest of nodemailer's Transporter is not offered.
    return transporter as unknown as AnyTransporter;
  };

  return {
    fetch,
    smtpTransport,
    inFlight: () => pending.size,
    kill: async () => {
      const w = worker;
      worker = null;
      if (!w) return;
      await end(w);
      failOf(w, 'killed');
    },
    close: async () => {
      closed = true;
      const w = worker;
      worker = null;
      if (w) end(w).catch(() => undefined);
      const all = [...ending];
      await Promise.all(all.map(([, done]) => done.catch(() => undefined)));
      for (const [t] of all) failOf(t, 'closed');
    },
  };
}
