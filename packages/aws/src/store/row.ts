import type { Incident } from '@alert-router/core/incident';

/**
 * What a listing row carries: an incident without its alarm, timeline and deliveries (the dashboard's rows, the
 * same fields as DASHBOARD_INCIDENT_FIELDS in core; a test keeps the two equal). The DynamoDB table projects these
 * into its status and by-day indexes, so that rows are read from the index alone.
 */
export const ROW_FIELDS = [
  'id',
  'incidentKey',
  'alarmName',
  'severity',
  'status',
  'openedAt',
  'acknowledgedAt',
  'acknowledgedBy',
  'resolvedAt',
  'resolvedBy',
  'escalation',
  'silencedBy',
  'flapping',
  'duplicates',
  'updatedAt',
] as const;

export type IncidentRow = Pick<Incident, (typeof ROW_FIELDS)[number]>;

export function rowOf(i: Incident): IncidentRow {
  const out: Record<string, unknown> = {};
  for (const f of ROW_FIELDS) if ((i as unknown as Record<string, unknown>)[f] !== undefined) out[f] = (i as unknown as Record<string, unknown>)[f];
  return out as unknown as IncidentRow;
}
