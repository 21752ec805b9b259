/**
 * `npx tsx bench/store-ops.ts [N] [ALARMS]`: CPU µs per store operation, SQLite (memory and a WAL file) against the
 * DynamoDB adapter on dynalite. Process CPU (user + system, this process and, for dynalite, its worker thread) over
 * N operations of each kind; a measurement to print and record, not a test.
 * Then, for the DynamoDB adapter, store requests and capacity units per new alarm, redelivery and OK (ALARMS alarms
 * through the alarm path, mean per alarm) and per listing, by the capacity model (packages/aws/src/capacity.ts)
 * beside what dynalite reports; `BENCH_STORE_ONLY=capacity` skips the CPU part.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ||= 'true';
// The alarm path's logs and EMF metrics would drown the figures: off before the runtime's modules load (below).
process.env.POWERTOOLS_LOG_LEVEL ||= 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED ||= 'true';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IncidentStore } from '@alert-router/aws';
import type { Units } from '@alert-router/aws/capacity-meter';

const { SqliteIncidentStore } = await import('../packages/local/src/sqlite-store');
const { localStore } = await import('../test/helpers/local-dynamo');
const { makeIncident } = await import('../test/helpers/incident-factory');
const { meanTally, measureAlarmCosts, measureListingCosts } = await import('../test/helpers/alarm-costs');

const N = Number(process.argv[2] ?? 2000);
const ALARMS = Number(process.argv[3] ?? 50);
const at = (n: number) => new Date(Date.UTC(2026, 11, 1, 0, 0, 0, n)).toISOString();

async function measure(label: string, run: (n: number) => Promise<unknown>): Promise<number> {
  const before = process.cpuUsage();
  for (let n = 0; n < N; n++) await run(n);
  const used = process.cpuUsage(before);
  const us = (used.user + used.system) / N;
  console.log(`  ${label.padEnd(38)} ${us.toFixed(0).padStart(6)} µs`);
  return us;
}

async function ops(name: string, store: IncidentStore): Promise<void> {
  console.log(`${name} (${N} of each)`);
  await measure('recordProblem (latch, opened)', (n) =>
    store.recordProblem(`alarm-${n}`, at(n), `INC-${n}`, { now: at(n), severity: 'P1', channels: ['slack'], alarmName: `alarm-${n}`, messageId: null }),
  );
  await measure('createIncident', (n) => store.createIncident(makeIncident({ id: `INC-${n}`, openedAt: at(n), updatedAt: at(n), incidentKey: `alarm-${n}` })));
  await measure('getIncident', (n) => store.getIncident(`INC-${n}`));
  await measure('get + replaceIncident (rev-guarded)', async (n) => {
    const i = (await store.getIncident(`INC-${n}`))!;
    return store.replaceIncident({ ...i, duplicates: 1 }, i.rev ?? 1);
  });
  await measure('listUnresolved (limit 100)', () => store.listUnresolved(100));
}

async function cpuPerOperation(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'store-ops-'));
  const mem = new SqliteIncidentStore();
  await ops('SQLite in memory', mem);
  mem.close();
  const file = new SqliteIncidentStore(join(dir, 'bench.sqlite'));
  await ops('SQLite WAL file', file);
  file.close();
  rmSync(dir, { recursive: true, force: true });
  const dynamo = await localStore();
  await ops('DynamoDB adapter on dynalite (in memory; CPU includes dynalite, same process)', dynamo.store);
  await dynamo.close();
}

const INDEXES = ['byStatus', 'byDay', 'byDue'];
const fmt = (n: number | undefined) => (n ? String(Math.round(n * 100) / 100) : '0');
const units = (u: Units) => [fmt(u.table), ...INDEXES.map((i) => fmt(u[i]))].join(' / ');
const sum = (u: Units) => Object.values(u).reduce((a, b) => a + b, 0);

async function stepTable(title: string, grouped: boolean): Promise<void> {
  console.log(`\n${title}, mean of ${ALARMS} P0 alarms (PagerDuty + Slack)`);
  console.log('| step | requests | write units (indexes as defined) | write units if ALL | read units | dynalite reported (write, read) |');
  console.log('|---|---|---|---|---|---|');
  const costs = await measureAlarmCosts(ALARMS, { grouped });
  for (const [step, cost] of Object.entries(costs)) {
    const t = meanTally(cost.tallies);
    const requests = Object.entries(t.requests)
      .map(([k, v]) => `${fmt(v)} ${k.replace(/Command$/, '')}${k === 'UpdateItemCommand' && t.failedConditions ? ` (${fmt(t.failedConditions)} failed)` : ''}`)
      .join(', ');
    const outcomes = [...new Set(cost.outcomes)].join('/');
    console.log(
      `| ${step} (${outcomes}) | ${requests} | ${units(t.write)} = **${fmt(sum(t.write))}** | ${units(t.writeIfAll)} = ${fmt(sum(t.writeIfAll))} | ${fmt(sum(t.read))} | ${fmt(sum(t.reportedWrite))}, ${fmt(sum(t.reportedRead))} |`,
    );
  }
}

async function capacity(): Promise<void> {
  console.log('\nDynamoDB adapter: requests and capacity units per step, by the capacity model');
  console.log('write units: table / byStatus / byDay / byDue; "if ALL": had the indexes projected ALL');
  await stepTable('One incident per alarm (grouping off)', false);
  await stepTable('The shipped policy (grouping on: the first alarm opens a group, the second joins it)', true);
  console.log('\nListings (eventually consistent): rows from the index alone; incidents by the index query, then BatchGetItem 100 keys at a time');
  console.log('| listing | incidents | requests | read units (index + table) | read units if ALL |');
  console.log('|---|---|---|---|---|');
  for (const l of await measureListingCosts(ALARMS)) {
    const requests = Object.entries(l.tally.requests)
      .map(([k, v]) => `${v} ${k.replace(/Command$/, '')}`)
      .join(', ');
    console.log(`| ${l.name} | ${l.listed} | ${requests} | ${fmt(sum(l.tally.read))} | ${fmt(l.readIfAll)} |`);
  }
}

if (process.env.BENCH_STORE_ONLY !== 'capacity') await cpuPerOperation();
await capacity();
