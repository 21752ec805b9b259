/**
 * packages/local/launch.mjs, `npm start`'s script: src/start.ts bundled (build-start.mjs) into files whose code still
 * finds what lies next to its sources (the default policy, the worker scripts), with every npm package left to
 * node_modules and each lazy import of start.ts a chunk of its own.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { npmStartScript } from '../bench/lib/npm-start';
// @ts-expect-error: plain JS without declarations (node runs it without a loader)
import { BUILD_DIR, buildStart, recordOf, reusableBuild } from '../packages/local/build-start.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const url = (path: string) => JSON.stringify(pathToFileURL(join(ROOT, path)).href);

describe('npm start launcher', () => {
  it('is the script npm start runs', () => {
    expect(npmStartScript()).toBe('packages/local/launch.mjs');
  });

  it("bundles the workspace's code with each file's own URL, imports npm packages from node_modules, and keeps start.ts's lazy imports lazy", async () => {
    const entry = (await buildStart()) as string;
    const dir = dirname(entry);
    const code = readdirSync(dir)
      .map((f) => readFileSync(join(dir, f), 'utf8').replace(/\/\/# sourceMappingURL=\S*\s*$/, ''))
      .join('\n');
    expect(code).not.toContain('import.meta');
    expect(code).toContain(url('packages/local/src/send-thread.ts'));
    expect(code).toContain(url('packages/core/src/policy-file.ts'));
    expect(code).toMatch(/from "libsql"/);
    expect(code).not.toContain('__name(');
    const start = readFileSync(entry, 'utf8');
    expect(start).not.toMatch(/from "libsql"/); // the router's modules load when main() imports them
    expect(start).toMatch(/import\("\.\/[^"]+\.mjs"\)/);
    expect(await buildStart()).toBe(entry); // the same sources, the same bundle
  });

  it('fails the build when code would read import.meta in the bundle, or does not compile', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'launcher-'));
    try {
      const dirname = join(dir, 'dirname.ts');
      writeFileSync(dirname, 'export const here: string | undefined = import.meta.dirname;\nconsole.log(here);\n');
      await expect(buildStart(dirname)).rejects.toThrow(/still reads import\.meta/);
      const broken = join(dir, 'broken.ts');
      writeFileSync(broken, 'export const x: number = ;\n');
      await expect(buildStart(broken)).rejects.toThrow(/Unexpected/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs the last build again while its sources are the same; a changed or missing input builds anew', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'launcher-'));
    const entry = join(dir, 'entry.ts');
    const dep = join(dir, 'dep.ts');
    const bundles = new Set<string>();
    try {
      writeFileSync(entry, "import { n } from './dep.ts';\nconsole.log(n);\n");
      writeFileSync(dep, 'export const n: number = 1;\n');
      expect(reusableBuild(entry)).toBeNull();
      const first = (await buildStart(entry)) as string;
      bundles.add(dirname(first));
      expect(reusableBuild(entry)).toBe(first);
      expect(await buildStart(entry)).toBe(first);

      writeFileSync(dep, 'export const n: number = 2;\n');
      expect(reusableBuild(entry)).toBeNull();
      const second = (await buildStart(entry)) as string;
      bundles.add(dirname(second));
      expect(second).not.toBe(first);
      expect(readFileSync(second, 'utf8')).toMatch(/n = 2/);
      expect(reusableBuild(entry)).toBe(second);

      rmSync(dirname(second), { recursive: true, force: true }); // removed as stale by another start
      expect(reusableBuild(entry)).toBeNull();
      expect(await buildStart(entry)).toBe(second);
      rmSync(dep);
      expect(reusableBuild(entry)).toBeNull();
    } finally {
      for (const b of bundles) rmSync(b, { recursive: true, force: true });
      rmSync(recordOf(entry) as string, { force: true });
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('removes old bundles no live process runs, and keeps one a router still runs (it loads some chunks late)', async () => {
    const deadPid = Number(execFileSync(process.execPath, ['-p', 'process.pid'], { encoding: 'utf8' }));
    const old = (Date.now() - 2 * 60 * 60 * 1000) / 1000;
    const make = (name: string, pid: number) => {
      const d = join(BUILD_DIR as string, name);
      mkdirSync(d, { recursive: true });
      writeFileSync(join(d, `.pid-${pid}`), '');
      utimesSync(d, old, old);
      return d;
    };
    const running = make('test-running-bundle', process.pid);
    const finished = make('test-finished-bundle', deadPid);
    try {
      const entry = (await buildStart()) as string;
      expect(existsSync(running)).toBe(true);
      expect(existsSync(finished)).toBe(false);
      expect(readdirSync(dirname(entry))).toContain(`.pid-${process.pid}`);
    } finally {
      rmSync(running, { recursive: true, force: true });
      rmSync(finished, { recursive: true, force: true });
    }
  });
});
