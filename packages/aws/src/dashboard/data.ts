/**
 * What the dashboard reads: unresolved incidents (status index), the incidents opened in the selected range
 * (by-day index, only the days the range spans) and the silences. Never a scan.
 */
import { createHash } from 'node:crypto';
import {
  INCIDENT_STATUSES,
  RANGE_HOURS,
  SEVERITIES,
  silenceIsActive,
  type DashboardFilters,
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

function matches(i: Incident, f: DashboardFilters): boolean {
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

export interface DashboardData {
  active: Incident[];
  resolved: Incident[];
  history: Incident[];
  silences: Silence[];
  outbox: { channels: Record<string, boolean>; entries: OutboxLine[] } | null;
  /** Changes whenever anything the live regions show changes (and every hour, for the chart's buckets). */
  etag: string;
}

export async function loadDashboard(rt: Runtime, f: DashboardFilters, now: Date): Promise<DashboardData> {
  const nowIso = now.toISOString();
  const from = new Date(now.getTime() - f.hours * 3_600_000).toISOString();
  const until = new Date(now.getTime() + 60_000).toISOString();
  const [unresolved, opened, silences] = await Promise.all([
    f.status === 'resolved' ? Promise.resolve([] as Incident[]) : rt.store.listUnresolved(READ_LIMIT),
    rt.store.listOpenedBetween(from, until, READ_LIMIT),
    silencesInForce(rt, nowIso),
  ]);
  const active = unresolved.filter((i) => i.status !== 'resolved' && matches(i, f) && (!f.status || i.status === f.status));
  const history = opened.filter((i) => matches(i, f));
  const resolved = history
    .filter((i) => i.status === 'resolved')
    .sort((a, b) => ((a.resolvedAt ?? '') < (b.resolvedAt ?? '') ? 1 : (a.resolvedAt ?? '') > (b.resolvedAt ?? '') ? -1 : 0));
  const live = liveChannels(rt.config);
  const outbox = Object.values(live).every(Boolean) ? null : { channels: live, entries: defaultOutbox.latest(50) };
  const signature = JSON.stringify([
    f,
    Math.floor(now.getTime() / 3_600_000),
    active.map((i) => [i.id, i.updatedAt, i.status]),
    history.map((i) => [i.id, i.updatedAt]),
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
