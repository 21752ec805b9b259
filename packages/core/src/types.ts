export const SEVERITIES = ['P0', 'P1', 'P2', 'P3'] as const;
export type Severity = (typeof SEVERITIES)[number];

export { CHANNELS, SEND_CHANNELS, type Channel, type SendChannel } from './channels';

export const ALARM_STATES = ['ALARM', 'OK', 'INSUFFICIENT_DATA'] as const;
export type AlarmState = (typeof ALARM_STATES)[number];

export type AlarmKind = 'metric' | 'metric-math' | 'anomaly-detection' | 'composite' | 'metrics-insights' | 'message' | 'webhook';

/** Alert sources that post webhooks (POST /webhooks/<source>); each is also a notification `kind`. */
export const WEBHOOK_SOURCES = ['sentry', 'gcp', 'azure', 'alertmanager', 'generic'] as const;
export type WebhookSource = (typeof WEBHOOK_SOURCES)[number];

/**
 * What a notification says about where it came from, beyond CloudWatch alarms: a webhook source (`sentry`, ...)
 * or an AWS service whose message arrived through SNS (`aws.guardduty`, `aws.health`, `aws.ses`, ...).
 */
export interface SourceFacts {
  name: string;
  /** The source's own severity mapped to P0–P3 by the documented default (docs/sources.md); null when it has none. */
  severity: Severity | null;
  /** The severity as the source wrote it (`GuardDuty severity 8`, `Sev3`, `critical`). */
  severityLabel: string | null;
  /** Flat key facts (finding type, resource, service...), shown to people and matched by policy rules (`fields`). */
  fields: Record<string, string>;
  /** The source's own page for this alert (http/https only). */
  url: string | null;
}

/** One metric an alarm watches (single metric, or one MetricStat of a metric-math alarm). */
export interface MetricRef {
  id?: string;
  namespace: string | null;
  metric: string | null;
  dimensions: Record<string, string>;
  stat?: string | null;
  period?: number | null;
  unit?: string | null;
}

/**
 * What arrived through SNS, normalised: a CloudWatch alarm notification, or a plain message
 * (AWS Budgets prose, custom text) that is routed all the same.
 */
export interface Notification {
  kind: 'alarm' | 'message' | WebhookSource;
  /** Finer kind of alarm (metric, metric-math, anomaly-detection, composite...), 'message' for plain messages. */
  alarmKind: AlarmKind;
  alarmName: string;
  description: string | null;
  state: AlarmState | null;
  previousState: AlarmState | null;
  /** The raw state value when it is not one we know (kept, never invented). */
  rawState: string | null;
  reason: string | null;
  /** ISO 8601 (Z) time of the state change (alarm) or of the SNS message (plain message). */
  changedAt: string;
  account: string | null;
  /** Region code from the ARN (e.g. eu-west-1), null when there is no ARN. */
  region: string | null;
  /** CloudWatch's display name ("EU (Ireland)"). */
  regionName: string | null;
  alarmArn: string | null;
  incidentKey: string;
  namespace: string | null;
  metric: string | null;
  dimensions: Record<string, string>;
  metrics: MetricRef[];
  threshold: number | null;
  comparison: string | null;
  evaluationPeriods: number | null;
  period: number | null;
  statistic: string | null;
  treatMissingData: string | null;
  /** Metric-math / anomaly detection: the expression that is compared. */
  expression: string | null;
  /** Composite alarms. */
  alarmRule: string | null;
  triggeringChildren: { arn: string; state: string | null; at: string | null }[];
  /** SNS envelope facts, when the message came through SNS. */
  sns: { messageId: string | null; topicArn: string | null; subject: string | null; timestamp: string | null } | null;
  /** Message text for plain messages (truncated for storage by callers when needed). */
  text: string | null;
  /** Parse warnings: an alarm-looking message that failed validation and is routed as a plain message. */
  warnings: string[];
  /** Webhook alerts and AWS service messages: what the source said about itself (absent for CloudWatch alarms). */
  source?: SourceFacts;
  /**
   * CloudWatch held this change's actions back (an EventBridge event of a composite alarm whose actions suppressor
   * holds them, or of an alarm inside a mute rule's window): why. Over SNS such a change never arrives at all.
   */
  actionsHeld?: string;
}
