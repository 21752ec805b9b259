import { z } from 'zod';
import type { Notification } from '../types';
import { fieldsOf, isoTime, safeUrl, severityFromWord, webhookNotification } from './common';
import { parseWith, stringRecord } from './webhook-schema';

/** Google Cloud Monitoring incident webhooks (schema 1.2): `incident.state` open | closed, keyed by `incident_id`. */
const gcpIncident = z
  .object({
    version: z.union([z.string(), z.number()]).nullish(),
    incident: z
      .object({
        incident_id: z.string().min(1),
        state: z.string().refine((s) => ['open', 'closed'].includes(s.toLowerCase()), { error: 'expected "open" or "closed"' }),
        policy_name: z.string().nullish(),
        condition_name: z.string().nullish(),
        summary: z.string().nullish(),
        url: z.string().nullish(),
        started_at: z.union([z.number(), z.string()]).nullish(),
        ended_at: z.union([z.number(), z.string()]).nullish(),
        severity: z.string().nullish(),
        resource_name: z.string().nullish(),
        resource_type_display_name: z.string().nullish(),
        scoping_project_id: z.string().nullish(),
        observed_value: z.union([z.string(), z.number()]).nullish(),
        resource: z.object({ type: z.string().nullish(), labels: stringRecord.nullish() }).passthrough().nullish(),
        metric: z.object({ type: z.string().nullish(), displayName: z.string().nullish() }).passthrough().nullish(),
        documentation: z.object({ content: z.string().nullish() }).passthrough().nullish(),
      })
      .passthrough(),
  })
  .passthrough();

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
      description: i.documentation?.content ?? null,
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
