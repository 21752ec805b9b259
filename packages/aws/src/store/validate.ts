import { array, boolean, config, enum as zEnum, int, looseObject, minLength, nonnegative, number, optional, record, string } from 'zod/mini';
import { en } from 'zod/locales';
import { RouterError } from '@alert-router/core/errors';
import { INCIDENT_STATUSES, type Incident } from '@alert-router/core/incident';
import { SEVERITIES } from '@alert-router/core/types';
import type { IncidentRow } from './row';

// zod/mini has no messages until a locale is set; each schema module sets it, since a bundle keeps only the modules it uses.
config(en());

const deliverySchema = looseObject({
  status: zEnum(['scheduled', 'pending', 'delivered', 'failed', 'skipped']),
  attempts: number(),
  at: string(),
  leaseUntil: optional(string()),
  retryAt: optional(string()),
  owner: optional(string()),
  retryable: optional(boolean()),
});

const incidentSchema = looseObject({
  id: string().check(minLength(1)),
  incidentKey: string(),
  alarmName: string(),
  severity: zEnum(SEVERITIES),
  status: zEnum(INCIDENT_STATUSES),
  openedAt: string(),
  updatedAt: string(),
  channels: array(string()),
  alarm: looseObject({ kind: string() }),
  deliveries: record(string(), deliverySchema),
  timeline: array(looseObject({ at: string(), type: string() })),
  rev: optional(int().check(nonnegative())),
  groupKey: optional(string()),
  members: optional(
    array(looseObject({ incidentKey: string(), alarmName: string(), severity: zEnum(SEVERITIES), state: zEnum(['firing', 'recovered']), episodeId: string() })),
  ),
});

const rowSchema = looseObject({
  id: incidentSchema.shape.id,
  incidentKey: incidentSchema.shape.incidentKey,
  alarmName: incidentSchema.shape.alarmName,
  severity: incidentSchema.shape.severity,
  status: incidentSchema.shape.status,
  openedAt: incidentSchema.shape.openedAt,
  updatedAt: incidentSchema.shape.updatedAt,
  groupSize: optional(looseObject({ alarms: int().check(nonnegative()), recovered: int().check(nonnegative()) })),
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
