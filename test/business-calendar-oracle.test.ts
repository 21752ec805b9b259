/**
 * The business calendar against its former self: packages/core/src/business-calendar.ts (the runtime's time-zone
 * data, read through `Intl`) must give what the luxon version gave (test/helpers/luxon-business-calendar.ts; luxon
 * was 69 KiB of every function that computes a P3 deadline). Deadlines are compared at and around each clock change
 * of 2026–2027 (11 moments around each) and at random instants, under random calendars, in zones with DST at 02:00
 * and at midnight, 30-minute and 2-hour shifts, negative DST, offsets of :30 and :45, and four without changes in
 * those years; wall times are compared on the days around each change, also in years with offsets of seconds and
 * of −00:44:30 and the day Samoa skipped. Random choices are seeded per case (the seed is printed; TEST_SEED
 * replays it, one case alone too).
 */
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { calendarDateExists, defaultPolicy, nextBusinessDayDeadline, offsetAt, sameDayAt, WEEKDAY_KEYS, type Policy } from '@alert-router/core';
import * as luxonCalendar from './helpers/luxon-business-calendar';

const ZONES = [
  'UTC',
  'Europe/Berlin',
  'Europe/Dublin', // negative DST in the tz data: winter is the "daylight" offset
  'America/New_York',
  'America/Santiago', // clocks change at midnight: some days have no 00:00
  'America/Havana', // and at 00:00 / 01:00
  'America/St_Johns', // −03:30 / −02:30
  'Australia/Lord_Howe', // a 30-minute DST
  'Antarctica/Troll', // a 2-hour DST
  'Pacific/Chatham', // +12:45 / +13:45
  'Asia/Kolkata', // +05:30, no DST
  'Asia/Kathmandu', // +05:45
  'Africa/Casablanca', // clocks go back for Ramadan and forward after it
  'Pacific/Apia',
];

const seed = Number(process.env.TEST_SEED ?? Date.now() % 100_000) || 1;
console.log(`business-calendar oracle seed: ${seed} (TEST_SEED to replay)`);

/** A generator for one case: seeded by the run's seed and the case's name, so that a case replays alone. */
function generator(name: string) {
  let s = seed;
  for (let k = 0; k < name.length; k++) s = Math.imul(s ^ name.charCodeAt(k), 16777619) >>> 0;
  const rnd = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  return { rnd, pick: <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] };
}
type Generator = ReturnType<typeof generator>;
const hhmm = (minutes: number) => `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;

/** Every instant of the years [from, to) at which `zone`'s offset changes (to the minute). */
function clockChanges(zone: string, from = 2026, to = 2028): number[] {
  const out: number[] = [];
  const offset = (t: number) => DateTime.fromMillis(t, { zone }).offset;
  const end = Date.UTC(to, 0, 1);
  for (let t = Date.UTC(from, 0, 1); t < end; t += 3_600_000) {
    if (offset(t) === offset(t + 3_600_000)) continue;
    let lo = t;
    let hi = t + 3_600_000;
    while (hi - lo > 60_000) {
      const mid = lo + Math.floor((hi - lo) / 120_000) * 60_000;
      if (offset(mid) === offset(lo)) lo = mid;
      else hi = mid;
    }
    out.push(hi);
  }
  return out;
}

/** Hours that open or close near the night (where clocks change) as often as in the day, a grace from 0 to 10 h. */
function randomCalendar(zone: string, { rnd, pick }: Generator): Policy {
  const p = defaultPolicy();
  const start = pick([0, 30, 60, 90, 120, 150, 180, 9 * 60, 8 * 60 + 30, 22 * 60 + 45]);
  const end = Math.min(24 * 60 - 1, start + pick([30, 60, 150, 8 * 60, 12 * 60, 23 * 60]));
  const days = [1, 2, 3, 4, 5, 6, 7].filter(() => rnd() < 0.7);
  if (days.length === 0) days.push(pick([1, 2, 3, 4, 5, 6, 7]));
  const perDay: Policy['businessHours']['perDay'] = {};
  for (const d of days)
    if (rnd() < 0.25) {
      const open = pick([0, 60, 120, 150]);
      perDay[WEEKDAY_KEYS[d - 1]] = { start: hhmm(open), end: hhmm(open + pick([30, 90, 300])) };
    }
  const holidays = Array.from({ length: Math.floor(rnd() * 6) }, () =>
    new Date(Date.parse('2026-01-01') + Math.floor(rnd() * 730) * 86_400_000).toISOString().slice(0, 10),
  );
  const grace = pick([0, 0, 1, 45, 60, 90, 600]);
  return { ...p, timezone: zone, holidays, businessHours: { ...p.businessHours, days, start: hhmm(start), end: hhmm(end), grace, perDay } };
}

/** Zones with no clock change in 2026–2027. */
const UNCHANGING = new Set(['UTC', 'Asia/Kolkata', 'Asia/Kathmandu', 'Pacific/Apia']);
/** Moments around each clock change at which a deadline is asked. */
const AROUND = [-86_400_000, -3_600_000, -60_000, -1, 0, 1, 60_000, 1_800_000, 3_600_000, 7_200_000, 86_400_000];

/** The deadline of each instant, against the luxon version's; how many were compared. */
function compareDeadlines(instants: number[], policy: Policy): number {
  for (const t of instants) {
    const at = new Date(t).toISOString();
    expect(nextBusinessDayDeadline(at, policy), `${at} in ${JSON.stringify(policy.businessHours)} holidays ${policy.holidays.join(',')}`).toBe(
      luxonCalendar.nextBusinessDayDeadline(at, policy),
    );
  }
  return instants.length;
}

/** Every quarter hour of the days around each change, from moments on both sides of it, against luxon's `set`. */
function compareWallTimes(zone: string, changes: number[]): number {
  let compared = 0;
  for (const t of changes)
    for (const from of [t - 86_400_000, t - 3_600_000, t - 1, t, t + 3_600_000, t + 86_400_000]) {
      const at = DateTime.fromMillis(from, { zone });
      for (let minutes = 0; minutes < 24 * 60; minutes += 15) {
        const expected = at.set({ hour: Math.floor(minutes / 60), minute: minutes % 60, second: 0, millisecond: 0 }).toMillis();
        expect(sameDayAt(from, minutes, zone), `${hhmm(minutes)} on the day of ${at.toISO()} (${zone})`).toBe(expected);
        compared++;
      }
    }
  return compared;
}

describe('the business calendar gives what its luxon version gave', () => {
  it.each(ZONES)('%s: the next-business-day deadline at and around every clock change, and at random instants', (zone) => {
    const g = generator(`deadlines ${zone}`);
    const changes = clockChanges(zone);
    if (!UNCHANGING.has(zone)) expect(changes.length, 'clock changes').toBeGreaterThan(0);
    let compared = 0;
    for (let c = 0; c < 4; c++) {
      const policy = randomCalendar(zone, g);
      const instants: number[] = [];
      for (const t of changes) for (const d of AROUND) instants.push(t + d);
      for (let k = 0; k < 60; k++) instants.push(Date.parse('2026-01-01T00:00:00Z') + Math.floor(g.rnd() * 730 * 96) * 900_000);
      compared += compareDeadlines(instants, policy);
    }
    expect(compared).toBeGreaterThan(200);
  });

  it.each(ZONES)('%s: every wall time of the days around each clock change is the instant luxon sets it to', (zone) => {
    const compared = compareWallTimes(zone, clockChanges(zone));
    if (!UNCHANGING.has(zone)) expect(compared).toBeGreaterThan(1000);
  });

  it.each([
    ['Africa/Monrovia', 1970, 1973], // −00:44:30 until 1972-01-07, then UTC
    ['America/New_York', 1883, 1884], // local mean time (−04:56:02) until 18 November 1883
    ['Pacific/Apia', 2011, 2012], // Samoa skipped 30 December 2011
  ] as const)('%s in %i–%i: wall times and deadlines around its odd changes', (zone, from, to) => {
    const changes = clockChanges(zone, from, to);
    expect(changes.length).toBeGreaterThan(0);
    expect(compareWallTimes(zone, changes)).toBeGreaterThan(500);
    const g = generator(`history ${zone}`);
    let compared = 0;
    for (let c = 0; c < 4; c++) {
      const policy = randomCalendar(zone, g);
      compared += compareDeadlines(
        changes.flatMap((t) => AROUND.map((d) => t + d)),
        policy,
      );
    }
    expect(compared).toBeGreaterThan(40);
  });

  it('reads an offset of −00:44:30 as negative (Monrovia, 1971)', () => {
    const t = Date.parse('1971-06-01T00:00:00Z');
    expect(offsetAt('Africa/Monrovia', t)).toBe(-44.5);
    expect(offsetAt('Africa/Monrovia', t)).toBe(DateTime.fromMillis(t, { zone: 'Africa/Monrovia' }).offset);
    expect(offsetAt('Asia/Kathmandu', t)).toBe(330);
    expect(offsetAt('UTC', t)).toBe(0);
  });

  it('a calendar date exists exactly when luxon reads it as one', () => {
    const dates = [
      '2026-02-28',
      '2026-02-29',
      '2028-02-29',
      '2100-02-29',
      '2000-02-29',
      '2026-04-31',
      '2026-12-31',
      '2026-13-01',
      '2026-00-10',
      '2026-01-00',
      '0050-01-01',
      '9999-12-31',
    ];
    const { rnd } = generator('dates');
    for (let k = 0; k < 300; k++)
      dates.push(`${1990 + Math.floor(rnd() * 60)}-${String(Math.floor(rnd() * 14)).padStart(2, '0')}-${String(Math.floor(rnd() * 33)).padStart(2, '0')}`);
    for (const d of dates) expect(calendarDateExists(d), d).toBe(DateTime.fromISO(d).isValid);
  });
});
