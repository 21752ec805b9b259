import type { AlarmState, Channel, Notification, SendChannel, Severity } from './types';
import type { ClassifiedBy } from './classify';

export const INCIDENT_STATUSES = ['open', 'acknowledged', 'resolved'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

/**
 * What a notification tells people about: a new episode, its end, an ack, an escalation step, or (groups) a change
 * of its members since the last notice: alarms that joined, recovered or fired again, a severity raise.
 */
export type NoticeEvent = 'trigger' | 'resolve' | 'acknowledge' | 'escalate' | 'update';

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
  /** A group's member joined, fired again or recovered. */
  | 'member'
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

/** `scheduled`: recorded, not sent before `retryAt` (a group's `group_wait`, an email batch's `group_interval`). */
export type DeliveryStatus = 'scheduled' | 'pending' | 'delivered' | 'failed' | 'skipped';

/**
 * One notice on one channel, recorded on its incident before it is sent (see notices.ts), keyed
 * `${event}:${channel}` (`trigger:slack`; escalation steps `escalate#2.1:pagerduty`). States:
 * `pending` under a lease (its sender owns it until `leaseUntil`), `delivered`, `failed` + `retryable` (due again
 * at `retryAt`), `failed` + `retryable: false` (for good, `error` says why), `skipped` (silenced, or the incident
 * was resolved before it was announced).
 */
export interface DeliveryRecord {
  status: DeliveryStatus;
  attempts: number;
  at: string;
  error?: string;
  /** False when the channel refused for good (4xx) or the router gave up: nothing resends it. */
  retryable?: boolean;
  /** While `pending`: another worker may take over after this time (the sender died). */
  leaseUntil?: string;
  /** While `pending`: the claim that owns it (only its owner records the outcome). */
  owner?: string;
  /** Failed and retryable: when the notice is due again (Retry-After or backoff); scheduled: when it is due. */
  retryAt?: string;
  /** How many times the notice was sent (each send is one run of the retry rule). */
  rounds?: number;
  /** Channel reference, e.g. PagerDuty dedup key or a message id. */
  ref?: string;
  /** What to send (older records carry it in the key only). */
  event?: NoticeEvent;
  channel?: SendChannel;
  tier?: string;
  actor?: string;
  note?: string;
  /** A resolve that must follow this notice (in flight on the same channel when the incident was resolved). */
  after?: string;
  /** Its sender died after sending, perhaps: it may have landed, so the channel counts as announced. */
  mayHaveLanded?: boolean;
  /** A resolve that follows another notice: the channel had been announced already, so it goes out whatever that one came to. */
  announced?: boolean;
  /** Resolve by CloudWatch: the OK's facts, shown in the notice. */
  recovery?: { state: AlarmState | null; previousState: AlarmState | null; reason: string | null; changedAt: string };
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
  | 'source'
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

/** One alarm of a group (see grouping.ts): its own state, whatever the group's. */
export interface GroupMember {
  /** The member alarm's incident key (its ARN, or its name). */
  incidentKey: string;
  alarmName: string;
  severity: Severity;
  state: 'firing' | 'recovered';
  /** The member's current episode: the id its incident would have if it were not grouped. */
  episodeId: string;
  /** The state change that made it fire (its latest ALARM). */
  firedAt: string;
  /** When it joined the group (first time). */
  joinedAt: string;
  recoveredAt: string | null;
  /** How many times it fired while in this group (2 or more: it recovered and fired again). */
  fired: number;
  /** Its latest state reason, trimmed. */
  reason: string | null;
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
  /** Revision: every write replaces the incident only if it still has the revision it was read with. */
  rev?: number;
  /** Grouped incidents: the grouping key (policy `grouping`) and every alarm folded into it, first one first. */
  groupKey?: string;
  members?: GroupMember[];
}

/** An incident's members: its group's, or the incident's own alarm as the one member of an ungrouped incident. */
export function membersOf(i: Incident): GroupMember[] {
  if (i.members && i.members.length > 0) return i.members;
  return [
    {
      incidentKey: i.incidentKey,
      alarmName: i.alarmName,
      severity: i.severity,
      state: i.status === 'resolved' ? 'recovered' : 'firing',
      episodeId: i.id,
      firedAt: i.openedAt,
      joinedAt: i.openedAt,
      recoveredAt: i.resolvedAt,
      fired: 1,
      reason: i.alarm.reason ? i.alarm.reason.slice(0, 300) : null,
    },
  ];
}

export function deliveryKey(event: NoticeEvent, channel: SendChannel, step?: string): string {
  return `${event}${step ? `#${step}` : ''}:${channel}`;
}

/** The event and channel of a notice (from the record, or from the key of an older record). */
export function noticeTarget(key: string, d: DeliveryRecord): { event: NoticeEvent; channel: SendChannel } {
  const [ev, channel] = key.split(':');
  return { event: d.event ?? (ev.split('#')[0] as NoticeEvent), channel: d.channel ?? (channel as SendChannel) };
}
