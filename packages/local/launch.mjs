// `npm start`: packages/local/src/start.ts bundled by build-start.mjs, then run in this process.
//
// Why not `tsx src/start.ts`: tsx transforms with esbuild's keepNames, which wraps every function the code makes at
// run time in a `__name(fn, "…")` call (an Object.defineProperty each), and resolves modules through its loader;
// under an alarm load the bundle's alarm thread spent ~7 % less CPU per alarm (docs/performance-notes.md, "Stop 21").
import { pathToFileURL } from 'node:url';
import { stop } from 'esbuild';
import { BUILD_DIR, buildStart } from './build-start.mjs';

let entry;
try {
  entry = await buildStart();
} catch (err) {
  process.stderr.write(`alert-router: cannot bundle packages/local/src/start.ts into ${BUILD_DIR}: ${err?.message ?? err}\n`);
  process.exitCode = 1;
} finally {
  await stop(); // esbuild's service process would otherwise idle beside the router
}
if (entry) await import(pathToFileURL(entry).href);
