import { existsSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

/**
 * `npm start [-- --port 3000] [--data DIR] [--store sqlite|dynalite] [--demo] [--background N] [--send-thread on|off]`:
 * the whole router on this machine.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      port: { type: 'string', short: 'p' },
      host: { type: 'string' },
      data: { type: 'string' },
      store: { type: 'string' },
      demo: { type: 'boolean', default: false },
      verbose: { type: 'boolean', short: 'v', default: false },
      background: { type: 'string' },
      'send-thread': { type: 'string' },
    },
  });
  if (existsSync('.env')) process.loadEnvFile('.env');
  const cliPort = values.port === undefined ? undefined : Number(values.port);
  if (cliPort !== undefined && (!Number.isInteger(cliPort) || cliPort < 0 || cliPort > 65535))
    throw new Error(`--port: expected a port number, got "${values.port}"`);
  const backgroundLimit = values.background === undefined ? undefined : Number(values.background);
  if (backgroundLimit !== undefined && (!Number.isInteger(backgroundLimit) || backgroundLimit < 0))
    throw new Error(`--background: expected a number of sends (0: answer after sending), got "${values.background}"`);
  const sendThread = values['send-thread'] ?? 'on';
  if (sendThread !== 'on' && sendThread !== 'off') throw new Error(`--send-thread: expected on or off, got "${sendThread}"`);
  const dataDir = values.data ? resolve(values.data) : undefined;
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const { applyLocalEnvDefaults } = await import('./local-env');
  applyLocalEnvDefaults({ verbose: values.verbose });
  const { readEnv } = await import('@alert-router/aws');
  const port = cliPort ?? readEnv(process.env, ['PORT']).PORT ?? 3000;
  const { LOCAL_STORES, startRouter } = await import('./router');
  const store = LOCAL_STORES.find((s) => s === (values.store ?? 'sqlite'));
  if (!store) throw new Error(`--store: expected ${LOCAL_STORES.join(' or ')}, got "${values.store}"`);
  const router = await startRouter({
    port,
    host: values.host ?? '127.0.0.1',
    dataDir,
    store,
    demo: values.demo,
    verbose: values.verbose,
    backgroundLimit,
    sendThread: sendThread === 'on',
  });
  const stop = async () => {
    await router.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

main().catch((err: Error) => {
  process.stderr.write(`alert-router: ${err.message}\n`);
  process.exit(1);
});
