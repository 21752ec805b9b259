import { InputError } from '../errors';
import { parseInput, type InputShape } from '../parse';
import { WEBHOOK_SOURCES, type Notification, type WebhookSource } from '../types';
import { isLegacyGrafana, parseAlertmanager } from './alertmanager';
import { parseAzure } from './azure';
import { parseGcp } from './gcp';
import { parseGeneric } from './generic';
import { parseSentry, sentryResourceOf } from './sentry';

export { originOf, resolutionActor, sourceDisplayName, severityFromWord, safeUrl } from './common';
export { regionFromName, knownRegionCodes } from './regions';
export { guardDutySeverity, securityHubSeverity, healthSeverity } from './sns-messages';
export { parseSentry, parseGcp, parseAzure, parseAlertmanager, parseGeneric };

export function isWebhookSource(name: string): name is WebhookSource {
  return (WEBHOOK_SOURCES as readonly string[]).includes(name);
}

/**
 * One webhook body of a named source → its alerts. `resource` is Sentry's `Sentry-Hook-Resource` header;
 * `receivedAt` stands in for a time the payload does not carry. Throws InputError with the path of what is wrong.
 */
export function parseWebhook(source: WebhookSource, body: unknown, receivedAt: string, resource: string | null = null): Notification[] {
  switch (source) {
    case 'sentry':
      return parseSentry(body, resource, receivedAt);
    case 'gcp':
      return parseGcp(body, receivedAt);
    case 'azure':
      return parseAzure(body, receivedAt);
    case 'alertmanager':
      return parseAlertmanager(body, receivedAt);
    case 'generic':
      return parseGeneric(body, receivedAt);
  }
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Which webhook source a body is, by its shape (null: not a webhook body). */
export function detectWebhookSource(value: unknown): WebhookSource | null {
  if (!isObj(value)) return null;
  if (value.schemaId === 'azureMonitorCommonAlertSchema' || (isObj(value.data) && isObj(value.data.essentials))) return 'azure';
  if (isObj(value.incident) && 'incident_id' in value.incident) return 'gcp';
  if (
    Array.isArray(value.alerts) &&
    ('groupKey' in value || 'receiver' in value || value.alerts.some((a) => isObj(a) && ('fingerprint' in a || (isObj(a.labels) && 'status' in a))))
  )
    return 'alertmanager';
  if (isLegacyGrafana(value)) return 'alertmanager';
  if ('action' in value && sentryResourceOf(value)) return 'sentry';
  if (
    ('title' in value || 'dedupKey' in value || 'dedup_key' in value) &&
    !('Records' in value) &&
    !('Type' in value && 'Message' in value) &&
    !('AlarmName' in value)
  )
    return 'generic';
  return null;
}

/**
 * What the route CLI accepts: a webhook body of any source (recognised by shape, or forced with `source`),
 * or any of parseInput's inputs (CloudWatch alarm, SNS notification, SNSEvent, bare AWS event).
 */
export function parseAnyInput(
  value: unknown,
  options: { source?: WebhookSource; receivedAt: string },
): { shape: InputShape | WebhookSource; notifications: Notification[] } {
  const source = options.source ?? detectWebhookSource(value);
  if (source) return { shape: source, notifications: parseWebhook(source, value, options.receivedAt) };
  return parseInput(value);
}

export function parseAnyInputText(text: string, options: { source?: WebhookSource; receivedAt: string }): ReturnType<typeof parseAnyInput> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new InputError('', `not JSON (${(err as Error).message})`);
  }
  return parseAnyInput(value, options);
}
