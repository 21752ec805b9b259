/**
 * The bounded read of unresolved incidents behind the dashboard and `/incident list`: never more than `scan`
 * incidents read per call, pages that reach every matching incident once (newest first) through `next`, and a
 * Slack list that says "N+" when it saw only the newest.
 */
import { describe, expect, it } from 'vitest';
import type { Incident, Severity } from '@alert-router/core';
import { scanUnresolved, sortKeyOf } from '../packages/aws/src/api/unresolved-scan';
import { listReply } from '../packages/aws/src/slack/replies';
import { makeIncident } from './helpers/incident-factory';

const SEED = Number(process.env.TEST_SEED ?? Date.now() % 100_000);

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** A store holding `n` unresolved incidents that answers listUnresolved as the port says, counting what it reads. */
function fakeStore(n: number, rnd: () => number) {
  const sev: Severity[] = ['P0', 'P1', 'P2', 'P3'];
  const all: Incident[] = Array.from({ length: n }, (_, k) => {
    const openedAt = new Date(Date.UTC(2026, 11, 1) - Math.floor(rnd() * 86_400_000)).toISOString();
    return makeIncident({
      id: `INC-${String(k).padStart(8, '0')}`,
      openedAt,
      severity: sev[Math.floor(rnd() * 4)],
      status: rnd() < 0.3 ? 'acknowledged' : 'open',
    });
  }).sort((a, b) => (sortKeyOf(a) < sortKeyOf(b) ? 1 : -1));
  const reads = { calls: 0, incidents: 0 };
  return {
    all,
    reads,
    listUnresolved(limit = 500, before?: string): Promise<Incident[]> {
      const out = all.filter((i) => !before || sortKeyOf(i) < before).slice(0, limit);
      reads.calls++;
      reads.incidents += out.length;
      return Promise.resolve(out);
    },
  };
}

describe('scanUnresolved', () => {
  it(`pages through every matching incident once, newest first, reading at most "scan" per page (seed ${SEED})`, async () => {
    console.log(`unresolved-scan seed: ${SEED} (TEST_SEED to replay)`);
    const store = fakeStore(1234, rng(SEED));
    const keep = (i: Incident) => i.severity === 'P1' || i.severity === 'P0';
    const want = store.all.filter(keep).map((i) => i.id);
    const seen: string[] = [];
    let before: string | null = null;
    for (let pages = 0; ; pages++) {
      expect(pages).toBeLessThan(100);
      store.reads.incidents = 0;
      const r: Awaited<ReturnType<typeof scanUnresolved<Incident>>> = await scanUnresolved(store, keep, { page: 50, scan: 300, chunk: 70, before });
      expect(store.reads.incidents).toBeLessThanOrEqual(301); // the one past the budget says whether there are more
      seen.push(...r.matched.slice(0, 50).map((i) => i.id));
      if (!r.next) {
        expect(r.exhausted).toBe(true);
        break;
      }
      before = r.next;
    }
    expect(seen).toEqual(want);
  });

  it('says whether it read everything: exhausted with a small set, not when the scan budget ran out', async () => {
    const small = fakeStore(40, rng(SEED + 1));
    const r = await scanUnresolved(small, () => true, { page: 100, scan: 500 });
    expect(r).toMatchObject({ exhausted: true, next: null });
    expect(small.reads.calls).toBe(1);
    expect(r.matched).toHaveLength(40);
    const big = fakeStore(900, rng(SEED + 2));
    const b = await scanUnresolved(big, () => true, { page: 500, scan: 500 });
    expect(b.exhausted).toBe(false);
    expect(b.matched).toHaveLength(500);
    expect(big.reads.incidents).toBe(501);
    // Exactly the budget: all read, and known to be all.
    const exact = await scanUnresolved(fakeStore(500, rng(SEED + 3)), () => true, { page: 100, scan: 500 });
    expect(exact.exhausted).toBe(true);
    expect(exact.matched).toHaveLength(500);
  });
});

describe('/incident list when there are more than it reads', () => {
  it('says "N+ unresolved incidents (the newest N)" and still lists the most severe first', () => {
    const items = [makeIncident({ id: 'INC-AAAAAAA1', severity: 'P2' }), makeIncident({ id: 'INC-AAAAAAA2', severity: 'P0' })];
    const now = new Date('2024-01-15T11:00:00.000Z');
    const truncated = listReply(items, null, now, null, true).text;
    expect(truncated).toMatch(/^\*2\+ unresolved incidents\* \(the newest 2\)/);
    expect(truncated.indexOf('INC-AAAAAAA2')).toBeLessThan(truncated.indexOf('INC-AAAAAAA1'));
    expect(listReply(items.slice(0, 1), null, now, null).text).toMatch(/^\*1 unresolved incident\*\n/);
  });

  it('a group says how many alarms it holds', () => {
    const group = makeIncident({
      id: 'INC-GRP00001',
      members: ['A', 'B', 'C'].map((n) => ({
        incidentKey: n,
        alarmName: n,
        severity: 'P0' as const,
        state: 'firing' as const,
        episodeId: `INC-${n}0000000`,
        firedAt: '2024-01-15T10:05:00.000Z',
        joinedAt: '2024-01-15T10:05:00.000Z',
        recoveredAt: null,
        fired: 1,
        reason: null,
      })),
    });
    expect(listReply([group], null, new Date('2024-01-15T11:00:00.000Z'), null).text).toContain('HighErrorRate (3 alarms)');
  });
});
