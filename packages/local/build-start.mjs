// packages/local/src/start.ts and the workspace code it imports, bundled by esbuild for `npm start` (launch.mjs).
// Plain JS, so that node runs it without a loader.
//
// - Every npm package stays external, loaded from node_modules as ever (native ones included).
// - Each source file's own `import.meta.url` is written into the bundle as that file's URL, so that what the code
//   finds next to itself (the default policy, the worker scripts) is where it is in the source tree; a build whose
//   output still reads `import.meta` anywhere fails.
// - Code splitting keeps each `await import()` of start.ts a chunk of its own, loaded when start.ts asks for it, so
//   the order in which modules run (and read the environment) is the source's.
// - The output goes to a folder named after its content (.build/<hash>/), written through a rename: routers started
//   at once from one clone never read half a file, nor one another's bundle.
// - A start whose sources are the last build's (each input file's content, the package manifests, tsconfig, this
//   script, esbuild's version and the folder's place) runs that build again without building (~0.3 s saved).
import { build, version as esbuildVersion } from 'esbuild';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ENTRY = fileURLToPath(new URL('./src/start.ts', import.meta.url));
/** Where the bundles go (git-ignored). */
export const BUILD_DIR = fileURLToPath(new URL('./.build/', import.meta.url));
/**
 * Bundles of other sources older than this are removed, unless a process that runs one is alive: a router loads
 * some chunks only when first needed (email's), so its bundle must outlive it, not its start.
 */
const STALE_MS = 60 * 60 * 1000;
const PID_FILE = /^\.pid-(\d+)$/;
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Files that change what a build makes without being one of its inputs (how the workspace packages resolve). */
const SETTINGS = ['package.json', 'tsconfig.json', ...['core', 'aws', 'local'].map((p) => `packages/${p}/package.json`)];

const sha = (data) => createHash('sha256').update(data).digest('hex');

function fileSha(path) {
  try {
    return sha(readFileSync(path));
  } catch {
    return null; // gone: not the same sources
  }
}

/** Everything beside the inputs' contents that a build of `entry` depends on. */
function buildKey(entry) {
  const parts = [esbuildVersion, BUILD_DIR, entry, fileSha(fileURLToPath(import.meta.url))];
  for (const f of SETTINGS) parts.push(f, fileSha(join(ROOT, f)));
  return sha(JSON.stringify(parts));
}

/** Where the last build of `entry` is recorded (its bundle's folder and what it was built from). */
export const recordOf = (entry) => join(BUILD_DIR, `last-${sha(entry).slice(0, 16)}.json`);

/**
 * The entry file of the last build of `entry` if it is still there and was made from these very sources; null
 * otherwise (a build is then needed). `key`: buildKey(entry), when the caller has it.
 */
export function reusableBuild(entry = ENTRY, key = buildKey(entry)) {
  let record;
  try {
    record = JSON.parse(readFileSync(recordOf(entry), 'utf8'));
  } catch {
    return null;
  }
  if (record?.key !== key || typeof record.id !== 'string' || !/^[0-9a-f]{16}$/.test(record.id)) return null;
  const start = join(BUILD_DIR, record.id, 'start.mjs');
  if (!existsSync(start)) return null;
  for (const [path, hash] of Object.entries(record.inputs ?? {})) if (fileSha(path) !== hash) return null;
  return start;
}

/** Builds src/start.ts (`entry`: another file, for tests); resolves to the path of the bundle's entry file. */
export async function buildStart(entry = ENTRY) {
  const key = buildKey(entry);
  const reused = reusableBuild(entry, key);
  if (reused) return marked(dirname(reused));
  const read = new Map();
  const result = await build({
    entryPoints: { start: entry },
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    write: false,
    outdir: join(BUILD_DIR, 'out'),
    outExtension: { '.js': '.mjs' },
    sourcemap: 'inline',
    sourcesContent: false, // the sources are on disk beside it
    logLevel: 'silent',
    metafile: true,
    absWorkingDir: ROOT,
    plugins: [
      {
        name: 'alert-router-local',
        setup(b) {
          b.onResolve({ filter: /^[^./]/ }, (args) =>
            args.path.startsWith('@alert-router/') || isAbsolute(args.path) ? undefined : { path: args.path, external: true },
          );
          b.onLoad({ filter: /\.[cm]?ts$/ }, (args) => {
            const source = readFileSync(args.path);
            read.set(args.path, sha(source)); // what this build was made of, even if the file changes meanwhile
            return {
              contents: source.toString('utf8').replace(/\bimport\.meta\.url\b/g, JSON.stringify(pathToFileURL(args.path).href)),
              loader: 'ts',
            };
          });
          b.onLoad({ filter: /\.json$/ }, (args) => {
            const source = readFileSync(args.path);
            read.set(args.path, sha(source));
            return { contents: source, loader: 'json' };
          });
        },
      },
    ],
  });
  const files = result.outputFiles.map((f) => ({ name: relative(join(BUILD_DIR, 'out'), f.path), text: f.text }));
  for (const f of files) {
    const code = f.text.replace(/\/\/# sourceMappingURL=\S*\s*$/, '');
    if (code.includes('import.meta')) throw new Error(`${f.name} still reads import.meta, which would point into the build folder`);
  }
  const hash = createHash('sha256');
  for (const f of files) hash.update(f.name).update('\0').update(f.text).update('\0');
  const id = hash.digest('hex').slice(0, 16);
  const dir = join(BUILD_DIR, id);
  if (!existsSync(dir)) {
    const tmp = join(BUILD_DIR, `${id}.${process.pid}.tmp`);
    mkdirSync(tmp, { recursive: true });
    for (const f of files) writeFileSync(join(tmp, f.name), f.text);
    try {
      renameSync(tmp, dir);
    } catch (err) {
      rmSync(tmp, { recursive: true, force: true });
      if (!existsSync(dir)) throw err; // another start wrote the same bundle first otherwise
    }
  }
  // Recorded after the bundle is in place, through a rename: a start that reads it finds a whole record.
  const inputs = {};
  for (const f of Object.keys(result.metafile.inputs)) {
    const path = resolve(ROOT, f);
    inputs[path] = read.get(path) ?? fileSha(path);
  }
  const record = recordOf(entry);
  const tmpRecord = `${record}.${process.pid}.tmp`;
  writeFileSync(tmpRecord, JSON.stringify({ key, id, inputs }));
  renameSync(tmpRecord, record);
  return marked(dir);
}

/** Marks `dir` as run by this process, forgets dead ones, removes stale bundles; its entry file. */
function marked(dir) {
  for (const f of readdirSync(dir)) {
    const pid = Number(PID_FILE.exec(f)?.[1] ?? 0);
    if (pid && !alive(pid)) rmSync(join(dir, f), { force: true });
  }
  writeFileSync(join(dir, `.pid-${process.pid}`), ''); // this process runs it (removeStale)
  removeStale(basename(dir));
  return join(dir, 'start.mjs');
}

function alive(pid) {
  if (!(pid > 0)) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err?.code === 'EPERM'; // alive, someone else's
  }
}

function removeStale(keep) {
  for (const name of readdirSync(BUILD_DIR)) {
    if (name === keep || (name.startsWith('last-') && name.endsWith('.json'))) continue;
    const path = join(BUILD_DIR, name);
    try {
      const runs = statSync(path).isDirectory() && readdirSync(path).some((f) => alive(Number(PID_FILE.exec(f)?.[1] ?? 0)));
      if (!runs && Date.now() - statSync(path).mtimeMs > STALE_MS) rmSync(path, { recursive: true, force: true });
    } catch {
      // removed by another start meanwhile
    }
  }
}
