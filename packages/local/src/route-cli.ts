import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  defaultPolicy,
  isWebhookSource,
  loadPolicyFile,
  parseAnyInputText,
  route,
  routeLine,
  RouterError,
  WEBHOOK_SOURCES,
  type WebhookSource,
} from '@alert-router/core';

const USAGE = `usage: route FILE [--config POLICY.yaml] [--source ${WEBHOOK_SOURCES.join('|')}]`;

/**
 * `npm run --silent route -- FILE [--config POLICY.yaml] [--source NAME]`: one JSON line per alarm or alert, no
 * side effects. Webhook bodies are recognised by their shape; `--source` forces one.
 */
function main(argv: string[]): number {
  let file: string | undefined;
  let config: string | undefined;
  let source: WebhookSource | undefined;
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { config: { type: 'string', short: 'c' }, source: { type: 'string', short: 's' } },
      allowPositionals: true,
    });
    file = positionals[0];
    config = values.config;
    if (!file || positionals.length > 1) throw new RouterError(USAGE);
    if (values.source !== undefined) {
      if (!isWebhookSource(values.source)) throw new RouterError(`--source: expected one of ${WEBHOOK_SOURCES.join(', ')}, got "${values.source}"`);
      source = values.source;
    }
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
    const { notifications } = parseAnyInputText(text, { source, receivedAt: new Date().toISOString() });
    if (notifications.length === 0) throw new RouterError('no alert in this payload (a Sentry resource that is not an alert)');
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
