import type { Policy } from './policy';

/** ISO weekday (Monday = 1) → the key used under `businessHours.perDay`. */
export const WEEKDAY_KEYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type WeekdayKey = (typeof WEEKDAY_KEYS)[number];

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/** `HH:MM` → minutes after local midnight. */
export function minutesOfDay(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return h * 60 + m;
}

/** The business hours of an ISO weekday (`perDay` wins over `start`/`end`), or null when it is not a business day. */
export function hoursOf(weekday: number, policy: Policy): { start: string; end: string } | null {
  const bh = policy.businessHours;
  if (!bh.days.includes(weekday)) return null;
  return bh.perDay[WEEKDAY_KEYS[weekday - 1]] ?? { start: bh.start, end: bh.end };
}

const holidaySets = new WeakMap<Policy['holidays'], Set<string>>();

/** Whether a local date (`yyyy-MM-dd` in the policy's zone) is a holiday. */
export function isHoliday(date: string, policy: Policy): boolean {
  let set = holidaySets.get(policy.holidays);
  if (!set) holidaySets.set(policy.holidays, (set = new Set(policy.holidays)));
  return set.has(date);
}

const offsetFormats = new Map<string, Intl.DateTimeFormat>();

/**
 * The offset of `zone` from UTC at instant `t`, in minutes (+60 in Berlin in winter, −296.03 in New York before
 * 1883), from the runtime's time-zone data: `Intl` writes it as `GMT+05:30`, `GMT-00:44:30` or `GMT` alone. Read
 * here rather than with @date-fns/tz's `tzOffset`, which does the same but takes `-00:44:30` for +44.5 minutes.
 */
export function offsetAt(zone: string, t: number): number {
  let format = offsetFormats.get(zone);
  if (!format) offsetFormats.set(zone, (format = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' })));
  const offset = format.format(t).split('GMT')[1];
  if (!offset) return 0;
  const [h, m = 0, sec = 0] = offset.slice(1).split(':').map(Number);
  const minutes = h * 60 + m + sec / 60;
  return offset[0] === '-' ? -minutes : minutes;
}

/** Whether `yyyy-MM-dd` names a day of the calendar (2026-02-30 does not). */
export function calendarDateExists(ymd: string): boolean {
  const [y, m, d] = ymd.split('-').map(Number);
  const t = new Date(0);
  t.setUTCFullYear(y, m - 1, d); // not Date.UTC, which reads years 0–99 as 1900–1999
  return t.getUTCFullYear() === y && t.getUTCMonth() === m - 1 && t.getUTCDate() === d;
}

const floorDay = (wallMs: number) => wallMs - (((wallMs % DAY_MS) + DAY_MS) % DAY_MS);

/**
 * The instant of a wall time (`wallMs`: its fields read as UTC) in `zone`, found as luxon finds it (its
 * `fixOffset`), so that every deadline stays the one it gave: read with the offset `hint` first, then with the
 * offset found there. Where the wall time happens twice (clocks going back), the hint picks which; where it does not
 * happen (clocks going forward), it is moved forward by the gap: 02:30 on a spring-forward night in New York is
 * 03:30 EDT.
 */
function instantOfWall(wallMs: number, hint: number, zone: string): number {
  let t = wallMs - hint * MINUTE_MS;
  const o2 = offsetAt(zone, t);
  if (o2 === hint) return t;
  t -= (o2 - hint) * MINUTE_MS;
  const o3 = offsetAt(zone, t);
  if (o3 === o2) return t;
  return wallMs - Math.min(o2, o3) * MINUTE_MS;
}

/**
 * The instant at which `zone`'s clocks show `minutes` after the midnight of the date they show at `at`, with the
 * offset at `at` as the hint (luxon's `set`): the opening of a day after the hour that repeats at midnight is the
 * one on the same side of the change as `at`.
 */
export function sameDayAt(at: number, minutes: number, zone: string): number {
  const hint = offsetAt(zone, at);
  return instantOfWall(floorDay(at + hint * MINUTE_MS) + minutes * MINUTE_MS, hint, zone);
}

/** The start of the next local day after `day` (a start of day): luxon's `plus({ days: 1 }).startOf('day')`. */
function nextDay(day: number, zone: string): number {
  const hint = offsetAt(zone, day);
  return sameDayAt(instantOfWall(day + hint * MINUTE_MS + DAY_MS, hint, zone), 0, zone);
}

/** Opening and closing of business on the local date of `day` (a start of day), or null on days off and holidays. */
function businessWindow(day: number, policy: Policy): { open: number; close: number } | null {
  const zone = policy.timezone;
  const date = new Date(floorDay(day + offsetAt(zone, day) * MINUTE_MS));
  const hours = hoursOf(date.getUTCDay() || 7, policy);
  if (!hours || isHoliday(date.toISOString().slice(0, 10), policy)) return null;
  return { open: sameDayAt(day, minutesOfDay(hours.start), zone), close: sameDayAt(day, minutesOfDay(hours.end), zone) };
}

/** Far enough to cross any run of weekends and holidays a sane policy has; the policy refuses a calendar with no business day. */
const SEARCH_DAYS = 400;

const noBusinessDay = (fromMs: number) => new Error(`no business day within ${SEARCH_DAYS} days of ${new Date(fromMs).toISOString()} (businessHours/holidays)`);

/** The first opening of business strictly after `fromMs` (an alarm before hours on a business day gets that morning). */
export function nextBusinessMorning(fromMs: number, policy: Policy): number {
  let day = sameDayAt(fromMs, 0, policy.timezone);
  for (let i = 0; i <= SEARCH_DAYS; i++, day = nextDay(day, policy.timezone)) {
    const w = businessWindow(day, policy);
    if (w && w.open > fromMs) return w.open;
  }
  throw noBusinessDay(fromMs);
}

/**
 * `minutes` of business time after `fromMs` (which is inside business hours or at an opening): what is left at a
 * day's closing carries over to the next opening.
 */
export function addBusinessMinutes(fromMs: number, minutes: number, policy: Policy): number {
  let left = Math.round(minutes * MINUTE_MS);
  let at = fromMs;
  for (let i = 0; i <= SEARCH_DAYS; i++) {
    const w = businessWindow(sameDayAt(at, 0, policy.timezone), policy);
    if (w && at >= w.open && at < w.close) {
      const room = w.close - at;
      if (left <= room) return at + left;
      left -= room;
    } else if (left === 0) return at;
    at = nextBusinessMorning(at, policy);
  }
  throw noBusinessDay(fromMs);
}

/**
 * A timestamp as the router writes them (ISO 8601, extended: `2026-03-08T10:00:00.000Z`, or with `+00:00` or
 * `+0000`), as epoch ms; one with a time but no zone is read as UTC, where `Date.parse` would use the machine's zone.
 */
export function parseUtc(timestamp: string): number {
  const t = Date.parse(/T[\d:.]+$/.test(timestamp) ? `${timestamp}Z` : timestamp);
  if (Number.isNaN(t)) throw new Error(`not a timestamp: ${JSON.stringify(timestamp)}`);
  return t;
}

/**
 * "Next business day" as a deadline: the next business morning (see nextBusinessMorning) plus
 * `businessHours.grace` of business time. An ISO timestamp in UTC.
 */
export function nextBusinessDayDeadline(fromIso: string, policy: Policy): string {
  const morning = nextBusinessMorning(parseUtc(fromIso), policy);
  return new Date(addBusinessMinutes(morning, policy.businessHours.grace, policy)).toISOString();
}
