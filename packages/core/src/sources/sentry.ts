import { z } from 'zod';
import { InputError } from '../errors';
import type { Notification } from '../types';
import { fieldsOf, isoTime, safeUrl, severityFromWord, text, webhookNotification } from './common';
import { parseWith } from './webhook-schema';

/**
 * Sentry integration-platform webhooks (`Sentry-Hook-Resource`):
 * - `event_alert` (issue alert rule fired): action `triggered`, keyed by the issue, severity from the event level;
 * - `metric_alert`: action `critical` | `warning` (firing) or `resolved`, keyed by Sentry's incident id;
 * - `issue`: action `resolved` resolves the issue alert's incident (other issue actions are not alerts);
 * - any other resource (installation, comment...) is accepted and ignored.
 */
export type SentryResource = 'event_alert' | 'metric_alert' | 'issue';

const id = z.union([z.string().min(1), z.number().transform(String)]);

const eventAlert = z
  .object({
    action: z.literal('triggered'),
    data: z
      .object({
        event: z
          .object({
            issue_id: id,
            title: z.string().nullish(),
            level: z.string().nullish(),
            culprit: z.string().nullish(),
            datetime: z.string().nullish(),
            timestamp: z.number().nullish(),
            web_url: z.string().nullish(),
            issue_url: z.string().nullish(),
            platform: z.string().nullish(),
            project: z.union([z.string(), z.number()]).nullish(),
            environment: z.string().nullish(),
            metadata: z.object({ type: z.string().nullish(), value: z.string().nullish() }).passthrough().nullish(),
          })
          .passthrough(),
        triggered_rule: z.string().nullish(),
      })
      .passthrough(),
  })
  .passthrough();

const metricAlert = z
  .object({
    action: z.enum(['critical', 'warning', 'resolved']),
    data: z
      .object({
        description_title: z.string().nullish(),
        description_text: z.string().nullish(),
        web_url: z.string().nullish(),
        metric_alert: z
          .object({
            id: id,
            title: z.string().nullish(),
            date_started: z.string().nullish(),
            date_detected: z.string().nullish(),
            date_closed: z.string().nullish(),
            projects: z.array(z.string()).nullish(),
            alert_rule: z
              .object({
                name: z.string().nullish(),
                aggregate: z.string().nullish(),
                query: z.string().nullish(),
                dataset: z.string().nullish(),
                environment: z.string().nullish(),
              })
              .passthrough(),
          })
          .passthrough(),
      })
      .passthrough(),
  })
  .passthrough();

const issueEvent = z
  .object({
    action: z.string(),
    data: z
      .object({
        issue: z
          .object({
            id: id,
            title: z.string().nullish(),
            level: z.string().nullish(),
            web_url: z.string().nullish(),
            permalink: z.string().nullish(),
            project: z.object({ slug: z.string().nullish() }).passthrough().nullish(),
          })
          .passthrough(),
      })
      .passthrough(),
  })
  .passthrough();

/** Which resource a body is when the header is absent (the route CLI reads files). */
export function sentryResourceOf(body: unknown): SentryResource | null {
  const data = (body as { data?: Record<string, unknown> } | null)?.data;
  if (!data || typeof data !== 'object') return null;
  if ('metric_alert' in data) return 'metric_alert';
  if ('event' in data && 'triggered_rule' in data) return 'event_alert';
  if ('issue' in data) return 'issue';
  return null;
}

/** One Sentry webhook → its alerts (none for issue actions that are not a resolution). */
export function parseSentry(body: unknown, resource: string | null, receivedAt: string): Notification[] {
  const kind = resource ?? sentryResourceOf(body);
  if (kind === 'event_alert') {
    const b = parseWith(eventAlert, body, 'Sentry issue alert');
    const e = b.data.event;
    const level = e.level ?? null;
    return [
      webhookNotification({
        source: 'sentry',
        key: `issue:${e.issue_id}`,
        title: e.title ?? e.metadata?.type ?? `Sentry issue ${e.issue_id}`,
        state: 'ALARM',
        changedAt: isoTime(e.datetime) ?? isoTime(e.timestamp) ?? receivedAt,
        severity: severityFromWord(level),
        severityLabel: level ? `level ${level}` : null,
        reason: b.data.triggered_rule ? `alert rule "${b.data.triggered_rule}" fired${e.culprit ? ` in ${e.culprit}` : ''}` : (e.culprit ?? null),
        description: e.metadata?.value ?? null,
        fields: fieldsOf([
          ['resource', 'event_alert'],
          ['action', b.action],
          ['rule', b.data.triggered_rule],
          ['level', level],
          ['issueId', e.issue_id],
          ['culprit', e.culprit],
          ['platform', e.platform],
          ['project', e.project],
          ['environment', e.environment],
        ]),
        url: safeUrl(e.web_url) ?? safeUrl(e.issue_url),
      }),
    ];
  }
  if (kind === 'metric_alert') {
    const b = parseWith(metricAlert, body, 'Sentry metric alert');
    const m = b.data.metric_alert;
    const resolved = b.action === 'resolved';
    const rule = m.alert_rule.name ?? m.title ?? `metric alert ${m.id}`;
    return [
      webhookNotification({
        source: 'sentry',
        key: `metric-alert:${m.id}`,
        title: rule,
        state: resolved ? 'OK' : 'ALARM',
        changedAt: (resolved ? (isoTime(m.date_closed) ?? receivedAt) : (isoTime(m.date_started) ?? isoTime(m.date_detected))) ?? receivedAt,
        severity: resolved ? null : severityFromWord(b.action),
        severityLabel: b.action,
        reason: text(b.data.description_title, 500) ?? null,
        description: text(b.data.description_text, 1000),
        metric: m.alert_rule.aggregate ?? null,
        fields: fieldsOf([
          ['resource', 'metric_alert'],
          ['action', b.action],
          ['rule', rule],
          ['aggregate', m.alert_rule.aggregate],
          ['query', m.alert_rule.query],
          ['dataset', m.alert_rule.dataset],
          ['environment', m.alert_rule.environment],
          ['projects', m.projects?.join(', ')],
        ]),
        url: safeUrl(b.data.web_url),
      }),
    ];
  }
  if (kind === 'issue') {
    const b = parseWith(issueEvent, body, 'Sentry issue');
    if (b.action !== 'resolved') return [];
    const i = b.data.issue;
    return [
      webhookNotification({
        source: 'sentry',
        key: `issue:${i.id}`,
        title: i.title ?? `Sentry issue ${i.id}`,
        state: 'OK',
        changedAt: receivedAt,
        severity: null,
        severityLabel: i.level ? `level ${i.level}` : null,
        reason: 'issue resolved in Sentry',
        fields: fieldsOf([
          ['resource', 'issue'],
          ['action', b.action],
          ['issueId', i.id],
          ['level', i.level],
          ['project', i.project?.slug],
        ]),
        url: safeUrl(i.web_url) ?? safeUrl(i.permalink),
      }),
    ];
  }
  // Other resources (installation, comment, error...) are not alerts: accepted and ignored.
  if (resource) return [];
  throw new InputError('data', 'expected a Sentry issue alert (data.event, data.triggered_rule), metric alert (data.metric_alert) or issue (data.issue)');
}
