/** Small HTTP helpers shared by the HTTP notifiers: Retry-After, status → DeliveryError, network errors. */
import { DeliveryError } from '@alert-router/core';

/** Longest Retry-After we keep (the retry rule caps it by the remaining budget anyway). */
const RETRY_AFTER_MAX_MS = 3_600_000;

/**
 * `Retry-After` as milliseconds from now: delta-seconds (`1`, `2.5`) or an HTTP date.
 * Undefined when absent or unparsable; never negative.
 */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value === null || value === undefined) return undefined;
  const v = value.trim();
  if (!v) return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Math.min(Math.round(Number.parseFloat(v) * 1000), RETRY_AFTER_MAX_MS);
  if (!/[a-z]/i.test(v)) return undefined; // an HTTP date has a day or month name
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.min(Math.max(0, at - now), RETRY_AFTER_MAX_MS);
}

/** The shared rule for HTTP statuses: 5xx, 429 and 408 may succeed later; other 4xx will not. */
export function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 429 || status === 408;
}

/** A short, single-line excerpt of a response body for error messages. */
export function bodyExcerpt(body: string, max = 300): string {
  // eslint-disable-next-line no-control-regex
  const line = body.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max)}…` : line;
}

/** DeliveryError for a non-success HTTP response. */
export function httpDeliveryError(
  channel: string,
  status: number,
  body: string,
  retryAfterHeader: string | null | undefined,
  detail?: string,
): DeliveryError {
  const retryable = isRetryableStatus(status);
  const retryAfterMs = retryable ? parseRetryAfter(retryAfterHeader) : undefined;
  const what = detail ?? bodyExcerpt(body);
  return new DeliveryError(`${channel}: HTTP ${status}${what ? `: ${what}` : ''}`, {
    retryable,
    status,
    retryAfterMs,
    context: { channel, status },
  });
}

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ENETDOWN',
  'EHOSTDOWN',
]);

function errorCode(err: unknown): string | undefined {
  const e = err as { code?: unknown; cause?: { code?: unknown } } | null;
  const code = e?.code ?? e?.cause?.code;
  return typeof code === 'string' ? code : undefined;
}

/** True for connection-level failures (refused, reset, DNS, undici socket errors, fetch's TypeError). */
export function isNetworkError(err: unknown): boolean {
  const code = errorCode(err);
  if (code && (NETWORK_CODES.has(code) || code.startsWith('UND_ERR'))) return true;
  return err instanceof TypeError && /fetch failed|network/i.test(err.message);
}

/**
 * DeliveryError for a request that got no response: aborted by our per-attempt timeout (signal),
 * a network failure, or something else (not retryable: a bug does not heal by retrying).
 */
export function requestDeliveryError(channel: string, err: unknown, signal?: AbortSignal): DeliveryError {
  if (err instanceof DeliveryError) return err;
  if (signal?.aborted) {
    const reason = signal.reason as { name?: string; message?: string } | undefined;
    const timeout = reason?.name === 'TimeoutError';
    return new DeliveryError(`${channel}: ${timeout ? 'timed out' : `aborted${reason?.message ? ` (${reason.message})` : ''}`}`, {
      retryable: true,
      cause: err,
      context: { channel, timeout },
    });
  }
  const name = (err as { name?: string } | null)?.name;
  if (name === 'AbortError' || name === 'TimeoutError') {
    return new DeliveryError(`${channel}: timed out`, { retryable: true, cause: err, context: { channel, timeout: true } });
  }
  const code = errorCode(err);
  const message = (err as Error | null)?.message ?? String(err);
  const causeMessage = (err as { cause?: { message?: string } } | null)?.cause?.message;
  const text = `${channel}: ${code ? `${code} ` : ''}${message}${causeMessage && causeMessage !== message ? ` (${causeMessage})` : ''}`;
  return new DeliveryError(text, { retryable: isNetworkError(err), cause: err, context: { channel, code } });
}
