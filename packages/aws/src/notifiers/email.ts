/**
 * Email notifier (nodemailer): SMTP by URL or options, an existing transporter, or one made on first use
 * (Amazon SES). nodemailer itself is loaded on the first send (mailer.ts), not when the notifier is made.
 */
import { randomUUID } from 'node:crypto';
import { DeliveryError } from '@alert-router/core/errors';
import type { Notice, Notifier, SendResult } from '@alert-router/core/notifier';
import { renderEmail } from '@alert-router/core/render/email';
import { headerSafe } from '@alert-router/core/render/escape';
import type { NodemailerError, SMTPTransportOptions } from 'nodemailer';
import { requestDeliveryError } from './http';
import type { AnyTransporter, ComposedMail } from './mailer';

export type { AnyTransporter } from './mailer';

/** Makes the transporter on the first send (e.g. `() => import('./mailer').then((m) => m.createSesTransport(…))`). */
export type LazyTransport = () => Promise<AnyTransporter>;

export interface EmailNotifierOptions {
  /**
   * A nodemailer transporter, SMTP transport options, an SMTP URL (smtp://user:pass@host:587, smtps://…),
   * or a function that makes the transporter on the first send.
   */
  transport: AnyTransporter | SMTPTransportOptions | string | LazyTransport;
  from: string;
  to: string[];
}

function isTransporter(t: EmailNotifierOptions['transport']): t is AnyTransporter {
  return typeof t === 'object' && t !== null && typeof (t as AnyTransporter).sendMail === 'function';
}

let mailer: Promise<typeof import('./mailer')> | undefined;
/** nodemailer on first use, then the same module: each `import()` still costs a loader round trip (under tsx, a worker message). */
const loadMailer = () =>
  (mailer ??= import('./mailer').catch((err: unknown) => {
    mailer = undefined;
    throw err;
  }));

/** Makes an SMTP transporter from a URL or options; the default is mailer.ts createSmtpTransport, in this thread. */
export type SmtpTransportFactory = (urlOrOptions: string | SMTPTransportOptions) => AnyTransporter;
let smtpFactory: SmtpTransportFactory | null = null;

/**
 * SMTP transporters made (on their notifier's first send) by `f` until the returned undo, which leaves a later
 * factory in place. `npm start` sends its SMTP from a thread of its own (packages/local/src/send-thread.ts).
 */
export function useSmtpTransport(f: SmtpTransportFactory): () => void {
  smtpFactory = f;
  return () => {
    if (smtpFactory === f) smtpFactory = null;
  };
}

/** The transporter for an EmailNotifierOptions.transport, made when first needed. */
function transportMaker(t: EmailNotifierOptions['transport']): LazyTransport {
  if (isTransporter(t)) return async () => t;
  if (typeof t === 'function') return t;
  return async () => (smtpFactory ? smtpFactory(t) : (await loadMailer()).createSmtpTransport(t));
}

const RETRYABLE_CODES = new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'ETLS', 'EPROXY', 'EABORT', 'EMAXLIMIT']);

/** SMTP 4xx (and 503), connection errors and timeouts are retryable; SMTP 5xx and configuration errors are not. */
export function emailDeliveryError(err: unknown, signal?: AbortSignal): DeliveryError {
  if (err instanceof DeliveryError) return err;
  const e = (err ?? {}) as NodemailerError & { $metadata?: { httpStatusCode?: number }; $retryable?: unknown; name?: string };
  const responseCode = e.responseCode ?? e.rejectedErrors?.find((r) => typeof r.responseCode === 'number')?.responseCode;
  const response = e.response ?? e.rejectedErrors?.find((r) => r.response)?.response;
  if (typeof responseCode === 'number' && responseCode >= 400) {
    const permanent = typeof e.permanent === 'boolean' && e.responseCode !== undefined ? e.permanent : responseCode >= 500 && responseCode !== 503;
    return new DeliveryError(`email: SMTP ${headerSafe(String(response ?? responseCode)).slice(0, 300)}`, {
      retryable: !permanent,
      status: responseCode,
      cause: err,
      context: { channel: 'email', code: e.code, command: e.command },
    });
  }
  // Amazon SES API errors (AWS SDK v3).
  const httpStatus = e.$metadata?.httpStatusCode;
  if (typeof httpStatus === 'number') {
    const retryable = httpStatus >= 500 || httpStatus === 429 || !!e.$retryable || /Throttl|TooManyRequests/i.test(e.name ?? '');
    return new DeliveryError(`email: SES ${httpStatus} ${e.name ?? ''}: ${headerSafe(e.message ?? '').slice(0, 300)}`, {
      retryable,
      status: httpStatus,
      cause: err,
    });
  }
  if (signal?.aborted) return requestDeliveryError('email', err, signal);
  if (e.code && RETRYABLE_CODES.has(e.code)) {
    return new DeliveryError(`email: ${e.code} ${headerSafe(e.message ?? '')}`.slice(0, 400), {
      retryable: true,
      cause: err,
      context: { channel: 'email', code: e.code },
    });
  }
  return requestDeliveryError('email', err, signal);
}

export class EmailNotifier implements Notifier {
  readonly channel = 'email' as const;
  private readonly from: string;
  /** The sender's domain, for Message-IDs. */
  private readonly domain: string;
  private readonly to: string[];
  private readonly makeTransport: LazyTransport;
  private transporter: Promise<AnyTransporter> | undefined;
  /** Each notice is rendered and compiled to MIME once; its retries send the same bytes. */
  private readonly composed = new WeakMap<Notice, Promise<ComposedMail>>();

  constructor(options: EmailNotifierOptions) {
    if (!options.from) throw new TypeError('EmailNotifier: from is required');
    const to = (options.to ?? []).map((t) => t.trim()).filter(Boolean);
    if (to.length === 0) throw new TypeError('EmailNotifier: at least one recipient (to) is required');
    this.from = options.from;
    this.domain = /@([^\s>]+)/.exec(options.from)?.[1] ?? 'localhost';
    this.to = to;
    this.makeTransport = transportMaker(options.transport);
  }

  private transport(): Promise<AnyTransporter> {
    this.transporter ??= this.makeTransport().catch((err: unknown) => {
      this.transporter = undefined; // a failed set-up is tried again by the next attempt
      throw err;
    });
    return this.transporter;
  }

  private compose(notice: Notice): Promise<ComposedMail> {
    let mail = this.composed.get(notice);
    if (!mail) {
      const { subject, text, html } = renderEmail(notice);
      mail = loadMailer().then((m) =>
        m.composeMail({
          from: this.from,
          to: this.to,
          subject,
          text,
          html,
          // Ours, not nodemailer's (a randomBytes call per id and per MIME part): unique per notice, kept by its retries.
          messageId: `<${randomUUID()}@${this.domain}>`,
          baseBoundary: randomUUID().replaceAll('-', ''),
          // Named, so nodemailer does not scan each part to choose (our bodies are mostly ASCII: it picks this anyway).
          textEncoding: 'quoted-printable',
          priority: notice.incident.severity === 'P0' || notice.incident.severity === 'P1' ? 'high' : 'normal',
          headers: {
            'X-Alert-Router-Incident': notice.incident.id,
            'X-Alert-Router-Event': notice.event,
            'Auto-Submitted': 'auto-generated',
            'X-Auto-Response-Suppress': 'All',
          },
          disableFileAccess: true,
          disableUrlAccess: true,
        }),
      );
      mail.catch(() => this.composed.delete(notice));
      this.composed.set(notice, mail);
    }
    return mail;
  }

  async send(notice: Notice, signal: AbortSignal): Promise<SendResult> {
    try {
      const [mail, transporter] = await Promise.all([this.compose(notice), this.transport()]);
      await transporter.sendMail({ raw: mail.raw, envelope: mail.envelope, disableFileAccess: true, disableUrlAccess: true, signal });
      return { ref: mail.messageId };
    } catch (err) {
      throw emailDeliveryError(err, signal);
    }
  }

  /** Closes pooled connections, if any were opened. */
  close(): void {
    void this.transporter?.then(
      (t) => t.close(),
      () => undefined,
    );
  }
}
