/**
 * The SQLite store on a file keeps every acknowledged write across `kill -9`: a child process writes through the
 * adapter and reports each write once it returned; it is killed mid-stream, the file is reopened and every
 * reported write must be there (WAL, synchronous=NORMAL: the commit is in the log before the call returns).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, expect, it } from 'vitest';
import { SqliteIncidentStore } from '../packages/local/src/sqlite-store';

const ACKS_BEFORE_KILL = 400;
let dir = '';
afterEach(() => rmSync(dir, { recursive: true, force: true }));

it('kill -9 of a writing process loses no acknowledged write', async () => {
  dir = mkdtempSync(join(tmpdir(), 'sqlite-crash-'));
  const file = join(dir, 'store.sqlite');
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/sqlite-writer.ts', file], { stdio: ['ignore', 'pipe', 'inherit'] });
  const acked = new Map<string, number>();
  const exited = new Promise<NodeJS.Signals | null>((done) => child.on('exit', (_code, signal) => done(signal)));
  for await (const line of createInterface({ input: child.stdout! })) {
    const [, id, rev] = line.split(' ');
    acked.set(id, Number(rev));
    if (acked.size === ACKS_BEFORE_KILL) child.kill('SIGKILL');
  }
  expect(await exited).toBe('SIGKILL');
  expect(acked.size).toBeGreaterThanOrEqual(ACKS_BEFORE_KILL);

  const store = new SqliteIncidentStore(file);
  try {
    for (const [id, rev] of acked) {
      const i = await store.getIncident(id);
      expect(i?.rev, id).toBeGreaterThanOrEqual(rev);
      expect((await store.getLatch(i!.incidentKey))?.openId).toBe(id);
    }
    const day = (await store.getIncident([...acked.keys()][0]))!.openedAt.slice(0, 10);
    expect((await store.listByDay(day)).length).toBeGreaterThanOrEqual(acked.size);
  } finally {
    store.close();
  }
}, 60_000);
