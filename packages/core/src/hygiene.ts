/**
 * Alert hygiene (the runbook's "Regular Maintenance": weekly "update alert thresholds if needed", monthly
 * "optimise alert configurations"): which alarms fire most, resolve by themselves, flap, miss their response
 * time or stay open, how many pages were folded or silenced, and for each alarm that stands out one suggested
 * change in the runbook's own terms — threshold, evaluation periods, severity. Pure maths over a list of
 * incidents (the caller reads the window through the by-day index).
 */
import { breachOf, responseStats, responseTrend, type DurationStats, type TrendPoint } from './digest';
import type { Incident } from './incident';
import type { Policy } from './policy';
import { SEVERITIES, type Severity } from './types';

/** "Resolves by itself within a few minutes": back to OK this soon after opening, nobody acknowledged it. */
export const SELF_RESOLVE_SECONDS = 5 * 60;
/** An alarm with at least this many incidents in the window is noisy. */
export const NOISY_INCIDENTS = 5;
/** Open this long (or more) is "stayed open". */
export const LONG_OPEN_SECONDS = 24 * 3600;
export const LIST_LIMIT = 10;

export type HygieneClass = 'flapping' | 'self-resolving' | 'breached' | 'long-open' | 'noisy';
export type HygieneChange = 'threshold' | 'evaluation-periods' | 'severity';

export interface AlarmConfig {
  threshold: number | null;
  comparison: string | null;
  evaluationPeriods: number | null;
  period: number | null;
}

export interface AlarmHygiene extends AlarmConfig {
  incidentKey: string;
  alarmName: string;
  severity: Severity;
  incidents: number;
  duplicates: number;
  /** incidents + duplicates: how often it fired. */
  fired: number;
  selfResolved: number;
  flapping: number;
  breaches: number;
  /** Longest time one of its incidents stayed open (until `to` when still open). */
  longestOpenSeconds: number;
  /** Metric values quoted in the alarms' reasons (`[42.0 (…), 37.0 (…)]`), distinct, ascending, at most 10. */
  valuesSeen: number[];
}

export interface Suggestion {
  alarmName: string;
  incidentKey: string;
  class: HygieneClass;
  change: HygieneChange;
  /** Current and suggested value: a number (threshold, evaluation periods) or a severity; null when unknown. */
  from: number | Severity | null;
  to: number | Severity | null;
  text: string;
}

export interface HygieneReport {
  from: string;
  to: string;
  days: number;
  total: number;
  bySeverity: Record<Severity, number>;
  mtta: Record<Severity | 'all', DurationStats>;
  mttr: Record<Severity | 'all', DurationStats>;
  /** MTTA/MTTR per day (weekly report) or per week (longer windows). */
  trend: TrendPoint[];
  trendBucket: 'day' | 'week';
  mostFiring: AlarmHygiene[];
  selfResolving: AlarmHygiene[];
  flapping: AlarmHygiene[];
  breached: AlarmHygiene[];
  longestOpen: { id: string; alarmName: string; severity: Severity; openedAt: string; resolvedAt: string | null; openSeconds: number }[];
  pages: {
    /** Alarm notifications that would page: new incidents + repeats folded into an open one. */
    received: number;
    /** Folded into an open incident (a repeat, or a member of a group) instead of paging again. */
    grouped: number;
    /** Recorded but not notified (a silence, or flapping). */
    silenced: number;
    /** (grouped + silenced) / received, 0..1, rounded to 3 decimals; null with nothing received. */
    share: number | null;
  };
  suggestions: Suggestion[];
}

const SEV_RANK: Record<Severity, number> = { P0: 0, P1: 1, P2: 2, P3: 3 };

function secondsBetween(a: string, b: string): number {
  return Math.max(0, Math.round((Date.parse(b) - Date.parse(a)) / 1000));
}

/** The bracketed datapoints of a CloudWatch reason: `[42.0 (15/01/24 10:00:00), 37.0 (…)]` → [42, 37]. */
export function valuesInReason(reason: string | null | undefined): number[] {
  if (!reason) return [];
  const open = reason.indexOf('[');
  const close = open >= 0 ? reason.indexOf(']', open) : -1;
  if (open < 0 || close < 0) return [];
  const out: number[] = [];
  for (const part of reason.slice(open + 1, Math.min(close, open + 2000)).split(',')) {
    const n = Number.parseFloat(part.trim());
    if (Number.isFinite(n)) out.push(n);
  }
  return out;
}

export function isSelfResolved(i: Incident): boolean {
  return (
    i.status === 'resolved' &&
    i.resolvedBy === 'cloudwatch' &&
    !i.acknowledgedAt &&
    !!i.resolvedAt &&
    secondsBetween(i.openedAt, i.resolvedAt) <= SELF_RESOLVE_SECONDS
  );
}

/** Rounded outward to two significant digits: 46.2 → 47 (up), 0.93 → 0.93, 1234 → 1300. */
export function niceBeyond(x: number, direction: 'up' | 'down'): number {
  if (x === 0) return 0;
  const step = 10 ** (Math.floor(Math.log10(Math.abs(x))) - 1);
  const n = direction === 'up' ? Math.ceil(x / step - 1e-9) : Math.floor(x / step + 1e-9);
  return Number((n * step).toPrecision(12));
}

function direction(comparison: string | null): 'up' | 'down' | null {
  if (!comparison || /Band|Lower.*Upper/i.test(comparison)) return null;
  if (/Greater/i.test(comparison)) return 'up';
  if (/Less/i.test(comparison)) return 'down';
  return null;
}

const oneLevel = (s: Severity, by: -1 | 1): Severity => SEVERITIES[Math.min(3, Math.max(0, SEV_RANK[s] + by))];

function evidence(a: AlarmHygiene): string {
  const t = a.threshold !== null ? `threshold ${a.threshold}` : 'threshold unknown';
  const v = a.valuesSeen.length ? `values seen ${a.valuesSeen.join(', ')}` : 'no values in the reasons';
  return `${t}; ${v}`;
}

/** The one class an alarm is in (most specific first) and the change that fits it. */
export function suggestFor(a: AlarmHygiene, policy: Policy): Suggestion | null {
  const base = { alarmName: a.alarmName, incidentKey: a.incidentKey };
  const dir = direction(a.comparison);
  if (a.flapping > 0) {
    // The metric hovers at the threshold: a threshold with a margin beyond the values seen stops the back and forth.
    const extreme = a.valuesSeen.length ? (dir === 'down' ? Math.min(...a.valuesSeen) : Math.max(...a.valuesSeen)) : null;
    const to =
      dir && extreme !== null && a.threshold !== null
        ? niceBeyond(dir === 'up' ? Math.max(extreme, a.threshold) * 1.1 : Math.min(extreme, a.threshold) * 0.9, dir)
        : null;
    return {
      ...base,
      class: 'flapping',
      change: 'threshold',
      from: a.threshold,
      to,
      text: `Flapped in ${a.flapping} of ${a.incidents} incidents (${evidence(a)}): ${to !== null ? `move the threshold from ${a.threshold} to ${to}` : 'move the threshold away from the values it hovers at'}.`,
    };
  }
  if (a.selfResolved >= 2 && a.selfResolved * 2 >= a.incidents) {
    const from = a.evaluationPeriods;
    const to = from !== null ? from * 2 : null;
    return {
      ...base,
      class: 'self-resolving',
      change: 'evaluation-periods',
      from,
      to,
      text: `Resolved by itself within ${SELF_RESOLVE_SECONDS / 60} min, unacknowledged, ${a.selfResolved} of ${a.incidents} times (${evidence(a)}): ${to !== null ? `raise the evaluation periods from ${from} to ${to}` : 'raise the evaluation periods'} so a short spike does not page.`,
    };
  }
  if (a.breaches > 0) {
    const to = a.severity === 'P0' ? null : oneLevel(a.severity, -1);
    const target = policy.severities[a.severity].responseTime;
    const rt = target === 'next-business-day' ? 'next business day' : `${target} min`;
    return {
      ...base,
      class: 'breached',
      change: 'severity',
      from: a.severity,
      to,
      text: `Missed its response time (${rt}) ${a.breaches} of ${a.incidents} times: ${to ? `raise the severity from ${a.severity} to ${to} so it reaches someone sooner` : 'already P0: check who the pages reach'}.`,
    };
  }
  if (a.longestOpenSeconds >= LONG_OPEN_SECONDS) {
    const to = a.severity === 'P3' ? null : oneLevel(a.severity, 1);
    return {
      ...base,
      class: 'long-open',
      change: 'severity',
      from: a.severity,
      to,
      text: `Stayed open ${Math.floor(a.longestOpenSeconds / 3600)} h: ${to ? `lower the severity from ${a.severity} to ${to}, it is a known condition rather than an emergency` : 'already P3: fix the condition or retire the alarm'}.`,
    };
  }
  if (a.incidents >= NOISY_INCIDENTS) {
    const to = dir && a.threshold !== null ? niceBeyond(a.threshold * (dir === 'up' ? 1.2 : 0.8), dir) : null;
    return {
      ...base,
      class: 'noisy',
      change: 'threshold',
      from: a.threshold,
      to,
      text: `Fired ${a.fired} times (${evidence(a)}): ${to !== null ? `raise the threshold from ${a.threshold} to ${to}` : 'review the threshold'} if these were not all worth a page.`,
    };
  }
  return null;
}

function byAlarm(incidents: Incident[], policy: Policy, to: string): AlarmHygiene[] {
  const map = new Map<string, AlarmHygiene & { last: string; values: Set<number> }>();
  for (const i of incidents) {
    let a = map.get(i.incidentKey);
    if (!a) {
      a = {
        incidentKey: i.incidentKey,
        alarmName: i.alarmName,
        severity: i.severity,
        incidents: 0,
        duplicates: 0,
        fired: 0,
        selfResolved: 0,
        flapping: 0,
        breaches: 0,
        longestOpenSeconds: 0,
        valuesSeen: [],
        threshold: null,
        comparison: null,
        evaluationPeriods: null,
        period: null,
        last: '',
        values: new Set(),
      };
      map.set(i.incidentKey, a);
    }
    a.incidents++;
    a.duplicates += i.duplicates ?? 0;
    a.fired = a.incidents + a.duplicates;
    if (SEV_RANK[i.severity] < SEV_RANK[a.severity]) a.severity = i.severity;
    if (isSelfResolved(i)) a.selfResolved++;
    if (i.flapping) a.flapping++;
    if (breachOf(i, policy, to)) a.breaches++;
    a.longestOpenSeconds = Math.max(a.longestOpenSeconds, secondsBetween(i.openedAt, i.resolvedAt ?? to));
    for (const v of valuesInReason(i.alarm?.reason)) a.values.add(v);
    // The alarm's current configuration: from its newest incident.
    if (i.openedAt >= a.last) {
      a.last = i.openedAt;
      a.alarmName = i.alarmName;
      a.threshold = i.alarm?.threshold ?? null;
      a.comparison = i.alarm?.comparison ?? null;
      a.evaluationPeriods = i.alarm?.evaluationPeriods ?? null;
      a.period = i.alarm?.period ?? null;
    }
  }
  return [...map.values()].map(({ last: _l, values, ...a }) => ({ ...a, valuesSeen: [...values].sort((x, y) => x - y).slice(0, 10) }));
}

const byName = (a: AlarmHygiene, b: AlarmHygiene) => SEV_RANK[a.severity] - SEV_RANK[b.severity] || a.alarmName.localeCompare(b.alarmName);

export interface HygieneInput {
  /** Incidents opened in [from, to) (others are ignored). */
  incidents: Incident[];
  policy: Policy;
  from: string;
  to: string;
}

export function computeHygiene(input: HygieneInput): HygieneReport {
  const { policy, from, to } = input;
  const seen = new Set<string>();
  const inWindow = input.incidents.filter((i) => i.openedAt >= from && i.openedAt < to && !seen.has(i.id) && seen.add(i.id));
  const alarms = byAlarm(inWindow, policy, to);
  const bySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const i of inWindow) bySeverity[i.severity]++;
  const { mtta, mttr } = responseStats(inWindow);
  const days = Math.round((Date.parse(to) - Date.parse(from)) / 86_400_000);
  const trendBucket = days <= 7 ? 'day' : 'week';
  const bucketMs = (trendBucket === 'day' ? 1 : 7) * 86_400_000;
  const trend = responseTrend(inWindow, from, bucketMs, Math.max(1, Math.ceil((Date.parse(to) - Date.parse(from)) / bucketMs)));

  const received = inWindow.length + inWindow.reduce((s, i) => s + (i.duplicates ?? 0), 0);
  const grouped = received - inWindow.length;
  const silenced = inWindow.filter((i) => i.silencedBy).length;

  const suggestions = alarms
    .map((a) => suggestFor(a, policy))
    .filter((s): s is Suggestion => s !== null)
    .sort((a, b) => CLASS_ORDER.indexOf(a.class) - CLASS_ORDER.indexOf(b.class) || a.alarmName.localeCompare(b.alarmName));

  return {
    from,
    to,
    days,
    total: inWindow.length,
    bySeverity,
    mtta,
    mttr,
    trend,
    trendBucket,
    mostFiring: [...alarms].sort((a, b) => b.fired - a.fired || b.incidents - a.incidents || byName(a, b)).slice(0, LIST_LIMIT),
    selfResolving: alarms
      .filter((a) => a.selfResolved > 0)
      .sort((a, b) => b.selfResolved - a.selfResolved || byName(a, b))
      .slice(0, LIST_LIMIT),
    flapping: alarms
      .filter((a) => a.flapping > 0)
      .sort((a, b) => b.flapping - a.flapping || byName(a, b))
      .slice(0, LIST_LIMIT),
    breached: alarms
      .filter((a) => a.breaches > 0)
      .sort((a, b) => b.breaches - a.breaches || byName(a, b))
      .slice(0, LIST_LIMIT),
    longestOpen: inWindow
      .map((i) => ({
        id: i.id,
        alarmName: i.alarmName,
        severity: i.severity,
        openedAt: i.openedAt,
        resolvedAt: i.resolvedAt,
        openSeconds: secondsBetween(i.openedAt, i.resolvedAt ?? to),
      }))
      .sort((a, b) => b.openSeconds - a.openSeconds || a.id.localeCompare(b.id))
      .slice(0, 5),
    pages: { received, grouped, silenced, share: received ? Math.round(((grouped + silenced) / received) * 1000) / 1000 : null },
    suggestions,
  };
}

const CLASS_ORDER: HygieneClass[] = ['flapping', 'self-resolving', 'breached', 'long-open', 'noisy'];
