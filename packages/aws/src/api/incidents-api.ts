import { INCIDENT_STATUSES, SEVERITIES, type Incident, type IncidentStatus, type Severity } from '@alert-router/core';
import { liveChannels } from '../config';
import type { Runtime } from '../runtime';
import { json, query, type HttpEvent, type HttpResult } from './http';

export interface IncidentFilter {
  status?: IncidentStatus;
  severity?: Severity;
  alarm?: string;
  /** Opened at or after (ISO). */
  since?: string;
  limit: number;
}

export function parseFilter(event: HttpEvent, now: Date): IncidentFilter | string {
  const status = query(event, 'status');
  if (status && !(INCIDENT_STATUSES as readonly string[]).includes(status)) return `status: expected one of ${INCIDENT_STATUSES.join(', ')}`;
  const severity = query(event, 'severity')?.toUpperCase();
  if (severity && !(SEVERITIES as readonly string[]).includes(severity)) return `severity: expected one of ${SEVERITIES.join(', ')}`;
  const limitRaw = query(event, 'limit');
  const limit = limitRaw === undefined ? 200 : Number(limitRaw);
  if (!Number.isInteger(limit) || limit < 1 || limit > 5000) return 'limit: expected an integer from 1 to 5000';
  const hoursRaw = query(event, 'hours');
  let since = query(event, 'since');
  if (hoursRaw !== undefined) {
    const hours = Number(hoursRaw);
    if (!Number.isFinite(hours) || hours <= 0 || hours > 24 * 90) return 'hours: expected a number of hours up to 2160';
    since = new Date(now.getTime() - hours * 3_600_000).toISOString();
  }
  if (since && Number.isNaN(Date.parse(since))) return 'since: expected an ISO 8601 time';
  return { status: status as IncidentStatus | undefined, severity: severity as Severity | undefined, alarm: query(event, 'alarm'), since: since ? new Date(since).toISOString() : undefined, limit };
}

/**
 * Incidents matching a filter, newest first. Unresolved ones come from the status index; history from the
 * by-day index over the requested window (default 7 days) — never a scan.
 */
export async function findIncidents(rt: Runtime, f: IncidentFilter): Promise<Incident[]> {
  const now = rt.now();
  const since = f.since ?? new Date(now.getTime() - 7 * 86_400_000).toISOString();
  let items: Incident[];
  if (f.status === 'open' || f.status === 'acknowledged') {
    items = await rt.store.listUnresolved(5000);
  } else {
    const [unresolved, recent] = await Promise.all([
      f.status === 'resolved' ? Promise.resolve([]) : rt.store.listUnresolved(5000),
      rt.store.listOpenedBetween(since, new Date(now.getTime() + 60_000).toISOString(), 5000),
    ]);
    const byId = new Map<string, Incident>();
    for (const i of [...unresolved, ...recent]) byId.set(i.id, i);
    items = [...byId.values()];
  }
  const alarm = f.alarm?.toLowerCase();
  return items
    .filter((i) => (!f.status || i.status === f.status) && (!f.severity || i.severity === f.severity))
    .filter((i) => !alarm || i.alarmName.toLowerCase().includes(alarm))
    .filter((i) => !f.since || i.openedAt >= f.since || i.status !== 'resolved')
    .sort((a, b) => (a.openedAt < b.openedAt ? 1 : a.openedAt > b.openedAt ? -1 : a.id < b.id ? 1 : -1))
    .slice(0, f.limit);
}

export async function listIncidentsRoute(event: HttpEvent, rt: Runtime): Promise<HttpResult> {
  const f = parseFilter(event, rt.now());
  if (typeof f === 'string') return json(400, { error: f });
  return json(200, { incidents: await findIncidents(rt, f) });
}

export async function getIncidentRoute(id: string, rt: Runtime): Promise<HttpResult> {
  const incident = await rt.store.getIncident(id);
  return incident ? json(200, { incident }) : json(404, { error: `no incident ${id}` });
}

export async function healthRoute(rt: Runtime): Promise<HttpResult> {
  let store = 'ok';
  try {
    await rt.store.getLatch('health-check');
  } catch (err) {
    store = `error: ${(err as Error).name}`;
  }
  // The HTTP surface's contract (docs/contracts.md): always 200, the state is in the body ("degraded" + the store's error name).
  return json(200, {
    status: store === 'ok' ? 'ok' : 'degraded',
    store,
    channels: Object.fromEntries(Object.entries(liveChannels(rt.config)).map(([k, live]) => [k, live ? 'live' : 'outbox'])),
    metrics: rt.metrics.snapshot(),
  });
}
