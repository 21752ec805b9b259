/**
 * The SQLite adapter runs the conditional replaces of one event-loop turn together (sqlite-store.ts, `queued`):
 * its callers must not be able to tell, except by speed. Every call still finds the writes made before it, a
 * replace settles only once it is in the database, and one failing replace fails alone.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Incident } from '@alert-router/core';
import { makeIncident } from './helpers/incident-factory';
import { SqliteIncidentStore } from '../packages/local/src/sqlite-store';

const stores: SqliteIncidentStore[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function inMemory(): SqliteIncidentStore {
  const s = new SqliteIncidentStore();
  stores.push(s);
  return s;
}

function onFile(): { store: SqliteIncidentStore; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'sqlite-batch-'));
  dirs.push(dir);
  const store = SqliteIncidentStore.inDirectory(dir);
  stores.push(store);
  return { store, dir };
}

const incident = (id: string): Incident => ({ ...makeIncident(), id, rev: 1 });

describe.each([
  ['in memory', () => inMemory()],
  ['on a file', () => onFile().store],
] as const)('SqliteIncidentStore, %s: replaces of one turn run together', (_name, open) => {
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

  it('close runs what is queued first', async () => {
    const s = open();
    await s.createIncident(incident('INC-A'));
    const replaced = s.replaceIncident({ ...incident('INC-A'), duplicates: 1 }, 1);
    s.close();
    expect(await replaced).toBe(true);
  });
});

describe('SqliteIncidentStore on a file: a settled replace is committed', () => {
  it('another connection to the file reads every replace of the turn once they have settled', async () => {
    const { store, dir } = onFile();
    for (const id of ['INC-A', 'INC-B', 'INC-C']) await store.createIncident(incident(id));
    const other = SqliteIncidentStore.inDirectory(dir);
    stores.push(other);
    const replaced = ['INC-A', 'INC-B', 'INC-C'].map((id, i) => store.replaceIncident({ ...incident(id), duplicates: i + 1 }, 1));
    expect(await Promise.all(replaced)).toEqual([true, true, true]);
    expect(await Promise.all(['INC-A', 'INC-B', 'INC-C'].map((id) => other.getIncident(id)))).toEqual([
      expect.objectContaining({ rev: 2, duplicates: 1 }),
      expect.objectContaining({ rev: 2, duplicates: 2 }),
      expect.objectContaining({ rev: 2, duplicates: 3 }),
    ]);
  });

  it('a turn whose transaction cannot start (another connection holds the write lock) fails each of its replaces', async () => {
    const { store, dir } = onFile();
    await store.createIncident(incident('INC-A'));
    const other = SqliteIncidentStore.inDirectory(dir);
    stores.push(other);
    other.db.pragma('busy_timeout = 0');
    store.db.pragma('busy_timeout = 0');
    other.db.exec('BEGIN IMMEDIATE');
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

describe('SqliteIncidentStore on a file: a turn whose transaction ends mid-way', () => {
  it('settles no replace as written that is not in the database (a full database mid-batch)', async () => {
    const { store, dir } = onFile();
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
    const other = SqliteIncidentStore.inDirectory(dir);
    stores.push(other);
    for (const [i, id] of ['INC-A', 'INC-B', 'INC-C'].entries()) {
      const stored = await other.getIncident(id);
      const r = results[i];
      if (r.status === 'fulfilled' && r.value) expect(stored, id).toMatchObject({ rev: 2 });
      else expect(stored, id).toMatchObject({ rev: 1 });
    }
  });
});
