import { nextBusinessDayDeadline } from './business-calendar';
import type { Policy } from './policy';
import type { Severity } from './types';

/**
 * When an incident opened at `openedAt` must have been acknowledged: openedAt + the severity's response time,
 * or for `next-business-day` the next business morning plus `businessHours.grace` (business-calendar.ts).
 */
export function responseDeadline(severity: Severity, openedAt: string, policy: Policy): string {
  const rt = policy.severities[severity].responseTime;
  // Plain UTC arithmetic: the digest computes one per incident of the day.
  if (rt !== 'next-business-day') return addMinutes(openedAt, rt);
  return nextBusinessDayDeadline(openedAt, policy);
}

export function addMinutes(iso: string, minutes: number): string {
  return new Date(Date.parse(iso) + Math.round(minutes * 60_000)).toISOString();
}
