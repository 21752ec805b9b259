/**
 * Slack's 3-second rule, and how we keep it.
 *
 * Slack drops a slash-command or interaction response that takes longer than 3 s ("operation_timeout").
 * The work behind `/incident ack` is: one conditional DynamoDB write (the ack itself), then telling the
 * channels that announced the incident (PagerDuty, email; Slack updates itself), then recording those
 * deliveries. The channels are the slow part: the runtime's per-channel budget is DELIVERY_BUDGET_MS
 * (8 s by default), which can exceed 3 s.
 *
 * Choice: answer synchronously, with a tighter per-channel budget for actions started from Slack.
 * "Reply first and continue via response_url" is not an option for a Lambda behind API Gateway: once the
 * handler returns, the container is frozen and unfinished work (the PagerDuty acknowledge!) may never run.
 * So the handler always finishes the work before answering, and:
 *   - deliveries started from Slack get SLACK_CHANNEL_BUDGET_MS (channels run in parallel, so the whole
 *     fan-out fits in it); a channel that does not answer in time is recorded `failed` (retryable) on the
 *     incident like any other failed delivery — the state change itself is already stored — and the reply
 *     says so ("PagerDuty did not confirm in time: acknowledge it there too"); the notice stays due on the
 *     incident and the escalation sweep resends it (see delivery.ts);
 *   - if we still overshoot (a cold start, a slow DynamoDB), the synchronous answer would be discarded by
 *     Slack, so the same reply is also POSTed to response_url (valid for 30 minutes): the person sees the
 *     result either way, and the work is never cut short.
 * Button presses answer 200 with an empty body; the message is updated through response_url.
 */
import { type Notice, type Notifier } from '@alert-router/core';
import { deliverWithRetry } from '../notifiers/retry';
import type { Runtime } from '../runtime';

/** Slack's limit, minus what the network and API Gateway take. */
export const SLACK_DEADLINE_MS = 2500;
/** Per-channel budget (retries included) for notices sent because someone acted in Slack. */
export const SLACK_CHANNEL_BUDGET_MS = 1500;
/** How long one response_url POST may take. */
export const RESPONSE_URL_TIMEOUT_MS = 2500;

/** The runtime with the per-channel budget cut for the Slack path. */
export function slackRuntime(rt: Runtime): Runtime {
  const budgetMs = Math.min(rt.config.deliveryBudgetMs, SLACK_CHANNEL_BUDGET_MS);
  return { ...rt, deliver: (notifier: Notifier, notice: Notice) => deliverWithRetry(notifier, notice, { budgetMs, attemptTimeoutMs: budgetMs }) };
}

/** Only Slack's own hooks (or, outside Lambda, any http(s) URL: the local server and tests use loopback peers). */
export function usableResponseUrl(url: unknown, inLambda: boolean): url is string {
  if (typeof url !== 'string' || url.length > 2000) return false;
  try {
    const u = new URL(url);
    if (inLambda) return u.protocol === 'https:' && /(^|\.)slack(-gov)?\.com$/.test(u.hostname);
    return u.protocol === 'https:' || u.protocol === 'http:';
  } catch {
    return false;
  }
}

/**
 * POST a message to response_url with a timeout. Never throws: a failure here must not turn into an error
 * for Slack (the action already happened); it is logged.
 */
export async function postToResponseUrl(rt: Runtime, url: unknown, message: unknown, timeoutMs = RESPONSE_URL_TIMEOUT_MS): Promise<boolean> {
  if (!usableResponseUrl(url, rt.config.inLambda)) {
    rt.logger.warn('slack response_url missing or not a Slack URL; message not updated');
    return false;
  }
  try {
    const r = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify(message),
      signal: AbortSignal.timeout(timeoutMs),
    });
    // Drain the body so the connection can be reused.
    await r.arrayBuffer().catch(() => undefined);
    if (!r.ok) {
      rt.logger.warn('slack response_url refused the message', { status: r.status });
      return false;
    }
    return true;
  } catch (err) {
    rt.logger.warn('slack response_url failed', {
      error: (err as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : rt.redact((err as Error).message),
    });
    return false;
  }
}
