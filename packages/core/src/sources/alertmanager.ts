import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Notification } from '../types';
import { fieldsOf, isoTime, safeUrl, severityFromWord, webhookNotification } from './common';
import { parseWith, stringRecord } from './webhook-schema';

/**
 * Prometheus Alertmanager webhook (version 4) and Grafana's webhook contact point (same body, version 1):
 * one notification per alert of the group, keyed by the alert's `fingerprint`, `status` firing | resolved.
 */
const alert = z
  .object({
    status: z.enum(['firing', 'resolved']),
    labels: stringRecord,
    annotations: stringRecord.nullish(),
    startsAt: z.string().nullish(),
    endsAt: z.string().nullish(),
    generatorURL: z.string().nullish(),
    fingerprint: z.string().min(1).nullish(),
    silenceURL: z.string().nullish(),
  })
  .passthrough();

const group = z
  .object({
    version: z.string().nullish(),
    status: z.enum(['firing', 'resolved']).nullish(),
    receiver: z.string().nullish(),
    groupKey: z.string().nullish(),
    externalURL: z.string().nullish(),
    alerts: z.array(alert).min(1, 'no alerts'),
  })
  .passthrough();

/** Alertmanager's fingerprint is a hash of the label set; hand-written senders often omit it, so the same is derived. */
function labelsKey(labels: Record<string, string>): string {
  const canonical = JSON.stringify(
    Object.keys(labels)
      .sort()
      .map((k) => [k, labels[k]]),
  );
  return `labels:${createHash('sha256').update(canonical).digest('hex').slice(0, 16)}`;
}

export function parseAlertmanager(body: unknown, receivedAt: string): Notification[] {
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
