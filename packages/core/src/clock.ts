import { DateTime } from 'luxon';
import type { Policy } from './policy';
import type { Severity } from './types';

/**
 * When an incident opened at `openedAt` must have been acknowledged: openedAt + the severity's response time,
 * or for `next-business-day` the start of the next business day in the policy's time zone (plus the business
 * day's first hour, so an alert at 08:00 on a Tuesday is due Wednesday 10:00 — never the same morning).
 */
export function responseDeadline(severity: Severity, openedAt: string, policy: Policy): string {
  const rt = policy.severities[severity].responseTime;
  const opened = DateTime.fromISO(openedAt, { zone: 'utc' });
  if (rt !== 'next-business-day') return opened.plus({ milliseconds: Math.round(rt * 60_000) }).toUTC().toISO()!;
  return nextBusinessDayStart(opened, policy).plus({ hours: 1 }).toUTC().toISO()!;
}

/** Start of business hours on the first business day after `from`'s local date. */
export function nextBusinessDayStart(from: DateTime, policy: Policy): DateTime {
  const { days, start } = policy.businessHours;
  const [h, m] = start.split(':').map(Number);
  let d = from.setZone(policy.timezone).startOf('day');
  for (let i = 0; i < 14; i++) {
    d = d.plus({ days: 1 });
    if (days.includes(d.weekday)) return d.set({ hour: h, minute: m });
  }
  return d.set({ hour: h, minute: m });
}

export function addMinutes(iso: string, minutes: number): string {
  return new Date(Date.parse(iso) + Math.round(minutes * 60_000)).toISOString();
}
