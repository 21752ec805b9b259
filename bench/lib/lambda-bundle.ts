/**
 * A Lambda entry bundled the way SST builds it (stacks/functions.ts): esbuild, ESM, node22, minified, code
 * splitting on (dynamic imports become chunks loaded on first use), @aws-sdk/* external (the Lambda Node.js
 * runtime provides it). Shared by bench/bundle.ts (sizes, cold start) and test/bundle-budget.test.ts (budget).
 */
import { join, resolve } from 'node:path';
import { build, type Metafile } from 'esbuild';

export const ROOT = resolve(import.meta.dirname, '..', '..');

/** CommonJS dependencies in an ESM bundle need require/__dirname (SST adds the same banner). */
export const BANNER = [
  "import { createRequire as __bench_cr } from 'node:module';",
  "import { fileURLToPath as __bench_fu } from 'node:url';",
  "import { dirname as __bench_dn } from 'node:path';",
  'const require = __bench_cr(import.meta.url);',
  'const __filename = __bench_fu(import.meta.url);',
  'const __dirname = __bench_dn(__filename);',
].join('\n');

export interface LambdaBundle {
  /** The entry file (outdir/<fn>.mjs) when written, else its path in the metafile. */
  entry: string;
  /** Bytes of the entry and of every chunk it imports statically, transitively: what a cold start loads. */
  startBytes: number;
  /** Bytes of every output file (lazy chunks included). */
  totalBytes: number;
  /** Source files (metafile input paths, relative to ROOT) inside what a cold start loads. */
  startInputs: string[];
  /** Source files only in chunks loaded by dynamic import(). */
  lazyInputs: string[];
  metafile: Metafile;
}

export interface LambdaBundleOptions {
  /** Bundle @aws-sdk/* too (default: external, as on Lambda). */
  withSdk?: boolean;
  /** Write the files there; without it nothing is written (sizes come from the metafile). */
  outdir?: string;
}

/** Bundles functions/<fn>.ts as SST does and splits its outputs into loaded-at-start and loaded-on-demand. */
export async function buildLambdaBundle(fn: string, options: LambdaBundleOptions = {}): Promise<LambdaBundle> {
  const outdir = options.outdir ?? join(ROOT, 'node_modules', '.cache', 'alert-router-bundle-dry');
  const result = await build({
    metafile: true,
    write: options.outdir !== undefined,
    entryPoints: { [fn]: join(ROOT, 'functions', `${fn}.ts`) },
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    minify: true,
    external: options.withSdk ? [] : ['@aws-sdk/*'],
    banner: { js: BANNER },
    logLevel: 'silent',
    absWorkingDir: ROOT,
  });
  const metafile = result.metafile!;
  const outputs = metafile.outputs;
  const entry = Object.keys(outputs).find((o) => outputs[o].entryPoint !== undefined)!;
  const atStart = new Set<string>();
  const visit = (file: string) => {
    if (atStart.has(file)) return;
    atStart.add(file);
    for (const i of outputs[file].imports) if (i.kind === 'import-statement' && !i.external) visit(i.path);
  };
  visit(entry);
  const inputsOf = (files: Iterable<string>) => new Set([...files].flatMap((f) => Object.keys(outputs[f].inputs)));
  const startInputs = inputsOf(atStart);
  const lazyInputs = [...inputsOf(Object.keys(outputs).filter((o) => !atStart.has(o)))].filter((i) => !startInputs.has(i));
  const size = (files: Iterable<string>) => [...files].reduce((n, f) => n + outputs[f].bytes, 0);
  return {
    entry: options.outdir !== undefined ? join(ROOT, entry) : entry,
    startBytes: size(atStart),
    totalBytes: size(Object.keys(outputs)),
    startInputs: [...startInputs].sort(),
    lazyInputs: lazyInputs.sort(),
    metafile,
  };
}

/** The npm package a metafile input belongs to (`node_modules/@scope/name/...` → `@scope/name`), else its folder. */
export function packageOf(input: string): string {
  const nm = input.lastIndexOf('node_modules/');
  if (nm < 0) return input.startsWith('packages/') ? input.split('/').slice(0, 2).join('/') : input.split('/')[0];
  const rest = input.slice(nm + 'node_modules/'.length).split('/');
  return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
}

/** Bytes in the loaded-at-start outputs by package, largest first. */
export function startBytesByPackage(b: LambdaBundle): { name: string; bytes: number }[] {
  const start = new Set(b.startInputs);
  const byPkg = new Map<string, number>();
  for (const out of Object.values(b.metafile.outputs)) {
    for (const [input, v] of Object.entries(out.inputs)) {
      if (start.has(input)) byPkg.set(packageOf(input), (byPkg.get(packageOf(input)) ?? 0) + v.bytesInOutput);
    }
  }
  return [...byPkg.entries()].sort((a, b) => b[1] - a[1]).map(([name, bytes]) => ({ name, bytes }));
}
