/** Plain-text facts shared by the Slack, email and PagerDuty renderers (raw text: callers escape). */
import type { AlarmSnapshot, GroupMember, Incident } from '../incident';
import type { Notice } from '../notifier';
import type { Policy } from '../policy';
import type { Severity } from '../types';
import { ELLIPSIS, headerSafe, truncateUnits } from './escape';

export interface SeverityStyle {
  emoji: string;
  /** Attachment / HTML colour. */
  color: string;
  pagerduty: 'critical' | 'error' | 'warning' | 'info';
}

export const SEVERITY_STYLE: Record<Severity, SeverityStyle> = {
  P0: { emoji: ':rotating_light:', color: '#D32F2F', pagerduty: 'critical' },
  P1: { emoji: ':large_orange_circle:', color: '#F57C00', pagerduty: 'error' },
  P2: { emoji: ':large_yellow_circle:', color: '#FBC02D', pagerduty: 'warning' },
  P3: { emoji: ':large_blue_circle:', color: '#1976D2', pagerduty: 'info' },
};

export const RESOLVED_COLOR = '#2E7D32';
export const ACK_COLOR = '#757575';

export function severityLabel(severity: Severity, policy: Policy): string {
  return policy.severities[severity]?.label ?? severity;
}

/** `ALARM`, `OK`, `INSUFFICIENT_DATA`, the raw unknown state, or `ALERT` for plain messages. */
export function stateText(alarm: Pick<AlarmSnapshot, 'state' | 'rawState'>): string {
  return alarm.state ?? alarm.rawState ?? 'ALERT';
}

/** `OK → ALARM` or just `ALARM`. */
export function transitionText(alarm: Pick<AlarmSnapshot, 'state' | 'rawState' | 'previousState'>): string {
  return alarm.previousState ? `${alarm.previousState} → ${stateText(alarm)}` : stateText(alarm);
}

/** The word a notice leads with: the alarm state on trigger, RESOLVED/ACKNOWLEDGED/ESCALATED otherwise. */
export function eventWord(notice: Pick<Notice, 'event' | 'incident'>): string {
  switch (notice.event) {
    case 'resolve':
      return 'RESOLVED';
    case 'acknowledge':
      return 'ACKNOWLEDGED';
    case 'escalate':
      return 'ESCALATED';
    case 'update':
      return 'UPDATED';
    default:
      return stateText(notice.incident.alarm);
  }
}

const COMPARISON: Record<string, string> = {
  GreaterThanThreshold: '>',
  GreaterThanOrEqualToThreshold: '≥',
  LessThanThreshold: '<',
  LessThanOrEqualToThreshold: '≤',
  LessThanLowerOrGreaterThanUpperThreshold: 'outside the band',
  LessThanLowerThreshold: 'below the band',
  GreaterThanUpperThreshold: 'above the band',
};

export function comparisonSymbol(comparison: string | null): string | null {
  if (!comparison) return null;
  return COMPARISON[comparison] ?? comparison;
}

function seconds(s: number): string {
  if (s % 3600 === 0 && s >= 3600) return `${s / 3600} h`;
  if (s % 60 === 0 && s >= 60) return `${s / 60} min`;
  return `${s} s`;
}

/** `AWS/ApplicationELB HTTPCode_Target_5XX_Count`, or null for alarms without one metric. */
export function metricName(alarm: Pick<AlarmSnapshot, 'namespace' | 'metric'>): string | null {
  if (!alarm.metric) return null;
  return alarm.namespace ? `${alarm.namespace} ${alarm.metric}` : alarm.metric;
}

/**
 * What the alarm compares: `Sum > 10 (2 periods of 5 min)`, the metric-math expression,
 * or the composite rule. Null when the alarm says nothing about it.
 */
export function conditionText(alarm: AlarmSnapshot): string | null {
  if (alarm.alarmRule) return `rule: ${alarm.alarmRule}`;
  const parts: string[] = [];
  const what = alarm.expression ? `expression ${alarm.expression}` : (alarm.statistic ?? '');
  const cmp = comparisonSymbol(alarm.comparison);
  if (what) parts.push(what);
  if (cmp && alarm.threshold !== null) parts.push(`${cmp} ${alarm.threshold}`);
  else if (cmp) parts.push(cmp);
  else if (alarm.threshold !== null) parts.push(`threshold ${alarm.threshold}`);
  if (alarm.evaluationPeriods !== null && alarm.period !== null) {
    parts.push(`(${alarm.evaluationPeriods} period${alarm.evaluationPeriods === 1 ? '' : 's'} of ${seconds(alarm.period)})`);
  } else if (alarm.period !== null) parts.push(`(period ${seconds(alarm.period)})`);
  const s = parts.join(' ').trim();
  return s || null;
}

/** `ServiceName=qenergyz-backend` lines, in the alarm's order. */
export function dimensionLines(dimensions: Record<string, string>): string[] {
  return Object.entries(dimensions).map(([k, v]) => `${k}=${v}`);
}

/** `eu-west-1` or the display name, with the account when known. */
export function whereText(alarm: Pick<AlarmSnapshot, 'region' | 'regionName' | 'account'>): string | null {
  const region = alarm.region ?? alarm.regionName;
  if (region && alarm.account) return `${region} (account ${alarm.account})`;
  if (region) return region;
  if (alarm.account) return `account ${alarm.account}`;
  return null;
}

/** `2024-01-15 10:05 UTC` (invalid dates are returned as given). */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** `45 s`, `14 min`, `2 h 5 min`, `3 d 4 h`; null when either end is missing. */
export function durationText(fromIso: string | null | undefined, toIso: string | null | undefined): string | null {
  if (!fromIso || !toIso) return null;
  const ms = new Date(toIso).getTime() - new Date(fromIso).getTime();
  if (!Number.isFinite(ms) || ms < 0) return null;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}

/** Who acknowledged/resolved and when, for follow-up notices. */
export function actorAndTime(notice: Notice): { by: string | null; at: string | null } {
  const i: Incident = notice.incident;
  if (notice.event === 'resolve') return { by: notice.actor ?? i.resolvedBy, at: i.resolvedAt ?? i.updatedAt };
  if (notice.event === 'acknowledge') return { by: notice.actor ?? i.acknowledgedBy, at: i.acknowledgedAt ?? i.updatedAt };
  return { by: notice.actor ?? null, at: i.updatedAt };
}

/** The contact an escalation step notifies: `Team lead (teamLead)`. */
export function tierText(tier: string | undefined, policy: Policy): string | null {
  if (!tier) return null;
  const c = policy.contacts[tier];
  return c ? `${c.name} (${tier})` : tier;
}

/** One line for logs, fallbacks and the outbox: `[P0] ALARM: HighErrorRate (INC-…)`. */
export function headline(notice: Pick<Notice, 'event' | 'incident'>): string {
  const i = notice.incident;
  return `[${i.severity}] ${eventWord(notice)}: ${i.alarmName} (${i.id})`;
}

/** A grouped incident (two alarms or more); an ungrouped one, or a group of one, is shown as the alarm it is. */
export function groupMembers(incident: Pick<Incident, 'members'>): GroupMember[] | null {
  return incident.members && incident.members.length > 1 ? incident.members : null;
}

export interface GroupSummaryOptions {
  /** The channel's escaping of one alarm name (Slack mrkdwn, HTML…); default: none (plain text). */
  escape?: (raw: string) => string;
  /** Longest result, in UTF-16 units (default 300). */
  max?: number;
}

const NAME_MAX = 120;

/**
 * `5 alarms: HighErrorRate, HighResponseTime, … — 2 recovered`, within `max` units: names are escaped one by one
 * and dropped whole (never cut inside an escape) when they do not fit; the count and the recovered tail always
 * stay. Null for an incident that is not a group.
 */
export function groupSummary(incident: Pick<Incident, 'members'>, options: GroupSummaryOptions = {}): string | null {
  const members = groupMembers(incident);
  if (!members) return null;
  const escape = options.escape ?? ((raw: string) => raw);
  const max = options.max ?? 300;
  const recovered = members.filter((m) => m.state === 'recovered').length;
  const head = `${members.length} alarms: `;
  const tail = recovered === 0 ? '' : recovered === members.length ? ' — all recovered' : ` — ${recovered} recovered`;
  const more = `, ${ELLIPSIS}`;
  const room = max - head.length - tail.length;
  let names = '';
  let shown = 0;
  for (const m of members) {
    const raw = headerSafe(m.alarmName) || '(unnamed)';
    const name = escape(truncateUnits(raw, NAME_MAX));
    const next = shown === 0 ? name : `${names}, ${name}`;
    const reserve = shown + 1 < members.length ? more.length : 0;
    if (next.length + reserve > room) break;
    names = next;
    shown++;
  }
  if (shown < members.length) names = shown === 0 ? ELLIPSIS : `${names}${more}`;
  return `${head}${names}${tail}`;
}

/** `@alice` for a Slack user (`slack:U123 (alice)`), `bob (dashboard)` for other people, the router's actors (`cloudwatch`) as they are. */
export function personText(by: string): string {
  const m = /^(\w+):\S+ \((.*)\)$/.exec(by);
  if (!m) return by;
  return m[1] === 'slack' ? `@${m[2]}` : `${m[2]} (${m[1]})`;
}

/** `fired 10:05`, `recovered 10:07`: one member's state for lists. */
export function memberStateText(m: GroupMember): string {
  const again = m.fired > 1 ? ` (fired ${m.fired} times)` : '';
  return m.state === 'recovered' ? `recovered ${formatTime(m.recoveredAt)}` : `firing since ${formatTime(m.firedAt)}${again}`;
}
