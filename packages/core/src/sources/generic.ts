import { looseObject, maxLength, minLength, number, optional, pipe, refine, string, transform, trim, union } from 'zod/mini';
import { createHash } from 'node:crypto';
import type { Notification } from '../types';
import { fieldsOf, isoTime, safeUrl, severityFromWord, webhookNotification } from './common';
import { parseWith, stringRecord } from './webhook-schema';

const dedupKey = optional(string().check(trim(), minLength(1), maxLength(400)));

/**
 * `action`, and the words other tools' templates put there (Datadog's `$ALERT_TRANSITION`: Triggered, Re-Triggered,
 * Warn, Re-Warn, No Data, Re-No Data, Renotify, Null, Recovered; others' up / down), case and separators ignored.
 */
const ACTIONS: Record<string, 'trigger' | 'resolve'> = {
  trigger: 'trigger',
  triggered: 'trigger',
  retriggered: 'trigger',
  firing: 'trigger',
  alert: 'trigger',
  alerting: 'trigger',
  problem: 'trigger',
  warn: 'trigger',
  rewarn: 'trigger',
  warning: 'trigger',
  nodata: 'trigger',
  renodata: 'trigger',
  renotify: 'trigger',
  // Datadog's transition of a monitor that has no state yet: no news, so the default.
  null: 'trigger',
  down: 'trigger',
  resolve: 'resolve',
  resolved: 'resolve',
  recovered: 'resolve',
  recovery: 'resolve',
  ok: 'resolve',
  up: 'resolve',
};
const actionKey = (a: string): string => a.toLowerCase().replace(/[^a-z]/g, '');
const action = pipe(
  string().check(refine((a: string) => Object.hasOwn(ACTIONS, actionKey(a)), { error: 'expected "trigger" or "resolve" (or triggered, recovered, ok…)' })),
  transform((a: string) => ACTIONS[actionKey(a)]),
);

/**
 * The generic JSON webhook, for anything else:
 * `{"title", "details"?, "dedupKey"?, "severity"?, "action"?: "trigger" | "resolve" (default trigger), "timestamp"?, "url"?, "source"?, "fields"?}`.
 * Without a dedupKey the title is the key (so a resolve must repeat the title).
 */
const generic = looseObject({
  title: optional(string().check(trim(), minLength(1, 'must not be empty'))),
  details: optional(string()),
  dedupKey,
  dedup_key: dedupKey,
  severity: optional(string()),
  action: optional(action),
  // PagerDuty Events API v2's spellings, from senders built for it: `event_action`, `payload.summary`/`severity`.
  event_action: optional(action),
  payload: optional(looseObject({ summary: optional(string().check(trim())), severity: optional(string()), source: optional(string()) })),
  timestamp: optional(union([string(), number()])),
  url: optional(string()),
  source: optional(string().check(maxLength(200))),
  fields: optional(stringRecord),
}).check(
  refine((g) => g.title || g.dedupKey || g.dedup_key || g.payload?.summary, { error: 'needs a title or a dedupKey', path: ['title'] }),
  refine((g) => g.action === undefined || g.event_action === undefined || g.action === g.event_action, {
    error: 'action and event_action disagree',
    path: ['event_action'],
  }),
  refine((g) => !(g.severity ?? g.payload?.severity) || severityFromWord(g.severity ?? g.payload?.severity), {
    error: 'expected P0-P3, critical, high, medium, low, error, warning or info',
    path: ['severity'],
  }),
);

export function parseGeneric(body: unknown, receivedAt: string): Notification[] {
  const g = parseWith(generic, body, 'generic webhook');
  const title = g.title ?? (g.payload?.summary || undefined);
  const severity = g.severity ?? g.payload?.severity;
  const key = g.dedupKey ?? g.dedup_key ?? `title:${createHash('sha256').update(title!).digest('hex').slice(0, 32)}`;
  const resolved = (g.action ?? g.event_action) === 'resolve';
  return [
    webhookNotification({
      source: 'generic',
      key,
      title: title ?? key,
      state: resolved ? 'OK' : 'ALARM',
      changedAt: isoTime(g.timestamp) ?? receivedAt,
      severity: severityFromWord(severity),
      severityLabel: severity ?? null,
      reason: g.details ?? null,
      description: g.details ?? null,
      fields: fieldsOf([['source', g.source ?? g.payload?.source], ['dedupKey', key], ...Object.entries(g.fields ?? {})]),
      url: safeUrl(g.url),
    }),
  ];
}
