import { INCIDENT_STATUSES, membersOf, SEVERITIES, type GroupMember, type Incident, type IncidentStatus, type Severity } from '@alert-router/core';
import { liveChannels } from '../config';
import type { Runtime } from '../runtime';
import { json, query, type HttpEvent, type HttpResult } from './http';
import { decodeCursor, incidentPage, PAGE_LIMIT, type PageFilter } from './incident-pages';

/** Documented ranges of the list's parameters; a value outside is refused with its range. */
export const INCIDENT_HOURS = { min: 1, max: 24 * 90 } as const;
/** History window when neither `hours` nor `since` is given. */
const DEFAULT_WINDOW_MS = 7 * 86_400_000;

/** A number within [min, max] from the query string, or the error naming the parameter and its range. */
export function rangedNumber(event: HttpEvent, name: string, range: { min: number; max: number; integer?: boolean }, fallback: number): number | string {
  const raw = query(event, name);
  if (raw === undefined) return fallback;
  const n = raw.trim() === '' ? Number.NaN : Number(raw);
  const ok = Number.isFinite(n) && n >= range.min && n <= range.max && (!range.integer || Number.isInteger(n));
  return ok ? n : `${name}: expected ${range.integer ? 'an integer ' : ''}${range.min}–${range.max}`;
}

export function parseFilter(event: HttpEvent, now: Date): PageFilter | string {
  const status = query(event, 'status');
  if (status && !(INCIDENT_STATUSES as readonly string[]).includes(status)) return `status: expected one of ${INCIDENT_STATUSES.join(', ')}`;
  const severity = query(event, 'severity')?.toUpperCase();
  if (severity && !(SEVERITIES as readonly string[]).includes(severity)) return `severity: expected one of ${SEVERITIES.join(', ')}`;
  const limit = rangedNumber(event, 'limit', { min: 1, max: PAGE_LIMIT.max, integer: true }, PAGE_LIMIT.default);
  if (typeof limit === 'string') return limit;
  let since = query(event, 'since');
  if (query(event, 'hours') !== undefined) {
    const hours = rangedNumber(event, 'hours', INCIDENT_HOURS, 0);
    if (typeof hours === 'string') return hours;
    since = new Date(now.getTime() - hours * 3_600_000).toISOString();
  }
  if (since && Number.isNaN(Date.parse(since))) return 'since: expected an ISO 8601 time';
  const cursor = query(event, 'cursor');
  const before = cursor === undefined ? undefined : decodeCursor(cursor);
  if (before === null) return 'cursor: expected the "next" value of a previous page';
  return {
    status: status as IncidentStatus | undefined,
    severity: severity as Severity | undefined,
    alarm: query(event, 'alarm'),
    since: since ? new Date(since).toISOString() : new Date(now.getTime() - DEFAULT_WINDOW_MS).toISOString(),
    before,
    limit,
  };
}

/** What the list says of each alarm of an incident (its group's members, or its own alarm). */
export type MemberSummary = Pick<GroupMember, 'incidentKey' | 'alarmName' | 'state' | 'severity'>;

export function memberSummaries(i: Incident): MemberSummary[] {
  return membersOf(i).map(({ incidentKey, alarmName, state, severity }) => ({ incidentKey, alarmName, state, severity }));
}

/** `{"incidents": [...], "next": cursor | null}`: one page, newest first (incident-pages.ts), each with its `members`. */
export async function listIncidentsRoute(event: HttpEvent, rt: Runtime): Promise<HttpResult> {
  const f = parseFilter(event, rt.now());
  if (typeof f === 'string') return json(400, { error: f });
  const page = await incidentPage(rt, f);
  return json(200, { ...page, incidents: page.incidents.map((i) => ({ ...i, members: memberSummaries(i) })) });
}

/** `{"incident": …}` with its `members` in full (membersOf: an ungrouped incident's own alarm is its one member). */
export async function getIncidentRoute(id: string, rt: Runtime): Promise<HttpResult> {
  const incident = await rt.store.getIncident(id);
  return incident ? json(200, { incident: { ...incident, members: membersOf(incident) } }) : json(404, { error: `no incident ${id}` });
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
