import { createHash } from 'node:crypto';
import { array, enum as zEnum, looseObject, minLength, nullish, number, string, union } from 'zod/mini';
import type { Notification } from '../types';
import { fieldsOf, isoTime, safeUrl, severityFromWord, webhookNotification } from './common';
import { parseWith, stringRecord } from './webhook-schema';

const optStr = nullish(string());
const status = zEnum(['firing', 'resolved']);

/**
 * Prometheus Alertmanager webhook (version 4) and Grafana's webhook contact point (same body, version 1):
 * one notification per alert of the group, keyed by the alert's `fingerprint`, `status` firing | resolved.
 */
const alert = looseObject({
  status,
  labels: stringRecord,
  annotations: nullish(stringRecord),
  startsAt: optStr,
  endsAt: optStr,
  generatorURL: optStr,
  fingerprint: nullish(string().check(minLength(1))),
  silenceURL: optStr,
});

const group = looseObject({
  version: optStr,
  status: nullish(status),
  receiver: optStr,
  groupKey: optStr,
  externalURL: optStr,
  alerts: array(alert).check(minLength(1, 'no alerts')),
});

/** Alertmanager's fingerprint is a hash of the label set; hand-written senders often omit it, so the same is derived. */
function labelsKey(labels: Record<string, string>): string {
  const canonical = JSON.stringify(
    Object.keys(labels)
      .sort()
      .map((k) => [k, labels[k]]),
  );
  return `labels:${createHash('sha256').update(canonical).digest('hex').slice(0, 16)}`;
}

/**
 * Grafana's legacy dashboard alerting (before unified alerting, Grafana ≤ 10): one rule per body, `state` alerting |
 * no_data | ok (paused and pending are not alerts), keyed by the rule.
 */
const legacyGrafana = looseObject({
  ruleId: union([number(), string()]),
  ruleName: optStr,
  ruleUrl: optStr,
  state: zEnum(['alerting', 'no_data', 'ok', 'paused', 'pending']),
  title: optStr,
  message: optStr,
  orgId: nullish(union([number(), string()])),
  dashboardId: nullish(union([number(), string()])),
  panelId: nullish(union([number(), string()])),
  tags: nullish(stringRecord),
  evalMatches: nullish(array(looseObject({ metric: optStr, value: nullish(union([number(), string()])) }))),
});

/** A legacy Grafana alert body (no `alerts` array; a rule id and its state). */
export function isLegacyGrafana(body: unknown): boolean {
  const b = body as Record<string, unknown> | null;
  return typeof b === 'object' && b !== null && !Array.isArray(b) && !('alerts' in b) && 'ruleId' in b && 'state' in b;
}

function parseLegacyGrafana(body: unknown, receivedAt: string): Notification[] {
  const g = parseWith(legacyGrafana, body, 'Grafana legacy alert');
  if (g.state === 'paused' || g.state === 'pending') return [];
  const tags = g.tags ?? {};
  const severity = tags.severity ?? tags.priority ?? null;
  const matches = (g.evalMatches ?? []).map((m) => `${m.metric ?? '?'}=${m.value ?? ''}`).join(', ');
  return [
    webhookNotification({
      source: 'alertmanager',
      key: `grafana-legacy:${g.orgId ?? 0}:${g.dashboardId ?? 0}:${g.panelId ?? 0}:${g.ruleId}`,
      title: g.ruleName || g.title || `Grafana rule ${g.ruleId}`,
      state: g.state === 'ok' ? 'OK' : 'ALARM',
      // A legacy body carries no time of its own: the arrival is the change (a second copy folds in as a repeat).
      changedAt: receivedAt,
      severity: severityFromWord(severity),
      severityLabel: severity,
      reason: g.message || (matches ? `${g.state}: ${matches}` : null),
      dimensions: tags,
      fields: fieldsOf([
        ['alertname', g.ruleName],
        ['state', g.state],
        ['severity', severity],
        ['evalMatches', matches || null],
      ]),
      url: safeUrl(g.ruleUrl),
    }),
  ];
}

export function parseAlertmanager(body: unknown, receivedAt: string): Notification[] {
  if (isLegacyGrafana(body)) return parseLegacyGrafana(body, receivedAt);
  const g = parseWith(group, body, 'Alertmanager webhook');
  return g.alerts.map((a) => {
    const resolved = a.status === 'resolved';
    const ann = a.annotations ?? {};
    const severity = a.labels.severity ?? a.labels.priority ?? null;
    const name = a.labels.alertname ?? 'alert';
    const { alertname: _alertname, ...dimensions } = a.labels;
    return webhookNotification({
      source: 'alertmanager',
      key: a.fingerprint ?? labelsKey(a.labels),
      title: ann.summary ? `${name}: ${ann.summary}` : name,
      state: resolved ? 'OK' : 'ALARM',
      changedAt: (resolved ? isoTime(a.endsAt) : isoTime(a.startsAt)) ?? receivedAt,
      severity: severityFromWord(severity),
      severityLabel: severity,
      reason: ann.description ?? ann.message ?? ann.summary ?? null,
      description: ann.description ?? null,
      dimensions,
      fields: fieldsOf([
        ['alertname', name],
        ['severity', severity],
        ['receiver', g.receiver],
        ['instance', a.labels.instance],
        ['job', a.labels.job],
        ['namespace', a.labels.namespace],
        ['runbook', safeUrl(ann.runbook_url)],
      ]),
      url: safeUrl(a.generatorURL) ?? safeUrl(g.externalURL),
    });
  });
}
