/**
 * The SQLite store as the simulation runs it, varied by seed: in memory with the calls that come alone run at once
 * (as `npm start` runs it), in memory with every call waiting for the end of its turn, and on a file with every
 * call waiting (each turn of writes one BEGIN IMMEDIATE transaction). With the scheduler's bursts, the last two see
 * turns of several calls from different processes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteIncidentStore } from '../../packages/local/src/sqlite-store';

export type SqliteVariant = 'memory' | 'memory, every call queued' | 'file, every call queued';

export function sqliteVariant(seed: number): SqliteVariant {
  return seed % 4 < 2 ? 'memory' : seed % 4 === 2 ? 'memory, every call queued' : 'file, every call queued';
}

/** A store factory for `simulate`; `seen` adds up the turns that ran more than one call. */
export function sqliteForSeed(seed: number, seen: { turnsOfMany: number } = { turnsOfMany: 0 }) {
  return async () => {
    const variant = sqliteVariant(seed);
    const dir = variant.startsWith('file') ? mkdtempSync(join(tmpdir(), 'sim-sqlite-')) : null;
    const store = dir
      ? SqliteIncidentStore.inDirectory(dir, { callsAtOnce: false })
      : new SqliteIncidentStore(undefined, { callsAtOnce: variant === 'memory' });
    return {
      store,
      close: async () => {
        seen.turnsOfMany += store.turnsOfMany;
        store.close();
        if (dir) rmSync(dir, { recursive: true, force: true });
      },
    };
  };
}
