/**
 * `npm start`'s node flags (package.json): the young generation the router's alarm load needs and one V8 helper
 * thread (docs/performance-notes.md, "Stop 14"), accepted by this node as `npm start` runs its launcher, and the
 * flags every bench run of the router uses.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { npmStartNodeFlags } from '../bench/lib/npm-start';

const MiB = 1024 * 1024;
const dir = mkdtempSync(join(tmpdir(), 'npm-start-flags-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A script that prints new space's size once it has been made to grow (V8 grows it towards the maximum). */
const probe = join(dir, 'probe.mjs');
writeFileSync(
  probe,
  [
    "import v8 from 'node:v8';",
    "import { existsSync, readdirSync } from 'node:fs';",
    "const size = () => v8.getHeapSpaceStatistics().find((x) => x.space_name === 'new_space').space_size;",
    'const start = size();',
    'let keep = [];',
    'for (let i = 0; i < 3_000_000; i++) { keep.push({ i }); if (keep.length > 200_000) keep = []; }',
    "const threads = existsSync('/proc/self/task') ? readdirSync('/proc/self/task').length : null;",
    'process.stdout.write(JSON.stringify({ start, grown: size(), threads, args: process.argv.slice(2) }));',
  ].join('\n'),
);

describe('npm start node flags', () => {
  it('start the young generation at 16 MiB a semi-space and let it grow to 32, with one V8 helper thread, as npm start runs its script', () => {
    const flags = npmStartNodeFlags();
    expect(flags).toEqual(expect.arrayContaining(['--min-semi-space-size=16', '--max-semi-space-size=32', '--v8-pool-size=1']));
    const run = (nodeFlags: string[]) =>
      JSON.parse(execFileSync(process.execPath, [...nodeFlags, probe, '--port', '0'], { encoding: 'utf8' })) as {
        start: number;
        grown: number;
        threads: number | null;
        args: string[];
      };
    const withFlags = run(flags);
    const without = run([]);
    expect(withFlags.start).toBeGreaterThanOrEqual(16 * MiB);
    expect(without.start).toBeLessThan(16 * MiB);
    // Node 20's V8 reports a grown new space as twice its semi-space: 2 × 16 MiB at most by default, 2 × 32 with the flags.
    expect(without.grown).toBeLessThanOrEqual(32 * MiB);
    expect(withFlags.grown).toBeGreaterThan(32 * MiB);
    expect(withFlags.grown).toBeLessThanOrEqual(64 * MiB);
    // --v8-pool-size=1: one V8 platform thread instead of four (Linux shows a process's threads).
    if (without.threads !== null) expect(withFlags.threads).toBeLessThan(without.threads);
    // What follows the script is the script's, as `npm start -- --port 0` passes it.
    expect(withFlags.args).toEqual(['--port', '0']);
  });
});
