import { array, boolean, config, enum as zEnum, int, minLength, nonnegative, number, object, optional, record, string } from 'zod/mini';
import { en } from 'zod/locales';
import { RouterError } from '@alert-router/core/errors';
import { INCIDENT_STATUSES, type Incident } from '@alert-router/core/incident';
import { SEVERITIES } from '@alert-router/core/types';
import type { IncidentRow } from './row';

// zod/mini has no messages until a locale is set; each schema module sets it, since a bundle keeps only the modules it uses.
config(en());

// Plain (stripping) objects, not loose ones: the verdict is the same (neither refuses a field it does not name),
// and the caller gets the record it passed in, never zod's copy; a loose object copies every field into that copy,
// which made a bulk read's validation ~1.6× slower (docs/performance-notes.md, "Stop 18").
const deliverySchema = object({
  status: zEnum(['scheduled', 'pending', 'delivered', 'failed', 'skipped']),
  attempts: number(),
  at: string(),
  leaseUntil: optional(string()),
  retryAt: optional(string()),
  owner: optional(string()),
  retryable: optional(boolean()),
});

const incidentSchema = object({
  id: string().check(minLength(1)),
  incidentKey: string(),
  alarmName: string(),
  severity: zEnum(SEVERITIES),
  status: zEnum(INCIDENT_STATUSES),
  openedAt: string(),
  updatedAt: string(),
  channels: array(string()),
  alarm: object({ kind: string() }),
  deliveries: record(string(), deliverySchema),
  timeline: array(object({ at: string(), type: string() })),
  rev: optional(int().check(nonnegative())),
  groupKey: optional(string()),
  members: optional(
    array(object({ incidentKey: string(), alarmName: string(), severity: zEnum(SEVERITIES), state: zEnum(['firing', 'recovered']), episodeId: string() })),
  ),
});

const rowSchema = object({
  id: incidentSchema.shape.id,
  incidentKey: incidentSchema.shape.incidentKey,
  alarmName: incidentSchema.shape.alarmName,
  severity: incidentSchema.shape.severity,
  status: incidentSchema.shape.status,
  openedAt: incidentSchema.shape.openedAt,
  updatedAt: incidentSchema.shape.updatedAt,
  groupSize: optional(object({ alarms: int().check(nonnegative()), recovered: int().check(nonnegative()) })),
  paged: optional(boolean()),
});

/** A listing row as read back from an index (store/row.ts): checked like an incident, on the fields it has. */
export function validRow(item: Record<string, unknown>): IncidentRow {
  return checked(rowSchema, item) as unknown as IncidentRow;
}

/** An incident as read back from a store: checked, so that a damaged record is reported, not acted upon. */
export function validIncident(item: Record<string, unknown>): Incident {
  return checked(incidentSchema, item) as unknown as Incident;
}

function checked(schema: typeof rowSchema | typeof incidentSchema, item: Record<string, unknown>): Record<string, unknown> {
  const r = schema.safeParse(item);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new RouterError(`stored incident ${String(item.id ?? '?')} is not valid: ${issue.path.join('.')}: ${issue.message}`, { context: { id: item.id } });
  }
  return item;
}
