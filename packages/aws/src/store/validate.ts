import { z } from 'zod';
import { INCIDENT_STATUSES, RouterError, SEVERITIES, type Incident } from '@alert-router/core';

const deliverySchema = z.looseObject({
  status: z.enum(['pending', 'delivered', 'failed', 'skipped']),
  attempts: z.number(),
  at: z.string(),
  leaseUntil: z.string().optional(),
  retryAt: z.string().optional(),
  owner: z.string().optional(),
  retryable: z.boolean().optional(),
});

const incidentSchema = z.looseObject({
  id: z.string().min(1),
  incidentKey: z.string(),
  alarmName: z.string(),
  severity: z.enum(SEVERITIES),
  status: z.enum(INCIDENT_STATUSES),
  openedAt: z.string(),
  updatedAt: z.string(),
  channels: z.array(z.string()),
  alarm: z.looseObject({ kind: z.string() }),
  deliveries: z.record(z.string(), deliverySchema),
  timeline: z.array(z.looseObject({ at: z.string(), type: z.string() })),
  rev: z.number().int().nonnegative().optional(),
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
