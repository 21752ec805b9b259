/**
 * The business calendar against its former self: packages/core/src/business-calendar.ts (the runtime's time-zone
 * data through @date-fns/tz's tzOffset, ~1 KiB) must give what the luxon version gave (test/helpers/
 * luxon-business-calendar.ts, luxon 69 KiB in every function that computes a P3 deadline) for every deadline, in
 * zones with every kind of clock change: DST at 02:00 and at midnight, 30-minute and 2-hour shifts, negative DST,
 * offsets of :30 and :45. Instants cluster around each zone's clock changes in 2026–2027; calendars are random
 * (seeded: TEST_SEED replays).
 */
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { calendarDateExists, defaultPolicy, nextBusinessDayDeadline, sameDayAt, WEEKDAY_KEYS, type Policy } from '@alert-router/core';
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
let s = seed;
const rnd = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
const hhmm = (minutes: number) => `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;

/** Every instant in 2026–2027 at which `zone`'s offset changes (to the minute). */
function clockChanges(zone: string): number[] {
  const out: number[] = [];
  const offset = (t: number) => DateTime.fromMillis(t, { zone }).offset;
  const end = Date.parse('2028-01-01T00:00:00Z');
  for (let t = Date.parse('2026-01-01T00:00:00Z'); t < end; t += 3_600_000) {
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
function randomCalendar(zone: string): Policy {
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

describe('the business calendar gives what its luxon version gave', () => {
  it.each(ZONES)('%s: the next-business-day deadline at and around every clock change, and at random instants', (zone) => {
    const changes = clockChanges(zone);
    if (zone !== 'UTC' && zone !== 'Asia/Kolkata' && zone !== 'Asia/Kathmandu' && zone !== 'Pacific/Apia')
      expect(changes.length, 'clock changes').toBeGreaterThan(0);
    let compared = 0;
    for (let c = 0; c < 4; c++) {
      const policy = randomCalendar(zone);
      const instants: number[] = [];
      for (const t of changes)
        for (const d of [-86_400_000, -3_600_000, -60_000, -1, 0, 1, 60_000, 1_800_000, 3_600_000, 7_200_000, 86_400_000]) instants.push(t + d);
      for (let k = 0; k < 60; k++) instants.push(Date.parse('2026-01-01T00:00:00Z') + Math.floor(rnd() * 730 * 96) * 900_000);
      for (const t of instants) {
        const at = new Date(t).toISOString();
        expect(nextBusinessDayDeadline(at, policy), `${at} in ${JSON.stringify(policy.businessHours)} holidays ${policy.holidays.join(',')}`).toBe(
          luxonCalendar.nextBusinessDayDeadline(at, policy),
        );
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(200);
  });

  it.each(ZONES)('%s: every wall time of the days around each clock change is the instant luxon sets it to', (zone) => {
    let compared = 0;
    for (const t of clockChanges(zone))
      for (const from of [t - 86_400_000, t - 3_600_000, t - 1, t, t + 3_600_000, t + 86_400_000]) {
        const at = DateTime.fromMillis(from, { zone });
        for (let minutes = 0; minutes < 24 * 60; minutes += 15) {
          const expected = at.set({ hour: Math.floor(minutes / 60), minute: minutes % 60, second: 0, millisecond: 0 }).toMillis();
          expect(sameDayAt(from, minutes, zone), `${hhmm(minutes)} on the day of ${at.toISO()} (${zone})`).toBe(expected);
          compared++;
        }
      }
    if (zone !== 'UTC' && zone !== 'Asia/Kolkata' && zone !== 'Asia/Kathmandu' && zone !== 'Pacific/Apia') expect(compared).toBeGreaterThan(1000);
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
    for (let k = 0; k < 300; k++)
      dates.push(`${1990 + Math.floor(rnd() * 60)}-${String(Math.floor(rnd() * 14)).padStart(2, '0')}-${String(Math.floor(rnd() * 33)).padStart(2, '0')}`);
    for (const d of dates) expect(calendarDateExists(d), d).toBe(DateTime.fromISO(d).isValid);
  });
});
