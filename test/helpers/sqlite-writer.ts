/**
 * Child process of sqlite-crash.test.ts: writes through the SQLite adapter on `argv[2]` without end (a create and a
 * revision-guarded replace per incident, a latch per alarm) and prints `ack <id> <rev>` once each write returned.
 */
import { SqliteIncidentStore } from '../../packages/local/src/sqlite-store';
import { makeIncident } from './incident-factory';

const store = new SqliteIncidentStore(process.argv[2]);
const ack = (line: string) => new Promise<void>((done) => process.stdout.write(`${line}\n`, () => done()));

for (let n = 0; ; n++) {
  const id = `INC-${String(n).padStart(6, '0')}`;
  const at = new Date(Date.UTC(2026, 11, 1, 0, 0, 0, n)).toISOString();
  const opened = await store.recordProblem(`alarm-${n}`, at, id, { now: at, severity: 'P1', channels: ['slack'], alarmName: `alarm-${n}`, messageId: null });
  if (opened.kind !== 'opened') throw new Error(`latch of alarm-${n}: ${opened.kind}`);
  if (!(await store.createIncident(makeIncident({ id, openedAt: at, updatedAt: at, incidentKey: `alarm-${n}` })))) throw new Error(`${id} exists`);
  await ack(`ack ${id} 1`);
  if (!(await store.replaceIncident({ ...makeIncident({ id, openedAt: at, updatedAt: at, incidentKey: `alarm-${n}` }), duplicates: 1 }, 1)))
    throw new Error(`${id}: lost its revision`);
  await ack(`ack ${id} 2`);
}
