import type { Channel, Notification, SendChannel, Severity } from './types';
import type { ClassifiedBy } from './classify';

export const INCIDENT_STATUSES = ['open', 'acknowledged', 'resolved'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

/** What a notification tells people about: a new episode, its end, an ack, an escalation step. */
export type NoticeEvent = 'trigger' | 'resolve' | 'acknowledge' | 'escalate';

export type TimelineType =
  | 'opened'
  | 'duplicate'
  | 'state'
  | 'delivery'
  | 'acknowledged'
  | 'resolved'
  | 'escalated'
  | 'silenced'
  | 'flapping'
  | 'note'
  /** A stakeholder update a person posted (Slack `/incident update`, the dashboard). */
  | 'update';

export interface TimelineEntry {
  at: string;
  type: TimelineType;
  /** Who did it: `slack:U123 (alice)`, `dashboard`, `cloudwatch`, `escalation`. */
  by?: string;
  channel?: Channel;
  event?: NoticeEvent;
  outcome?: 'delivered' | 'failed' | 'skipped';
  attempts?: number;
  detail?: string;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed' | 'skipped';

/** One delivery of one notice on one channel, keyed `${event}:${channel}` (e.g. `trigger:slack`). */
export interface DeliveryRecord {
  status: DeliveryStatus;
  attempts: number;
  at: string;
  error?: string;
  /** False when the channel refused for good (4xx): a Lambda retry will not resend it. */
  retryable?: boolean;
  /** While `pending`: another worker may take over after this time (the sender died). */
  leaseUntil?: string;
  /** Channel reference, e.g. PagerDuty dedup key or a message id. */
  ref?: string;
}

/** The alarm facts kept on the incident (what the dashboard, Slack and email show). */
export type AlarmSnapshot = Pick<
  Notification,
  | 'kind'
  | 'alarmKind'
  | 'description'
  | 'state'
  | 'previousState'
  | 'rawState'
  | 'reason'
  | 'changedAt'
  | 'account'
  | 'region'
  | 'regionName'
  | 'alarmArn'
  | 'namespace'
  | 'metric'
  | 'dimensions'
  | 'threshold'
  | 'comparison'
  | 'evaluationPeriods'
  | 'period'
  | 'statistic'
  | 'expression'
  | 'alarmRule'
  | 'triggeringChildren'
  | 'text'
> & { topicArn: string | null };

export interface EscalationState {
  /** Index of the next step of `chain` to run. */
  step: number;
  /** How many times the current step has run. */
  count: number;
  /** When the next step is due (ISO); null when the chain is exhausted. */
  nextAt: string | null;
  chain: { notify: SendChannel[]; tier: string; repeat: number; afterMinutes: number | null }[];
}

export interface Incident {
  id: string;
  incidentKey: string;
  alarmName: string;
  severity: Severity;
  classifiedBy: ClassifiedBy;
  status: IncidentStatus;
  openedAt: string;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  resolvedAt: string | null;
  resolvedBy: string | null;
  /** Channels the incident was routed to (contract order). */
  channels: Channel[];
  runbook: string | null;
  alarm: AlarmSnapshot;
  deliveries: Record<string, DeliveryRecord>;
  timeline: TimelineEntry[];
  escalation: EscalationState | null;
  silencedBy: string | null;
  /** When the silence that held it since it opened ended and it was announced: its response time counts from here. */
  releasedAt?: string | null;
  flapping: boolean;
  /** How many duplicate deliveries/transitions were folded into this episode. */
  duplicates: number;
  updatedAt: string;
}

export function deliveryKey(event: NoticeEvent, channel: SendChannel): string {
  return `${event}:${channel}`;
}
