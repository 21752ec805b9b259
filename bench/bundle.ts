/**
 * Part 1 (continued): minified bundle size of each Lambda entry point and its cold import time.
 * esbuild as SST bundles for Lambda: platform node, format esm, target node22, minified; @aws-sdk/* external
 * (the Lambda Node.js runtime provides it) and, for reference, with the SDK bundled in.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { build } from 'esbuild';
import { median } from './lib/stats';

const ROOT = resolve(import.meta.dirname, '..');
/** Inside node_modules so that the external @aws-sdk/* of a bundle resolves as it would in the Lambda runtime. */
const OUT = join(ROOT, 'node_modules', '.cache', 'alert-router-bench');

/** CommonJS dependencies in an ESM bundle need require/__dirname (SST adds the same banner). */
const BANNER = [
  "import { createRequire as __bench_cr } from 'node:module';",
  "import { fileURLToPath as __bench_fu } from 'node:url';",
  "import { dirname as __bench_dn } from 'node:path';",
  'const require = __bench_cr(import.meta.url);',
  'const __filename = __bench_fu(import.meta.url);',
  'const __dirname = __bench_dn(__filename);',
].join('\n');

export interface BundleSize {
  fn: string;
  /** Largest contributors to the minified bundle without the SDK, by package (bytes in output). */
  topPackages: { name: string; bytes: number }[];
  withoutSdk: { bytes: number; gzip: number; file: string };
  withSdk: { bytes: number; gzip: number; file: string };
}

export interface ColdImport {
  fn: string;
  /** `node --import tsx` on the TypeScript source: whole process wall time and the import() alone (median). */
  tsxProcessMs: number;
  tsxImportMs: number;
  /** Plain node on the esbuild bundle (@aws-sdk external, loaded from node_modules like the Lambda runtime's copy). */
  bundleProcessMs: number;
  bundleImportMs: number;
  /** Plain node on the bundle with the SDK inside. */
  fullBundleImportMs: number;
  error: string | null;
}

export interface BundleReport {
  sizes: BundleSize[];
  cold: ColdImport[];
  /** `node -e 0` wall time: the floor under every process figure. */
  nodeBaselineMs: number;
  runs: number;
  esbuildVersion: string;
}

export function functionNames(): string[] {
  return readdirSync(join(ROOT, 'functions'))
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !f.endsWith('.test.ts'))
    .map((f) => f.replace(/\.ts$/, ''))
    .sort();
}

function packageOf(input: string): string {
  const nm = input.lastIndexOf('node_modules/');
  if (nm < 0) return input.startsWith('packages/') ? input.split('/').slice(0, 2).join('/') : input.split('/')[0];
  const rest = input.slice(nm + 'node_modules/'.length).split('/');
  return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
}

async function bundleOne(fn: string, withSdk: boolean): Promise<{ bytes: number; gzip: number; file: string; top: { name: string; bytes: number }[] }> {
  const file = join(OUT, withSdk ? 'full' : 'lambda', `${fn}.mjs`);
  const result = await build({
    metafile: true,
    entryPoints: [join(ROOT, 'functions', `${fn}.ts`)],
    outfile: file,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    minify: true,
    external: withSdk ? [] : ['@aws-sdk/*'],
    banner: { js: BANNER },
    logLevel: 'silent',
    absWorkingDir: ROOT,
  });
  const bytes = statSync(file).size;
  const byPkg = new Map<string, number>();
  for (const out of Object.values(result.metafile!.outputs)) for (const [input, v] of Object.entries(out.inputs)) byPkg.set(packageOf(input), (byPkg.get(packageOf(input)) ?? 0) + v.bytesInOutput);
  const top = [...byPkg.entries()].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([name, b]) => ({ name, bytes: b }));
  return { bytes, gzip: gzipSync(readFileSync(file)).length, file, top };
}

const ENV = { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', POWERTOOLS_METRICS_DISABLED: 'true', POWERTOOLS_LOG_LEVEL: 'WARN' };

/** Spawns node, returns wall ms of the process and the ms the import() itself took (printed by the child). */
function timeImport(nodeArgs: string[], specifier: string): { processMs: number; importMs: number; error: string | null } {
  const code = `const t = performance.now(); await import(${JSON.stringify(specifier)}); process.stdout.write('IMPORT_MS=' + (performance.now() - t));`;
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [...nodeArgs, '--input-type=module', '-e', code], { cwd: ROOT, env: ENV, encoding: 'utf8', timeout: 60_000 });
  const processMs = performance.now() - t0;
  const m = /IMPORT_MS=([\d.]+)/.exec(r.stdout ?? '');
  if (!m) return { processMs, importMs: Number.NaN, error: (r.stderr || r.stdout || `exit ${r.status}`).trim().split('\n').slice(0, 3).join(' ') };
  return { processMs, importMs: Number(m[1]), error: null };
}

export async function measureBundles(runs = 5): Promise<BundleReport> {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  const fns = functionNames();
  const sizes: BundleSize[] = [];
  for (const fn of fns) {
    const { top, ...withoutSdk } = await bundleOne(fn, false);
    const { top: _ignored, ...withSdk } = await bundleOne(fn, true);
    sizes.push({ fn, topPackages: top, withoutSdk, withSdk });
  }
  const baseline: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    spawnSync(process.execPath, ['-e', '0'], { env: ENV });
    baseline.push(performance.now() - t0);
  }
  const cold: ColdImport[] = [];
  for (const s of sizes) {
    const tsx: ReturnType<typeof timeImport>[] = [];
    const lambda: ReturnType<typeof timeImport>[] = [];
    const full: ReturnType<typeof timeImport>[] = [];
    for (let i = 0; i < runs; i++) {
      tsx.push(timeImport(['--import', 'tsx'], `./functions/${s.fn}.ts`));
      lambda.push(timeImport([], pathToFileURL(s.withoutSdk.file).href));
      full.push(timeImport([], pathToFileURL(s.withSdk.file).href));
    }
    const err = [...tsx, ...lambda, ...full].find((x) => x.error)?.error ?? null;
    cold.push({
      fn: s.fn,
      tsxProcessMs: median(tsx.map((x) => x.processMs)),
      tsxImportMs: median(tsx.map((x) => x.importMs)),
      bundleProcessMs: median(lambda.map((x) => x.processMs)),
      bundleImportMs: median(lambda.map((x) => x.importMs)),
      fullBundleImportMs: median(full.map((x) => x.importMs)),
      error: err,
    });
  }
  const { version } = await import('esbuild');
  return { sizes, cold, nodeBaselineMs: median(baseline), runs, esbuildVersion: version };
}
