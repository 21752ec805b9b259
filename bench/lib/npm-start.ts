/**
 * The node flags `npm start` runs the router with (package.json's `start` script: `tsx [flags] packages/…`), so
 * that every bench run of the router is the process a user starts, flags included.
 */
import { readFileSync } from 'node:fs';

const ROOT = new URL('../..', import.meta.url);

/** The flags between `tsx` and the script in package.json's `start` (e.g. `--max-semi-space-size=32`). */
export function npmStartNodeFlags(): string[] {
  const pkg = JSON.parse(readFileSync(new URL('package.json', ROOT), 'utf8')) as { scripts?: Record<string, string> };
  const words = (pkg.scripts?.start ?? '').trim().split(/\s+/);
  if (words[0] !== 'tsx') throw new Error(`package.json: "start" should begin with tsx, got "${pkg.scripts?.start}"`);
  const script = words.findIndex((w) => w.endsWith('start.ts'));
  if (script < 0) throw new Error(`package.json: "start" names no start.ts: "${pkg.scripts?.start}"`);
  if (script !== words.length - 1)
    throw new Error(`package.json: "start" has arguments after its script, which the bench would not pass: "${pkg.scripts?.start}"`);
  const flags = words.slice(1, script);
  const odd = flags.find((f) => !f.startsWith('--'));
  if (odd) throw new Error(`package.json: "start" has "${odd}" before its script, not a node flag`);
  return flags;
}
