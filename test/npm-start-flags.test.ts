/**
 * `npm start`'s node flags (package.json): the young generation the router's alarm load needs (docs/performance-notes.md,
 * "Stop 14"), valid for this node, and the flags every bench run of the router uses.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { npmStartNodeFlags } from '../bench/lib/npm-start';

describe('npm start node flags', () => {
  it('are node flags this node accepts, and start the young generation at 16 MiB a semi-space', () => {
    const flags = npmStartNodeFlags();
    expect(flags).toContain('--min-semi-space-size=16');
    const probe = "const s = require('v8').getHeapSpaceStatistics().find((x) => x.space_name === 'new_space'); process.stdout.write(String(s.space_size))";
    const withFlags = Number(execFileSync(process.execPath, [...flags, '-e', probe], { encoding: 'utf8' }));
    const without = Number(execFileSync(process.execPath, ['-e', probe], { encoding: 'utf8' }));
    expect(withFlags).toBeGreaterThanOrEqual(16 * 1024 * 1024);
    expect(without).toBeLessThan(withFlags);
  });
});
