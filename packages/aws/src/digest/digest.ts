/**
 * The daily digest: read the window's incidents through the by-day index (only the days the window spans),
 * the unresolved ones through the status index and the silences; compute (core/digest.ts); send to Slack
 * (incoming webhook, Block Kit) and email (HTML + plain text + the chart as an inline PNG). Channels that are
 * not configured print to the local outbox instead, as the notifiers do.
 */
import {
  computeDigest,
  digestSubject,
  hourlyChartPng,
  renderDigestEmail,
  renderDigestSlack,
  type DigestReport,
  type Notice,
  type Notifier,
  type Policy,
} from '@alert-router/core';
import { IncomingWebhook, IncomingWebhookHTTPError, IncomingWebhookRequestError, type FetchFunction } from '@slack/webhook';
import { liveChannels } from '../config';
import { silencesInForce } from '../dashboard/data';
import { emailDeliveryError, type AnyTransporter } from '../notifiers/email';
import { httpDeliveryError, requestDeliveryError } from '../notifiers/http';
import { deliverWithRetry, type RetryOptions } from '../notifiers/retry';
import type { Runtime } from '../runtime';

/** Most incidents a digest reads from each index (a day with more is cut, and says so in the logs). */
export const DIGEST_READ_LIMIT = 20_000;
export const CHART_CID = 'digest-chart@alert-router';

/** The digest of the `hours` before `to` (default: the last 24 hours until now). */
export async function loadDigest(rt: Runtime, opts: { hours?: number; to?: Date } = {}): Promise<DigestReport> {
  const to = opts.to ?? rt.now();
  const hours = opts.hours ?? 24;
  const toIso = to.toISOString();
  const fromIso = new Date(to.getTime() - hours * 3_600_000).toISOString();
  const [incidents, unresolved, silences] = await Promise.all([
    rt.store.listOpenedBetween(fromIso, toIso, DIGEST_READ_LIMIT),
    rt.store.listUnresolved(DIGEST_READ_LIMIT),
    silencesInForce(rt, toIso),
  ]);
  return computeDigest({ incidents, unresolved, silences, policy: rt.policy, from: fromIso, to: toIso });
}

/** Posts a digest message through a Slack incoming webhook; throws DeliveryError (retryable per the shared rule). */
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

export interface DigestEmailOptions {
  from: string;
  to: string[];
  policy: Policy;
  dashboardUrl?: string | null;
  /** Hour labels of the chart (default: the policy's time zone). */
  timeZone?: string;
}

/** The email as nodemailer mail options: HTML with the chart inline (cid), plain text, no chart on empty days. */
export function digestMail(report: DigestReport, o: DigestEmailOptions) {
  const png = report.empty ? null : hourlyChartPng(report.hourly, { timeZone: o.timeZone ?? o.policy.timezone });
  const { subject, text, html } = renderDigestEmail(report, { policy: o.policy, dashboardUrl: o.dashboardUrl, chartCid: png ? CHART_CID : null });
  return {
    from: o.from,
    to: o.to,
    subject,
    text,
    html,
    attachments: png ? [{ filename: 'incidents-per-hour.png', content: png, contentType: 'image/png', cid: CHART_CID, contentDisposition: 'inline' as const }] : [],
    headers: { 'Auto-Submitted': 'auto-generated', 'X-Auto-Response-Suppress': 'All', 'X-Alert-Router-Event': 'digest' },
    disableFileAccess: true,
    disableUrlAccess: true,
  };
}

export type ChannelResult = { status: 'sent'; attempts: number } | { status: 'failed'; attempts: number; error: string } | { status: 'outbox' };

export interface DigestRun {
  report: DigestReport;
  slack: ChannelResult;
  email: ChannelResult;
}

export interface DigestDeps {
  /** fetch for the Slack webhook (tests). */
  fetch?: typeof fetch;
  /** Email transport (default: SMTP from SMTP_URL, else Amazon SES in SES_REGION, as the email notifier). */
  transport?: AnyTransporter;
  /** Where unconfigured channels print (default: stdout, like the outbox notifier). */
  print?: (line: string) => void;
  retry?: RetryOptions;
  timeZone?: string;
}

/** The shared retry rule (retry.ts) drives a digest send through a one-off notifier. */
function once(channel: 'slack' | 'email', send: (signal: AbortSignal) => Promise<void>): Notifier {
  return {
    channel,
    send: async (_notice, signal) => {
      await send(signal);
      return {};
    },
  };
}

// The digest is not an incident notice; deliverWithRetry only hands this through to `send` above.
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

/** Sends a computed digest to Slack and email (each independently; one failing does not stop the other). */
export async function sendDigest(rt: Runtime, report: DigestReport, deps: DigestDeps = {}): Promise<Omit<DigestRun, 'report'>> {
  const live = liveChannels(rt.config);
  const redact = rt.redact;
  const print = deps.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const retry: RetryOptions = { budgetMs: 20_000, ...deps.retry };
  const headline = digestSubject(report);
  const at = rt.now().toISOString();

  const slack = async (): Promise<ChannelResult> => {
    if (!live.slack || !rt.config.slackWebhookUrl) {
      print(`[outbox] ${at} slack     ${headline}`);
      return { status: 'outbox' };
    }
    const message = renderDigestSlack(report, { policy: rt.policy, dashboardUrl: rt.config.dashboardUrl });
    const url = rt.config.slackWebhookUrl;
    return result(await deliverWithRetry(once('slack', (signal) => postDigest(url, message, { fetch: deps.fetch, signal })), NO_NOTICE, retry), redact);
  };

  const email = async (): Promise<ChannelResult> => {
    if (!live.email || !rt.config.emailFrom) {
      print(`[outbox] ${at} email     ${headline}`);
      return { status: 'outbox' };
    }
    const mail = digestMail(report, {
      from: rt.config.emailFrom,
      to: rt.config.emailTo,
      policy: rt.policy,
      dashboardUrl: rt.config.dashboardUrl,
      timeZone: deps.timeZone,
    });
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

/** Load and send: what the scheduled handler runs. */
export async function runDigest(rt: Runtime, opts: { hours?: number; to?: Date } & DigestDeps = {}): Promise<DigestRun> {
  const report = await loadDigest(rt, opts);
  const sent = await sendDigest(rt, report, opts);
  rt.metrics.count('DigestsSent', 1);
  return { report, ...sent };
}
