import { ROW_ATTRIBUTES, rowOf, type DashboardIncident } from '@alert-router/core/incident-row';

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

export { rowOf };
