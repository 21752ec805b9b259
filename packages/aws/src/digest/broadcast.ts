/**
 * Sends one message that is not an incident notice (the daily digest, the hygiene report, a stakeholder update)
 * to the incident channel on Slack and to an email list, each independently and through the shared retry rule.
 * Slack goes through the Web API when the bot token and channel are set (as incident notices do), else through the
 * incoming webhook. A channel that is not configured prints to the local outbox instead, as the notifiers do.
 */
import type { Notice, Notifier } from '@alert-router/core';
import { IncomingWebhook, IncomingWebhookHTTPError, IncomingWebhookRequestError, type FetchFunction } from '@slack/webhook';
import { emailDeliveryError, type AnyTransporter } from '../notifiers/email';
import { httpDeliveryError, requestDeliveryError } from '../notifiers/http';
import { SlackWebApiNotifier, type SlackMessageRef, type SlackPost } from '../notifiers/slack-web-api';
import { deliverWithRetry, type RetryOptions } from '../notifiers/retry';
import type { Runtime } from '../runtime';

/** Posts a message through a Slack incoming webhook; throws DeliveryError (retryable per the shared rule). */
export async function postDigest(webhookUrl: string, message: object, opts: { fetch?: typeof fetch; signal?: AbortSignal } = {}): Promise<void> {
  const fetchImpl = opts.fetch ?? globalThis.fetch;
  let retryAfter: string | null = null;
  const fetchFn: FetchFunction = async (url, init) => {
    const res = await fetchImpl(url, { ...init, signal: opts.signal });
    retryAfter = res.headers.get('retry-after');
    return res as unknown as Awaited<ReturnType<FetchFunction>>;
  };
  const webhook = new IncomingWebhook(webhookUrl, { fetch: fetchFn, retryConfig: { retries: 0 }, timeout: 0 });
  try {
    await webhook.send(message as Parameters<IncomingWebhook['send']>[0]);
  } catch (err) {
    if (err instanceof IncomingWebhookHTTPError) throw httpDeliveryError('slack', err.statusCode, err.body, retryAfter);
    if (err instanceof IncomingWebhookRequestError) throw requestDeliveryError('slack', err.original, opts.signal);
    throw requestDeliveryError('slack', err, opts.signal);
  }
}

export type ChannelResult =
  | { status: 'sent'; attempts: number }
  | { status: 'failed'; attempts: number; error: string }
  | { status: 'outbox' }
  /** Not meant for this channel (e.g. a P2 stakeholder update is not emailed). */
  | { status: 'skipped' };

export interface BroadcastResult {
  slack: ChannelResult;
  email: ChannelResult;
}

export interface BroadcastDeps {
  /** fetch for the Slack webhook (tests; the Web API uses its notifier's). */
  fetch?: typeof fetch;
  /** Email transport (default: SMTP from SMTP_URL, else Amazon SES in SES_REGION, as the email notifier). */
  transport?: AnyTransporter;
  /** Where unconfigured channels print (default: stdout, like the outbox notifier). */
  print?: (line: string) => void;
  retry?: RetryOptions;
  timeZone?: string;
}

/** What to send: each channel's message is built only when that channel is live; null skips the channel. */
export interface BroadcastMessage {
  headline: string;
  slack: (() => SlackPost) | null;
  /** Through the Web API, post as a reply in this message's thread (an incident's first message), else top level. */
  slackThread?: SlackMessageRef | null;
  /** Mail options for nodemailer (`from`, `to` filled in from the arguments). */
  email: ((from: string, to: string[]) => Record<string, unknown>) | null;
  /** Recipients (default: EMAIL_TO). */
  emailTo?: string[];
}

/** The shared retry rule (retry.ts) drives a one-off send through a notifier. */
function once(channel: 'slack' | 'email', send: (signal: AbortSignal) => Promise<void>): Notifier {
  return {
    channel,
    send: async (_notice, signal) => {
      await send(signal);
      return {};
    },
  };
}

// Not an incident notice; deliverWithRetry only hands this through to `send` above.
const NO_NOTICE = {} as Notice;

/**
 * A channel's outcome. The error went through the secret redactor: a peer's answer may echo the webhook URL
 * path, the routing key or the SMTP credentials, and this text is logged and thrown by the handler.
 */
function result(o: { status: 'delivered' | 'failed'; attempts: number; error?: string }, redact: (text: string) => string): ChannelResult {
  return o.status === 'delivered' ? { status: 'sent', attempts: o.attempts } : { status: 'failed', attempts: o.attempts, error: redact(o.error ?? 'failed') };
}

/** `err` with the secrets taken out of its message and stack (the Lambda runtime logs both when it is thrown). */
export function redactedError(err: unknown, redact: (text: string) => string): Error {
  if (!(err instanceof Error)) return new Error(redact(String(err)));
  err.message = redact(err.message);
  if (err.stack) err.stack = redact(err.stack);
  return err;
}

/** The Web API notifier incident notices go through (its clients and pool), when the bot token and channel are set. */
function slackWebApi(rt: Runtime): SlackWebApiNotifier | null {
  const { slackBotToken: token, slackChannel: channel, slackApiUrl } = rt.config;
  if (!token || !channel) return null;
  const live = rt.notifiers.slack;
  return live instanceof SlackWebApiNotifier ? live : new SlackWebApiNotifier({ token, channel, apiUrl: slackApiUrl ?? undefined });
}

export async function broadcast(rt: Runtime, msg: BroadcastMessage, deps: BroadcastDeps = {}): Promise<BroadcastResult> {
  const redact = rt.redact;
  const print = deps.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const retry: RetryOptions = { budgetMs: 20_000, ...deps.retry };
  const at = rt.now().toISOString();
  const to = msg.emailTo ?? rt.config.emailTo;

  const slack = async (): Promise<ChannelResult> => {
    if (!msg.slack) return { status: 'skipped' };
    const webApi = slackWebApi(rt);
    const url = rt.config.slackWebhookUrl;
    if (!webApi && !url) {
      print(`[outbox] ${at} slack     ${msg.headline}`);
      return { status: 'outbox' };
    }
    const message = msg.slack();
    const send = webApi
      ? async (signal: AbortSignal) => void (await webApi.post(message, signal, msg.slackThread))
      : (signal: AbortSignal) => postDigest(url!, message, { fetch: deps.fetch, signal });
    return result(await deliverWithRetry(once('slack', send), NO_NOTICE, retry), redact);
  };

  const email = async (): Promise<ChannelResult> => {
    if (!msg.email) return { status: 'skipped' };
    if (!(rt.config.smtpUrl || rt.config.sesRegion) || !rt.config.emailFrom || to.length === 0) {
      print(`[outbox] ${at} email     ${msg.headline}`);
      return { status: 'outbox' };
    }
    const mail = msg.email(rt.config.emailFrom, to);
    const mailer = deps.transport ? null : await import('../notifiers/mailer'); // nodemailer loads only to send
    const transport =
      deps.transport ??
      (rt.config.smtpUrl ? mailer!.createSmtpTransport(rt.config.smtpUrl) : mailer!.createSesTransport({ region: rt.config.sesRegion ?? undefined }));
    try {
      return result(
        await deliverWithRetry(
          once('email', async (signal) => {
            try {
              await transport.sendMail({ ...mail, signal } as Parameters<AnyTransporter['sendMail']>[0]);
            } catch (err) {
              throw emailDeliveryError(err, signal);
            }
          }),
          NO_NOTICE,
          retry,
        ),
        redact,
      );
    } finally {
      if (!deps.transport) transport.close();
    }
  };

  const [s, e] = await Promise.all([slack(), email()]);
  return { slack: s, email: e };
}

/** Mail options shared by bulletins: automatic mail, no file or URL access for nodemailer. */
export function bulletinMail(from: string, to: string[], rendered: { subject: string; text: string; html: string }, event: string): Record<string, unknown> {
  return {
    from,
    to,
    ...rendered,
    headers: { 'Auto-Submitted': 'auto-generated', 'X-Auto-Response-Suppress': 'All', 'X-Alert-Router-Event': event },
    disableFileAccess: true,
    disableUrlAccess: true,
  };
}
