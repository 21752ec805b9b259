import { looseObject, minLength, nullish, number, refine, string, union } from 'zod/mini';
import type { Notification } from '../types';
import { fieldsOf, isoTime, safeUrl, severityFromWord, webhookNotification } from './common';
import { parseWith, stringRecord } from './webhook-schema';

const optStr = nullish(string());
const strOrNum = nullish(union([string(), number()]));
const numOrStr = nullish(union([number(), string()]));

/** Google Cloud Monitoring incident webhooks (schema 1.2): `incident.state` open | closed, keyed by `incident_id`. */
const gcpIncident = looseObject({
  version: strOrNum,
  incident: looseObject({
    incident_id: string().check(minLength(1)),
    state: string().check(refine((s: string) => ['open', 'closed'].includes(s.toLowerCase()), { error: 'expected "open" or "closed"' })),
    policy_name: optStr,
    condition_name: optStr,
    summary: optStr,
    url: optStr,
    started_at: numOrStr,
    ended_at: numOrStr,
    severity: optStr,
    resource_name: optStr,
    resource_type_display_name: optStr,
    scoping_project_id: optStr,
    observed_value: strOrNum,
    resource: nullish(looseObject({ type: optStr, labels: nullish(stringRecord) })),
    metric: nullish(looseObject({ type: optStr, displayName: optStr })),
    // An object in schema 1.2; the console's test notification sends the text itself.
    documentation: nullish(union([string(), looseObject({ content: optStr })])),
  }),
});

export function parseGcp(body: unknown, receivedAt: string): Notification[] {
  const i = parseWith(gcpIncident, body, 'Google Cloud Monitoring incident').incident;
  const closed = i.state.toLowerCase() === 'closed';
  const labels = i.resource?.labels ?? {};
  const severity = i.severity && i.severity.toLowerCase() !== 'no severity' ? i.severity : null;
  return [
    webhookNotification({
      source: 'gcp',
      key: i.incident_id,
      title: [i.policy_name, i.condition_name].filter(Boolean).join(': ') || `incident ${i.incident_id}`,
      state: closed ? 'OK' : 'ALARM',
      changedAt: (closed ? isoTime(i.ended_at) : isoTime(i.started_at)) ?? receivedAt,
      severity: severityFromWord(severity),
      severityLabel: severity,
      reason: i.summary ?? null,
      description: (typeof i.documentation === 'string' ? i.documentation : i.documentation?.content) || null,
      account: labels.project_id ?? i.scoping_project_id ?? null,
      namespace: i.resource?.type ?? null,
      metric: i.metric?.type ?? null,
      dimensions: labels,
      fields: fieldsOf([
        ['policy', i.policy_name],
        ['condition', i.condition_name],
        ['resource', i.resource_name],
        ['resourceType', i.resource?.type],
        ['metric', i.metric?.type],
        ['observedValue', i.observed_value],
        ['project', labels.project_id ?? i.scoping_project_id],
        ['severity', severity],
      ]),
      url: safeUrl(i.url),
    }),
  ];
}
