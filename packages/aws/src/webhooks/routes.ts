/**
 * `POST /webhooks/{sentry,gcp,azure,alertmanager,generic}`: alerts from the rest of the monitoring stack, fed into
 * the alarm pipeline's own entry (processNotification), so dedupe, silences, escalation, the dashboard and the
 * digest treat them like CloudWatch alarms.
 *
 * Unauthenticated → 401 and nothing changes. A body that does not match its source's schema → 400 with the path of
 * what is wrong, and the body is kept as a dead letter. A delivery that failed in a retryable way → 502, so the
 * source sends it again (a redelivery resends only what failed).
 */
import { InputError, isWebhookSource, parseWebhook, WEBHOOK_SOURCES, type Notification, type WebhookSource } from '@alert-router/core';
import { processNotification, type Outcome } from '../alarm-pipeline';
import { bodyText, header, json, type HttpEvent, type HttpResult } from '../api/http';
import type { Runtime } from '../runtime';
import { readWebhookSecrets, webhookAuthorized, type WebhookSecrets } from './auth';

/** The routes the webhook function serves (stacks/api.ts lists the same; test/infra-wiring.test.ts checks it). */
export const WEBHOOK_HTTP_ROUTES = WEBHOOK_SOURCES.map((s) => `POST /webhooks/${s}`);

const secretsByRuntime = new WeakMap<Runtime, WebhookSecrets>();
function secretsOf(rt: Runtime): WebhookSecrets {
  let s = secretsByRuntime.get(rt);
  if (!s) secretsByRuntime.set(rt, (s = readWebhookSecrets()));
  return s;
}

const unauthorized = (): HttpResult => json(401, { error: 'unauthorized' });

async function deadLetter(rt: Runtime, source: WebhookSource, path: string, reason: string, raw: string): Promise<void> {
  rt.logger.error('webhook body kept as dead letter', { source, path, reason });
  rt.metrics.count('DeadLettered');
  await rt.store.putDeadLetter({ at: rt.now().toISOString(), reason: `${path ? `${path}: ` : ''}${reason}`, source: `webhook:${source}`, raw });
}

function summary(n: Notification, o: Outcome) {
  return { kind: o.kind, incidentId: o.incidentId, severity: o.severity, alarmName: n.alarmName, state: n.state, incidentKey: n.incidentKey };
}

export async function handleWebhook(event: HttpEvent, rt: Runtime, options: { secrets?: WebhookSecrets } = {}): Promise<HttpResult> {
  const method = event.requestContext?.http?.method ?? 'POST';
  const name = /^\/webhooks\/([^/]+)\/?$/.exec(event.rawPath ?? '')?.[1] ?? '';
  if (!isWebhookSource(name)) return json(404, { error: `no webhook source "${name}" (expected one of ${WEBHOOK_SOURCES.join(', ')})` });
  if (method !== 'POST') return json(405, { error: `POST alerts to /webhooks/${name}` });
  const raw = bodyText(event);
  if (!webhookAuthorized(name, event, raw, options.secrets ?? secretsOf(rt))) {
    rt.logger.warn('webhook refused: missing or wrong credentials', { source: name });
    return unauthorized();
  }

  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch (err) {
    const reason = `not JSON (${(err as Error).message})`;
    await deadLetter(rt, name, '', reason, raw);
    return json(400, { error: reason, path: '' });
  }
  let notifications: Notification[];
  try {
    notifications = parseWebhook(name, body, rt.now().toISOString(), header(event, 'sentry-hook-resource') ?? null);
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    await deadLetter(rt, name, err.path, err.message, raw);
    return json(400, { error: err.message, path: err.path });
  }

  rt.silenceCache.prefetch();
  const outcomes = await Promise.all(notifications.map((n) => processNotification(n, rt)));
  const results = notifications.map((n, i) => summary(n, outcomes[i]));
  for (const r of results) rt.logger.info('webhook alert routed', { source: name, ...r });
  if (outcomes.some((o) => o.retryableFailure)) return json(502, { error: 'a delivery failed; send again (only what failed is resent)', alerts: results });
  return json(200, { source: name, alerts: results });
}
