/**
 * Part 1 (continued): minified bundle size of each Lambda entry point, its cold import time, and the alarm
 * function's time from a fresh `node` process to its first handled SNS event.
 * esbuild as SST bundles for Lambda (bench/lib/lambda-bundle.ts): platform node, format esm, target node22,
 * minified, code splitting; @aws-sdk/* external (the Lambda Node.js runtime provides it) and, for reference,
 * with the SDK bundled in. "Loaded at start" = the entry and the chunks it imports statically.
 */
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { buildLambdaBundle, ROOT, runFirstEvent, sampleSnsEvent, startBytesByPackage } from './lib/lambda-bundle';
import { median } from './lib/stats';

/** Inside node_modules so that the external @aws-sdk/* of a bundle resolves as it would in the Lambda runtime. */
const OUT = join(ROOT, 'node_modules', '.cache', 'alert-router-bench');

export interface BundleSize {
  fn: string;
  /** Largest contributors to what the bundle without the SDK loads at start, by package (bytes in output). */
  topPackages: { name: string; bytes: number }[];
  /** bytes/gzip: loaded at start; totalBytes: with the chunks loaded on first use. */
  withoutSdk: { bytes: number; totalBytes: number; gzip: number; file: string };
  withSdk: { bytes: number; totalBytes: number; gzip: number; file: string };
}

/** functions/alarm.ts bundle in a fresh `node`: process start → first SNS event handled (DynamoDB: dynalite, Slack: a loopback sink). */
export interface FirstEventReport {
  /** Median of the child's performance.now() when its handler answered (origin: the process start). */
  medianMs: number;
  /** Median spawn → exit, measured by the parent. */
  processMs: number;
  /** Every run's ms, in order. */
  runsMs: number[];
  /** Median CPU ms (user + system) the child had used when its handler answered. */
  cpuMs: number;
  error: string | null;
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
  firstEvent: FirstEventReport | null;
  runs: number;
  esbuildVersion: string;
}

export function functionNames(): string[] {
  return readdirSync(join(ROOT, 'functions'))
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !f.endsWith('.test.ts'))
    .map((f) => f.replace(/\.ts$/, ''))
    .sort();
}

async function bundleOne(fn: string, withSdk: boolean): Promise<BundleSize['withoutSdk'] & { top: { name: string; bytes: number }[] }> {
  const outdir = join(OUT, withSdk ? 'full' : 'lambda', fn);
  const b = await buildLambdaBundle(fn, { withSdk, outdir });
  const gzip = b.startFiles.reduce((n, f) => n + gzipSync(readFileSync(join(ROOT, f))).length, 0);
  return { bytes: b.startBytes, totalBytes: b.totalBytes, gzip, file: b.entry, top: startBytesByPackage(b).slice(0, 8) };
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

/**
 * The alarm bundle (`entry`, SDK external) in `runs` fresh node processes, each handed one new ALARM: DynamoDB is
 * dynalite on loopback (packages/local), Slack a loopback sink answering 200 ok; email and PagerDuty unconfigured.
 */
export async function measureFirstEvent(entry: string, runs = 5, extraEnv: Record<string, string> = {}): Promise<FirstEventReport> {
  const { startDynalite, ensureTable } = await import('../packages/local/src/dynalite');
  const dynamo = await startDynalite();
  const table = 'bench-cold-start';
  await ensureTable(dynamo.endpoint, table);
  const sink = createServer((req, res) => req.resume().on('end', () => res.writeHead(200, { 'content-type': 'text/html' }).end('ok')));
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  const env = {
    PATH: process.env.PATH ?? '',
    ROUTER_TABLE: table,
    DYNAMODB_ENDPOINT: dynamo.endpoint,
    AWS_REGION: 'eu-west-1',
    SLACK_WEBHOOK_URL: `http://127.0.0.1:${(sink.address() as AddressInfo).port}/services/T/B/X`,
    POWERTOOLS_LOG_LEVEL: 'WARN',
    POWERTOOLS_METRICS_DISABLED: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...extraEnv,
  };
  try {
    const all = [];
    for (let i = 0; i < runs; i++) all.push(await runFirstEvent(entry, sampleSnsEvent(`ColdStart${i}`, new Date(Date.UTC(2026, 11, 1, 8, 0, i))), env));
    const bad = all.find((r) => !r.ok || r.outcomes?.[0] !== 'opened');
    return {
      medianMs: median(all.map((r) => r.ms)),
      processMs: median(all.map((r) => r.processMs)),
      runsMs: all.map((r) => Math.round(r.ms)),
      cpuMs: median(all.map((r) => r.cpuMs ?? Number.NaN)),
      error: bad ? (bad.error ?? `outcome ${bad.outcomes?.join(',')}`) : null,
    };
  } finally {
    sink.closeAllConnections();
    sink.close();
    await dynamo.close();
  }
}

export function nodeBaselineMs(runs = 5): number {
  const baseline: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    spawnSync(process.execPath, ['-e', '0'], { env: ENV });
    baseline.push(performance.now() - t0);
  }
  return median(baseline);
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
  const baseline = nodeBaselineMs(runs);
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
  const alarm = sizes.find((s) => s.fn === 'alarm');
  const firstEvent = alarm ? await measureFirstEvent(alarm.withoutSdk.file, runs) : null;
  const { version } = await import('esbuild');
  return { sizes, cold, nodeBaselineMs: baseline, firstEvent, runs, esbuildVersion: version };
}
