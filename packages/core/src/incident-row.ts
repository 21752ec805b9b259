import type { Incident } from './incident';

/**
 * The fields of an incident the dashboard's lists and charts show (what its reads project): its listing row. In a
 * module of its own so that the store, which projects them into its indexes, takes no dashboard code in with it.
 */
export const DASHBOARD_INCIDENT_FIELDS = [
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
  /** A group's members ("12 alarms · 3 recovered"); absent on an incident of its own. */
  'members',
] as const;

export type DashboardIncident = Pick<Incident, (typeof DASHBOARD_INCIDENT_FIELDS)[number]>;
