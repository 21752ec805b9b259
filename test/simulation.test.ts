import { describe, expect, it } from 'vitest';
import { dynaliteForSim } from './simulation/dynalite-store';
import { simulate, type SimResult } from './simulation/sim';
import { noTurnsSeen, sqliteForSeed, sqliteVariant } from './simulation/sqlite-variants';

const SEEDS = Number(process.env.SIM_SEEDS ?? 500);
const DYNALITE_SEEDS = Number(process.env.SIM_DYNALITE_SEEDS ?? 6);
const SQLITE_SEEDS = Number(process.env.SIM_SQLITE_SEEDS ?? 200);
const GROUPED_SEEDS = Number(process.env.SIM_GROUPED_SEEDS ?? 300);
const FIRST = Number(process.env.SIM_FIRST_SEED ?? 1);

function report(r: SimResult): string {
  return `seed ${r.seed} broke ${r.violations.length} invariant(s):\n  ${r.violations.join('\n  ')}\nreplay: npm run simulate -- --seed ${r.seed} --trace\n${r.trace.slice(-400).join('\n')}`;
}

describe('deterministic simulation: concurrent ALARM/OK copies, redeliveries, sweeps, acks, channel faults, crashes, silences', () => {
  it(`${SEEDS} seeds on the in-memory store: nothing lost, nothing stuck, no unforced duplicate page, silences released once`, async () => {
    const totals = { steps: 0, crashes: 0, faults: 0, incidents: 0, released: 0, recoveredSilenced: 0, resolvedUnderSilence: 0, bursts: 0 };
    for (let seed = FIRST; seed < FIRST + SEEDS; seed++) {
      const r = await simulate({ seed });
      if (r.violations.length > 0) expect.fail(report(r));
      totals.steps += r.stats.steps;
      totals.crashes += r.stats.crashes;
      totals.faults += r.stats.faults;
      totals.incidents += r.stats.incidents;
      totals.released += r.stats.released;
      totals.recoveredSilenced += r.stats.recoveredSilenced;
      totals.resolvedUnderSilence += r.stats.resolvedUnderSilence;
      totals.bursts += r.stats.bursts;
    }
    // The runs did exercise what they claim to (crashes and faults happened, incidents were stored).
    expect(totals.crashes).toBeGreaterThan(SEEDS / 10);
    expect(totals.faults).toBeGreaterThan(SEEDS / 5);
    expect(totals.incidents).toBeGreaterThan(SEEDS);
    // ...and silences: episodes announced when their silence ended, recovered under it, resolved under a later one.
    expect(totals.released).toBeGreaterThan(SEEDS / 50);
    expect(totals.recoveredSilenced).toBeGreaterThan(SEEDS / 10);
    expect(totals.resolvedUnderSilence).toBeGreaterThan(SEEDS / 20);
    // ...and steps that released several waiting points at once.
    expect(totals.bursts).toBeGreaterThan(SEEDS);
  }, 600_000);

  it(`${DYNALITE_SEEDS} seeds on the DynamoDB adapter (dynalite)`, async () => {
    for (let seed = FIRST; seed < FIRST + DYNALITE_SEEDS; seed++) {
      const r = await simulate({ seed, store: dynaliteForSim });
      if (r.violations.length > 0) expect.fail(report(r));
    }
  }, 600_000);

  it(`${SQLITE_SEEDS} seeds on the SQLite adapter (in memory; every call queued per turn, in memory and on a file)`, async () => {
    const seen = noTurnsSeen();
    const seeds = noTurnsSeen();
    for (let seed = FIRST; seed < FIRST + SQLITE_SEEDS; seed++) {
      const r = await simulate({ seed, store: sqliteForSeed(seed, seen) });
      if (r.violations.length > 0) expect.fail(report(r));
      seeds[sqliteVariant(seed)]++;
    }
    // The bursts made turns of several calls, which the queuing variants ran together, each on many of its seeds.
    expect(seen['memory, every call queued']).toBeGreaterThan(seeds['memory, every call queued']);
    expect(seen['file, every call queued']).toBeGreaterThan(seeds['file, every call queued']);
  }, 600_000);

  it(`${GROUPED_SEEDS} seeds with grouping on (memory), 60 of them on SQLite: members join and recover concurrently`, async () => {
    let grouped = 0;
    for (let seed = FIRST; seed < FIRST + GROUPED_SEEDS; seed++) {
      const sqlite = seed - FIRST < 60;
      const r = await simulate({
        seed,
        grouped: true,
        ...(sqlite ? { store: sqliteForSeed(seed) } : {}),
      });
      if (r.violations.length > 0) expect.fail(report(r));
      grouped += r.stats.groupedMembers;
    }
    // The runs did group: alarms joined groups other alarms opened.
    expect(grouped).toBeGreaterThan(GROUPED_SEEDS / 2);
  }, 600_000);

  it('a seed replays exactly', async () => {
    const a = await simulate({ seed: 4242, trace: true });
    const b = await simulate({ seed: 4242, trace: true });
    expect(a.trace.length).toBeGreaterThan(20);
    expect(b.trace).toEqual(a.trace);
  });
});
