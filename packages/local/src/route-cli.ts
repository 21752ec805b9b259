import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { defaultPolicy, loadPolicyFile, parseInputText, route, routeLine, RouterError } from '@alert-router/core';

/** `npm run --silent route -- FILE [--config POLICY.yaml]`: one JSON line per alarm, no side effects. */
function main(argv: string[]): number {
  let file: string | undefined;
  let config: string | undefined;
  try {
    const { values, positionals } = parseArgs({ args: argv, options: { config: { type: 'string', short: 'c' } }, allowPositionals: true });
    file = positionals[0];
    config = values.config;
    if (!file || positionals.length > 1) throw new RouterError('usage: route FILE [--config POLICY.yaml]');
  } catch (err) {
    process.stderr.write(`route: ${(err as Error).message}\n`);
    return 2;
  }
  try {
    const policy = config ? loadPolicyFile(config) : defaultPolicy();
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new RouterError(`cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    const { notifications } = parseInputText(text);
    const out = notifications.map((n) => JSON.stringify(routeLine(route(n, policy)))).join('\n');
    for (const n of notifications) for (const w of n.warnings) process.stderr.write(`route: warning: ${w}\n`);
    process.stdout.write(`${out}\n`);
    return 0;
  } catch (err) {
    const msg = err instanceof RouterError ? err.message : `unexpected error: ${(err as Error).message}`;
    process.stderr.write(`route: ${file}: ${msg.split('\n')[0]}\n`);
    return 2;
  }
}

process.exitCode = main(process.argv.slice(2));
