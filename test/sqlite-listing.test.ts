/**
 * The SQLite store keeps each incident's listing row (store/row.ts) in a column beside its body, written with it
 * (sqlite-store.ts, `listing`): the dashboard's lists and the digest read rows without parsing bodies. A file an
 * older build made has no such column, and an older build still running on a file updates bodies without it: in
 * both cases the row must be the body's, never a stale one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { pendingNotice, type Incident } from '@alert-router/core';
import { rowOf } from '@alert-router/aws/store/row';
import { makeIncident } from './helpers/incident-factory';
import { addListingColumn, SqliteIncidentStore } from '../packages/local/src/sqlite-store';

const DAY = '2026-12-03';
const at = (s: number) => new Date(Date.UTC(2026, 11, 3, 6, 0, s)).toISOString();
const claim = { owner: 'o', now: at(0), leaseMs: 45_000 };

const stores: SqliteIncidentStore[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function open(dir: string): SqliteIncidentStore {
  const s = SqliteIncidentStore.inDirectory(dir);
  stores.push(s);
  return s;
}

function closeLast(): void {
  stores.pop()?.close();
}

const incident = (n: number, o: Partial<Incident> = {}): Incident =>
  makeIncident({ id: `INC-L${n}`, incidentKey: `arn:aws:cloudwatch:eu-west-1:123456789012:alarm:L${n}`, openedAt: at(n), updatedAt: at(n), ...o });

async function filled(): Promise<{ dir: string; store: SqliteIncidentStore; ids: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'sqlite-listing-'));
  dirs.push(dir);
  const store = open(dir);
  const ids: string[] = [];
  for (let n = 1; n <= 4; n++) {
    await store.createIncident(
      incident(n, n % 2 ? { deliveries: { 'trigger:pagerduty': pendingNotice({ event: 'trigger', channel: 'pagerduty' }, claim) } } : {}),
    );
    ids.push(`INC-L${n}`);
  }
  return { dir, store, ids };
}

async function rowsMatchBodies(store: SqliteIncidentStore): Promise<void> {
  expect(await store.listRowsByDay(DAY)).toEqual((await store.listByDay(DAY)).map(rowOf));
  expect(await store.listRowsByDay(DAY, { newestFirst: true, limit: 2 })).toEqual((await store.listByDay(DAY, { newestFirst: true, limit: 2 })).map(rowOf));
  expect(await store.listUnresolvedRows(10)).toEqual((await store.listUnresolved(10)).map(rowOf));
}

it('reads the listing column, not the body, for a row written by this build', async () => {
  const { store } = await filled();
  // A body no reader could parse, under a listing of the same revision: the lists still answer from the listing.
  store.db.prepare("UPDATE incidents SET body = '{' WHERE id = 'INC-L2'").run();
  expect((await store.listRowsByDay(DAY)).map((r) => [r.id, r.paged])).toEqual([
    ['INC-L1', true],
    ['INC-L2', false],
    ['INC-L3', true],
    ['INC-L4', false],
  ]);
  await expect(store.getIncident('INC-L2')).rejects.toThrow();
});

it('a file an older build made (no listing columns) gains them on open; its rows are made from their bodies', async () => {
  const { dir, store } = await filled();
  store.db.exec('ALTER TABLE incidents DROP COLUMN listing; ALTER TABLE incidents DROP COLUMN listing_rev');
  closeLast();
  const reopened = open(dir);
  const columns = (reopened.db.prepare('PRAGMA table_info(incidents)').all() as { name: string }[]).map((c) => c.name);
  expect(columns).toEqual(expect.arrayContaining(['listing', 'listing_rev']));
  expect(reopened.db.prepare('SELECT COUNT(*) AS n FROM incidents WHERE listing IS NULL').get()).toMatchObject({ n: 4 });
  await rowsMatchBodies(reopened);
  expect((await reopened.listRowsByDay(DAY)).map((r) => r.paged)).toEqual([true, false, true, false]);

  // The next write of an incident stores its listing again.
  await reopened.updateIncident('INC-L2', (cur) => ({ incident: { ...cur, status: 'acknowledged', acknowledgedAt: at(30), acknowledgedBy: 'alice' } }));
  expect(reopened.db.prepare("SELECT listing_rev = rev AS fresh FROM incidents WHERE id = 'INC-L2'").get()).toMatchObject({ fresh: 1 });
  await rowsMatchBodies(reopened);
  expect((await reopened.listRowsByDay(DAY))[1]).toMatchObject({ id: 'INC-L2', status: 'acknowledged', acknowledgedBy: 'alice' });
});

it('an older build writing on the file (body and rev, not the listing) is seen: a stale listing is never read', async () => {
  const { store } = await filled();
  const before = await store.getIncident('INC-L3');
  const changed = { ...before!, rev: before!.rev! + 1, status: 'resolved' as const, resolvedAt: at(40), resolvedBy: 'cloudwatch', deliveries: {} };
  store.db.prepare("UPDATE incidents SET rev = ?, body = ?, open_key = NULL WHERE id = 'INC-L3'").run(changed.rev, JSON.stringify(changed));
  await rowsMatchBodies(store);
  expect((await store.listRowsByDay(DAY))[2]).toMatchObject({ id: 'INC-L3', status: 'resolved', paged: false });
  expect((await store.listUnresolvedRows(10)).map((r) => r.id)).toEqual(['INC-L4', 'INC-L2', 'INC-L1']);
});

it('two processes opening the same older file at once: the one whose ALTER comes second opens all the same', async () => {
  const { dir, store } = await filled();
  // The second process read the columns before the first added them: it sees none, then finds them there.
  const stale = new Proxy(store.db, {
    get: (db, key) => (key === 'prepare' ? (sql: string) => (/table_info/.test(sql) ? { all: () => [] } : db.prepare(sql)) : Reflect.get(db, key, db)),
  });
  expect(() => addListingColumn(stale)).not.toThrow();
  closeLast();
  await rowsMatchBodies(open(dir));
});
