/**
 * `npx tsx bench/store-ops.ts [N]`: CPU µs per store operation, SQLite (memory and a WAL file) against the DynamoDB
 * adapter on dynalite. Process CPU (user + system, this process and, for dynalite, its worker thread) over N
 * operations of each kind; a measurement to print and record, not a test.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ||= 'true';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IncidentStore } from '@alert-router/aws';
import { SqliteIncidentStore } from '../packages/local/src/sqlite-store';
import { localStore } from '../test/helpers/local-dynamo';
import { makeIncident } from '../test/helpers/incident-factory';

const N = Number(process.argv[2] ?? 2000);
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
