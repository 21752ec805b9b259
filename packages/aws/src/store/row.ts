import type { Incident } from '@alert-router/core/incident';
import { DASHBOARD_INCIDENT_FIELDS, type DashboardIncident } from '@alert-router/core/incident-row';

/**
 * What a listing row carries: an incident without its alarm, timeline and deliveries (the dashboard's rows). The
 * DynamoDB table projects these into its status and by-day indexes, so that rows are read from the index alone.
 */
export const ROW_FIELDS = DASHBOARD_INCIDENT_FIELDS;

export type IncidentRow = DashboardIncident;

export function rowOf(i: Incident): IncidentRow {
  const out: Record<string, unknown> = {};
  for (const f of ROW_FIELDS) if ((i as unknown as Record<string, unknown>)[f] !== undefined) out[f] = (i as unknown as Record<string, unknown>)[f];
  return out as unknown as IncidentRow;
}
