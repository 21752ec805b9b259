/** PagerDuty Events API v2 notifier: one POST per notice, retries left to the shared rule (retry.ts). */
import { DeliveryError } from '@alert-router/core/errors';
import type { Notice, Notifier, SendResult } from '@alert-router/core/notifier';
import { renderPagerDuty } from '@alert-router/core/render/pagerduty';
import { bodyExcerpt, httpDeliveryError, pooledFetch, requestDeliveryError, type FetchLike, type FetchLikeResponse } from './http';

// Not @pagerduty/pdjs: its event() always posts to https://HOST/v2/enqueue (no http loopback peer), resolves
// instead of failing on 400, retries 429 by itself 20 s apart, and its timeout never aborts the request.
// One POST (pooled keep-alive connection, http.ts) to a configurable eventsUrl lets the shared retry rule own status, Retry-After and AbortSignal.

export const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue';

export interface PagerDutyNotifierOptions {
  /** Integration (routing) key of an Events API v2 integration (a secret: never logged). */
  routingKey: string;
  /** Default https://events.pagerduty.com/v2/enqueue. */
  eventsUrl?: string;
  /** Default: the shared keep-alive pool (http.ts pooledFetch). */
  fetch?: FetchLike;
}

interface PagerDutyResponse {
  status?: string;
  message?: string;
  dedup_key?: string;
  errors?: unknown[];
}

function parseJson(text: string): PagerDutyResponse | null {
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' ? (v as PagerDutyResponse) : null;
  } catch {
    return null;
  }
}

export class PagerDutyNotifier implements Notifier {
  readonly channel = 'pagerduty' as const;
  private readonly routingKey: string;
  private readonly eventsUrl: string;
  private readonly fetchImpl: FetchLike;

  constructor(options: PagerDutyNotifierOptions) {
    if (!options.routingKey) throw new TypeError('PagerDutyNotifier: routingKey is required');
    this.routingKey = options.routingKey;
    this.eventsUrl = options.eventsUrl || PAGERDUTY_EVENTS_URL;
    this.fetchImpl = options.fetch ?? pooledFetch;
  }

  async send(notice: Notice, signal: AbortSignal): Promise<SendResult> {
    const body = renderPagerDuty(notice, this.routingKey);
    let res: FetchLikeResponse;
    try {
      res = await this.fetchImpl(this.eventsUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(body),
        redirect: 'error',
        signal,
      });
    } catch (err) {
      throw requestDeliveryError('pagerduty', err, signal);
    }
    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      // The status line arrived but the body did not (timeout / reset mid-body).
      if (res.status === 202) return { ref: body.dedup_key };
      throw requestDeliveryError('pagerduty', err, signal);
    }
    const json = parseJson(text);
    if (res.status >= 200 && res.status < 300) {
      if (json?.status && json.status !== 'success') {
        throw new DeliveryError(`pagerduty: HTTP ${res.status} but status "${bodyExcerpt(json.status, 60)}"`, {
          retryable: false,
          status: res.status,
        });
      }
      return { ref: typeof json?.dedup_key === 'string' ? json.dedup_key : body.dedup_key };
    }
    let detail: string | undefined;
    if (json) {
      const errors = Array.isArray(json.errors) ? json.errors.map((e) => (typeof e === 'string' ? e : JSON.stringify(e))).join('; ') : '';
      detail = bodyExcerpt([json.status ?? json.message, errors].filter(Boolean).join(': '), 500) || undefined;
    }
    throw httpDeliveryError('pagerduty', res.status, text, res.headers.get('retry-after'), detail);
  }
}
