/** Slack incoming webhook notifier (@slack/webhook), retries left to the shared rule (retry.ts). */
import type { Notice, Notifier, SendResult } from '@alert-router/core/notifier';
import { renderSlack } from '@alert-router/core/render/slack';
import { IncomingWebhook, IncomingWebhookHTTPError, IncomingWebhookRequestError, type FetchFunction } from '@slack/webhook';
import { httpDeliveryError, pooledFetch, requestDeliveryError, type FetchLike } from './http';

export interface SlackNotifierOptions {
  /** https://hooks.slack.com/services/T…/B…/… (a secret: never logged). */
  webhookUrl: string;
  /** fetch implementation (default: the shared keep-alive pool, http.ts pooledFetch). */
  fetch?: FetchLike;
}

export class SlackNotifier implements Notifier {
  readonly channel = 'slack' as const;
  private readonly webhookUrl: string;
  private readonly fetchImpl: FetchLike;

  constructor(options: SlackNotifierOptions) {
    if (!options.webhookUrl) throw new TypeError('SlackNotifier: webhookUrl is required');
    this.webhookUrl = options.webhookUrl;
    this.fetchImpl = options.fetch ?? pooledFetch;
  }

  async send(notice: Notice, signal: AbortSignal): Promise<SendResult> {
    // The wrapper passes our AbortSignal through and keeps the last response's status and
    // Retry-After, which IncomingWebhookHTTPError does not carry.
    let lastRetryAfter: string | null = null;
    const fetchFn: FetchFunction = async (url, init) => {
      const res = await this.fetchImpl(url, { method: init?.method, headers: init?.headers, body: init?.body as string, redirect: init?.redirect, signal });
      lastRetryAfter = res.headers.get('retry-after');
      return res as Awaited<ReturnType<FetchFunction>>;
    };
    const webhook = new IncomingWebhook(this.webhookUrl, { fetch: fetchFn, retryConfig: { retries: 0 }, timeout: 0 });
    const message = renderSlack(notice);
    try {
      await webhook.send(message as unknown as Parameters<IncomingWebhook['send']>[0]);
      return {};
    } catch (err) {
      if (err instanceof IncomingWebhookHTTPError) {
        throw httpDeliveryError('slack', err.statusCode, err.body, lastRetryAfter);
      }
      if (err instanceof IncomingWebhookRequestError) throw requestDeliveryError('slack', err.original, signal);
      throw requestDeliveryError('slack', err, signal);
    }
  }
}
