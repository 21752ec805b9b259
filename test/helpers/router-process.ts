import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** `npm start` in a child process on a free port, channels in the outbox, plus `env`; resolves once it listens. */
export async function startRouterProcess(env: Record<string, string> = {}, timeoutMs = 15_000): Promise<{ url: string; proc: ChildProcess; output: () => string }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'packages/local/src/start.ts', '--port', '0'], {
    cwd: ROOT,
    env: { ...process.env, SLACK_WEBHOOK_URL: '', PAGERDUTY_ROUTING_KEY: '', SMTP_URL: '', PORT: '', DASHBOARD_TOKEN: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (c) => (out += c));
  proc.stderr!.on('data', (c) => (out += c));
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    const m = /listening on (http:\/\/[\d.]+:\d+)/.exec(out);
    if (m) return { url: m[1], proc, output: () => out };
    if (proc.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  proc.kill();
  throw new Error(`npm start did not come up:\n${out}`);
}
