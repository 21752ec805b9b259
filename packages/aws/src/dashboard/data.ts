/**
 * What the dashboard reads, through the store port, bounded whatever the store holds: one page of unresolved
 * incidents (newest first, ACTIVE_PAGE shown of at most ACTIVE_SCAN read, an "older" cursor for the rest), the
 * newest HISTORY_READ incidents opened in the selected range, the LOOKBACK_READ opened last before it (those
 * resolved in the range are "recently resolved" too) and the silences. Never a scan.
 */
import { createHash } from 'node:crypto';
import {
  type ActiveRead,
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
import { decodeCursor, encodeCursor } from '../api/incident-pages';
import { scanUnresolved } from '../api/unresolved-scan';
import { liveChannels } from '../config';
import { defaultOutbox } from '../notifiers/outbox';
import type { Runtime } from '../runtime';
import { openedBetween } from '../store/port';

export const DEFAULT_RANGE_HOURS = 24;

/** Filters from the query string; anything invalid falls back to the default (the page never 400s on a filter). */
export function dashboardFilters(event: HttpEvent): DashboardFilters {
  const sev = query(event, 'severity')?.toUpperCase();
  const status = query(event, 'status');
  const alarm = query(event, 'alarm')?.trim().slice(0, 200) || null;
  const hours = Number(query(event, 'hours'));
  const cursor = query(event, 'before');
  return {
    severity: sev && (SEVERITIES as readonly string[]).includes(sev) ? (sev as Severity) : null,
    status: status && (INCIDENT_STATUSES as readonly string[]).includes(status) ? (status as IncidentStatus) : null,
    alarm,
    hours: (RANGE_HOURS as readonly number[]).includes(hours) ? hours : DEFAULT_RANGE_HOURS,
    before: cursor ? decodeCursor(cursor) : null,
  };
}

/** The query string of a set of filters (defaults left out), `?…` or ''. */
export function filtersQuery(f: DashboardFilters): string {
  const p = new URLSearchParams();
  if (f.severity) p.set('severity', f.severity);
  if (f.status) p.set('status', f.status);
  if (f.alarm) p.set('alarm', f.alarm);
  if (f.hours !== DEFAULT_RANGE_HOURS) p.set('hours', String(f.hours));
  if (f.before) p.set('before', encodeCursor(f.before));
  const s = p.toString();
  return s ? `?${s}` : '';
}

function matches(i: Pick<Incident, 'severity' | 'alarmName'>, f: DashboardFilters): boolean {
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

/** Unresolved incidents shown per page of the dashboard (newest first; older ones behind the "older" link). */
export const ACTIVE_PAGE = 100;
/** Most unresolved incidents one page load reads (its counts say "N+" when there are more). */
export const ACTIVE_SCAN = 500;
/** Most incidents opened in the range one page load reads for the charts and the resolved list. */
export const HISTORY_READ = 1500;
/** Most incidents opened before the range read to find those resolved in it. */
export const LOOKBACK_READ = 500;

export interface ActivePage {
  /** The unresolved incidents of this page that match the filters (at most ACTIVE_PAGE). */
  rows: DashboardIncident[];
  /** Every matching unresolved incident read (the page's counts). */
  counted: DashboardIncident[];
  /** Nothing older matched or was left unread: the counts are the whole set. */
  complete: boolean;
  /** Sort key the next (older) page starts before; null on the last page. */
  next: string | null;
}

/** One page of unresolved incidents matching `keep`, newest first from `before` (api/unresolved-scan.ts). */
export async function activePage(rt: Runtime, keep: (i: DashboardIncident) => boolean, before?: string | null): Promise<ActivePage> {
  // Listing rows: on DynamoDB the status index alone answers (no incident item is read).
  const r = await scanUnresolved<DashboardIncident>((limit, cursor) => rt.store.listUnresolvedRows(limit, cursor), keep, {
    page: ACTIVE_PAGE,
    scan: ACTIVE_SCAN,
    before,
  });
  const counted = r.matched;
  return { rows: counted.slice(0, ACTIVE_PAGE), counted, complete: r.exhausted && !before, next: r.next };
}

/** Listing rows of incidents opened in [from, to), newest first, reading only the days it spans (by-day index rows). */
function openedRows(rt: Runtime, from: string, to: string, limit: number): Promise<DashboardIncident[]> {
  return openedBetween(from, to, limit, (day, opts) => rt.store.listRowsByDay(day, opts));
}

/**
 * How long before the range an incident resolved in it may have opened and still be listed as recently resolved
 * (and at most LOOKBACK_READ of those: the by-day index is keyed by opening day).
 */
export const RESOLVED_LOOKBACK_HOURS = 7 * 24;

/**
 * Two bounded reads of the by-day index: the newest HISTORY_READ incidents opened in [from, to) (`opened`, the
 * charts; `complete` when that was all of them), and among the LOOKBACK_READ opened last before `from` (down to
 * `openedFrom`), those resolved at or after `from` (`earlier`).
 */
export async function rangeRows(
  rt: Runtime,
  range: { from: string; to: string; openedFrom: string },
): Promise<{ opened: DashboardIncident[]; earlier: DashboardIncident[]; complete: boolean }> {
  const { from, to } = range;
  const [inRange, before] = await Promise.all([
    openedRows(rt, from, to, HISTORY_READ),
    range.openedFrom < from ? openedRows(rt, range.openedFrom, from, LOOKBACK_READ) : Promise.resolve([]),
  ]);
  return {
    opened: inRange,
    earlier: before.filter((i) => i.status === 'resolved' && (i.resolvedAt ?? '') >= from),
    complete: inRange.length < HISTORY_READ,
  };
}

export interface DashboardData {
  active: DashboardIncident[];
  /** How the active list was read: counts, whether they are the whole set, the older page's cursor. */
  activeRead: ActiveRead;
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
  // "Recently resolved" means resolved in the range, whenever the incident opened (within the lookback).
  const openedFrom = new Date(now.getTime() - RESOLVED_LOOKBACK_HOURS * 3_600_000).toISOString();
  const onlyResolved = f.status === 'resolved';
  const keep = (i: DashboardIncident) => matches(i, f) && (!f.status || i.status === f.status);
  const [page, { opened, earlier, complete: historyComplete }, silences] = await Promise.all([
    onlyResolved ? Promise.resolve(null) : activePage(rt, keep, f.before),
    rangeRows(rt, { from, to: until, openedFrom }),
    silencesInForce(rt, nowIso),
  ]);
  const active = page?.rows ?? [];
  // Indexes are eventually consistent: an incident may show up in both; keep its newest version.
  const byId = new Map<string, DashboardIncident>();
  const keepNewest = (i: DashboardIncident) => {
    const seen = byId.get(i.id);
    if (!seen || i.updatedAt > seen.updatedAt) byId.set(i.id, i);
  };
  for (const i of [...opened, ...active.filter((u) => u.openedAt >= from && u.openedAt < until)]) keepNewest(i);
  const history = [...byId.values()].filter((i) => matches(i, f));
  // Opened before the range but resolved in it: the resolved list only (the charts stay "opened in the range").
  for (const i of earlier) keepNewest(i);
  const resolved = [...byId.values()]
    .filter((i) => i.status === 'resolved' && matches(i, f))
    .sort((a, b) => ((a.resolvedAt ?? '') < (b.resolvedAt ?? '') ? 1 : (a.resolvedAt ?? '') > (b.resolvedAt ?? '') ? -1 : 0));
  const activeRead: ActiveRead = {
    counts: countsOf(page?.counted ?? []),
    complete: page?.complete ?? true,
    older: page?.next ? `/${filtersQuery({ ...f, before: page.next })}` : null,
    newest: f.before ? `/${filtersQuery({ ...f, before: null })}` : null,
    historyComplete,
  };
  const live = liveChannels(rt.config);
  const outbox = Object.values(live).every(Boolean) ? null : { channels: live, entries: defaultOutbox.latest(50) };
  const signature = JSON.stringify([
    f,
    Math.floor(now.getTime() / 3_600_000),
    activeRead,
    active.map((i) => [i.id, i.updatedAt, i.status]),
    history.map((i) => [i.id, i.updatedAt]),
    resolved.map((i) => [i.id, i.updatedAt]),
    silences.map((s) => [s.id, s.endsAt]),
    outbox ? defaultOutbox.pushed : -1,
  ]);
  return { active, activeRead, resolved, history, silences, outbox, etag: createHash('sha256').update(signature).digest('base64url').slice(0, 22) };
}

function countsOf(rows: DashboardIncident[]): ActiveRead['counts'] {
  const counts = Object.fromEntries(SEVERITIES.map((s) => [s, { open: 0, acknowledged: 0 }])) as ActiveRead['counts'];
  for (const i of rows) if (i.status !== 'resolved') counts[i.severity][i.status]++;
  return counts;
}

/** Version of one incident as its page shows it. */
export function incidentEtag(i: Incident): string {
  return createHash('sha256')
    .update(JSON.stringify([i.updatedAt, i.status, i.timeline?.length ?? 0, i.deliveries, i.escalation?.nextAt ?? null, i.members ?? null]))
    .digest('base64url')
    .slice(0, 22);
}
