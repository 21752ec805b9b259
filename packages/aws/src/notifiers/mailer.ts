/**
 * nodemailer and the SES client. Imported dynamically by email.ts (and the digest) on the first email, so a
 * function that sends none never loads them.
 */
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import nodemailer, { type SendMailOptions, type SMTPTransportOptions, type Transporter } from 'nodemailer';
import addressparser from 'nodemailer/lib/addressparser';

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

/**
 * A nodemailer SMTP transporter with bounded timeouts (explicit options win). Pooled: a burst of alarms reuses a
 * few open sessions instead of paying connect + greeting + EHLO (+ TLS + AUTH) per email; idle sessions close
 * after socketTimeout, and a session that died meanwhile fails its send, which the retry rule retries.
 */
export function createSmtpTransport(urlOrOptions: string | SMTPTransportOptions): AnyTransporter {
  return nodemailer.createTransport(smtpTransportOptions(urlOrOptions));
}

/** The options createSmtpTransport gives nodemailer (also what `npm start`'s send thread makes its transport with). */
export function smtpTransportOptions(
  urlOrOptions: string | SMTPTransportOptions,
): SMTPTransportOptions & { pool?: boolean; maxConnections?: number; maxMessages?: number } {
  const options: SMTPTransportOptions = typeof urlOrOptions === 'string' ? { url: urlOrOptions } : { ...urlOrOptions };
  return { ...SMTP_TIMEOUTS, pool: true, maxConnections: 10, maxMessages: 100, ...options };
}

/**
 * Amazon SES through nodemailer's SES transport (SESv2 SendEmail). The Lambda role needs
 * ses:SendEmail on the sending identity. `client` lets callers pass a configured SESv2Client.
 */
export function createSesTransport(options: { region?: string; client?: SESv2Client } = {}): AnyTransporter {
  const sesClient = options.client ?? new SESv2Client(options.region ? { region: options.region } : {});
  return nodemailer.createTransport({ SES: { sesClient, SendEmailCommand } });
}

/** A message compiled to MIME once, sent as it is by every attempt (same bytes, same Message-ID). */
export interface ComposedMail {
  raw: Buffer;
  envelope: { from: string | false; to: string[] };
  messageId: string;
}

let composer: Transporter | undefined;

/** Sender and recipients are the same on every email: parsed once, handed to nodemailer as address objects. */
const parsedAddresses = new Map<string, addressparser.Address[]>();
function parsed(list: string | string[]): addressparser.Address[] {
  return (Array.isArray(list) ? list : [list]).flatMap((one) => {
    let known = parsedAddresses.get(one);
    if (!known) {
      known = addressparser(one, { flatten: true });
      if (parsedAddresses.size < 64) parsedAddresses.set(one, known);
    }
    return known;
  });
}

/** Compiles mail options to MIME with nodemailer's own pipeline (priority, headers), without sending. */
export async function composeMail(mail: Omit<SendMailOptions, 'from' | 'to'> & { from: string; to: string[] }): Promise<ComposedMail> {
  composer ??= nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
  const options: SendMailOptions = { ...mail, from: parsed(mail.from)[0] ?? mail.from, to: parsed(mail.to) };
  const info = (await composer.sendMail(options)) as { message: Buffer; envelope: ComposedMail['envelope']; messageId: string };
  return { raw: info.message, envelope: info.envelope, messageId: info.messageId };
}
