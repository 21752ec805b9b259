// The send thread of `npm start` (send-thread.ts): the HTTP requests of the webhook channels (Slack,
// PagerDuty) on keep-alive pools of their own, and the SMTP sessions of email, so that their sockets, parsers
// and streams use the second core instead of the one that takes alarms. Plain JS: a worker does not inherit
// tsx's loader in every host.
//
// in:  arrays of { id, url, method, headers, body }, { id, smtp: options, raw, envelope }, { abort: id }
// out: arrays of { id, status, statusText, headers, body }, { id, info: { messageId, response } }, { id, error }
// (what one callback of the alarm thread, or one turn of this one, has to say goes as one message: one wake-up of
// the other thread).
import { Agent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { parentPort, workerData } from 'node:worker_threads';
import nodemailer from 'nodemailer';

// The pool settings of packages/aws/src/notifiers/http.ts (the Lambda's in-thread pool), passed by send-thread.ts.
const { maxSockets, freeSocketMs } = workerData;
const pools = {
  'http:': new Agent({ keepAlive: true, maxSockets, timeout: freeSocketMs }),
  'https:': new HttpsAgent({ keepAlive: true, maxSockets, timeout: freeSocketMs }),
};
let replies = null;
function reply(msg) {
  if (!replies) {
    replies = [];
    setImmediate(() => {
      const batch = replies;
      replies = null;
      try {
        parentPort.postMessage(batch);
      } catch {
        // A field that cannot be cloned (an exotic error property): each reply alone, errors as plain text.
        for (const r of batch) {
          try {
            parentPort.postMessage([r]);
          } catch {
            parentPort.postMessage([
              { id: r.id, error: { name: String(r.error?.name ?? 'Error'), message: String(r.error?.message ?? 'send thread: unreadable reply') } },
            ]);
          }
        }
      }
    });
  }
  replies.push(msg);
}

/** id → the request (destroyed by an abort) or an SMTP job's AbortController. */
const inFlight = new Map();

/** What the notifiers read of an error: its name, message and code; SMTP's reply code, reply, command and verdict. */
function errorFields(err) {
  const e = err ?? {};
  const out = { name: e.name ?? 'Error', message: e.message ?? String(err) };
  for (const k of ['code', 'responseCode', 'response', 'command', 'permanent']) if (e[k] !== undefined) out[k] = e[k];
  if (Array.isArray(e.rejectedErrors)) out.rejectedErrors = e.rejectedErrors.map((r) => ({ responseCode: r?.responseCode, response: r?.response }));
  return out;
}

function fail(id, err) {
  inFlight.delete(id);
  reply({ id, error: errorFields(err) });
}

/** One pooled SMTP transport per set of options (a router has one). */
const smtpTransports = new Map();

function sendSmtp(job) {
  const key = JSON.stringify(job.smtp);
  let transport = smtpTransports.get(key);
  if (!transport) {
    transport = nodemailer.createTransport(job.smtp);
    // A transport-level error (an OAuth2 token that fails) also fails the send it concerns; unheard, it would end
    // the thread and every send in it.
    transport.on('error', () => undefined);
    smtpTransports.set(key, transport);
  }
  const ac = new AbortController();
  inFlight.set(job.id, ac);
  transport.sendMail({ raw: Buffer.from(job.raw), envelope: job.envelope, disableFileAccess: true, disableUrlAccess: true, signal: ac.signal }).then(
    (info) => {
      if (inFlight.delete(job.id)) reply({ id: job.id, info: { messageId: info.messageId, response: info.response } });
    },
    (err) => inFlight.has(job.id) && fail(job.id, err),
  );
}

function start(job, mayRetryStale) {
  const target = new URL(job.url);
  const pool = pools[target.protocol];
  if (!pool) return fail(job.id, new TypeError(`unsupported protocol ${target.protocol}`));
  const headers = { ...job.headers, 'content-length': String(Buffer.byteLength(job.body)) };
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  let responded = false;
  const req = send(target, { method: job.method, headers, agent: pool }, (res) => {
    responded = true;
    const chunks = [];
    res.on('data', (c) => chunks.push(c));
    res.on('end', () => {
      if (!inFlight.delete(job.id)) return;
      const flat = {};
      for (const [k, v] of Object.entries(res.headers)) flat[k] = Array.isArray(v) ? v.join(', ') : (v ?? '');
      reply({
        id: job.id,
        status: res.statusCode ?? 0,
        statusText: res.statusMessage ?? '',
        headers: flat,
        body: Buffer.concat(chunks).toString('utf8'),
      });
    });
    res.on('error', (err) => inFlight.has(job.id) && fail(job.id, err));
    res.on('close', () => {
      if (!res.complete && inFlight.has(job.id)) fail(job.id, Object.assign(new Error('response closed before its end'), { code: 'ECONNRESET' }));
    });
  });
  inFlight.set(job.id, req);
  req.on('error', (err) => {
    if (inFlight.get(job.id) !== req) return; // aborted, or answered
    // A keep-alive socket the peer closed while it sat idle fails at once: that request never reached the peer.
    // Only while no response has begun: a reset mid-response is a failure of a request the peer received.
    if (mayRetryStale && !responded && req.reusedSocket && (err.code === 'ECONNRESET' || err.code === 'EPIPE')) {
      try {
        start(job, false);
      } catch (again) {
        fail(job.id, again);
      }
    } else fail(job.id, err);
  });
  req.end(job.body);
}

parentPort.on('message', (batch) => {
  for (const msg of batch) {
    if (msg.abort !== undefined) {
      const job = inFlight.get(msg.abort);
      inFlight.delete(msg.abort);
      if (job instanceof AbortController) job.abort();
      else job?.destroy();
      continue;
    }
    // A request that cannot even be made (a bad URL, a header with a control character) fails alone, with its own
    // error, as it would in-thread: it must not take the thread, and the sends of others, down with it.
    try {
      if (msg.smtp) sendSmtp(msg);
      else start(msg, true);
    } catch (err) {
      fail(msg.id, err);
    }
  }
});
