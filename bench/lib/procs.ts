/** Child processes of the bench: started here, sampled for memory, always stopped (also on error or Ctrl-C). */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

const children = new Set<ChildProcess>();

export function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** SIGTERM, then SIGKILL after `graceMs`. Resolves when the process is gone. */
export async function stop(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await gone;
  clearTimeout(timer);
}

export async function stopAll(): Promise<void> {
  await Promise.all([...children].map((c) => stop(c, 3000)));
}

/** Last-resort cleanup: synchronous SIGKILL of whatever is still running (process 'exit' cannot wait). */
function killNow(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}
process.once('exit', killNow);
// Under vitest (a test of a bench helper) the runner owns the worker's life: it ends workers with SIGTERM, and
// exiting 130 there would look like a crash. The 'exit' hook above still kills what a test left running.
if (!process.env.VITEST) {
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      process.stderr.write(`\nbench: ${sig}, stopping child processes\n`);
      killNow();
      process.exit(130);
    });
  }
}

/** Spawns a process and waits until a line of its stdout/stderr matches `ready` (or it exits, or times out). */
export async function spawnUntil(
  cmd: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; ready: RegExp; timeoutMs?: number; label: string },
): Promise<{ child: ChildProcess; match: RegExpMatchArray; output: () => string }> {
  const { child, output } = spawnTracked(cmd, args, opts);
  const match = await new Promise<RegExpMatchArray>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`${opts.label}: not ready after ${opts.timeoutMs ?? 30_000} ms:\n${output().slice(-2000)}`));
    }, opts.timeoutMs ?? 30_000);
    const check = () => {
      const m = output().match(opts.ready);
      if (m) {
        cleanup();
        resolve(m);
      }
    };
    const exited = (code: number | null) => {
      cleanup();
      reject(new Error(`${opts.label}: exited (${code}) before it was ready:\n${output().slice(-2000)}`));
    };
    const cleanup = () => {
      clearTimeout(timer);
      child.stdout!.off('data', check);
      child.stderr!.off('data', check);
      child.off('exit', exited);
    };
    child.stdout!.on('data', check);
    child.stderr!.on('data', check);
    child.once('exit', exited);
  });
  return { child, match, output };
}

/** Peak resident memory of a process: VmHWM (kernel-tracked high-water mark), sampled until stopped. */
export function sampleMemory(pid: number, everyMs = 250): { stop(): { peakRssKiB: number; lastRssKiB: number } } {
  let peak = 0;
  let last = 0;
  const read = () => {
    try {
      const s = readFileSync(`/proc/${pid}/status`, 'utf8');
      const hwm = Number(/VmHWM:\s+(\d+)/.exec(s)?.[1] ?? 0);
      last = Number(/VmRSS:\s+(\d+)/.exec(s)?.[1] ?? 0);
      peak = Math.max(peak, hwm, last);
    } catch {
      /* exited */
    }
  };
  read();
  const timer = setInterval(read, everyMs);
  return {
    stop() {
      read();
      clearInterval(timer);
      return { peakRssKiB: peak, lastRssKiB: last };
    },
  };
}

/** A free loopback TCP port (for programs that cannot take port 0 and tell us which they got). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** CPU seconds (user+system) a process has used so far, from /proc/PID/stat; with `tid`, one of its threads only. */
export function processCpuSeconds(pid: number, tid?: number): number {
  try {
    const stat = readFileSync(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[11] = utime, fields[12] = stime (after pid and comm): clock ticks, 100 per second on Linux
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

/** Spawns a tracked process and keeps the tail of its output (for error messages). */
export function spawnTracked(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string }): { child: ChildProcess; output: () => string } {
  const child = track(spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] }));
  let out = '';
  const keep = (c: Buffer) => {
    out += c.toString('utf8');
    if (out.length > 200_000) out = out.slice(-100_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  return { child, output: () => out };
}

/** CPU seconds the whole machine spent busy so far (all CPUs, from /proc/stat): to see what else ran during a measurement. */
export function machineBusySeconds(): number {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal
    return (f[0] + f[1] + f[2] + f[5] + f[6] + (f[7] ?? 0)) / 100;
  } catch {
    return Number.NaN;
  }
}

/** CPU seconds used by this process so far. */
export function ownCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}
