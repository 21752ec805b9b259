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

/** Turns that ran more than one call, added up per variant. */
export type TurnsSeen = Record<SqliteVariant, number>;

export function noTurnsSeen(): TurnsSeen {
  return { memory: 0, 'memory, every call queued': 0, 'file, every call queued': 0 };
}

/** A store factory for `simulate`; `seen` adds up, per variant, the turns that ran more than one call. */
export function sqliteForSeed(seed: number, seen: TurnsSeen = noTurnsSeen()) {
  return async () => {
    const variant = sqliteVariant(seed);
    const dir = variant.startsWith('file') ? mkdtempSync(join(tmpdir(), 'sim-sqlite-')) : null;
    const store = dir
      ? SqliteIncidentStore.inDirectory(dir, { callsAtOnce: false })
      : new SqliteIncidentStore(undefined, { callsAtOnce: variant === 'memory' });
    return {
      store,
      close: async () => {
        seen[variant] += store.turnsOfMany;
        try {
          store.close();
        } finally {
          if (dir) rmSync(dir, { recursive: true, force: true });
        }
      },
    };
  };
}
