/**
 * The business calendar as it was written on luxon (until Stop 23): the oracle test/business-calendar-oracle.test.ts
 * holds packages/core/src/business-calendar.ts to. Kept verbatim but for its imports: `minutesOfDay`, `hoursOf` and
 * `isHoliday`, which did not use luxon and did not change, come from core. luxon is a devDependency for this file.
 */
import { DateTime } from 'luxon';
import { hoursOf, isHoliday, minutesOfDay, type Policy } from '@alert-router/core';

/** Opening and closing of business on `day`'s local date, or null on weekends, days off and holidays. */
function businessWindow(day: DateTime, policy: Policy): { open: DateTime; close: DateTime } | null {
  const hours = hoursOf(day.weekday, policy);
  if (!hours || isHoliday(day.toISODate()!, policy)) return null;
  const at = (hhmm: string) => {
    const m = minutesOfDay(hhmm);
    // On a spring-forward day a wall time in the gap does not exist: luxon moves it forward by the gap.
    return day.set({ hour: Math.floor(m / 60), minute: m % 60, second: 0, millisecond: 0 });
  };
  return { open: at(hours.start), close: at(hours.end) };
}

/** Far enough to cross any run of weekends and holidays a sane policy has; the policy refuses a calendar with no business day. */
const SEARCH_DAYS = 400;

/** The first opening of business strictly after `from` (an alarm before hours on a business day gets that morning). */
export function nextBusinessMorning(from: DateTime, policy: Policy): DateTime {
  let day = from.setZone(policy.timezone).startOf('day');
  for (let i = 0; i <= SEARCH_DAYS; i++, day = day.plus({ days: 1 }).startOf('day')) {
    const w = businessWindow(day, policy);
    if (w && w.open > from) return w.open;
  }
  throw new Error(`no business day within ${SEARCH_DAYS} days of ${from.toISO()} (businessHours/holidays)`);
}

/**
 * `minutes` of business time after `from` (which is inside business hours or at an opening): what is left at a
 * day's closing carries over to the next opening.
 */
export function addBusinessMinutes(from: DateTime, minutes: number, policy: Policy): DateTime {
  let left = Math.round(minutes * 60_000);
  let at: DateTime = from.setZone(policy.timezone);
  for (let i = 0; i <= SEARCH_DAYS; i++) {
    const w = businessWindow(at.startOf('day'), policy);
    if (w && at >= w.open && at < w.close) {
      const room = w.close.toMillis() - at.toMillis();
      if (left <= room) return at.plus({ milliseconds: left });
      left -= room;
    } else if (left === 0) return at;
    at = nextBusinessMorning(at, policy);
  }
  throw new Error(`no business day within ${SEARCH_DAYS} days of ${from.toISO()} (businessHours/holidays)`);
}

/**
 * "Next business day" as a deadline: the next business morning (see nextBusinessMorning) plus
 * `businessHours.grace` of business time. An ISO timestamp in UTC.
 */
export function nextBusinessDayDeadline(fromIso: string, policy: Policy): string {
  const from = DateTime.fromISO(fromIso, { zone: 'utc' });
  const morning = nextBusinessMorning(from, policy);
  return addBusinessMinutes(morning, policy.businessHours.grace, policy).toUTC().toISO()!;
}
