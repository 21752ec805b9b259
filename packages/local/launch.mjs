// `npm start`: packages/local/src/start.ts and the workspace code it imports, bundled by esbuild into one ESM file
// (every npm package stays external, loaded from node_modules as ever), then run in this process. Plain JS, so that
// node runs it without a loader.
//
// Why not `tsx src/start.ts`: tsx transforms with esbuild's keepNames, which wraps every function the code makes at
// run time in a `__name(fn, "…")` call (an Object.defineProperty each), and resolves modules through its loader;
// under an alarm load that cost the alarm thread about a quarter of its time (docs/performance-notes.md, "Stop 21").
//
// Each file's own `import.meta.url` is written into the bundle as the file's URL, so that what the code finds next
// to itself (the default policy, the worker scripts) is where it is in the source tree. The bundle is made anew at
// every start (~0.3 s) and written by a rename, so routers started at once from one clone never read half a file.
import { build, stop } from 'esbuild';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ENTRY = fileURLToPath(new URL('./src/start.ts', import.meta.url));
const OUT = fileURLToPath(new URL('./.build/start.mjs', import.meta.url));

/** `src/start.ts` as one ESM file at `.build/start.mjs`; resolves to its path. */
export async function buildStart() {
  const result = await build({
    entryPoints: [ENTRY],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    write: false,
    outfile: OUT,
    sourcemap: 'inline',
    logLevel: 'warning',
    plugins: [
      {
        name: 'alert-router-local',
        setup(b) {
          // npm packages external (native ones included); the workspace's own packages bundled.
          b.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith('@alert-router/') ? undefined : { path: args.path, external: true }));
          b.onLoad({ filter: /\.ts$/ }, (args) => ({
            contents: readFileSync(args.path, 'utf8').replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href)),
            loader: 'ts',
          }));
        },
      },
    ],
  });
  await stop(); // esbuild's service process would otherwise idle beside the router
  const [file] = result.outputFiles;
  mkdirSync(new URL('./.build/', import.meta.url), { recursive: true });
  const tmp = `${OUT}.${process.pid}.tmp`;
  writeFileSync(tmp, file.contents);
  renameSync(tmp, OUT);
  return OUT;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await import(pathToFileURL(await buildStart()).href);
}
