import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  defaultPolicy,
  loadPolicyFile,
  nextBusinessDayDeadline,
  parsePolicyYaml,
  planEscalation,
  PolicyError,
  responseDeadline,
  type Incident,
  type Policy,
} from '@alert-router/core';

type Calendar = Partial<Pick<Policy, 'timezone' | 'holidays'>> & { businessHours?: Partial<Policy['businessHours']> };

/** The shipped policy with another calendar (Mon–Fri 09:00–17:00, 1 h grace unless changed). */
function policy(c: Calendar = {}): Policy {
  const p = defaultPolicy();
  return { ...p, timezone: c.timezone ?? 'Europe/Berlin', holidays: c.holidays ?? [], businessHours: { ...p.businessHours, ...c.businessHours } };
}

const due = (at: string, c: Calendar = {}) => nextBusinessDayDeadline(at, policy(c));

describe('next business day (P3) = next business morning + grace, in the policy time zone', () => {
  it('the shipped default: UTC, Mon–Fri 09:00–17:00, 1 h grace', () => {
    const p = defaultPolicy();
    expect(p.businessHours).toMatchObject({ days: [1, 2, 3, 4, 5], start: '09:00', end: '17:00', grace: 60 });
    expect(responseDeadline('P3', '2026-11-27T18:00:00.000Z', p)).toBe('2026-11-30T10:00:00.000Z');
  });

  it('Friday evening → Monday morning', () => {
    expect(due('2026-11-27T17:00:00.000Z')).toBe('2026-11-30T09:00:00.000Z'); // Fri 18:00 CET → Mon 10:00 CET
  });

  it('weekend → Monday morning; grace 0 means due at opening', () => {
    expect(due('2026-11-28T11:00:00.000Z')).toBe('2026-11-30T09:00:00.000Z');
    expect(due('2026-11-29T22:59:00.000Z', { businessHours: { grace: 0 } })).toBe('2026-11-30T08:00:00.000Z');
  });

  it('before hours on a business day → that morning; during or after hours → the next', () => {
    expect(due('2026-11-29T23:30:00.000Z')).toBe('2026-11-30T09:00:00.000Z'); // Mon 00:30 → Mon 10:00
    expect(due('2026-11-30T07:59:00.000Z')).toBe('2026-11-30T09:00:00.000Z'); // Mon 08:59 → Mon 10:00
    expect(due('2026-11-30T08:00:00.000Z')).toBe('2026-12-01T09:00:00.000Z'); // Mon 09:00 (open) → Tue
    expect(due('2026-11-30T12:00:00.000Z')).toBe('2026-12-01T09:00:00.000Z');
    expect(due('2026-11-30T20:00:00.000Z')).toBe('2026-12-01T09:00:00.000Z');
  });

  it('holidays: Dec 24 17:00 with Dec 25 off → the business day after (Dec 26 is a Saturday)', () => {
    expect(due('2026-12-24T16:00:00.000Z', { holidays: ['2026-12-25'] })).toBe('2026-12-28T09:00:00.000Z');
    expect(due('2026-12-24T16:00:00.000Z', { holidays: ['2026-12-25', '2026-12-28'] })).toBe('2026-12-29T09:00:00.000Z');
    expect(due('2026-12-24T16:00:00.000Z')).toBe('2026-12-25T09:00:00.000Z'); // without the holiday: Friday
    // before hours on a holiday: not that morning
    expect(due('2026-12-25T05:00:00.000Z', { holidays: ['2026-12-25'] })).toBe('2026-12-28T09:00:00.000Z');
  });

  it('DST spring forward (Europe/Berlin, Sunday 29 March 2026): Monday opens at 09:00 CEST = 07:00Z', () => {
    expect(due('2026-03-27T17:00:00.000Z')).toBe('2026-03-30T08:00:00.000Z'); // Fri 18:00 CET → Mon 10:00 CEST
    expect(due('2026-03-27T17:00:00.000Z', { businessHours: { grace: 0 } })).toBe('2026-03-30T07:00:00.000Z');
  });

  it('DST fall back (Europe/Berlin, Sunday 25 October 2026): Monday opens at 09:00 CET = 08:00Z', () => {
    expect(due('2026-10-23T16:00:00.000Z')).toBe('2026-10-26T09:00:00.000Z'); // Fri 18:00 CEST → Mon 10:00 CET
  });

  it('an opening inside the spring-forward gap moves forward by the gap (America/New_York, 8 March 2026)', () => {
    const c: Calendar = { timezone: 'America/New_York', businessHours: { days: [7], start: '02:30', end: '06:00', grace: 0 } };
    // Saturday 7 March 12:00 EST → Sunday 02:30 does not exist → 03:30 EDT = 07:30Z
    expect(due('2026-03-07T17:00:00.000Z', c)).toBe('2026-03-08T07:30:00.000Z');
    // fall back, 1 November 2026: 02:30 happens once (EST) after 01:xx twice
    expect(due('2026-10-31T17:00:00.000Z', c)).toBe('2026-11-01T07:30:00.000Z');
  });

  it('two time zones: the same instant is due at different moments', () => {
    const ny: Calendar = { timezone: 'America/New_York' };
    // 06:00Z Monday = 07:00 Berlin (before hours) = 01:00 New York (before hours)
    expect(due('2026-11-30T06:00:00.000Z')).toBe('2026-11-30T09:00:00.000Z');
    expect(due('2026-11-30T06:00:00.000Z', ny)).toBe('2026-11-30T15:00:00.000Z');
    // 20:00Z Monday = 21:00 Berlin (after hours) = 15:00 New York (during hours): both Tuesday, 6 h apart
    expect(due('2026-11-30T20:00:00.000Z')).toBe('2026-12-01T09:00:00.000Z');
    expect(due('2026-11-30T20:00:00.000Z', ny)).toBe('2026-12-01T15:00:00.000Z');
    // 03:00Z Saturday = Friday 22:00 in New York (after hours) → Monday there; Saturday in Berlin → Monday
    expect(due('2026-11-28T03:00:00.000Z', ny)).toBe('2026-11-30T15:00:00.000Z');
  });

  it('hours per weekday, and a grace longer than a short day carries over in business time (end is read)', () => {
    const c: Calendar = { businessHours: { perDay: { fri: { start: '09:00', end: '10:00' } }, grace: 120 } };
    // Thu 18:00 → Fri 09:00 + 2 h business time: 1 h on Friday (closes 10:00), 1 h on Monday → Mon 10:00 CET
    expect(due('2026-11-26T17:00:00.000Z', c)).toBe('2026-11-30T09:00:00.000Z');
    expect(due('2026-11-26T17:00:00.000Z', { businessHours: { perDay: { fri: { start: '07:00', end: '17:00' } } } })).toBe('2026-11-27T07:00:00.000Z');
  });

  it('an escalation step waiting for the next business day uses the same calendar', () => {
    const p = policy({ holidays: ['2026-12-25'] });
    const incident = {
      status: 'open',
      silencedBy: null,
      escalation: { step: 0, count: 0, nextAt: '2026-12-24T16:00:00.000Z', chain: [{ notify: ['email'], tier: 'team', repeat: 2, afterMinutes: null }] },
    } as unknown as Incident;
    const plan = planEscalation(incident, '2026-12-24T16:00:00.000Z', p);
    expect(plan.kind === 'step' && plan.next.nextAt).toBe('2026-12-28T09:00:00.000Z');
  });
});

describe('responseDeadline remembers P3 deadlines by stretch between openings', () => {
  it('gives what the calendar walk gives, at and around every opening and at random instants (seeded)', () => {
    const seed = Number(process.env.TEST_SEED ?? Date.now() % 100_000);
    console.log(`business-calendar memo seed: ${seed} (TEST_SEED to replay)`);
    let s = seed || 1;
    const rnd = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
    const calendars: Calendar[] = [
      {},
      { timezone: 'America/New_York', businessHours: { start: '08:30', end: '16:45', grace: 90 } },
      { timezone: 'Asia/Kolkata', holidays: ['2026-03-30'] }, // a +05:30 zone
    ];
    for (const c of calendars) {
      const p = {
        ...policy(c),
        severities: { ...defaultPolicy().severities, P3: { ...defaultPolicy().severities.P3, responseTime: 'next-business-day' as const } },
      };
      const instants: number[] = [];
      // Around the openings of a fortnight that crosses the spring DST change (Europe 29 March, US 8 March).
      for (let d = 0; d < 14; d++)
        for (const open of ['07:00:00', '08:00:00', '08:30:00', '09:00:00', '12:30:00', '13:30:00']) {
          const t = Date.parse(`2026-03-${String(23 + (d % 9)).padStart(2, '0')}T${open}.000Z`);
          instants.push(t - 1, t, t + 1, t + 59_999, t + 60_000);
        }
      for (let k = 0; k < 300; k++) instants.push(Date.parse('2026-03-01T00:00:00.000Z') + Math.floor(rnd() * 60 * 86_400_000));
      // Ascending (as the digest asks), then in the seeded order: remembered stretches must hold either way.
      instants.push(...[...instants].sort((a, b) => a - b));
      for (const t of instants) {
        const at = new Date(t).toISOString();
        expect(responseDeadline('P3', at, p), at).toBe(nextBusinessDayDeadline(at, p));
      }
    }
  });
});

describe('the calendar is validated at load; errors name the key', () => {
  const base = `version: 1\nseverities:\n${['P0', 'P1', 'P2', 'P3'].map((s) => `  ${s}: { label: ${s}, channels: [dashboard], responseTime: next-business-day }`).join('\n')}\n`;
  const errorOf = (extra: string) => {
    try {
      parsePolicyYaml(base + extra, 'policy.yaml');
    } catch (err) {
      expect(err).toBeInstanceOf(PolicyError);
      return (err as Error).message;
    }
    throw new Error('expected a PolicyError');
  };

  it('holidays and business hours as written', () => {
    const p = parsePolicyYaml(
      `${base}timezone: Europe/Berlin\nholidays: [2026-12-25, "2026-12-26"]\nbusinessHours: { days: [1,2,3,4,5], start: "08:30", end: "17:00", grace: 30m, perDay: { fri: { start: "08:30", end: "14:00" } } }\n`,
    );
    expect(p.holidays).toEqual(['2026-12-25', '2026-12-26']);
    expect(p.businessHours.grace).toBe(30);
    expect(p.businessHours.perDay.fri).toEqual({ start: '08:30', end: '14:00' });
  });

  it.each([
    ['holidays: [2026-02-30]', 'policy.yaml: holidays[0]: expected a date YYYY-MM-DD'],
    ['holidays: ["25.12.2026"]', 'policy.yaml: holidays[0]: expected a date YYYY-MM-DD'],
    ['businessHours: { days: [1], start: "17:00", end: "09:00" }', 'policy.yaml: businessHours.end: expected a time after start (17:00), got "09:00"'],
    [
      'businessHours: { days: [1], start: "09:00", end: "17:00", perDay: { sat: { start: "10:00", end: "12:00" } } }',
      'policy.yaml: businessHours.perDay.sat: sat is not a business day (add 6 to businessHours.days)',
    ],
    [
      'businessHours: { days: [1], start: "09:00", end: "17:00", perDay: { mon: { start: "10:00", end: "09:00" } } }',
      'policy.yaml: businessHours.perDay.mon.end: expected a time after start (10:00), got "09:00"',
    ],
    [
      'businessHours: { days: [1], start: "09:00", end: "17:00", perDay: { monday: { start: "10:00", end: "12:00" } } }',
      /^policy\.yaml: businessHours\.perDay\.monday: /,
    ],
    [
      'businessHours: { days: [1], start: "09:00", end: "17:00", grace: 1 hour }',
      'policy.yaml: businessHours.grace: expected a duration like 0m, 30m or 1h, got "1 hour"',
    ],
    ['businessHours: { days: [1], start: "9:00", end: "17:00" }', 'policy.yaml: businessHours.start: expected HH:MM (24 h)'],
    ['timezone: Mars/Olympus', 'policy.yaml: timezone: unknown time zone "Mars/Olympus"'],
    ['holidaysFile: no-such.ics', 'policy.yaml: holidaysFile: cannot use "no-such.ics" (ENOENT)'],
  ])('%s', (extra, message) => {
    if (typeof message === 'string') expect(errorOf(extra)).toBe(message);
    else expect(errorOf(extra)).toMatch(message);
  });

  it('holidaysFile: an iCalendar file beside the policy, recurring and multi-day events expanded', () => {
    const dir = mkdtempSync(join(tmpdir(), 'holidays-'));
    writeFileSync(
      join(dir, 'holidays.ics'),
      [
        'BEGIN:VCALENDAR',
        'VERSION:2.0',
        'PRODID:-//test//EN',
        'BEGIN:VEVENT',
        'UID:xmas@test',
        'DTSTART;VALUE=DATE:20251225',
        'DTEND;VALUE=DATE:20251227',
        'RRULE:FREQ=YEARLY',
        'SUMMARY:Christmas',
        'END:VEVENT',
        'BEGIN:VEVENT',
        'UID:closure@test',
        'DTSTART;VALUE=DATE:20261228',
        'DTEND;VALUE=DATE:20261231',
        'SUMMARY:Office closed',
        'END:VEVENT',
        'END:VCALENDAR',
        '',
      ].join('\r\n'),
    );
    writeFileSync(join(dir, 'policy.yaml'), `${base}timezone: Europe/Berlin\nholidays: [2027-01-01]\nholidaysFile: holidays.ics\n`);
    const p = loadPolicyFile(join(dir, 'policy.yaml'));
    expect(p.holidays).toEqual(
      expect.arrayContaining(['2025-12-25', '2025-12-26', '2026-12-25', '2026-12-26', '2026-12-28', '2026-12-29', '2026-12-30', '2027-01-01', '2099-12-25']),
    );
    expect(p.holidays).not.toContain('2026-12-27');
    expect(p.holidays).not.toContain('2026-12-31');
    // Thu Dec 24 17:00 → Fri 25, Mon 28–Wed 30, Thu 31 opens
    expect(responseDeadline('P3', '2026-12-24T16:00:00.000Z', p)).toBe('2026-12-31T09:00:00.000Z');

    writeFileSync(join(dir, 'bad.ics'), 'this is not a calendar');
    writeFileSync(join(dir, 'bad.yaml'), `${base}holidaysFile: bad.ics\n`);
    expect(() => loadPolicyFile(join(dir, 'bad.yaml'))).toThrow(/bad\.yaml: holidaysFile: cannot use "bad\.ics" \(.+\)$/);
  });
});
