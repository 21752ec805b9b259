import { addBusinessMinutes, nextBusinessMorning, parseUtc } from './business-calendar';
import type { Policy } from './policy';
import type { Severity } from './types';

/**
 * When an incident opened at `openedAt` must have been acknowledged: openedAt + the severity's response time,
 * or for `next-business-day` the next business morning plus `businessHours.grace` (business-calendar.ts).
 */
export function responseDeadline(severity: Severity, openedAt: string, policy: Policy): string {
  if (policy.severities[severity].responseTime === 'next-business-day') return businessDeadline(openedAt, policy);
  return new Date(responseDeadlineMs(severity, openedAt, policy)).toISOString();
}

/**
 * responseDeadline in epoch ms; `openedMs` is `openedAt` already parsed, when the caller has it. Plain UTC
 * arithmetic where the response time is in minutes: the digest asks for one per incident of the day.
 */
export function responseDeadlineMs(severity: Severity, openedAt: string, policy: Policy, openedMs = Date.parse(openedAt)): number {
  const rt = policy.severities[severity].responseTime;
  if (rt === 'next-business-day') return Date.parse(businessDeadline(openedAt, policy));
  return openedMs + Math.round(rt * 60_000);
}

/** A stretch of time whose next business opening is `opening`: every instant in [from, opening) has that deadline. */
interface BusinessSpan {
  from: number;
  opening: number;
  deadline: string;
}

const businessSpans = new WeakMap<Policy, BusinessSpan[]>();
const SPANS_KEPT = 64;

/**
 * nextBusinessDayDeadline, remembered by stretch: if `t0` ≤ t < opening, where opening is the first one after
 * `t0`, no opening lies between t and it, so t has the same deadline. Asked in ascending time order (the digest
 * does), a day of thousands of P3s costs one calendar walk per business opening instead of one per incident.
 */
function businessDeadline(openedAt: string, policy: Policy): string {
  const t = parseUtc(openedAt);
  let spans = businessSpans.get(policy);
  if (!spans) businessSpans.set(policy, (spans = []));
  for (const s of spans) if (s.from <= t && t < s.opening) return s.deadline;
  const morning = nextBusinessMorning(t, policy);
  const deadline = new Date(addBusinessMinutes(morning, policy.businessHours.grace, policy)).toISOString();
  if (spans.length >= SPANS_KEPT) spans.shift();
  spans.push({ from: t, opening: morning, deadline });
  return deadline;
}

export function addMinutes(iso: string, minutes: number): string {
  return new Date(Date.parse(iso) + Math.round(minutes * 60_000)).toISOString();
}
