/**
 * Slack through the Web API (@slack/web-api) with a bot token: one message per incident, and everything after it
 * (updates of a group, acknowledge, resolve, escalation) as a reply in that message's thread while the message
 * itself is edited in place to show where the incident stands. The client's own retries and rate-limit waits are
 * off: the shared retry rule (retry.ts) decides, from the DeliveryError this file makes of each failure.
 */
import type { FetchFunction, WebAPICallResult, WebClient } from '@slack/web-api';
import { DeliveryError } from '@alert-router/core/errors';
import { noticeTarget, type DeliveryRecord, type Incident } from '@alert-router/core/incident';
import type { Notice, Notifier, SendResult } from '@alert-router/core/notifier';
import { renderSlack, renderSlackParent, type SlackMessage } from '@alert-router/core/render/slack';
import { bodyExcerpt, httpDeliveryError, pooledFetch, requestDeliveryError, type FetchLike } from './http';

export const SLACK_API_URL = 'https://slack.com/api/';

export interface SlackWebApiNotifierOptions {
  /** Bot token `xoxb-…` (a secret: never logged). */
  token: string;
  /** Channel ID (`C0123ABCD`) or name (`#incidents`) the bot posts in. */
  channel: string;
  /** Base URL of the Web API (a loopback peer in tests). */
  apiUrl?: string;
  /** fetch implementation (default: the shared keep-alive pool, http.ts pooledFetch). */
  fetch?: FetchLike;
  /** Told when the parent message could not be edited (the thread reply still goes out). */
  onParentUpdateFailed?: (info: { ref: string; error: string }) => void;
}

/**
 * Slack `ok: false` errors that may succeed later; every other code (invalid_auth, channel_not_found,
 * not_in_channel, msg_too_long, invalid_blocks…) will not, whatever the number of tries.
 */
const RETRYABLE_ERRORS = new Set([
  'ratelimited',
  'rate_limited',
  'internal_error',
  'fatal_error',
  'service_unavailable',
  'request_timeout',
  'team_added_to_org',
]);

/** A message's reference as the router records it: `<channel id>:<ts>`. */
export interface SlackMessageRef {
  channel: string;
  ts: string;
}

export function formatSlackRef(ref: SlackMessageRef): string {
  return `${ref.channel}:${ref.ts}`;
}

/** The Web API reference in a delivery's `ref`, or null (a webhook delivery has none, the outbox's is `outbox:N`). */
export function parseSlackRef(ref: string | undefined): SlackMessageRef | null {
  const m = ref ? /^([A-Z0-9]+):(\d+\.\d+)$/i.exec(ref) : null;
  return m ? { channel: m[1], ts: m[2] } : null;
}

const landedRef = (d: DeliveryRecord | undefined): SlackMessageRef | null => (d && (d.status === 'delivered' || d.mayHaveLanded) ? parseSlackRef(d.ref) : null);

/**
 * The incident's first Slack message: its trigger's, when that was delivered (or may have landed) with a Web API
 * ref; else, for an incident Slack first heard of by an escalation (a P2 escalated to the team lead), the first
 * escalation that landed (posted top-level, as it had no parent then). Null when Slack has no message of it.
 */
export function parentMessage(incident: Pick<Incident, 'deliveries'>): SlackMessageRef | null {
  const deliveries = incident.deliveries ?? {};
  const trigger = landedRef(deliveries['trigger:slack']);
  if (trigger) return trigger;
  const first = Object.entries(deliveries)
    .filter(([key, d]) => noticeTarget(key, d).channel === 'slack' && noticeTarget(key, d).event === 'escalate' && landedRef(d))
    .sort(([, a], [, b]) => a.at.localeCompare(b.at))[0];
  return first ? landedRef(first[1]) : null;
}

/** How long an update waits for its incident's first message before it is tried again (the sweep runs every minute). */
const WAIT_FOR_PARENT_MS = 60_000;

/** The incident's Slack trigger is recorded and may still land (pending, scheduled, or failed but retried). */
function firstMessageComing(incident: Pick<Incident, 'deliveries'>): boolean {
  const d = incident.deliveries?.['trigger:slack'];
  return !!d && (d.status === 'pending' || d.status === 'scheduled' || (d.status === 'failed' && d.retryable !== false));
}

let loaded: Promise<typeof import('@slack/web-api')> | null = null;
/** The library loads on the first Slack send: a function that never posts to Slack never loads it. */
function library(): Promise<typeof import('@slack/web-api')> {
  loaded ??= import('@slack/web-api').catch((err: unknown) => {
    loaded = null;
    throw err;
  });
  return loaded;
}

const silentLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  setLevel: () => undefined,
  getLevel: () => 'error' as never,
  setName: () => undefined,
};

/** What the last HTTP exchange of one call came to (the library's errors drop the Retry-After of an HTTP date). */
interface LastResponse {
  status: number | null;
  retryAfter: string | null;
}

interface ClientLease {
  client: WebClient;
  state: { signal: AbortSignal | null; last: LastResponse };
}

/** Clients kept for reuse between sends (one per concurrent send at most). */
const IDLE_CLIENTS_MAX = 16;
/** Parent messages whose last edit is remembered (the least recently edited are forgotten first). */
const PARENTS_REMEMBERED = 500;

/** Rejects when `signal` aborts (with its reason); never resolves. */
function aborted(signal: AbortSignal): Promise<never> {
  return new Promise<never>((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

export class SlackWebApiNotifier implements Notifier {
  readonly channel = 'slack' as const;
  readonly threads = true;
  private readonly token: string;
  private readonly target: string;
  private readonly apiUrl: string;
  private readonly fetchImpl: FetchLike;
  private readonly onParentUpdateFailed?: SlackWebApiNotifierOptions['onParentUpdateFailed'];
  private readonly idle: ClientLease[] = [];
  /** Per parent message (`<channel>:<ts>`): the newest incident revision an edit showed, and the edit queue. */
  private readonly parents = new Map<string, { shownRev: number | null; queue: Promise<void> }>();

  constructor(options: SlackWebApiNotifierOptions) {
    if (!options.token) throw new TypeError('SlackWebApiNotifier: token is required');
    if (!options.channel) throw new TypeError('SlackWebApiNotifier: channel is required');
    this.token = options.token;
    this.target = options.channel;
    const url = options.apiUrl ?? SLACK_API_URL;
    this.apiUrl = url.endsWith('/') ? url : `${url}/`;
    this.fetchImpl = options.fetch ?? pooledFetch;
    this.onParentUpdateFailed = options.onParentUpdateFailed;
  }

  async send(notice: Notice, signal: AbortSignal): Promise<SendResult> {
    return this.withClient(signal, (lease) => this.sendWith(lease, notice, signal));
  }

  /**
   * Posts a message that is not an incident notice (the digest, the hygiene report, a stakeholder update): top level
   * in the channel, or as a reply in `thread`. Resolves with its ref; throws a DeliveryError as `send` does.
   */
  async post(message: SlackPost, signal: AbortSignal, thread?: SlackMessageRef | null): Promise<string> {
    const where = thread ? { channel: thread.channel, thread_ts: thread.ts } : { channel: this.target };
    return this.withClient(signal, ({ client, state }) => this.call(client, 'chat.postMessage', { ...where, ...payload(message) }, state.last, signal));
  }

  private async withClient<T>(signal: AbortSignal, use: (lease: ClientLease) => Promise<T>): Promise<T> {
    signal.throwIfAborted();
    const lease = await this.lease();
    lease.state.signal = signal;
    try {
      return await use(lease);
    } finally {
      this.release(lease);
    }
  }

  /**
   * A client for one send at a time (building one costs ~0.1 ms of CPU: the library binds every API method), with
   * the state its fetch wrapper reads: this send's AbortSignal, and the last response's status and Retry-After.
   */
  private async lease(): Promise<ClientLease> {
    const idle = this.idle.pop();
    if (idle) return idle;
    const { WebClient } = await library();
    const state: ClientLease['state'] = { signal: null, last: { status: null, retryAfter: null } };
    const fetchFn: FetchFunction = async (url, init) => {
      const { last } = state;
      last.status = null;
      last.retryAfter = null;
      const res = await this.fetchImpl(url, {
        method: init?.method,
        headers: init?.headers,
        body: init?.body as string,
        redirect: 'error',
        signal: state.signal,
      });
      last.status = res.status;
      last.retryAfter = res.headers.get('retry-after');
      return res as Awaited<ReturnType<FetchFunction>>;
    };
    const client = new WebClient(this.token, {
      slackApiUrl: this.apiUrl,
      fetch: fetchFn,
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
      timeout: 0,
      allowAbsoluteUrls: false,
      logger: silentLogger,
    });
    return { client, state };
  }

  private release(lease: ClientLease): void {
    lease.state.signal = null;
    if (this.idle.length < IDLE_CLIENTS_MAX) this.idle.push(lease);
  }

  private async sendWith({ client, state }: ClientLease, notice: Notice, signal: AbortSignal): Promise<SendResult> {
    const last = state.last;
    const call = (method: 'chat.postMessage' | 'chat.update', args: Record<string, unknown>) => this.call(client, method, args, last, signal);

    const parent = notice.event === 'trigger' ? null : parentMessage(notice.incident);
    if (!parent && notice.event === 'update' && firstMessageComing(notice.incident)) {
      // Posted now it would be a message of its own; once the first one lands (its retry names every member
      // anyway) this goes in its thread. A Retry-After beyond any budget leaves it to a later run at once.
      throw new DeliveryError(`slack: the incident's first message has not landed yet; the update waits for it`, {
        retryable: true,
        retryAfterMs: WAIT_FOR_PARENT_MS,
        context: { channel: 'slack', waiting: 'trigger:slack' },
      });
    }
    if (!parent) {
      return { ref: await call('chat.postMessage', { channel: this.target, ...payload(renderSlack(notice)) }) };
    }
    // The parent first: an edit is idempotent, so a retry after a failed reply repeats it harmlessly; a failed
    // edit (message_not_found, cant_update_message, even a 429) never keeps the reply from going out.
    try {
      await this.editParent(parent, notice, signal, () => {
        const { text, blocks, attachments } = payload(renderSlackParent(notice));
        return call('chat.update', { channel: parent.channel, ts: parent.ts, text, blocks, attachments });
      });
    } catch (err) {
      signal.throwIfAborted();
      this.onParentUpdateFailed?.({ ref: formatSlackRef(parent), error: (err as Error).message });
    }
    const reply = renderSlack(notice);
    return {
      ref: await call('chat.postMessage', {
        channel: parent.channel,
        thread_ts: parent.ts,
        // An escalation is also shown in the channel: it asks more people to look.
        ...(notice.event === 'escalate' ? { reply_broadcast: true } : {}),
        ...payload(reply),
      }),
    };
  }

  /**
   * Edits of one message run one at a time in this process, and an edit showing an older revision of the incident
   * than the message already shows is left out: notices of a storm sent concurrently would otherwise leave the
   * message reading whichever state landed last. (Across processes the next notice's edit catches up.)
   */
  private async editParent(parent: SlackMessageRef, notice: Notice, signal: AbortSignal, edit: () => Promise<unknown>): Promise<void> {
    const key = formatSlackRef(parent);
    const entry = this.parents.get(key) ?? { shownRev: null, queue: Promise.resolve() };
    this.parents.delete(key); // re-inserted last: the map forgets the least recently edited first
    this.parents.set(key, entry);
    if (this.parents.size > PARENTS_REMEMBERED) this.parents.delete(this.parents.keys().next().value as string);
    const rev = notice.incident.rev;
    const run = entry.queue.then(async () => {
      signal.throwIfAborted();
      if (rev !== undefined && entry.shownRev !== null && rev < entry.shownRev) return;
      await edit();
      if (rev !== undefined) entry.shownRev = Math.max(rev, entry.shownRev ?? rev);
    });
    entry.queue = run.catch(() => undefined);
    await Promise.race([run, aborted(signal)]);
  }

  /** One Web API call; resolves with the message's ref, or throws a DeliveryError per the shared rule. */
  private async call(client: WebClient, method: string, args: Record<string, unknown>, last: LastResponse, signal: AbortSignal): Promise<string> {
    let result: WebAPICallResult & { channel?: string; ts?: string };
    try {
      result = await client.apiCall(method, args);
    } catch (err) {
      throw slackApiError(method, err, last, signal);
    }
    const channel = typeof result.channel === 'string' ? result.channel : String(args.channel);
    return typeof result.ts === 'string' ? formatSlackRef({ channel, ts: result.ts }) : channel;
  }
}

/** A message other than an incident notice (digest and bulletins carry no attachments). */
export type SlackPost = Omit<SlackMessage, 'attachments'> & { attachments?: SlackMessage['attachments'] };

/** The message fields chat.postMessage and chat.update take (the webhook payload's, as they are). */
function payload(m: SlackPost): Record<string, unknown> {
  return { text: m.text, blocks: m.blocks, attachments: m.attachments, unfurl_links: m.unfurl_links, unfurl_media: m.unfurl_media };
}

/** A failed Web API call as a DeliveryError: HTTP statuses per the shared rule, `ok: false` by its error code. */
function slackApiError(method: string, err: unknown, last: LastResponse, signal: AbortSignal): DeliveryError {
  const e = err as { code?: string; data?: { error?: unknown }; statusCode?: number; body?: unknown; original?: unknown; retryAfter?: number } | null;
  if (e?.code === 'slack_webapi_platform_error') {
    const code = typeof e.data?.error === 'string' ? e.data.error : 'unknown_error';
    const retryable = RETRYABLE_ERRORS.has(code);
    return new DeliveryError(`slack: ${method}: ${bodyExcerpt(code, 80)}`, {
      retryable,
      context: { channel: 'slack', method, slackError: code },
    });
  }
  if (e?.code === 'slack_webapi_request_error') return requestDeliveryError('slack', e.original ?? err, signal);
  const status = e?.statusCode ?? last.status;
  if (status !== null && status !== undefined && status !== 200) {
    // 429 (the library's rate-limited error, or its error for a Retry-After it cannot read) and other statuses.
    const retryAfter = last.retryAfter ?? (typeof e?.retryAfter === 'number' ? String(e.retryAfter) : null);
    const body = typeof e?.body === 'string' ? e.body : '';
    return httpDeliveryError('slack', status, body, retryAfter, `${method}${body ? `: ${bodyExcerpt(body, 200)}` : ''}`);
  }
  return requestDeliveryError('slack', err, signal);
}
