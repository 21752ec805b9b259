/**
 * packages/local/launch.mjs, `npm start`'s script: src/start.ts bundled into one file whose code still finds what
 * lies next to its sources (the default policy, the worker scripts), with every npm package left to node_modules.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { npmStartScript } from '../bench/lib/npm-start';
// @ts-expect-error: plain JS without declarations (node runs it without a loader)
import { buildStart } from '../packages/local/launch.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

describe('npm start launcher', () => {
  it('is the script npm start runs', () => {
    expect(npmStartScript()).toBe('packages/local/launch.mjs');
  });

  it("bundles the workspace's code with each file's own URL, and imports npm packages from node_modules", async () => {
    const out = (await buildStart()) as string;
    const code = readFileSync(out, 'utf8').replace(/\/\/# sourceMappingURL=.*$/s, '');
    expect(code).not.toContain('import.meta.url');
    expect(code).toContain(JSON.stringify(`file://${ROOT}packages/local/src/send-thread.ts`));
    expect(code).toContain(JSON.stringify(`file://${ROOT}packages/core/src/policy-file.ts`));
    expect(code).toMatch(/from "libsql"/);
    expect(code).not.toContain('__name(');
  });
});
