/**
 * The one retry rule every channel goes through.
 *
 * - Retryable: DeliveryError.retryable (5xx, 429, timeouts, network errors); any other failure
 *   (other 4xx, SMTP 5xx, a bug) fails at once.
 * - 429 (any error with retryAfterMs) waits exactly Retry-After; when that does not fit in the
 *   remaining budget we stop at once (the delivery stays failed/retryable for a later run) rather
 *   than hammer the peer early or sleep past the budget.
 * - Otherwise bounded exponential backoff with jitter: base·2^(n-1), capped, "equal jitter" (half
 *   fixed, half random), at most `maxAttempts` attempts.
 * - Everything happens inside a per-channel time budget; each attempt gets an AbortSignal that fires
 *   at min(attemptTimeoutMs, remaining budget), and the attempt is abandoned at that moment even if
 *   the notifier ignores the signal.
 * - Never throws.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { DeliveryError } from '@alert-router/core/errors';
import type { Notice, Notifier } from '@alert-router/core/notifier';
import type { SendOutcome } from '@alert-router/core/notices';
import { requestDeliveryError } from './http';

export interface RetryOptions {
  /** Attempts at most (default 4). */
  maxAttempts?: number;
  /** First backoff (default 200 ms). */
  baseDelayMs?: number;
  /** Largest backoff (default 2 s). */
  maxDelayMs?: number;
  /** Time budget of the whole series, attempts and waits included (default 8 s). */
  budgetMs?: number;
  /** Longest single attempt (default 5 s; always cut to the remaining budget). */
  attemptTimeoutMs?: number;
  /** Waits between attempts (injectable for tests). Rejects or resolves early when `signal` aborts. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /**
   * Runs out one attempt's time: the attempt is abandoned when it resolves (injectable for tests, which end it on
   * an event instead of a real timer). Resolves or rejects early when `signal` aborts (the attempt ended first).
   */
  attemptTimer?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Milliseconds clock (injectable for tests). */
  now?: () => number;
  /** [0, 1) source for the jitter (injectable for tests). */
  random?: () => number;
  /** Cancels the whole series (e.g. the Lambda is about to time out). */
  signal?: AbortSignal;
  /** Called before each wait: for logs and metrics. */
  onRetry?: (info: { channel: string; attempt: number; error: DeliveryError; delayMs: number }) => void;
}

/** The notice's outcome (last error, retryable, channel reference, Retry-After that did not fit the budget) and how long it took. */
export interface DeliveryOutcome extends SendOutcome {
  elapsedMs: number;
}

export const RETRY_DEFAULTS = {
  maxAttempts: 4,
  baseDelayMs: 200,
  maxDelayMs: 2000,
  budgetMs: 8000,
  attemptTimeoutMs: 5000,
} as const;

/** Below this much remaining budget an attempt is not worth starting. */
const MIN_ATTEMPT_MS = 25;

async function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await delay(ms, undefined, { signal });
  } catch {
    /* aborted: the loop sees signal.aborted */
  }
}

function num(value: number | undefined, fallback: number, min = 0): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= min ? value : fallback;
}

type AttemptResult = { ok: true; ref?: string } | { ok: false; error: DeliveryError };

type AttemptTimer = NonNullable<RetryOptions['attemptTimer']>;

/** Why an attempt's clock was stopped (a constant: `abort()` without a reason builds a DOMException each time). */
const ATTEMPT_ENDED = 'attempt ended';

/** Starts one attempt's clock, calling `onTimeout` when it runs out; the returned function stops it. */
function startAttemptClock(timer: AttemptTimer | undefined, ms: number, onTimeout: () => void): () => void {
  if (!timer) {
    const t = setTimeout(onTimeout, ms);
    return () => clearTimeout(t);
  }
  const ended = new AbortController();
  timer(ms, ended.signal).then(
    () => {
      if (!ended.signal.aborted) onTimeout();
    },
    () => undefined,
  );
  return () => ended.abort(ATTEMPT_ENDED);
}

async function attempt(notifier: Notifier, notice: Notice, timeoutMs: number, timer: AttemptTimer | undefined, outer?: AbortSignal): Promise<AttemptResult> {
  const ctrl = new AbortController();
  const ms = Math.max(1, Math.round(timeoutMs));
  const stopClock = startAttemptClock(timer, ms, () => ctrl.abort(new DOMException(`attempt timed out after ${Math.round(timeoutMs)} ms`, 'TimeoutError')));
  const onOuter = () => ctrl.abort(outer?.reason ?? new DOMException('delivery cancelled', 'AbortError'));
  if (outer?.aborted) onOuter();
  else outer?.addEventListener('abort', onOuter, { once: true });
  try {
    const aborted = new Promise<never>((_, reject) => {
      if (ctrl.signal.aborted) reject(ctrl.signal.reason);
      else ctrl.signal.addEventListener('abort', () => reject(ctrl.signal.reason), { once: true });
    });
    const sent = Promise.resolve().then(() => notifier.send(notice, ctrl.signal));
    const result = await Promise.race([sent, aborted]);
    return { ok: true, ref: typeof result?.ref === 'string' ? result.ref : undefined };
  } catch (err) {
    if (ctrl.signal.aborted && !(err instanceof DeliveryError)) {
      const reason = ctrl.signal.reason as { name?: string; message?: string } | undefined;
      const timeout = reason?.name === 'TimeoutError';
      return {
        ok: false,
        error: new DeliveryError(`${notifier.channel}: ${timeout ? reason?.message : `cancelled (${reason?.message ?? 'aborted'})`}`, {
          retryable: true,
          cause: err,
          context: { channel: notifier.channel, timeout },
        }),
      };
    }
    return { ok: false, error: requestDeliveryError(notifier.channel, err, ctrl.signal) };
  } finally {
    stopClock();
    outer?.removeEventListener('abort', onOuter);
  }
}

function elapsedSince(now: () => number, start: number): number {
  try {
    return now() - start;
  } catch {
    return 0;
  }
}

/** Sends one notice on one channel under the shared retry rule. Never throws. */
export async function deliverWithRetry(notifier: Notifier, notice: Notice, options: RetryOptions = {}): Promise<DeliveryOutcome> {
  const now = options.now ?? Date.now;
  let start = 0;
  let attempts = 0;
  try {
    start = now();
    const maxAttempts = Math.floor(num(options.maxAttempts, RETRY_DEFAULTS.maxAttempts, 1));
    const baseDelayMs = num(options.baseDelayMs, RETRY_DEFAULTS.baseDelayMs);
    const maxDelayMs = num(options.maxDelayMs, RETRY_DEFAULTS.maxDelayMs);
    const budgetMs = num(options.budgetMs, RETRY_DEFAULTS.budgetMs);
    const attemptTimeoutMs = num(options.attemptTimeoutMs, RETRY_DEFAULTS.attemptTimeoutMs, 1);
    const sleep = options.sleep ?? defaultSleep;
    const attemptTimer = options.attemptTimer;
    const random = options.random ?? Math.random;
    const signal = options.signal;
    const remaining = () => budgetMs - (now() - start);

    let last: DeliveryError | undefined;
    let stopNote = '';
    let retryAfterMs: number | undefined;
    while (attempts < maxAttempts) {
      if (signal?.aborted) {
        stopNote = 'cancelled';
        break;
      }
      const left = remaining();
      if (left < MIN_ATTEMPT_MS) {
        stopNote = `time budget of ${budgetMs} ms used up`;
        break;
      }
      attempts++;
      const r = await attempt(notifier, notice, Math.min(attemptTimeoutMs, left), attemptTimer, signal);
      if (r.ok) return { status: 'delivered', attempts, ref: r.ref, elapsedMs: now() - start };
      last = r.error;
      if (!last.retryable) break;
      if (attempts >= maxAttempts) break;
      if (signal?.aborted) {
        stopNote = 'cancelled';
        break;
      }

      const leftAfter = remaining();
      let waitMs: number;
      if (last.retryAfterMs !== undefined) {
        waitMs = last.retryAfterMs;
        if (waitMs + MIN_ATTEMPT_MS > leftAfter) {
          stopNote = `Retry-After ${Math.ceil(waitMs / 1000)} s does not fit the remaining budget`;
          retryAfterMs = waitMs;
          break;
        }
      } else {
        const exp = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempts - 1));
        waitMs = Math.round(exp / 2 + random() * (exp / 2));
        if (waitMs + MIN_ATTEMPT_MS > leftAfter) {
          stopNote = `no time left for another attempt within the ${budgetMs} ms budget`;
          break;
        }
      }
      options.onRetry?.({ channel: notifier.channel, attempt: attempts, error: last, delayMs: waitMs });
      await sleep(waitMs, signal);
    }
    const message = last ? last.message : `${notifier.channel}: not sent`;
    return {
      status: 'failed',
      attempts,
      error: stopNote ? `${message} (${stopNote})` : message,
      retryable: last ? last.retryable : true,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      elapsedMs: now() - start,
    };
  } catch (err) {
    return {
      status: 'failed',
      attempts,
      error: `${notifier?.channel ?? 'channel'}: ${(err as Error)?.message ?? String(err)}`,
      retryable: true,
      elapsedMs: elapsedSince(now, start),
    };
  }
}
