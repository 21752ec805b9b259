/**
 * How `npm start` runs the router (package.json's `start` script: `node [flags] packages/local/launch.mjs`), so
 * that every bench run of the router is the process a user starts, flags and launcher included.
 */
import { readFileSync } from 'node:fs';

const ROOT = new URL('../..', import.meta.url);

/** The node flags and the script of package.json's `start` (e.g. `--max-semi-space-size=32`, `packages/local/launch.mjs`). */
export function npmStartCommand(): { flags: string[]; script: string } {
  const pkg = JSON.parse(readFileSync(new URL('package.json', ROOT), 'utf8')) as { scripts?: Record<string, string> };
  const start = pkg.scripts?.start ?? '';
  const words = start.trim().split(/\s+/);
  if (words[0] !== 'node') throw new Error(`package.json: "start" should begin with node, got "${start}"`);
  const script = words.findIndex((w, i) => i > 0 && /\.m?js$/.test(w));
  if (script < 0) throw new Error(`package.json: "start" names no script: "${start}"`);
  if (script !== words.length - 1) throw new Error(`package.json: "start" has arguments after its script, which the bench would not pass: "${start}"`);
  const flags = words.slice(1, script);
  const odd = flags.find((f) => !f.startsWith('--'));
  if (odd) throw new Error(`package.json: "start" has "${odd}" before its script, not a node flag of the form --name[=value]`);
  return { flags, script: words[script] };
}

/** The flags between `node` and the script in package.json's `start`. */
export function npmStartNodeFlags(): string[] {
  return npmStartCommand().flags;
}

/** The script package.json's `start` runs (relative to the repository's root). */
export function npmStartScript(): string {
  return npmStartCommand().script;
}
