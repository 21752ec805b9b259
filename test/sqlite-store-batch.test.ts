/**
 * The SQLite adapter runs the calls of one event-loop turn together, at its end, in call order (sqlite-store.ts,
 * `queued`): its callers must not be able to tell, except by speed. Every call still finds the writes made before
 * it, a write settles only once it is in the database (a turn of several writes is one transaction: on a file,
 * committed), and one failing call fails alone, unless its error ends the turn's transaction (a full database):
 * then every call of the turn fails, none settles as written.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { GroupPointer, GroupRecord, Incident } from '@alert-router/core';
import type { ProblemFields } from '@alert-router/aws/store/port';
import { makeIncident } from './helpers/incident-factory';
import { SqliteIncidentStore } from '../packages/local/src/sqlite-store';

const stores: SqliteIncidentStore[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Stores whose every call waits for the end of its turn, unless the test says otherwise (`callsAtOnce`). */
const WAITING: { callsAtOnce?: boolean } = { callsAtOnce: false };

function inMemory(opts = WAITING): SqliteIncidentStore {
  const s = new SqliteIncidentStore(undefined, opts);
  stores.push(s);
  return s;
}

function onFile(opts = WAITING): { store: SqliteIncidentStore; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'sqlite-batch-'));
  dirs.push(dir);
  const store = SqliteIncidentStore.inDirectory(dir, opts);
  stores.push(store);
  return { store, dir };
}

/** A second connection to a store's file, as another process would open it. */
function secondConnection(dir: string): SqliteIncidentStore {
  const s = SqliteIncidentStore.inDirectory(dir);
  stores.push(s);
  return s;
}

const incident = (id: string): Incident => ({ ...makeIncident(), id, rev: 1 });
const problem = (alarmName: string): ProblemFields => ({ now: '2026-12-02T05:00:01.000Z', severity: 'P1', channels: ['slack'], alarmName, messageId: 'm1' });

/** A store on a file that holds INC-A, and a second connection holding the file's write lock (ROLLBACK frees it). */
async function whileAnotherWrites(): Promise<{ store: SqliteIncidentStore; other: SqliteIncidentStore }> {
  const { store, dir } = onFile();
  await store.createIncident(incident('INC-A'));
  const other = secondConnection(dir);
  other.db.pragma('busy_timeout = 0');
  store.db.pragma('busy_timeout = 0');
  other.db.exec('BEGIN IMMEDIATE');
  return { store, other };
}

describe.each([
  ['in memory', () => inMemory()],
  ['on a file', () => onFile().store],
] as const)('SqliteIncidentStore, %s: the calls of one turn run together', (_name, open) => {
  it('in call order: of two replaces from the same revision, the first wins and the second finds it taken', async () => {
    const s = open();
    await s.createIncident(incident('INC-A'));
    const first = s.replaceIncident({ ...incident('INC-A'), duplicates: 1 }, 1);
    const second = s.replaceIncident({ ...incident('INC-A'), duplicates: 2 }, 1);
    const third = s.replaceIncident({ ...incident('INC-A'), duplicates: 3 }, 2);
    expect(await Promise.all([first, second, third])).toEqual([true, false, true]);
    expect(await s.getIncident('INC-A')).toMatchObject({ rev: 3, duplicates: 3 });
  });

  it('a call made after a replace, before the turn ends, finds its write', async () => {
    const s = open();
    await s.createIncident(incident('INC-A'));
    const replaced = s.replaceIncident({ ...incident('INC-A'), duplicates: 5 }, 1);
    // Not awaited: the read comes first in this turn, and must still see the replace called before it.
    expect(await s.getIncident('INC-A')).toMatchObject({ rev: 2, duplicates: 5 });
    expect(await s.listUnresolved()).toEqual([expect.objectContaining({ id: 'INC-A', rev: 2 })]);
    expect(await replaced).toBe(true);
    // And a create of another incident, then a replace of the first from the revision it now has.
    const created = s.createIncident(incident('INC-B'));
    expect(await Promise.all([s.replaceIncident({ ...incident('INC-A'), duplicates: 6 }, 2), created])).toEqual([true, true]);
  });

  it('one replace that cannot be written fails alone; the others of its turn land', async () => {
    const s = open();
    await s.createIncident(incident('INC-A'));
    await s.createIncident(incident('INC-B'));
    const bad = { ...incident('INC-A'), duplicates: 10n } as unknown as Incident; // JSON.stringify throws on a BigInt
    const results = await Promise.allSettled([
      s.replaceIncident({ ...incident('INC-B'), duplicates: 1 }, 1),
      s.replaceIncident(bad, 1),
      s.replaceIncident({ ...incident('INC-B'), duplicates: 2 }, 2),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(await s.getIncident('INC-A')).toMatchObject({ rev: 1 });
    expect(await s.getIncident('INC-B')).toMatchObject({ rev: 3, duplicates: 2 });
  });

  it('every kind of call waits for the end of the turn and runs in call order', async () => {
    const s = open();
    const before = s.getIncident('INC-A');
    const created = s.createIncident(incident('INC-A'));
    const again = s.createIncident(incident('INC-A'));
    const after = s.getIncident('INC-A');
    const opened = s.recordProblem('key-1', '2026-12-02T05:00:00.000+0000', 'INC-A', problem('a'));
    const redelivered = s.recordProblem('key-1', '2026-12-02T05:00:00.000+0000', 'INC-A', problem('a'));
    const latch = s.getLatch('key-1');
    expect(await before).toBeNull();
    expect([await created, await again]).toEqual([true, false]);
    expect(await after).toMatchObject({ id: 'INC-A', rev: 1 });
    expect(await opened).toMatchObject({ kind: 'opened' });
    expect(await redelivered).toMatchObject({ kind: 'conflict', incident: expect.objectContaining({ id: 'INC-A' }) });
    expect(await latch).toMatchObject({ openId: 'INC-A', lastChange: '2026-12-02T05:00:00.000+0000' });
  });

  it('a call that fails half-way leaves none of its writes; the rest of its turn lands', async () => {
    const s = open();
    const pointer: GroupPointer = { groupId: 'INC-G', until: '2026-12-02T06:00:00.000Z' };
    // The second child key is not a string: the call throws after its first pointer was written.
    const results = await Promise.allSettled([s.pointChildren(['child-1', 42 as unknown as string], pointer), s.createIncident(incident('INC-B'))]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled']);
    expect((await s.lookupGroup('g', 'child-1', [])).pointer).toBeNull();
    expect(await s.getIncident('INC-B')).toMatchObject({ rev: 1 });
  });

  it('close runs what is queued first', async () => {
    const s = open();
    await s.createIncident(incident('INC-A'));
    const replaced = s.replaceIncident({ ...incident('INC-A'), duplicates: 1 }, 1);
    s.close();
    expect(await replaced).toBe(true);
  });
});

describe('SqliteIncidentStore on a file: a turn is one transaction', () => {
  it("another connection reads none of a turn's writes before they settle, and all of them after", async () => {
    const { store, dir } = onFile();
    const other = secondConnection(dir);
    const count = () => (other.db.prepare('SELECT count(*) AS n FROM incidents').get() as { n: number }).n;
    const latches = () => (other.db.prepare('SELECT count(*) AS n FROM latches').get() as { n: number }).n;
    const writes = [
      store.createIncident(incident('INC-A')),
      store.recordProblem('key-1', '2026-12-02T05:00:00.000+0000', 'INC-B', problem('b')),
      store.createIncident(incident('INC-B')),
    ];
    expect([count(), latches()]).toEqual([0, 0]);
    await Promise.all(writes);
    expect([count(), latches()]).toEqual([2, 1]);
  });
});

describe('SqliteIncidentStore on a file: reads, a stray transaction, arguments', () => {
  it('a turn of reads takes no write lock: it is answered while another connection writes', async () => {
    const { store, other } = await whileAnotherWrites();
    try {
      const [one, unresolved] = await Promise.all([store.getIncident('INC-A'), store.listUnresolved()]);
      expect(one).toMatchObject({ id: 'INC-A' });
      expect(unresolved.map((i) => i.id)).toEqual(['INC-A']);
      // A write in the same situation cannot take the lock: it fails rather than waiting on the event loop.
      await expect(store.createIncident(incident('INC-B'))).rejects.toThrow(/locked|busy/i);
    } finally {
      other.db.exec('ROLLBACK');
    }
  });

  it('a transaction left open on the connection is rolled back, not joined: the turn commits its own', async () => {
    const { store, dir } = onFile();
    const other = secondConnection(dir);
    store.db.exec('BEGIN');
    expect(await store.createIncident(incident('INC-A'))).toBe(true);
    expect(store.db.inTransaction).toBe(false);
    expect((other.db.prepare('SELECT count(*) AS n FROM incidents').get() as { n: number }).n).toBe(1);
  });

  it('takes its arguments when called: a caller that changes them afterwards changes nothing stored', async () => {
    const { store } = onFile();
    await store.createIncident(incident('INC-A'));
    const next = { ...incident('INC-A'), duplicates: 1 };
    const keep = ['2026-12-02T05:00:00.000Z'];
    const replaced = store.replaceIncident(next, 1);
    const opened = store.recordProblem('key-1', '2026-12-02T05:00:00.000+0000', 'INC-A', problem('a'));
    const trimmed = store.trimFlips('key-1', '2026-12-02T05:00:00.000+0000', keep);
    const group: GroupRecord = { groupKey: 'g', groupId: 'INC-A', openedAt: '2026-12-02T05:00:00.000Z', windowEnd: '2026-12-02T05:05:00.000Z', version: 1 };
    const grouped = store.putGroupRecord(group, 0);
    next.duplicates = 99;
    keep.push('later');
    group.groupKey = 'other';
    group.version = 7;
    expect(await replaced).toBe(true);
    await opened;
    await trimmed;
    expect(await store.getIncident('INC-A')).toMatchObject({ rev: 2, duplicates: 1 });
    expect((await store.getLatch('key-1'))?.flips).toEqual(['2026-12-02T05:00:00.000Z']);
    expect(await grouped).toBe(true);
    expect((await store.lookupGroup('g', 'key-1', [])).record).toMatchObject({ groupKey: 'g', version: 1 });
  });

  it('a call whose arguments cannot be stored rejects; it does not throw at the call', async () => {
    const { store } = onFile();
    const bad = { ...incident('INC-A'), duplicates: 10n } as unknown as Incident;
    let promise: Promise<boolean> | undefined;
    expect(() => (promise = store.createIncident(bad))).not.toThrow();
    await expect(promise).rejects.toThrow(/BigInt/);
  });
});

describe('SqliteIncidentStore: calls that come alone run at once', () => {
  const visible = (other: SqliteIncidentStore, id: string) => other.db.prepare('SELECT 1 FROM incidents WHERE id = ?').get(id) !== undefined;

  it('after turns of one call each, a call is written before it returns; a busy turn makes calls wait again', async () => {
    const { store, dir } = onFile({});
    const other = secondConnection(dir);
    // A fresh store waits for the end of the turn one call alone in its turn lets the next run at once.
    await store.createIncident(incident('INC-0'));
    const atOnce = store.createIncident(incident('INC-1'));
    expect(visible(other, 'INC-1')).toBe(true);
    expect(await atOnce).toBe(true);
    // Many calls in one turn: the probe among them waits, the calls after it queue behind it, in call order.
    const many = Array.from({ length: 40 }, (_, i) => store.createIncident(incident(`INC-M${i}`)));
    expect(visible(other, 'INC-M39')).toBe(false);
    expect(await Promise.all(many)).toEqual(many.map(() => true));
    // That turn held more than two calls: the next call waits for the end of its turn.
    const waits = store.createIncident(incident('INC-2'));
    expect(visible(other, 'INC-2')).toBe(false);
    expect(await waits).toBe(true);
    expect(visible(other, 'INC-2')).toBe(true);
  });

  it('a read right after a replace finds it, whether the replace ran at once or waited', async () => {
    const s = inMemory({});
    await s.createIncident(incident('INC-A'));
    const replaced = s.replaceIncident({ ...incident('INC-A'), duplicates: 1 }, 1);
    const read = s.getIncident('INC-A');
    expect(await read).toMatchObject({ rev: 2, duplicates: 1 });
    expect(await replaced).toBe(true);
  });
});

describe('SqliteIncidentStore on a file: a settled replace is committed', () => {
  it('another connection to the file reads every replace of the turn once they have settled', async () => {
    const { store, dir } = onFile();
    for (const id of ['INC-A', 'INC-B', 'INC-C']) await store.createIncident(incident(id));
    const other = secondConnection(dir);
    const replaced = ['INC-A', 'INC-B', 'INC-C'].map((id, i) => store.replaceIncident({ ...incident(id), duplicates: i + 1 }, 1));
    expect(await Promise.all(replaced)).toEqual([true, true, true]);
    expect(await Promise.all(['INC-A', 'INC-B', 'INC-C'].map((id) => other.getIncident(id)))).toEqual([
      expect.objectContaining({ rev: 2, duplicates: 1 }),
      expect.objectContaining({ rev: 2, duplicates: 2 }),
      expect.objectContaining({ rev: 2, duplicates: 3 }),
    ]);
  });

  it('a turn whose transaction cannot start (another connection holds the write lock) fails each of its replaces', async () => {
    const { store, other } = await whileAnotherWrites();
    try {
      const results = await Promise.allSettled([store.replaceIncident({ ...incident('INC-A'), duplicates: 1 }, 1)]);
      expect(results[0]).toMatchObject({ status: 'rejected', reason: expect.objectContaining({ message: expect.stringMatching(/locked|busy/i) }) });
    } finally {
      other.db.exec('ROLLBACK');
    }
    // Nothing of it was written, and the store goes on: the same replace again lands.
    expect(await store.getIncident('INC-A')).toMatchObject({ rev: 1 });
    expect(await store.replaceIncident({ ...incident('INC-A'), duplicates: 1 }, 1)).toBe(true);
  });
});

describe.each([
  // In memory a turn of many calls is one transaction too (for speed): a full database ends it just the same.
  ['in memory', () => ({ store: inMemory(), reader: (s: SqliteIncidentStore) => s })],
  [
    'on a file',
    () => {
      const { store, dir } = onFile();
      return { store, reader: () => secondConnection(dir) };
    },
  ],
] as const)('SqliteIncidentStore %s: a turn whose transaction ends mid-way', (_name, open) => {
  it('settles no replace as written that is not in the database (a full database mid-batch)', async () => {
    const { store, reader } = open();
    for (const id of ['INC-A', 'INC-B', 'INC-C']) await store.createIncident(incident(id));
    const pages = (store.db.prepare('PRAGMA page_count').get() as { page_count: number }).page_count + 2;
    store.db.pragma(`max_page_count = ${pages}`);
    const huge = { ...incident('INC-B'), alarm: { ...incident('INC-B').alarm, reason: 'x'.repeat(200_000) } };
    const results = await Promise.allSettled([
      store.replaceIncident({ ...incident('INC-A'), duplicates: 1 }, 1),
      store.replaceIncident(huge, 1),
      store.replaceIncident({ ...incident('INC-C'), duplicates: 1 }, 1),
    ]);
    expect(results[1].status).toBe('rejected');
    // SQLite ends the whole transaction on a full database: the turn's calls before and after it fail with it (in
    // memory too, where each statement was once its own transaction and the others landed).
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    store.db.pragma('max_page_count = 1000000');
    const other = reader(store);
    for (const [i, id] of ['INC-A', 'INC-B', 'INC-C'].entries()) {
      const stored = await other.getIncident(id);
      const r = results[i];
      if (r.status === 'fulfilled' && r.value) expect(stored, id).toMatchObject({ rev: 2 });
      else expect(stored, id).toMatchObject({ rev: 1 });
    }
  });
});
