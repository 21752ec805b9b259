/**
 * `npm run simulate -- --seeds N [--from S] [--dynalite | --sqlite] [--grouped] [--seed S --trace]`: runs the deterministic simulation
 * (see sim.ts) for as many seeds as asked; a failing seed prints its violations and a replayable trace. Exit 1 on
 * any violation. `--sqlite` varies the SQLite store by seed (sqlite-variants.ts).
 */
import { parseArgs } from 'node:util';
import { dynaliteForSim } from './dynalite-store';
import { noStats, simulate } from './sim';
import { noTurnsSeen, sqliteForSeed } from './sqlite-variants';

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '1000' },
    from: { type: 'string', default: '1' },
    seed: { type: 'string' },
    trace: { type: 'boolean', default: false },
    dynalite: { type: 'boolean', default: false },
    sqlite: { type: 'boolean', default: false },
    grouped: { type: 'boolean', default: false },
  },
});

const first = Number(values.seed ?? values.from);
const count = values.seed ? 1 : Number(values.seeds);
const sqliteSeen = noTurnsSeen();
const storeFor = (seed: number) => (values.dynalite ? dynaliteForSim : values.sqlite ? sqliteForSeed(seed, sqliteSeen) : undefined);
const storeName = `${values.dynalite ? ' (dynalite)' : values.sqlite ? ' (sqlite)' : ''}${values.grouped ? ' (grouped)' : ''}`;

const totals = noStats();
let failed = 0;
for (let seed = first; seed < first + count; seed++) {
  const r = await simulate({ seed, store: storeFor(seed), trace: values.trace, grouped: values.grouped });
  for (const k of Object.keys(totals) as (keyof typeof totals)[]) totals[k] += r.stats[k];
  if (values.trace) console.log(r.trace.join('\n'));
  if (r.violations.length > 0) {
    failed++;
    console.log(`seed ${seed}: ${r.violations.length} violation(s)\n  ${r.violations.join('\n  ')}\n  replay: npm run simulate -- --seed ${seed} --trace`);
  }
}
const turns = values.sqlite ? ` · SQLite turns of several calls: ${JSON.stringify(sqliteSeen)}` : '';
console.log(`${count} seeds from ${first}${storeName}: ${failed} failed · ${JSON.stringify(totals)}${turns}`);
process.exit(failed > 0 ? 1 : 0);
