/**
 * PagerDuty Events API v2 body for a notice. Pure: no I/O.
 * https://developer.pagerduty.com/docs/events-api-v2/trigger-events/
 */
import { createHash } from 'node:crypto';
import type { Incident } from '../incident';
import type { Notice } from '../notifier';
import { headerSafe, isHttpUrl, neutralize, stripControls, truncateUnits, visibleEscape } from './escape';
import { conditionText, eventWord, groupMembers, groupSummary, metricName, SEVERITY_STYLE, severityLabel, tierText, transitionText } from './format';
import { runbookFor } from './links';

export const PAGERDUTY_LIMITS = { dedupKey: 255, summary: 1024, source: 255, field: 255 } as const;
/** Each long text in custom_details is cut to this (the whole event must stay under 512 KB). */
const DETAIL_MAX = 4000;
/** Members listed in custom_details (the rest are counted). */
const MEMBERS_MAX = 50;

export type PagerDutySeverity = 'critical' | 'error' | 'warning' | 'info';
export type PagerDutyAction = 'trigger' | 'acknowledge' | 'resolve';

export interface PagerDutyTriggerEvent {
  routing_key: string;
  event_action: 'trigger';
  dedup_key: string;
  payload: {
    summary: string;
    source: string;
    severity: PagerDutySeverity;
    timestamp?: string;
    component?: string;
    group?: string;
    class?: string;
    custom_details: Record<string, unknown>;
  };
  links?: { href: string; text: string }[];
  client: string;
  client_url?: string;
}

export interface PagerDutyFollowUpEvent {
  routing_key: string;
  event_action: 'acknowledge' | 'resolve';
  dedup_key: string;
}

export type PagerDutyEvent = PagerDutyTriggerEvent | PagerDutyFollowUpEvent;

export function pagerDutySeverity(severity: Incident['severity']): PagerDutySeverity {
  return SEVERITY_STYLE[severity].pagerduty;
}

/** One line with every invisible character (tab and line feed too) shown as its escape; printable text unchanged. */
function oneLine(text: string): string {
  return neutralize(text).replace(/[\t\n]/g, visibleEscape);
}

/**
 * `incidentKey#id` neutralised (no bidi or invisible character reaches PagerDuty), or its sha256 hex when longer
 * than PagerDuty's 255 characters. Deterministic, so trigger, acknowledge and resolve agree.
 */
export function pagerDutyDedupKey(incident: Pick<Incident, 'incidentKey' | 'id'>): string {
  const key = oneLine(`${incident.incidentKey}#${incident.id}`);
  return key.length <= PAGERDUTY_LIMITS.dedupKey ? key : createHash('sha256').update(key, 'utf8').digest('hex');
}

function field(value: string | null | undefined, max: number = PAGERDUTY_LIMITS.field): string | undefined {
  const v = value ? headerSafe(value) : '';
  return v ? truncateUnits(v, max) : undefined;
}

function detail(value: string | null | undefined): string | null {
  return value ? truncateUnits(stripControls(value), DETAIL_MAX) : null;
}

function summary(notice: Notice): string {
  const i = notice.incident;
  const a = i.alarm;
  const group = groupSummary(i, { max: 600 });
  // A group's name is cut so that its member count always shows.
  const name = group ? truncateUnits(headerSafe(i.alarmName), PAGERDUTY_LIMITS.field) : headerSafe(i.alarmName);
  const head = `[${i.severity}] ${eventWord(notice)}: ${name} (${i.id})`;
  const tail = notice.event === 'escalate' ? tierText(notice.tier, notice.policy) : (group ?? a.reason ?? a.text);
  const s = tail ? `${head} - ${headerSafe(tail)}` : head;
  return truncateUnits(s, PAGERDUTY_LIMITS.summary);
}

function source(incident: Incident): string {
  const a = incident.alarm;
  const s = a.alarmArn ?? ([a.account, a.region ?? a.regionName].filter(Boolean).join('/') || 'alert-router');
  return truncateUnits(headerSafe(s), PAGERDUTY_LIMITS.source);
}

/** A group's members for custom_details: the first MEMBERS_MAX, each field bounded. */
function memberDetails(incident: Incident): Record<string, unknown> | undefined {
  const members = groupMembers(incident);
  if (!members) return undefined;
  return {
    members_total: members.length,
    members_recovered: members.filter((m) => m.state === 'recovered').length,
    members: members.slice(0, MEMBERS_MAX).map((m) => ({
      alarm_name: truncateUnits(oneLine(m.alarmName), PAGERDUTY_LIMITS.field),
      severity: m.severity,
      state: m.state,
      fired_at: m.firedAt,
      ...(m.recoveredAt ? { recovered_at: m.recoveredAt } : {}),
    })),
  };
}

/**
 * The Events API v2 body for a notice; acknowledge/resolve carry only routing_key, dedup_key, event_action.
 * PagerDuty is never sent `update` notices (a group's severity raise is a new trigger); should one come, it is
 * rendered as the trigger it stands for, with the same dedup_key.
 */
export function renderPagerDuty(given: Notice, routingKey: string): PagerDutyEvent {
  const notice: Notice = given.event === 'update' ? { ...given, event: 'trigger' } : given;
  const i = notice.incident;
  const a = i.alarm;
  const dedup_key = pagerDutyDedupKey(i);
  if (notice.event === 'acknowledge' || notice.event === 'resolve') {
    return { routing_key: routingKey, dedup_key, event_action: notice.event };
  }
  const firstDimension = Object.values(a.dimensions)[0];
  const rb = runbookFor(i, notice.policy);
  const dims = Object.fromEntries(
    Object.entries(a.dimensions)
      .slice(0, 30)
      .map(([k, v]) => [truncateUnits(oneLine(k), 255), truncateUnits(oneLine(v), 1024)]),
  );
  const custom_details: Record<string, unknown> = {
    incident_id: i.id,
    incident_key: truncateUnits(oneLine(i.incidentKey), 2048),
    alarm_name: truncateUnits(oneLine(i.alarmName), 1024),
    severity: `${i.severity} ${severityLabel(i.severity, notice.policy)}`,
    state: transitionText(a),
    changed_at: a.changedAt,
    reason: detail(a.reason),
    description: detail(a.description),
    message: a.kind === 'message' ? detail(a.text) : null,
    account: a.account,
    region: a.region ?? a.regionName,
    metric: metricName(a),
    condition: detail(conditionText(a)),
    dimensions: dims,
    classified_by: i.classifiedBy,
    escalation_tier: notice.event === 'escalate' ? tierText(notice.tier, notice.policy) : undefined,
    note: detail(notice.note),
    ...memberDetails(i),
    runbook: rb
      ? { title: truncateUnits(headerSafe(rb.title), 255), steps: rb.steps.map((s) => truncateUnits(stripControls(s), 1000)).slice(0, 20) }
      : undefined,
  };
  for (const [k, v] of Object.entries(custom_details)) {
    if (v === null || v === undefined) delete custom_details[k];
    else if (typeof v === 'string') custom_details[k] = truncateUnits(neutralize(v), DETAIL_MAX);
  }

  const links = [
    { href: notice.links.console, text: notice.links.consoleLabel ?? 'CloudWatch alarm' },
    { href: notice.links.runbook, text: rb ? truncateUnits(`Runbook: ${headerSafe(rb.title)}`, PAGERDUTY_LIMITS.field) : 'Runbook' },
    { href: notice.links.dashboard, text: 'Alert router dashboard' },
  ].filter((l): l is { href: string; text: string } => isHttpUrl(l.href));

  const event: PagerDutyTriggerEvent = {
    routing_key: routingKey,
    event_action: 'trigger',
    dedup_key,
    payload: {
      summary: summary(notice),
      source: source(i),
      severity: pagerDutySeverity(i.severity),
      custom_details,
    },
    client: 'alert-router',
  };
  const ts = new Date(a.changedAt || i.openedAt);
  if (!Number.isNaN(ts.getTime())) event.payload.timestamp = ts.toISOString();
  const component = field(firstDimension ?? a.namespace);
  const group = field(a.namespace);
  const klass = field(a.metric);
  if (component) event.payload.component = component;
  if (group) event.payload.group = group;
  if (klass) event.payload.class = klass;
  if (links.length > 0) event.links = links;
  if (isHttpUrl(notice.links.dashboard)) event.client_url = notice.links.dashboard;
  return event;
}
