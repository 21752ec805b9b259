import { array, enum as zEnum, literal, looseObject, minLength, nullish, number, pipe, string, transform, union } from 'zod/mini';
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

const id = union([string().check(minLength(1)), pipe(number(), transform(String))]);
const optStr = nullish(string());

const eventAlert = looseObject({
  action: literal('triggered'),
  data: looseObject({
    event: looseObject({
      // Older integrations (2020) name the issue only in its links: `issue_url` …/issues/<id>/, `web_url` too.
      issue_id: nullish(id),
      title: optStr,
      level: optStr,
      culprit: optStr,
      datetime: optStr,
      timestamp: nullish(number()),
      web_url: optStr,
      issue_url: optStr,
      platform: optStr,
      project: nullish(union([string(), number()])),
      environment: optStr,
      metadata: nullish(looseObject({ type: optStr, value: optStr })),
    }),
    triggered_rule: optStr,
  }),
});

const metricAlert = looseObject({
  action: zEnum(['critical', 'warning', 'resolved']),
  data: looseObject({
    description_title: optStr,
    description_text: optStr,
    web_url: optStr,
    metric_alert: looseObject({
      id: id,
      title: optStr,
      date_started: optStr,
      date_detected: optStr,
      date_closed: optStr,
      projects: nullish(array(string())),
      alert_rule: looseObject({
        name: optStr,
        aggregate: optStr,
        query: optStr,
        dataset: optStr,
        environment: optStr,
      }),
    }),
  }),
});

const issueEvent = looseObject({
  action: string(),
  data: looseObject({
    issue: looseObject({
      id: id,
      title: optStr,
      level: optStr,
      web_url: optStr,
      permalink: optStr,
      project: nullish(looseObject({ slug: optStr })),
    }),
  }),
});

/** The issue id an event alert names: its `issue_id`, else the one in its `issue_url` or `web_url` (`/issues/<id>/`). */
function issueIdOf(e: { issue_id?: string | null; issue_url?: string | null; web_url?: string | null }): string | null {
  if (e.issue_id) return e.issue_id;
  for (const url of [e.issue_url, e.web_url]) {
    const m = /\/issues\/(\d+)(?:\/|$)/.exec(url ?? '');
    if (m) return m[1];
  }
  return null;
}

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
    const issueId = issueIdOf(e);
    if (!issueId) throw new InputError('data.event.issue_id', 'expected the issue id, or an issue_url or web_url naming it (Sentry issue alert)');
    const level = e.level ?? null;
    return [
      webhookNotification({
        source: 'sentry',
        key: `issue:${issueId}`,
        title: e.title ?? e.metadata?.type ?? `Sentry issue ${issueId}`,
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
          ['issueId', issueId],
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
