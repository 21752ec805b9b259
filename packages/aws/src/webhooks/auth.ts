import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { WebhookSource } from '@alert-router/core';
import { header, query, type HttpEvent } from '../api/http';
import { readEnv } from '../env';

/** The webhook credentials: Sentry's client secret, and one token for every other source. */
export interface WebhookSecrets {
  sentryClientSecret: string | null;
  webhookToken: string | null;
}

/** `SENTRY_CLIENT_SECRET` / `WEBHOOK_TOKEN` locally; the `SentryClientSecret` / `WebhookToken` sst.Secrets when deployed. */
export function readWebhookSecrets(env: Record<string, string | undefined> = process.env): WebhookSecrets {
  const v = readEnv(env, ['SENTRY_CLIENT_SECRET', 'WEBHOOK_TOKEN']);
  return { sentryClientSecret: v.SENTRY_CLIENT_SECRET ?? null, webhookToken: v.WEBHOOK_TOKEN ?? null };
}

/** Equal in constant time whatever the lengths: both sides are hashed first. */
function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** `Sentry-Hook-Signature` = hex HMAC-SHA256 of the raw body with the integration's client secret. */
export function sentrySignatureValid(rawBody: string, signature: string | undefined, clientSecret: string | null): boolean {
  if (!clientSecret || !signature) return false;
  const expected = createHmac('sha256', clientSecret).update(rawBody, 'utf8').digest('hex');
  return sameSecret(signature.trim().toLowerCase(), expected);
}

/** The token a request presents: `Authorization: Bearer T`, `Authorization: Basic base64(user:T)`, or `?token=T`. */
function presentedTokens(event: HttpEvent): string[] {
  const out: string[] = [];
  const auth = header(event, 'authorization')?.trim();
  if (auth) {
    const [scheme, ...rest] = auth.split(/\s+/);
    const value = rest.join(' ');
    if (/^bearer$/i.test(scheme) && value) out.push(value);
    if (/^basic$/i.test(scheme) && value) {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon >= 0) out.push(decoded.slice(colon + 1));
    }
  }
  const q = query(event, 'token');
  if (q) out.push(q);
  return out;
}

/** Whether a request may post alerts of this source; with no secret configured, none may. */
export function webhookAuthorized(source: WebhookSource, event: HttpEvent, rawBody: string, secrets: WebhookSecrets): boolean {
  if (source === 'sentry') return sentrySignatureValid(rawBody, header(event, 'sentry-hook-signature'), secrets.sentryClientSecret);
  const token = secrets.webhookToken;
  if (!token) return false;
  // Every presented token is compared (no early exit on the first), so timing says nothing about which failed.
  return presentedTokens(event)
    .map((t) => sameSecret(t, token))
    .includes(true);
}
