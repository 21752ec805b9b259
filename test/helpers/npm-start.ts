import { spawn, type ChildProcess } from 'node:child_process';
import type { SnsHttpBody } from '../../packages/local/src/lambda-events';
import { npmStartScript } from '../../bench/lib/npm-start';
import { ungroupedPolicyFile } from './policies';

export interface StartedRouter {
  url: string;
  proc: ChildProcess;
  /** Everything printed so far (stdout and stderr). */
  output: () => string;
  /** Resolves once the output contains `text`; rejects if the process exits first. No deadline of its own. */
  waitForOutput: (text: string | RegExp) => Promise<void>;
  stop: () => Promise<void>;
}

const ROOT = new URL('../..', import.meta.url).pathname;

/**
 * `npm start`'s script as a new user runs it (its launcher, which bundles src/start.ts and runs it: a child process
 * on a free port, HTTP only from here), without its node flags (package.json: the young generation's size, V8's
 * helper threads): they change how the collector runs, not what the router does, and many of these run at once.
 * Resolves when it prints that it listens: an awaited event, so a slow machine only takes longer (the test's hook
 * timeout is the one deadline). Grouping is off (the tests of one incident per alarm) unless `env` names
 * ROUTER_POLICY_FILE.
 */
export async function startRouterProcess(args: string[] = [], env: Record<string, string> = {}): Promise<StartedRouter> {
  const proc = spawn(process.execPath, [npmStartScript(), '--port', '0', ...args], {
    cwd: ROOT,
    env: {
      ...process.env,
      SLACK_WEBHOOK_URL: '',
      SLACK_BOT_TOKEN: '',
      SLACK_CHANNEL: '',
      PAGERDUTY_ROUTING_KEY: '',
      SMTP_URL: '',
      PORT: '',
      ROUTER_POLICY_FILE: ungroupedPolicyFile(),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const waiters = new Set<() => void>();
  const onData = (c: Buffer) => {
    out += c;
    for (const w of [...waiters]) w();
  };
  proc.stdout!.on('data', onData);
  proc.stderr!.on('data', onData);

  const waitForOutput = (text: string | RegExp) =>
    new Promise<void>((resolve, reject) => {
      const seen = () => (typeof text === 'string' ? out.includes(text) : text.test(out));
      const check = () => {
        if (!seen()) return;
        waiters.delete(check);
        proc.off('exit', exited);
        resolve();
      };
      const exited = (code: number | null) => {
        waiters.delete(check);
        reject(new Error(`npm start exited (${code}) before printing ${String(text)}:\n${out}`));
      };
      if (seen()) return resolve();
      if (proc.exitCode !== null) return exited(proc.exitCode);
      waiters.add(check);
      proc.once('exit', exited);
    });

  try {
    await waitForOutput(/listening on http:\/\/[\d.]+:\d+/);
  } catch (err) {
    proc.kill();
    throw err;
  }
  const url = /listening on (http:\/\/[\d.]+:\d+)/.exec(out)![1];
  return {
    url,
    proc,
    output: () => out,
    waitForOutput,
    stop: async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await exited;
    },
  };
}

/** One SNS HTTP delivery to a router's `POST /sns`: its status, or 0 when the connection failed (a process killed under it). */
export async function postSns(url: string, body: SnsHttpBody): Promise<number> {
  try {
    const r = await fetch(`${url}/sns`, {
      method: 'POST',
      body: JSON.stringify(body),
      headers: { 'content-type': 'text/plain; charset=UTF-8', 'x-amz-sns-message-type': 'Notification' },
    });
    await r.arrayBuffer();
    return r.status;
  } catch {
    return 0;
  }
}
