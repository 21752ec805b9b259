/**
 * What the dashboard reads, through the store port: unresolved incidents, the incidents opened in the selected
 * range plus those opened up to a week earlier but resolved in it (one by-day listing per day spanned) and the
 * silences. Never a scan.
 */
import { createHash } from 'node:crypto';
import {
  INCIDENT_STATUSES,
  RANGE_HOURS,
  SEVERITIES,
  silenceIsActive,
  type DashboardFilters,
  type DashboardIncident,
  type Incident,
  type IncidentStatus,
  type OutboxLine,
  type Severity,
  type Silence,
} from '@alert-router/core';
import { query, type HttpEvent } from '../api/http';
import { liveChannels } from '../config';
import { defaultOutbox } from '../notifiers/outbox';
import type { Runtime } from '../runtime';

export const DEFAULT_RANGE_HOURS = 24;
/** Most incidents one page reads from each index. */
export const READ_LIMIT = 5000;

/** Filters from the query string; anything invalid falls back to the default (the page never 400s on a filter). */
export function dashboardFilters(event: HttpEvent): DashboardFilters {
  const sev = query(event, 'severity')?.toUpperCase();
  const status = query(event, 'status');
  const alarm = query(event, 'alarm')?.trim().slice(0, 200) || null;
  const hours = Number(query(event, 'hours'));
  return {
    severity: sev && (SEVERITIES as readonly string[]).includes(sev) ? (sev as Severity) : null,
    status: status && (INCIDENT_STATUSES as readonly string[]).includes(status) ? (status as IncidentStatus) : null,
    alarm,
    hours: (RANGE_HOURS as readonly number[]).includes(hours) ? hours : DEFAULT_RANGE_HOURS,
  };
}

/** The query string of a set of filters (defaults left out), `?…` or ''. */
export function filtersQuery(f: DashboardFilters): string {
  const p = new URLSearchParams();
  if (f.severity) p.set('severity', f.severity);
  if (f.status) p.set('status', f.status);
  if (f.alarm) p.set('alarm', f.alarm);
  if (f.hours !== DEFAULT_RANGE_HOURS) p.set('hours', String(f.hours));
  const s = p.toString();
  return s ? `?${s}` : '';
}

function matches(i: DashboardIncident, f: DashboardFilters): boolean {
  if (f.severity && i.severity !== f.severity) return false;
  if (f.alarm && !i.alarmName.toLowerCase().includes(f.alarm.toLowerCase())) return false;
  return true;
}

/** Silences in force now or scheduled (the policy's and the stored ones). */
export async function silencesInForce(rt: Runtime, now: string): Promise<Silence[]> {
  await rt.silenceCache.refresh();
  return rt.silenceCache
    .all()
    .filter((s) => silenceIsActive(s, now) || (s.startsAt > now && !s.endedBy))
    .sort((a, b) => a.endsAt.localeCompare(b.endsAt));
}

/** Unresolved incidents, newest first. */
export async function unresolvedRows(rt: Runtime, limit = READ_LIMIT): Promise<DashboardIncident[]> {
  return rt.store.listUnresolvedRows(limit);
}

/** The UTC days [from, to] touches, newest first. */
function daysBetween(from: string, to: string): string[] {
  const days: string[] = [];
  for (let t = Date.parse(`${to.slice(0, 10)}T00:00:00Z`); t >= Date.parse(`${from.slice(0, 10)}T00:00:00Z`); t -= 86_400_000)
    days.push(new Date(t).toISOString().slice(0, 10));
  return days;
}

/** One by-day listing per day [from, to) spans (sort key within [from, to]), newest opened first, with an optional filter. */
async function byDayRows(rt: Runtime, from: string, to: string, keep: ((i: DashboardIncident) => boolean) | null, limit: number): Promise<DashboardIncident[]> {
  const perDay = await Promise.all(daysBetween(from, to).map((day) => rt.store.listRowsByDay(day, { from, to, newestFirst: true, limit })));
  return perDay.flat().filter((i) => i.openedAt >= from && i.openedAt < to && (!keep || keep(i)));
}

/** Incidents opened in [from, to) (by-day index, only the days the range spans), newest first; optionally only resolved ones. */
export async function openedRows(rt: Runtime, from: string, to: string, opts: { resolvedOnly?: boolean; limit?: number } = {}): Promise<DashboardIncident[]> {
  const limit = opts.limit ?? READ_LIMIT;
  return (await byDayRows(rt, from, to, opts.resolvedOnly ? (i) => i.status === 'resolved' : null, limit)).slice(0, limit);
}

/**
 * How long before the range an incident resolved in it may have opened and still be listed as recently resolved:
 * the by-day index is keyed by opening day, so this bounds the days read (one query each).
 */
export const RESOLVED_LOOKBACK_HOURS = 7 * 24;

/**
 * One pass over the by-day index for [min(from, now - lookback), to): the incidents opened in [from, to) the
 * page needs (`opened`: the resolved ones, or every one when `all`), and the ones opened earlier but resolved
 * at or after `from` (`earlier`). Each day read once; the filter keeps the rest of the older days off the wire.
 */
export async function rangeRows(
  rt: Runtime,
  range: { from: string; to: string; openedFrom: string; all?: boolean },
  limit = READ_LIMIT,
): Promise<{ opened: DashboardIncident[]; earlier: DashboardIncident[] }> {
  const { from, to } = range;
  const openedFrom = range.openedFrom < from ? range.openedFrom : from;
  const resolvedSince = (i: DashboardIncident) => i.status === 'resolved' && (i.openedAt >= from || (i.resolvedAt ?? '') >= from);
  const rows = await byDayRows(rt, openedFrom, to, range.all ? (i) => i.openedAt >= from || resolvedSince(i) : resolvedSince, limit);
  return {
    opened: rows.filter((i) => i.openedAt >= from).slice(0, limit),
    earlier: rows.filter((i) => i.openedAt < from && i.status === 'resolved' && (i.resolvedAt ?? '') >= from),
  };
}

export interface DashboardData {
  active: DashboardIncident[];
  resolved: DashboardIncident[];
  history: DashboardIncident[];
  silences: Silence[];
  outbox: { channels: Record<string, boolean>; entries: OutboxLine[] } | null;
  /** Changes whenever anything the live regions show changes (and every hour, for the chart's buckets). */
  etag: string;
}

export async function loadDashboard(rt: Runtime, f: DashboardFilters, now: Date): Promise<DashboardData> {
  const nowIso = now.toISOString();
  const from = new Date(now.getTime() - f.hours * 3_600_000).toISOString();
  const until = new Date(now.getTime() + 60_000).toISOString();
  // The unresolved ones come from the status index anyway: the range query needs only the resolved ones
  // (unless only resolved incidents are wanted).
  // "Recently resolved" means resolved in the range, whenever the incident opened (within the lookback).
  const openedFrom = new Date(now.getTime() - RESOLVED_LOOKBACK_HOURS * 3_600_000).toISOString();
  const onlyResolved = f.status === 'resolved';
  const [unresolved, { opened, earlier }, silences] = await Promise.all([
    onlyResolved ? Promise.resolve([] as DashboardIncident[]) : unresolvedRows(rt),
    rangeRows(rt, { from, to: until, openedFrom, all: onlyResolved }),
    silencesInForce(rt, nowIso),
  ]);
  const active = unresolved.filter((i) => i.status !== 'resolved' && matches(i, f) && (!f.status || i.status === f.status));
  // Indexes are eventually consistent: an incident may show up in both; keep its newest version.
  const byId = new Map<string, DashboardIncident>();
  const keep = (i: DashboardIncident) => {
    const seen = byId.get(i.id);
    if (!seen || i.updatedAt > seen.updatedAt) byId.set(i.id, i);
  };
  for (const i of [...opened, ...unresolved.filter((u) => u.openedAt >= from && u.openedAt < until)]) keep(i);
  const history = [...byId.values()].filter((i) => matches(i, f));
  // Opened before the range but resolved in it: the resolved list only (the charts stay "opened in the range").
  for (const i of earlier) keep(i);
  const resolved = [...byId.values()]
    .filter((i) => i.status === 'resolved' && matches(i, f))
    .sort((a, b) => ((a.resolvedAt ?? '') < (b.resolvedAt ?? '') ? 1 : (a.resolvedAt ?? '') > (b.resolvedAt ?? '') ? -1 : 0))
    .slice(0, READ_LIMIT);
  const live = liveChannels(rt.config);
  const outbox = Object.values(live).every(Boolean) ? null : { channels: live, entries: defaultOutbox.latest(50) };
  const signature = JSON.stringify([
    f,
    Math.floor(now.getTime() / 3_600_000),
    active.map((i) => [i.id, i.updatedAt, i.status]),
    history.map((i) => [i.id, i.updatedAt]),
    resolved.map((i) => [i.id, i.updatedAt]),
    silences.map((s) => [s.id, s.endsAt]),
    outbox ? defaultOutbox.pushed : -1,
  ]);
  return { active, resolved, history, silences, outbox, etag: createHash('sha256').update(signature).digest('base64url').slice(0, 22) };
}

/** Version of one incident as its page shows it. */
export function incidentEtag(i: Incident): string {
  return createHash('sha256')
    .update(JSON.stringify([i.updatedAt, i.status, i.timeline?.length ?? 0, i.deliveries, i.escalation?.nextAt ?? null]))
    .digest('base64url')
    .slice(0, 22);
}
