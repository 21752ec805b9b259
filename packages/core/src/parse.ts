import type { $ZodError } from 'zod/v4/core';
import { truncateUnits } from './render/escape';
import {
  ALARM_EVENT_TYPES,
  alarmStateChangeEventSchema,
  cloudWatchAlarmSchema,
  snsEventSchema,
  snsMessageSchema,
  type AlarmStateChangeEvent,
  type CloudWatchAlarm,
  type SnsMessage,
} from './alarm-schema';
import { InputError } from './errors';
import { ALARM_STATES, type AlarmKind, type AlarmState, type MetricRef, type Notification } from './types';
import { regionFromName } from './sources/regions';
import { isS3Event, readMessage, titleOfUnknownJson } from './sources/sns-messages';
import { firstLine, noAlarmDetails } from './sources/common';

type SnsFacts = NonNullable<Notification['sns']>;

/** Formats a zod issue path the way people read it: `Records[0].Sns.Message.Trigger.Period`. */
export function formatPath(base: string, path: readonly PropertyKey[]): string {
  let out = base;
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out;
}

function firstIssue(error: $ZodError, base: string): InputError {
  const issue = error.issues[0];
  return new InputError(formatPath(base, issue?.path ?? []) || '(root)', issue?.message ?? 'invalid');
}

/** `2024-01-15T10:11:58.402` then `+0000` or `Z`, on a day every month has (Date.parse rolls 02-31 over to March). */
const CLOUDWATCH_UTC = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|1\d|2[0-8])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}(?:\+0000|Z)$/;

/** CloudWatch writes `2024-01-15T10:11:58.402+0000`, which is not RFC 3339; returns ISO 8601 in UTC or null. */
export function normaliseTimestamp(value: string | null | undefined): string | null {
  if (!value) return null;
  // CloudWatch's own shape (and SNS's, already ISO in UTC): the answer is the same text, without parsing a date.
  if (value.length === 28 && value.endsWith('+0000') && CLOUDWATCH_UTC.test(value)) return `${value.slice(0, 23)}Z`;
  if (value.length === 24 && value.endsWith('Z') && CLOUDWATCH_UTC.test(value)) return value;
  const fixed = value.trim().replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
  const ms = Date.parse(fixed);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

/** `arn:aws:cloudwatch:eu-west-1:123456789012:alarm:Name` → its parts (null when not an ARN). */
export function parseArn(
  arn: string | null | undefined,
): { partition: string; service: string; region: string | null; account: string | null; resource: string } | null {
  if (!arn) return null;
  const parts = arn.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return null;
  return {
    partition: parts[1],
    service: parts[2],
    region: parts[3] || null,
    account: parts[4] || null,
    resource: parts.slice(5).join(':'),
  };
}

function state(value: string | null | undefined): { state: AlarmState | null; raw: string | null } {
  if (value == null || value === '') return { state: null, raw: null };
  const upper = value.trim().toUpperCase();
  return (ALARM_STATES as readonly string[]).includes(upper) ? { state: upper as AlarmState, raw: value } : { state: null, raw: value };
}

/** `"- TreatMissingData:   missing"` and similar junk → `missing`. */
export function cleanTreatMissingData(value: string | null | undefined): string | null {
  if (!value) return null;
  const m = /((?:not|non)[\s_-]*breaching|breaching|ignore|missing)\s*$/i.exec(value.trim());
  if (!m) return value.trim() || null;
  const word = m[1].toLowerCase();
  return word.startsWith('no') ? 'notBreaching' : word;
}

function dims(list: { name: string; value: unknown }[] | null | undefined): Record<string, string> {
  // fromEntries defines own properties, so a dimension named `__proto__` is kept, not swallowed by the setter.
  return Object.fromEntries((list ?? []).map((d) => [d.name, d.value == null ? '' : String(d.value)]));
}

/** The one (namespace, metric) an alarm is about, or nulls when it has none or several. */
function singleMetric(metrics: MetricRef[]): Pick<MetricRef, 'namespace' | 'metric' | 'dimensions'> {
  // One metric of one resource: MAX over two instances' CPUUtilization is about neither alone.
  const distinct = new Map<string, MetricRef>();
  for (const m of metrics) if (m.metric) distinct.set(`${m.namespace}\u0000${m.metric}\u0000${dimensionsKey(m.dimensions)}`, m);
  if (distinct.size !== 1) return { namespace: null, metric: null, dimensions: {} };
  const only = [...distinct.values()][0];
  return { namespace: only.namespace, metric: only.metric, dimensions: only.dimensions };
}

function dimensionsKey(d: Record<string, string>): string {
  return JSON.stringify(
    Object.keys(d)
      .sort()
      .map((k) => [k, d[k]]),
  );
}

/**
 * The expression the alarm compares: the threshold metric's (anomaly detection), else the returned expression,
 * else any expression. A returned plain MetricStat (anomaly alarms return both) does not hide the band.
 */
function comparedExpression(
  metrics: { id: string | null; expression: string | null; returnData: boolean | null }[],
  thresholdMetricId: string | null,
): string | null {
  const withExpr = metrics.filter((m) => m.expression);
  const compared = (thresholdMetricId ? withExpr.find((m) => m.id === thresholdMetricId) : undefined) ?? withExpr.find((m) => m.returnData) ?? withExpr[0];
  return compared?.expression ?? null;
}

function mathKind(expression: string | null, thresholdMetricId: string | null, metricStats: number): AlarmKind {
  if (thresholdMetricId || /\bANOMALY_DETECTION_BAND\s*\(/i.test(expression ?? '')) return 'anomaly-detection';
  if (metricStats === 0 && /\bSELECT\b/i.test(expression ?? '')) return 'metrics-insights';
  return 'metric-math';
}

/**
 * Region codes look like `us-east-1`, `eu-west-1`, `us-gov-west-1`, `cn-north-1`, `eusc-de-east-1`;
 * placeholders such as `REGION` (AWS's own sample payloads) are not one.
 */
const REGION_CODE = /^[a-z]{2,}(-[a-z]+)+-\d+$/;
function regionCode(value: string | null | undefined): string | null {
  return value && REGION_CODE.test(value) ? value : null;
}

/** The alarm ARN's region, else the SNS topic's (same region: CloudWatch publishes to its own), else the display name's. */
function regionOf(arnRegion: string | null | undefined, sns: SnsFacts | null, displayName: string | null | undefined): string | null {
  return regionCode(arnRegion) ?? regionCode(parseArn(sns?.topicArn)?.region) ?? regionFromName(displayName);
}

function incidentKeyOf(arn: string | null, account: string | null, regionName: string | null, name: string, contributorId?: string | null): string {
  const alarm = arn ?? `${account ?? 'unknown'}:${regionName ?? 'unknown'}:${name}`;
  // Each contributor of a multi-contributor alarm is notified (and recovers) on its own: an incident of its own. The
  // prefix keeps it apart from any alarm's key (an ARN, or a name that may hold any character, `#` among them).
  return contributorId ? `contributor:${contributorId}@${alarm}` : alarm;
}

/** A record's values as text (a missing value as ''), as dimensions are kept. */
function textValues(values: Record<string, unknown> | null | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(values ?? {}).map(([k, v]) => [k, v == null ? '' : String(v)]));
}

/** A contributor's attributes (`{"endpoint": "/api/orders"}`) as dimensions, beside the alarm's own. */
function withContributor(dimensions: Record<string, string>, attributes: Record<string, unknown> | null | undefined): Record<string, string> {
  return attributes ? { ...dimensions, ...textValues(attributes) } : dimensions;
}

function fromCloudWatchAlarm(a: CloudWatchAlarm, sns: SnsFacts | null): Notification {
  const arn = a.AlarmArn?.trim() || null;
  const parsedArn = parseArn(arn);
  const account = a.AWSAccountId ?? parsedArn?.account ?? null;
  const t = a.Trigger ?? null;
  const now = state(a.NewStateValue);
  const before = state(a.OldStateValue);

  let alarmKind: AlarmKind;
  let metrics: MetricRef[] = [];
  let expression: string | null = null;
  if (a.AlarmRule || (!t && a.TriggeringChildren)) {
    alarmKind = 'composite';
  } else if (t?.Metrics && t.Metrics.length > 0) {
    metrics = t.Metrics.filter((m) => m.MetricStat).map((m) => ({
      id: m.Id ?? undefined,
      namespace: m.MetricStat!.Metric.Namespace ?? null,
      metric: m.MetricStat!.Metric.MetricName ?? null,
      dimensions: dims(m.MetricStat!.Metric.Dimensions),
      stat: m.MetricStat!.Stat ?? null,
      period: m.MetricStat!.Period ?? m.Period ?? null,
      unit: m.MetricStat!.Unit ?? null,
    }));
    expression = comparedExpression(
      t.Metrics.map((m) => ({ id: m.Id ?? null, expression: m.Expression ?? null, returnData: m.ReturnData ?? null })),
      t.ThresholdMetricId ?? null,
    );
    alarmKind = mathKind(expression, t.ThresholdMetricId ?? null, metrics.length);
  } else {
    alarmKind = 'metric';
    if (t && (t.MetricName || t.Namespace)) {
      metrics = [
        {
          namespace: t.Namespace ?? null,
          metric: t.MetricName ?? null,
          dimensions: dims(t.Dimensions),
          stat: t.Statistic ?? t.ExtendedStatistic ?? null,
          period: t.Period ?? null,
          unit: t.Unit ?? null,
        },
      ];
    }
    if (t?.Query) expression = t.Query;
  }
  const single = alarmKind === 'composite' ? { namespace: null, metric: null, dimensions: {} } : singleMetric(metrics);
  const name = a.AlarmName;
  return {
    kind: 'alarm',
    alarmKind,
    alarmName: name,
    description: a.AlarmDescription ?? null,
    state: now.state,
    previousState: before.state,
    rawState: now.raw,
    reason: a.NewStateReason ?? null,
    changedAt: normaliseTimestamp(a.StateChangeTime) ?? normaliseTimestamp(sns?.timestamp) ?? new Date(0).toISOString(),
    account,
    region: regionOf(parsedArn?.region, sns, a.Region),
    regionName: a.Region ?? null,
    alarmArn: arn,
    incidentKey: incidentKeyOf(arn, account, a.Region ?? null, name, a.AlarmContributorId),
    namespace: single.namespace,
    metric: single.metric,
    dimensions: withContributor(single.dimensions, a.AlarmContributorAttributes),
    metrics,
    threshold: t?.Threshold ?? null,
    comparison: t?.ComparisonOperator ?? null,
    evaluationPeriods: t?.EvaluationPeriods ?? null,
    period: t?.Period ?? metrics[0]?.period ?? null,
    statistic: t?.Statistic ?? t?.ExtendedStatistic ?? null,
    treatMissingData: cleanTreatMissingData(t?.TreatMissingData),
    expression,
    alarmRule: a.AlarmRule ?? null,
    triggeringChildren: (a.TriggeringChildren ?? []).map((c) => ({
      arn: c.Arn,
      state: c.State?.Value ?? null,
      at: normaliseTimestamp(c.State?.Timestamp),
    })),
    sns,
    text: null,
    warnings: [],
  };
}

/**
 * Why CloudWatch held a state change's actions back, as its EventBridge event says: the composite's actions
 * suppressor (`WaitPeriod`, `ExtensionPeriod`, `Alarm`: when a wait ends with the alarm still in ALARM, CloudWatch
 * sends the change again without it, and runs the actions), or a mute rule whose window holds the change. A window
 * that does not hold it, or cannot be read, holds nothing: a page is never lost to a field we misread.
 */
function actionsHeld(d: AlarmStateChangeEvent['detail'], changedAt: string): string | null {
  const by = d.state.actionsSuppressedBy;
  if (by) return d.state.actionsSuppressedReason || `Actions suppressed by ${by}`;
  const mute = d.muteDetail;
  const start = normaliseTimestamp(mute?.muteWindowStart);
  const end = normaliseTimestamp(mute?.muteWindowEnd);
  if (mute?.mutedByArn && start && end && start <= changedAt && changedAt < end) return `Muted by ${mute.mutedByArn} until ${end}`;
  return null;
}

function fromStateChangeEvent(e: AlarmStateChangeEvent, sns: SnsFacts | null): Notification {
  const arn = e.resources?.find((r) => r.includes(':alarm:')) ?? null;
  const d = e.detail;
  const cfg = d.configuration ?? null;
  const metrics: MetricRef[] = (cfg?.metrics ?? [])
    .filter((m) => m.metricStat)
    .map((m) => ({
      id: m.id ?? undefined,
      namespace: m.metricStat!.metric.namespace ?? null,
      metric: m.metricStat!.metric.name ?? null,
      dimensions: textValues(m.metricStat!.metric.dimensions),
      stat: m.metricStat!.stat ?? null,
      period: m.metricStat!.period ?? null,
    }));
  const composite = Boolean(cfg?.alarmRule);
  const single = composite ? { namespace: null, metric: null, dimensions: {} } : singleMetric(metrics);
  const now = state(d.state.value);
  const before = state(d.previousState?.value);
  const account = e.account ?? parseArn(arn)?.account ?? null;
  const thresholdMetricId = typeof cfg?.thresholdMetricId === 'string' ? cfg.thresholdMetricId : null;
  const expression = comparedExpression(
    (cfg?.metrics ?? []).map((m) => ({ id: m.id ?? null, expression: m.expression ?? null, returnData: m.returnData ?? null })),
    thresholdMetricId,
  );
  const alarmKind: AlarmKind = composite
    ? 'composite'
    : expression || thresholdMetricId || metrics.length > 1
      ? mathKind(expression, thresholdMetricId, metrics.length)
      : 'metric';
  const changedAt = normaliseTimestamp(d.state.timestamp) ?? normaliseTimestamp(e.time) ?? new Date(0).toISOString();
  const held = actionsHeld(d, changedAt);
  return {
    ...(held ? { actionsHeld: held } : {}),
    kind: 'alarm',
    alarmKind,
    alarmName: d.alarmName,
    description: cfg?.description ?? null,
    state: now.state,
    previousState: before.state,
    rawState: now.raw,
    reason: d.state.reason ?? null,
    changedAt,
    account,
    region: regionCode(parseArn(arn)?.region) ?? regionCode(e.region) ?? regionOf(null, sns, null),
    regionName: null,
    alarmArn: arn,
    incidentKey: incidentKeyOf(arn, account, e.region ?? null, d.alarmName, d.alarmContributor?.id),
    namespace: single.namespace,
    metric: single.metric,
    dimensions: withContributor(single.dimensions, d.alarmContributor?.attributes),
    metrics,
    threshold: null,
    comparison: null,
    evaluationPeriods: null,
    period: metrics[0]?.period ?? null,
    statistic: metrics[0]?.stat ?? null,
    treatMissingData: null,
    expression,
    alarmRule: cfg?.alarmRule ?? null,
    triggeringChildren: [],
    sns,
    text: null,
    warnings: [],
  };
}

const MAX_NAME = 256;

/**
 * Anything that is not an alarm still reaches people: it is routed as a plain message. AWS services' messages
 * (GuardDuty, Security Hub, Health, SES, RDS, Auto Scaling, CloudFormation, Backup, other EventBridge events)
 * are read for a title, key fields and their own severity; raw JSON is never a title.
 */
function plainMessage(text: string, parsed: unknown, sns: SnsFacts | null, warnings: string[], attributes: Record<string, string> = {}): Notification {
  const topic = parseArn(sns?.topicArn);
  const reading = warnings.length === 0 ? readMessage(parsed, text, attributes) : null;
  const subject = sns?.subject?.trim() || '';
  // A message's name is one line: the service's own reading (its text may hold several), else the Subject, else the text's.
  let name = (reading?.preferSubject && subject) || firstLine(reading?.title ?? '') || subject;
  if (!name && typeof parsed === 'object' && parsed !== null) name = titleOfUnknownJson(parsed);
  if (!name) name = firstLine(text);
  if (!name) name = '(empty message)';
  name = truncateUnits(name, MAX_NAME);
  const account = reading?.account ?? topic?.account ?? null;
  const region = regionCode(reading?.region) ?? regionCode(topic?.region);
  return {
    kind: 'message',
    alarmKind: 'message',
    alarmName: name,
    description: null,
    state: null,
    previousState: null,
    rawState: null,
    reason: reading?.reason ?? null,
    changedAt: normaliseTimestamp(sns?.timestamp) ?? reading?.at ?? new Date(0).toISOString(),
    account,
    region,
    regionName: null,
    alarmArn: null,
    incidentKey: reading?.key ?? `${account ?? 'unknown'}:${region ?? 'unknown'}:${name}`,
    namespace: null,
    metric: null,
    dimensions: {},
    metrics: [],
    ...noAlarmDetails(),
    sns,
    text,
    warnings,
    ...(reading ? { source: reading.source } : {}),
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** An alarm message (the JSON object CloudWatch publishes), validated; errors point under `base`. */
export function parseAlarmObject(value: Record<string, unknown>, base: string, sns: SnsFacts | null): Notification {
  if ('detail-type' in value && value.source === 'aws.cloudwatch') {
    const r = alarmStateChangeEventSchema.safeParse(value);
    if (!r.success) throw firstIssue(r.error, base);
    return fromStateChangeEvent(r.data, sns);
  }
  const r = cloudWatchAlarmSchema.safeParse(value);
  if (!r.success) throw firstIssue(r.error, base);
  return fromCloudWatchAlarm(r.data, sns);
}

function looksLikeAlarm(v: unknown): v is Record<string, unknown> {
  return isObject(v) && ('AlarmName' in v || (v.source === 'aws.cloudwatch' && (ALARM_EVENT_TYPES as readonly unknown[]).includes(v['detail-type'])));
}

/** One SNS message (Lambda record's `Sns` or an HTTP notification body) → a notification; never throws on the Message. */
export function parseSnsMessage(sns: SnsMessage, base: string): Notification {
  const facts: SnsFacts = {
    messageId: sns.MessageId ?? null,
    topicArn: sns.TopicArn ?? null,
    subject: sns.Subject ?? null,
    timestamp: sns.Timestamp ?? null,
  };
  const attributes = messageAttributes(sns);
  let parsed: unknown;
  try {
    parsed = JSON.parse(sns.Message);
  } catch {
    return plainMessage(sns.Message, undefined, facts, [], attributes);
  }
  if (looksLikeAlarm(parsed)) {
    try {
      return parseAlarmObject(parsed, base ? `${base}.Message` : 'Message', facts);
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      return plainMessage(sns.Message, parsed, facts, [`alarm routed as a plain message: ${err.message}`]);
    }
  }
  return plainMessage(sns.Message, parsed, facts, [], attributes);
}

/** SNS `MessageAttributes` (`{"State": {"Type": "String", "Value": "FAILED"}}`) → `{State: "FAILED"}`. */
function messageAttributes(sns: SnsMessage): Record<string, string> {
  const raw = (sns as { MessageAttributes?: unknown }).MessageAttributes;
  if (!isObject(raw)) return {};
  return Object.fromEntries(Object.entries(raw).flatMap(([k, v]) => (isObject(v) && typeof v.Value === 'string' ? [[k, v.Value]] : [])));
}

export type InputShape = 'alarm' | 'sns-notification' | 'sns-event' | 'event';

/**
 * Any of the three accepted inputs (a CloudWatch alarm message, an SNS HTTP notification, a Lambda SNSEvent)
 * → one notification per alarm. Throws InputError (with a path into the input) for anything else.
 */
export function parseInput(value: unknown): { shape: InputShape; notifications: Notification[] } {
  if (!isObject(value)) {
    const what = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
    throw new InputError('', `expected a CloudWatch alarm message, an SNS notification or an SNSEvent, got ${what}`);
  }
  // S3 event notifications are `Records` too (of `eventSource: aws:s3`): a bare AWS event, read below.
  if ('Records' in value && !isS3Event(value)) {
    const r = snsEventSchema.safeParse(value);
    if (!r.success) throw firstIssue(r.error, '');
    return { shape: 'sns-event', notifications: r.data.Records.map((rec, i) => parseSnsMessage(rec.Sns, `Records[${i}].Sns`)) };
  }
  if ('Type' in value && 'Message' in value) {
    const r = snsMessageSchema.safeParse(value);
    if (!r.success) throw firstIssue(r.error, '');
    if (r.data.Type && r.data.Type !== 'Notification') {
      throw new InputError('Type', `SNS ${r.data.Type} carries no alarm (only Type "Notification" is routed)`);
    }
    return { shape: 'sns-notification', notifications: [parseSnsMessage(r.data, '')] };
  }
  if (looksLikeAlarm(value)) return { shape: 'alarm', notifications: [parseAlarmObject(value, '', null)] };
  // A bare AWS event or service message (an EventBridge event, an SES notification...), as a rule target sends it.
  if (readMessage(value, '', {})) return { shape: 'event', notifications: [plainMessage(JSON.stringify(value), value, null, [])] };
  throw new InputError(
    '',
    `expected a CloudWatch alarm message (AlarmName), an SNS notification (Type, Message) or an SNSEvent (Records), got an object with keys ${Object.keys(value).slice(0, 5).join(', ') || '(none)'}`,
  );
}

/** Raw text (a file, an HTTP body) → parseInput, with a clear error for text that is not JSON. */
export function parseInputText(text: string): { shape: InputShape; notifications: Notification[] } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new InputError('', `not JSON (${(err as Error).message})`);
  }
  return parseInput(value);
}
