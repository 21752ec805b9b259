/**
 * Store requests and capacity units of the alarm path on the DynamoDB adapter (issue 12 part 4): a new alarm always
 * costs the same writes, a redelivery one read after its failed condition, and no index holds a whole incident.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { CapacityTally } from '@alert-router/aws/capacity-meter';
import { ALARM_STEPS, measureAlarmCosts, type StepCost } from './helpers/alarm-costs';

const READS = new Set(['GetItemCommand', 'BatchGetItemCommand', 'QueryCommand']);
const WRITES = new Set(['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand']);
const count = (t: CapacityTally, kinds: Set<string>) => Object.entries(t.requests).reduce((n, [k, v]) => n + (kinds.has(k) ? v : 0), 0);
const indexUnits = (u: Record<string, number>) => Object.entries(u).reduce((n, [k, v]) => n + (k === 'table' ? 0 : v), 0);

describe('what the alarm path costs the table (dynalite, loopback channels)', () => {
  let costs: Record<(typeof ALARM_STEPS)[number], StepCost>;
  beforeAll(async () => {
    costs = (await measureAlarmCosts(3)) as typeof costs;
  }, 60_000);

  it('each step did what it is named after', () => {
    const kinds = Object.fromEntries(ALARM_STEPS.map((s) => [s, [...new Set(costs[s].outcomes)]]));
    expect(kinds).toEqual({
      'new alarm': ['opened'],
      redelivery: ['redelivery'],
      'later ALARM (duplicate)': ['duplicate'],
      'its redelivery': ['redelivery'],
      OK: ['resolved'],
      'OK redelivered': ['redelivery'],
    });
  });

  it('a new alarm always costs the same requests: the latch, the incident with its pages pending, the outcomes', () => {
    for (const t of costs['new alarm'].tallies) {
      expect(t.requests).toEqual({ UpdateItemCommand: 1, PutItemCommand: 2 });
      expect(t.failedConditions).toBe(0);
    }
  });

  it.each(['redelivery', 'its redelivery', 'OK redelivered'] as const)('%s: one failed conditional write, then one read, no other write', (step) => {
    for (const t of costs[step].tallies) {
      expect(t.failedConditions).toBe(1);
      expect(count(t, WRITES)).toBe(1);
      expect(count(t, READS)).toBe(1);
      expect(indexUnits(t.write)).toBe(0);
    }
  });

  it('the row indexes take 1 unit per incident write (a row is under 1 KB), the due index only when the incident moves in it', () => {
    for (const step of ALARM_STEPS)
      for (const t of costs[step].tallies) {
        const incidentWrites = t.requests.PutItemCommand ?? 0;
        for (const index of ['byStatus', 'byDay']) expect(t.write[index] ?? 0).toBeLessThanOrEqual(incidentWrites);
        expect(indexUnits(t.write)).toBeLessThanOrEqual(indexUnits(t.writeIfAll));
      }
    for (const t of costs['new alarm'].tallies) {
      expect(t.write.byDay).toBe(2); // the incident with its pages pending, then with their outcomes
      expect(t.writeIfAll.byDay).toBeGreaterThanOrEqual(4); // the whole incident (over 1 KB), twice
    }
    for (const t of costs['later ALARM (duplicate)'].tallies) expect(t.write.byDue ?? 0).toBe(0); // its due time did not move
    // An index that projected ALL would copy the whole item (its deflated document too) into each index it is in.
    for (const step of ['new alarm', 'OK'] as const) for (const t of costs[step].tallies) expect(indexUnits(t.write)).toBeLessThan(indexUnits(t.writeIfAll));
  });

  it("the model's table units agree with what dynalite reports for the requests it reports on", () => {
    for (const step of ALARM_STEPS)
      for (const t of costs[step].tallies) {
        expect(t.read.table ?? 0).toBe(t.reportedRead.table ?? 0);
        const failed = t.failedConditions; // dynalite reports nothing for a failed condition
        expect((t.write.table ?? 0) - failed).toBe(t.reportedWrite.table ?? 0);
      }
  });
});

describe('on the shipped policy (grouping on)', () => {
  it('every first alarm of a group costs the same requests, and so does every alarm that joins one', async () => {
    const costs = await measureAlarmCosts(3, { grouped: true });
    for (const step of ['new alarm', 'second alarm (joins the group)'] as const) {
      const [first, ...rest] = costs[step]!.tallies;
      expect(costs[step]!.outcomes).toEqual(['opened', 'opened', 'opened']);
      for (const t of rest) expect(t.requests).toEqual(first.requests);
    }
  }, 60_000);
});
