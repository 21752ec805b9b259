import { _default, enum as zEnum, looseObject, maxLength, minLength, number, optional, refine, string, trim, union } from 'zod/mini';
import { createHash } from 'node:crypto';
import type { Notification } from '../types';
import { fieldsOf, isoTime, safeUrl, severityFromWord, webhookNotification } from './common';
import { parseWith, stringRecord } from './webhook-schema';

const dedupKey = optional(string().check(trim(), minLength(1), maxLength(400)));

/**
 * The generic JSON webhook, for anything else:
 * `{"title", "details"?, "dedupKey"?, "severity"?, "action"?: "trigger" | "resolve", "timestamp"?, "url"?, "source"?, "fields"?}`.
 * Without a dedupKey the title is the key (so a resolve must repeat the title).
 */
const generic = looseObject({
  title: optional(string().check(trim(), minLength(1, 'must not be empty'))),
  details: optional(string()),
  dedupKey,
  dedup_key: dedupKey,
  severity: optional(string()),
  action: _default(zEnum(['trigger', 'resolve']), 'trigger'),
  timestamp: optional(union([string(), number()])),
  url: optional(string()),
  source: optional(string().check(maxLength(200))),
  fields: optional(stringRecord),
}).check(
  refine((g) => g.title || g.dedupKey || g.dedup_key, { error: 'needs a title or a dedupKey', path: ['title'] }),
  refine((g) => !g.severity || severityFromWord(g.severity), {
    error: 'expected P0-P3, critical, high, medium, low, error, warning or info',
    path: ['severity'],
  }),
);

export function parseGeneric(body: unknown, receivedAt: string): Notification[] {
  const g = parseWith(generic, body, 'generic webhook');
  const key = g.dedupKey ?? g.dedup_key ?? `title:${createHash('sha256').update(g.title!).digest('hex').slice(0, 32)}`;
  const resolved = g.action === 'resolve';
  return [
    webhookNotification({
      source: 'generic',
      key,
      title: g.title ?? key,
      state: resolved ? 'OK' : 'ALARM',
      changedAt: isoTime(g.timestamp) ?? receivedAt,
      severity: severityFromWord(g.severity),
      severityLabel: g.severity ?? null,
      reason: g.details ?? null,
      description: g.details ?? null,
      fields: fieldsOf([['source', g.source], ['dedupKey', key], ...Object.entries(g.fields ?? {})]),
      url: safeUrl(g.url),
    }),
  ];
}
