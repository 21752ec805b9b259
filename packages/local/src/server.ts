import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context, ScheduledEvent, SNSEvent } from 'aws-lambda';
import { apiGatewayEvent, lambdaContext, scheduledEvent, snsEventFromHttp, type SnsHttpBody } from './lambda-events';

type HttpHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2 | string | object | void>;
type SnsHandler = (event: SNSEvent, context: Context) => Promise<unknown>;
type ScheduledHandler = (event: ScheduledEvent, context: Context) => Promise<unknown>;

export interface ServerHandlers {
  alarm: SnsHandler;
  dashboard: HttpHandler;
  slack?: HttpHandler;
  /** `POST /webhooks/{source}`: Sentry, Google Cloud Monitoring, Azure Monitor, Alertmanager/Grafana, generic JSON. */
  webhooks?: HttpHandler;
  /** `POST /internal/sweep` (loopback callers only): one escalation sweep now, as the every-minute schedule runs it. */
  escalate?: ScheduledHandler;
}

export interface LocalServerOptions {
  handlers: ServerHandlers;
  host?: string;
  port?: number;
  /** Request bodies above this are refused with 413 (SNS messages are at most 256 KB). */
  maxBodyBytes?: number;
  log?: (line: string) => void;
}

export interface LocalServer {
  server: Server;
  url: string;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      req.resume();
      reject(new HttpError(413, `body of ${declared} bytes is over the ${limit}-byte limit`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(new HttpError(413, `body is over the ${limit}-byte limit`));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  // With its length known the answer goes out in one write, not as chunked frames.
  res.writeHead(status, {
    'content-type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

function isLoopback(address: string | undefined): boolean {
  return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';
}

/** `POST /internal/sweep`: run the escalation sweep now (tests, operators) instead of waiting for the minute. */
async function handleSweep(req: IncomingMessage, h: ServerHandlers): Promise<unknown> {
  if (req.method !== 'POST') throw new HttpError(405, 'POST /internal/sweep runs one escalation sweep');
  if (!isLoopback(req.socket.remoteAddress)) throw new HttpError(403, '/internal/sweep answers loopback callers only');
  if (!h.escalate) throw new HttpError(404, 'no escalation handler');
  return (await h.escalate(scheduledEvent('local-sweep'), lambdaContext('escalate', 60_000))) ?? {};
}

/** How long a stop waits for the requests in hand to be answered. */
const CLOSE_GRACE_MS = 15_000;

const SNS_TYPES = new Set(['Notification', 'SubscriptionConfirmation', 'UnsubscribeConfirmation']);

/** `POST /sns`: an SNS HTTP delivery (or a bare CloudWatch alarm message, for curl users) → the alarm handler. */
async function handleSns(
  body: Buffer,
  headers: IncomingMessage['headers'],
  h: ServerHandlers,
  log: (l: string) => void,
): Promise<{ status: number; body: unknown }> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new HttpError(400, 'body is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new HttpError(400, 'body is not a JSON object');
  let msg = parsed as Partial<SnsHttpBody> & Record<string, unknown>;
  if (msg.Type === undefined && typeof msg.AlarmName === 'string') {
    msg = { Type: 'Notification', Message: JSON.stringify(parsed), Subject: `${String(msg.NewStateValue ?? '')}: "${msg.AlarmName}"` };
  }
  const type = String(msg.Type ?? headers['x-amz-sns-message-type'] ?? '');
  if (!SNS_TYPES.has(type))
    throw new HttpError(400, `Type: expected Notification, SubscriptionConfirmation or UnsubscribeConfirmation, got ${JSON.stringify(msg.Type ?? null)}`);
  if (type === 'SubscriptionConfirmation' || type === 'UnsubscribeConfirmation') {
    log(`SNS ${type} for ${msg.TopicArn ?? '?'}: confirm by visiting ${msg.SubscribeURL ?? '(no SubscribeURL)'}`);
    return { status: 200, body: { acknowledged: type, subscribeUrl: msg.SubscribeURL ?? null } };
  }
  if (typeof msg.Message !== 'string') throw new HttpError(400, 'Message: expected a string');
  const result = await h.alarm(snsEventFromHttp(msg as SnsHttpBody), lambdaContext('alarm'));
  return { status: 200, body: result ?? {} };
}

export async function startLocalServer(opts: LocalServerOptions): Promise<LocalServer> {
  const limit = opts.maxBodyBytes ?? 512 * 1024;
  const log = opts.log ?? ((l: string) => process.stdout.write(`${l}\n`));
  const h = opts.handlers;
  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = req.method ?? 'GET';
    const path = (req.url ?? '/').split('?')[0];
    try {
      const body = method === 'GET' || method === 'HEAD' ? Buffer.alloc(0) : await readBody(req, limit);
      if (path === '/sns') {
        if (method !== 'POST') throw new HttpError(405, 'POST an SNS notification to /sns');
        const r = await handleSns(body, req.headers, h, log);
        send(res, r.status, r.body);
        return;
      }
      if (path === '/internal/sweep') {
        send(res, 200, await handleSweep(req, h));
        return;
      }
      const fn = path.startsWith('/slack/') ? 'slack' : path.startsWith('/webhooks/') ? 'webhooks' : 'dashboard';
      const handler = h[fn];
      if (!handler) throw new HttpError(404, `no route ${method} ${path}`);
      const event = apiGatewayEvent({ method, url: req.url ?? '/', headers: req.headers, body, sourceIp: req.socket.remoteAddress ?? '127.0.0.1' });
      const out = await handler(event, lambdaContext(fn));
      writeApiResult(res, out);
    } catch (err) {
      if (err instanceof HttpError) {
        send(res, err.status, { error: err.message });
        return;
      }
      // The alarm handler failed (a delivery or the store): answer 5xx so SNS delivers again; nothing is lost.
      const e = err as Error;
      log(`${method} ${path}: ${e.name}: ${e.message}`);
      send(res, e.name === 'RetryableDeliveryFailure' ? 502 : 500, { error: `${e.name}: ${e.message}` });
    }
  };
  const inFlight = new Set<Promise<void>>();
  const server = createServer((req, res) => {
    const handling = serve(req, res).finally(() => inFlight.delete(handling));
    inFlight.add(handling);
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 3000, opts.host ?? '127.0.0.1', () => resolve());
  });
  const { port, address } = server.address() as AddressInfo;
  return {
    server,
    url: `http://${address}:${port}`,
    // New connections are refused at once; requests being handled get their answer first (for a grace period:
    // every handler has a deadline of its own, this only bounds a stop behind a handler that forgot one).
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      let grace: NodeJS.Timeout | undefined;
      await Promise.race([Promise.allSettled([...inFlight]), new Promise((resolve) => (grace = setTimeout(resolve, CLOSE_GRACE_MS)))]);
      clearTimeout(grace);
      server.closeAllConnections();
      await closed;
    },
  };
}

/** API Gateway v2's rules: a structured result is used as is; anything else becomes a 200 JSON body. */
function writeApiResult(res: ServerResponse, out: unknown): void {
  if (out && typeof out === 'object' && 'statusCode' in out) {
    const r = out as APIGatewayProxyStructuredResultV2;
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(r.headers ?? {})) headers[k] = String(v);
    if (r.cookies?.length) headers['set-cookie'] = r.cookies;
    res.writeHead(r.statusCode ?? 200, headers);
    res.end(r.body === undefined ? '' : r.isBase64Encoded ? Buffer.from(r.body, 'base64') : r.body);
    return;
  }
  send(res, 200, typeof out === 'string' ? out : (out ?? {}));
}
