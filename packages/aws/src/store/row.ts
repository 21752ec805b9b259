import type { Incident } from '@alert-router/core/incident';
import { groupSizeOf, pagedVia, ROW_ATTRIBUTES, type DashboardIncident } from '@alert-router/core/incident-row';

/**
 * What a listing row carries: an incident without its alarm, timeline and deliveries (the dashboard's and the
 * digest's rows). The DynamoDB table projects these into its status and by-day indexes, and the SQLite store keeps
 * them in a column beside the body, so that rows are read without reading incidents.
 */
export const ROW_FIELDS = ROW_ATTRIBUTES;

/**
 * What the row indexes project: the row, and `members`, which only an item written before rows counted them
 * carries (incident-item.ts): an index rebuilt from such items keeps what its rows are counted from. A newer item
 * has no `members` attribute, so projecting it costs nothing.
 */
export const ROW_PROJECTION = [...ROW_FIELDS, 'members'] as const;

export type IncidentRow = DashboardIncident;

/**
 * The row of an incident. One literal of a fixed shape (a field the incident lacks is there as `undefined`, which
 * JSON and the DynamoDB marshaller, `removeUndefinedValues`, leave out): every write makes one, and copying the
 * fields by name in a loop took 1.5–2.7 µs a row against 0.06–0.2 (docs/performance-notes.md, "Stop 19"). Keep it to
 * the fields of `DASHBOARD_INCIDENT_FIELDS` (test/store-contract.test.ts compares them).
 */
export function rowOf(i: Incident): IncidentRow {
  return {
    id: i.id,
    incidentKey: i.incidentKey,
    alarmName: i.alarmName,
    severity: i.severity,
    status: i.status,
    openedAt: i.openedAt,
    acknowledgedAt: i.acknowledgedAt,
    acknowledgedBy: i.acknowledgedBy,
    resolvedAt: i.resolvedAt,
    resolvedBy: i.resolvedBy,
    escalation: i.escalation,
    silencedBy: i.silencedBy,
    flapping: i.flapping,
    duplicates: i.duplicates,
    updatedAt: i.updatedAt,
    releasedAt: i.releasedAt,
    groupSize: groupSizeOf(i),
    paged: pagedVia(i.deliveries),
  };
}
