/**
 * Slack request signing (https://api.slack.com/authentication/verifying-requests-from-slack):
 * `X-Slack-Signature: v0=` + hex HMAC-SHA256(signing secret, `v0:` + X-Slack-Request-Timestamp + `:` + raw body).
 *
 * - The HMAC is computed over the body bytes exactly as received (API Gateway may hand them over base64).
 * - The comparison is constant time (crypto.timingSafeEqual on equal-length buffers).
 * - A timestamp more than 5 minutes from `now` (either direction) is refused.
 * - Replays: a signature already seen within the window is refused. The memory here is a small LRU **per
 *   container** (per runtime), only a free first check: another Lambda container, or a cold start, does not
 *   know what this one saw. The shared check is a conditional write to the table after verification
 *   (replay-store.ts, called by routes.ts), so a signed request is accepted once per deployment.
 * - No signing secret configured → everything is refused (never accept unsigned requests).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { bodyText, header, type HttpEvent } from '../api/http';

/** How far a request's timestamp may be from our clock. */
export const SLACK_MAX_SKEW_SECONDS = 5 * 60;

export type VerifyFailure =
  'no-signing-secret' | 'missing-headers' | 'bad-timestamp' | 'stale-timestamp' | 'bad-signature-format' | 'signature-mismatch' | 'replay';

export type VerifyResult = { ok: true } | { ok: false; reason: VerifyFailure };

/** `v0=` + hex HMAC of the base string. Exported for tests and tooling that sign requests. */
export function slackSignature(secret: string, timestamp: string | number, body: string | Buffer): string {
  const mac = createHmac('sha256', secret);
  mac.update(`v0:${timestamp}:`, 'utf8');
  mac.update(typeof body === 'string' ? Buffer.from(body, 'utf8') : body);
  return `v0=${mac.digest('hex')}`;
}

/** The headers Slack sends with a signed request. */
export function signSlackRequest(secret: string, body: string | Buffer, timestamp: number = Math.floor(Date.now() / 1000)): Record<string, string> {
  return {
    'x-slack-request-timestamp': String(timestamp),
    'x-slack-signature': slackSignature(secret, timestamp, body),
    'content-type': 'application/x-www-form-urlencoded',
  };
}

/** The body bytes exactly as the client sent them. */
export function rawBody(event: HttpEvent): Buffer {
  if (!event.body) return Buffer.alloc(0);
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
}

/** Signatures seen recently: insertion-ordered map signature → expiry (epoch seconds), capped in size. */
export class ReplayCache {
  private readonly seen = new Map<string, number>();
  constructor(private readonly maxEntries = 10_000) {}

  /** True when `signature` was already seen (and not expired); records it otherwise. */
  checkAndRemember(signature: string, expiresAt: number, nowSeconds: number): boolean {
    this.evict(nowSeconds);
    const known = this.seen.get(signature);
    if (known !== undefined && known >= nowSeconds) return true;
    this.seen.delete(signature);
    this.seen.set(signature, expiresAt);
    return false;
  }

  get size(): number {
    return this.seen.size;
  }

  private evict(nowSeconds: number): void {
    // Oldest first; entries are inserted with roughly increasing expiry, so stop at the first live one.
    for (const [sig, exp] of this.seen) {
      if (exp >= nowSeconds && this.seen.size <= this.maxEntries) break;
      this.seen.delete(sig);
    }
    while (this.seen.size >= this.maxEntries) {
      const oldest = this.seen.keys().next().value;
      if (oldest === undefined) break;
      this.seen.delete(oldest);
    }
  }
}

export interface VerifyOptions {
  /** The Slack app's signing secret; null/empty refuses everything. */
  secret: string | null | undefined;
  now: Date;
  replay?: ReplayCache;
}

const SIGNATURE = /^v0=[0-9a-f]{64}$/;

export function verifySlackRequest(event: HttpEvent, opts: VerifyOptions): VerifyResult {
  if (!opts.secret) return { ok: false, reason: 'no-signing-secret' };
  const timestamp = header(event, 'x-slack-request-timestamp')?.trim();
  const signature = header(event, 'x-slack-signature')?.trim();
  if (!timestamp || !signature) return { ok: false, reason: 'missing-headers' };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'bad-timestamp' };
  const ts = Number(timestamp);
  const nowSeconds = Math.floor(opts.now.getTime() / 1000);
  if (Math.abs(nowSeconds - ts) > SLACK_MAX_SKEW_SECONDS) return { ok: false, reason: 'stale-timestamp' };

  const expected = Buffer.from(slackSignature(opts.secret, timestamp, rawBody(event)), 'utf8');
  const given = Buffer.from(signature.toLowerCase(), 'utf8');
  if (!SIGNATURE.test(signature.toLowerCase()) || given.length !== expected.length) {
    // Still spend the comparison so a malformed header takes as long as a wrong one.
    timingSafeEqual(expected, expected);
    return { ok: false, reason: 'bad-signature-format' };
  }
  if (!timingSafeEqual(given, expected)) return { ok: false, reason: 'signature-mismatch' };

  // Only authentic requests are remembered, so nobody can fill the cache with junk.
  if (opts.replay?.checkAndRemember(signature.toLowerCase(), ts + SLACK_MAX_SKEW_SECONDS, nowSeconds)) return { ok: false, reason: 'replay' };
  return { ok: true };
}

/** The body as text for parsing (the signature is checked on the bytes, see rawBody). */
export function formBody(event: HttpEvent): URLSearchParams {
  return new URLSearchParams(bodyText(event));
}
