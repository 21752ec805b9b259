/** Email notifier (nodemailer): SMTP by URL or options, an existing transporter, or Amazon SES (API v2). */
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { DeliveryError, headerSafe, renderEmail, type Notice, type Notifier, type SendResult } from '@alert-router/core';
import nodemailer, { type NodemailerError, type SMTPTransportOptions, type Transporter } from 'nodemailer';
import { requestDeliveryError } from './http';

/**
 * Bounds for every SMTP wait, so a server that accepts the TCP connection and then says nothing
 * (or stalls mid-session) cannot hold a delivery past the retry budget. The per-attempt AbortSignal
 * of the retry rule cuts it as well.
 */
export const SMTP_TIMEOUTS = {
  connectionTimeout: 3000,
  greetingTimeout: 3000,
  socketTimeout: 5000,
  dnsTimeout: 3000,
  socketCloseTimeout: 1000,
} as const;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyTransporter = Transporter<any, any>;

export interface EmailNotifierOptions {
  /** A nodemailer transporter, SMTP transport options, or an SMTP URL (smtp://user:pass@host:587, smtps://…). */
  transport: AnyTransporter | SMTPTransportOptions | string;
  from: string;
  to: string[];
}

/**
 * A nodemailer SMTP transporter with bounded timeouts (explicit options win). Pooled: a burst of alarms reuses a
 * few open sessions instead of paying connect + greeting + EHLO (+ TLS + AUTH) per email; idle sessions close
 * after socketTimeout, and a session that died meanwhile fails its send, which the retry rule retries.
 */
export function createSmtpTransport(urlOrOptions: string | SMTPTransportOptions): AnyTransporter {
  const options: SMTPTransportOptions =
    typeof urlOrOptions === 'string' ? { url: urlOrOptions } : { ...urlOrOptions };
  return nodemailer.createTransport({ ...SMTP_TIMEOUTS, pool: true, maxConnections: 10, maxMessages: 100, ...options });
}

/**
 * Amazon SES through nodemailer's SES transport (SESv2 SendEmail). The Lambda role needs
 * ses:SendEmail on the sending identity. `client` lets callers pass a configured SESv2Client.
 */
export function createSesTransport(options: { region?: string; client?: SESv2Client } = {}): AnyTransporter {
  const sesClient = options.client ?? new SESv2Client(options.region ? { region: options.region } : {});
  return nodemailer.createTransport({ SES: { sesClient, SendEmailCommand } });
}

function isTransporter(t: EmailNotifierOptions['transport']): t is AnyTransporter {
  return typeof t === 'object' && t !== null && typeof (t as AnyTransporter).sendMail === 'function';
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
    return new DeliveryError(`email: ${e.code} ${headerSafe(e.message ?? '')}`.slice(0, 400), { retryable: true, cause: err, context: { channel: 'email', code: e.code } });
  }
  return requestDeliveryError('email', err, signal);
}

export class EmailNotifier implements Notifier {
  readonly channel = 'email' as const;
  private readonly transporter: AnyTransporter;
  private readonly from: string;
  private readonly to: string[];

  constructor(options: EmailNotifierOptions) {
    if (!options.from) throw new TypeError('EmailNotifier: from is required');
    const to = (options.to ?? []).map((t) => t.trim()).filter(Boolean);
    if (to.length === 0) throw new TypeError('EmailNotifier: at least one recipient (to) is required');
    this.from = options.from;
    this.to = to;
    this.transporter = isTransporter(options.transport) ? options.transport : createSmtpTransport(options.transport);
  }

  async send(notice: Notice, signal: AbortSignal): Promise<SendResult> {
    const { subject, text, html } = renderEmail(notice);
    try {
      const info = (await this.transporter.sendMail({
        from: this.from,
        to: this.to,
        subject,
        text,
        html,
        priority: notice.incident.severity === 'P0' || notice.incident.severity === 'P1' ? 'high' : 'normal',
        headers: {
          'X-Alert-Router-Incident': notice.incident.id,
          'X-Alert-Router-Event': notice.event,
          'Auto-Submitted': 'auto-generated',
          'X-Auto-Response-Suppress': 'All',
        },
        disableFileAccess: true,
        disableUrlAccess: true,
        signal,
      })) as { messageId?: string };
      return typeof info?.messageId === 'string' ? { ref: info.messageId } : {};
    } catch (err) {
      throw emailDeliveryError(err, signal);
    }
  }

  /** Closes pooled connections, if any. */
  close(): void {
    this.transporter.close();
  }
}
