import type { Incident } from '@alert-router/core/incident';
import { DASHBOARD_INCIDENT_FIELDS, groupSizeOf, ROW_ATTRIBUTES, type DashboardIncident } from '@alert-router/core/incident-row';

/**
 * What a listing row carries: an incident without its alarm, timeline and deliveries (the dashboard's rows). The
 * DynamoDB table projects these into its status and by-day indexes, so that rows are read from the index alone.
 */
export const ROW_FIELDS = ROW_ATTRIBUTES;

/**
 * What the row indexes project: the row, and `members`, which only an item written before rows counted them
 * carries (incident-item.ts): an index rebuilt from such items keeps what its rows are counted from. A newer item
 * has no `members` attribute, so projecting it costs nothing.
 */
export const ROW_PROJECTION = [...ROW_FIELDS, 'members'] as const;

export type IncidentRow = DashboardIncident;

export function rowOf(i: Incident): IncidentRow {
  const out: Record<string, unknown> = {};
  for (const f of DASHBOARD_INCIDENT_FIELDS)
    if ((i as unknown as Record<string, unknown>)[f] !== undefined) out[f] = (i as unknown as Record<string, unknown>)[f];
  const size = groupSizeOf(i);
  if (size) out.groupSize = size;
  return out as unknown as IncidentRow;
}
