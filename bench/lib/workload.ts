/**
 * The alarm mix every scenario uses: unique alarm names, P0–P3 from the runbook alarms (packages/local/src/demo.ts)
 * plus a low-topic variant for P3, and 10% exact redeliveries (same SNS message, same MessageId) of an earlier one.
 */
import { randomUUID } from 'node:crypto';
import { RUNBOOK_ALARMS, snsNotification, type DemoAlarm } from '../../packages/local/src/demo';
import type { SnsHttpBody } from '../../packages/local/src/lambda-events';

export type Severity = 'P0' | 'P1' | 'P2' | 'P3';

export interface Template {
  alarm: DemoAlarm;
  severity: Severity;
  /** Channels the default policy sends to (dashboard aside). */
  channels: ('pagerduty' | 'slack' | 'email')[];
}

/** Default policy: critical topic → P0 (PagerDuty+Slack), high → P1 (Slack+email), medium → P2 (email), low → P3 (dashboard only). */
export const TEMPLATES: Template[] = [
  { alarm: RUNBOOK_ALARMS[0], severity: 'P0', channels: ['pagerduty', 'slack'] },
  { alarm: RUNBOOK_ALARMS[1], severity: 'P1', channels: ['slack', 'email'] },
  { alarm: RUNBOOK_ALARMS[2], severity: 'P1', channels: ['slack', 'email'] },
  { alarm: RUNBOOK_ALARMS[3], severity: 'P2', channels: ['email'] },
  { alarm: { ...RUNBOOK_ALARMS[3], name: 'DatabaseCPUTrend', topic: 'Low', description: 'RDS CPU trend (informational)' }, severity: 'P3', channels: [] },
];

export interface UniqueAlarm {
  idx: number;
  name: string;
  template: Template;
  at: Date;
  sns: SnsHttpBody;
  /** The SNS HTTP delivery, serialised once (a redelivery posts these exact bytes again). */
  body: string;
}

export interface Delivery {
  alarm: UniqueAlarm;
  /** True for an exact redelivery of an earlier message. */
  dup: boolean;
}

export interface Workload {
  tag: string;
  uniques: UniqueAlarm[];
  deliveries: Delivery[];
}

/** Alarm names look like `BenchAlarm-<tag>-000123-HighErrorRate`; the sinks find the number with this. */
/** The headers of an SNS HTTP delivery, as every POST /sns of the bench sends them. */
export const SNS_POST_HEADERS = { 'content-type': 'text/plain; charset=UTF-8', 'x-amz-sns-message-type': 'Notification' } as const;

export const NAME_RE = /BenchAlarm-([a-z0-9]+)-(\d{6})-/g;

export function alarmName(tag: string, idx: number, t: Template): string {
  return `BenchAlarm-${tag}-${String(idx).padStart(6, '0')}-${t.alarm.name}`;
}

/** Deterministic generator (so every scenario gets the same sequence). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/**
 * `n` deliveries; every 10th is a redelivery of a unique alarm sent at least `lag` deliveries earlier (the first
 * alarm while there is none that old), as SNS does after a lost acknowledgement.
 */
export function buildWorkload(n: number, tag: string, opts: { lag?: number; seed?: number; channels?: Template['channels'] } = {}): Workload {
  const lag = opts.lag ?? 100;
  const rnd = lcg(opts.seed ?? 42);
  const base = Date.now() - 120_000;
  const uniques: UniqueAlarm[] = [];
  const deliveries: Delivery[] = [];
  const positionOf: number[] = [];
  for (let k = 0; k < n; k++) {
    if (k % 10 === 9 && uniques.length > 0) {
      // newest unique alarm first delivered at least `lag` positions ago
      let hi = uniques.length - 1;
      while (hi > 0 && positionOf[hi] > k - lag) hi--;
      const pick = Math.floor(rnd() * (hi + 1));
      deliveries.push({ alarm: uniques[pick], dup: true });
      continue;
    }
    const idx = uniques.length;
    const template = TEMPLATES[idx % TEMPLATES.length];
    const t = opts.channels ? { ...template, channels: opts.channels } : template;
    const name = alarmName(tag, idx, t);
    const at = new Date(base + idx);
    const sns = snsNotification({ ...t.alarm, name }, 'ALARM', at, randomUUID());
    const u: UniqueAlarm = { idx, name, template: t, at, sns, body: JSON.stringify(sns) };
    uniques.push(u);
    positionOf.push(k);
    deliveries.push({ alarm: u, dup: false });
  }
  return { tag, uniques, deliveries };
}

/** The same alarm as an Alertmanager v2 alert (what a Prometheus rule would post). */
export function alertmanagerAlert(u: UniqueAlarm): Record<string, unknown> {
  const a = u.template.alarm;
  return {
    labels: { alertname: u.name, severity: u.template.severity, namespace: a.namespace, metric: a.metric, ...a.dimensions },
    annotations: { summary: `${u.name} in ALARM`, description: a.description, runbook: 'https://github.com/your-org/ops/blob/main/runbook.md' },
    startsAt: u.at.toISOString(),
    generatorURL: `https://console.aws.amazon.com/cloudwatch/home?region=us-east-1#alarmsV2:alarm/${u.name}`,
  };
}
