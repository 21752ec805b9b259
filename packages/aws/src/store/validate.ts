import { array, boolean, enum as zEnum, int, looseObject, minLength, nonnegative, number, optional, record, string } from 'zod/mini';
import { RouterError } from '@alert-router/core/errors';
import { INCIDENT_STATUSES, type Incident } from '@alert-router/core/incident';
import { SEVERITIES } from '@alert-router/core/types';

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

/** An incident as read back from a store: checked, so that a damaged record is reported, not acted upon. */
export function validIncident(item: Record<string, unknown>): Incident {
  const r = incidentSchema.safeParse(item);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new RouterError(`stored incident ${String(item.id ?? '?')} is not valid: ${issue.path.join('.')}: ${issue.message}`, { context: { id: item.id } });
  }
  return item as unknown as Incident;
}
