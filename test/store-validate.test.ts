import { describe, expect, it } from 'vitest';
import { validIncident, validRow } from '../packages/aws/src/store/validate';
import { rowOf } from '../packages/aws/src/store/row';
import { makeGroup } from './helpers/group-factory';

/** A stored record as a store reads it back: plain JSON, with fields this build does not name. */
const stored = (x: unknown) => JSON.parse(JSON.stringify(x)) as Record<string, unknown>;

describe('validIncident / validRow: stored records checked on read', () => {
  it('returns the very record it was given, every field kept (nested unknown ones too)', () => {
    const item = stored({
      ...makeGroup(['A', 'B'], { deliveries: { slack: { status: 'delivered', attempts: 1, at: '2024-01-15T10:00:04.000Z' } } }),
      futureField: { a: 1 },
    });
    (item.alarm as Record<string, unknown>).extra = 'kept';
    (item.deliveries as Record<string, Record<string, unknown>>).slack.ts = '1700000000.000100';
    (item.timeline as Record<string, unknown>[])[0].note = 'kept';
    (item.members as Record<string, unknown>[])[1].later = 2;
    const before = stored(item);
    const out = validIncident(item);
    expect(out).toBe(item);
    // Nothing was stripped from the record itself, at any depth.
    expect(item).toEqual(before);
    expect((out as unknown as { futureField: unknown }).futureField).toEqual({ a: 1 });
    expect((out.alarm as unknown as { extra: string }).extra).toBe('kept');
    expect((out.timeline[0] as unknown as { note: string }).note).toBe('kept');
  });

  it('refuses a damaged record, naming the field, at the top and nested', () => {
    const good = stored(makeGroup(['A', 'B']));
    expect(() => validIncident({ ...good, severity: 'P9' })).toThrow(/is not valid: severity/);
    expect(() => validIncident({ ...good, deliveries: { slack: { status: 'sent', attempts: 1, at: 'x' } } })).toThrow(
      /is not valid: deliveries\.slack\.status/,
    );
    expect(() => validIncident({ ...good, timeline: [{ at: 5, type: 'opened' }] })).toThrow(/is not valid: timeline\.0\.at/);
    const members = (good.members as Record<string, unknown>[]).map((m, i) => (i === 1 ? { ...m, state: 'gone' } : m));
    expect(() => validIncident({ ...good, members })).toThrow(/is not valid: members\.1\.state/);
    expect(() => validIncident({ ...good, alarm: { kind: 7 } })).toThrow(/is not valid: alarm\.kind/);
  });

  it('checks a listing row on the fields it has, keeping the rest', () => {
    const row = stored({ ...rowOf(makeGroup(['A', 'B'])), later: true });
    expect(validRow(row)).toBe(row);
    expect(() => validRow({ ...row, groupSize: { alarms: -1, recovered: 0 } })).toThrow(/is not valid: groupSize\.alarms/);
  });
});
