/**
 * Reads that scale, and memory that stays flat (issue 12): the router started like `npm start --data DIR` (SQLite
 * file, no channel configured: the local outbox), alarms posted to /sns, each of its own account so that no
 * grouping rule folds them; then
 *
 *   - RSS (VmRSS, the lowest of 10 samples over the 5 s after posting stopped) after 1,000, 5,000 and 12,000
 *     alarms, beside the live JS heap after a full GC (bench/lib/heap-probe.mjs, on SIGUSR2: V8 gives memory back
 *     lazily, so RSS alone cannot tell a leak from garbage not yet collected), the size of what is stored (the
 *     SQLite file + WAL) and the peak (VmHWM);
 *   - with 5,000 open incidents: `GET /`, `GET /api/incidents`, `GET /api/digest` (N tries each, one at a time;
 *     the digest's first answer is its cold one, the others come from its 30 s cache).
 *
 * Memory is measured on an instance that only takes alarms, the reads on a second one (so that the memory the
 * reads' large answers leave with V8 does not blur the growth with the count).
 *
 * `npx tsx bench/reads.ts` runs it alone (BENCH_READS_N=12000, BENCH_READS_OPEN=5000, BENCH_READS_TRIES=20);
 * bench/run.ts runs it unless BENCH_SKIP has `reads`. A measurement to print and record, not a test.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { snsNotification } from '../packages/local/src/demo';
import { httpClient, runLoad } from './lib/load';
import { npmStartNodeFlags, npmStartScript } from './lib/npm-start';
import { SNS_POST_HEADERS, TEMPLATES } from './lib/workload';
import { spawnUntil, stop } from './lib/procs';
import { ms, summarize, type Summary } from './lib/stats';

const ROOT = new URL('..', import.meta.url).pathname;

export interface ReadTiming {
  route: string;
  tries: number;
  /** Milliseconds of each try, in order (the first is the cold one). */
  summary: Summary;
  firstMs: number;
  bytes: number;
}

export interface RssPoint {
  alarms: number;
  rssMiB: number;
  /** RSS right after a full GC, and the live JS heap then (bench/lib/heap-probe.mjs), MiB. */
  rssAfterGcMiB: number | null;
  heapMiB: number | null;
  /** SQLite file + WAL at that point. */
  storedMiB: number;
}

export interface ReadsReport {
  open: number;
  reads: ReadTiming[];
  /** Memory of an instance that only took alarms. */
  rss: RssPoint[];
  /** Memory of the reads' instance after the reads. */
  afterReads?: RssPoint;
  /** Peak RSS (VmHWM) of the alarms-only instance. */
  peakRssMiB: number;
}

/** One ALARM of alarm `n` (the bench's P0–P3 mix), from account `n` (distinct accounts: no default grouping folds them). */
function alarmBody(n: number, at: Date): string {
  const t = TEMPLATES[n % TEMPLATES.length].alarm; // P0, P1, P1, P2, P3
  const sns = snsNotification({ ...t, name: `ReadsBench-${String(n).padStart(6, '0')}-${t.name}` }, 'ALARM', at);
  const account = String(100_000_000_000 + n);
  const msg = JSON.parse(sns.Message) as Record<string, unknown>;
  const message = { ...msg, AWSAccountId: account, AlarmArn: String(msg.AlarmArn).replace(/:\d{12}:/, `:${account}:`) };
  return JSON.stringify({ ...sns, Message: JSON.stringify(message) });
}

function kib(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(new RegExp(`${field}:\\s+(\\d+)`).exec(s)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

function storedMiB(dir: string): number {
  let total = 0;
  for (const f of ['alert-router.sqlite', 'alert-router.sqlite-wal']) {
    try {
      total += statSync(join(dir, f)).size;
    } catch {
      /* not there */
    }
  }
  return total / 1024 / 1024;
}

interface RouterSession {
  postUpTo(n: number): Promise<void>;
  point(): Promise<RssPoint>;
  time(route: string, tries: number): Promise<ReadTiming>;
  peakRssMiB(): number;
  close(): Promise<void>;
}

/** `npm start --data DIR` on a fresh directory, no channel configured (the local outbox), with the heap probe. */
async function routerSession(log: (line: string) => void): Promise<RouterSession> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-reads-'));
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (/^(PAGERDUTY|SLACK|SMTP|EMAIL|SES|DASHBOARD_TOKEN|PORT$|NODE_OPTIONS$)/.test(k)) delete env[k];
  const { child, output } = await spawnUntil(
    process.execPath,
    [...npmStartNodeFlags(), '--expose-gc', '--import', './bench/lib/heap-probe.mjs', npmStartScript(), '--port', '0', '--data', dir],
    { cwd: ROOT, env, ready: /channels\s+(.*)\n/, label: 'alert-router --data', timeoutMs: 60_000 },
  );
  const url = /listening on (http:\/\/[\d.]+:\d+)/.exec(output())?.[1];
  if (!url) throw new Error(`alert-router: no URL in its output:\n${output()}`);
  const pid = child.pid!;
  const client = httpClient(8);
  const headers = SNS_POST_HEADERS;
  const base = Date.now() - 6 * 3_600_000;
  let posted = 0;
  const sleep = (msDelay: number) => new Promise((r) => setTimeout(r, msDelay));
  const afterGc = async (): Promise<{ heap: number; rss: number } | null> => {
    const probe = /heap-probe: heapUsed=([\d.]+) external=[\d.]+ rss=([\d.]+)/g;
    const seen = [...output().matchAll(probe)].length;
    child.kill('SIGUSR2');
    for (let k = 0; k < 50; k++) {
      const lines = [...output().matchAll(probe)];
      if (lines.length > seen) return { heap: Number(lines[lines.length - 1][1]), rss: Number(lines[lines.length - 1][2]) };
      await sleep(100);
    }
    return null;
  };
  return {
    async postUpTo(n) {
      const items = Array.from({ length: n - posted }, (_, k) => posted + k);
      const r = await runLoad(items, 8, 30 * 60_000, async (k) => {
        const res = await client.post(`${url}/sns`, alarmBody(k, new Date(base + k * 1000)), headers);
        if (res.status !== 200) throw new Error(`POST /sns: HTTP ${res.status} ${res.body.slice(0, 200)}`);
      });
      if (r.errors > 0) throw new Error(`posting alarms: ${r.errors} failed, first: ${String(r.firstError)}`);
      posted = n;
    },
    // RSS once the load stopped: the lowest of 10 samples over 5 s (V8 shrinks its heap lazily after a burst), and
    // again right after a full GC with the live JS heap (bench/lib/heap-probe.mjs).
    async point() {
      let low = Infinity;
      for (let k = 0; k < 10; k++) {
        await sleep(500);
        low = Math.min(low, kib(pid, 'VmRSS') / 1024);
      }
      const gc = await afterGc();
      const p = { alarms: posted, rssMiB: low, rssAfterGcMiB: gc?.rss ?? null, heapMiB: gc?.heap ?? null, storedMiB: storedMiB(dir) };
      log(
        `  after ${posted} alarms: RSS ${p.rssMiB.toFixed(0)} MiB, after a full GC ${p.rssAfterGcMiB?.toFixed(0) ?? '?'} MiB (live JS heap ${p.heapMiB?.toFixed(0) ?? '?'} MiB), stored ${p.storedMiB.toFixed(1)} MiB`,
      );
      return p;
    },
    async time(route, tries) {
      const times: number[] = [];
      let bytes = 0;
      for (let k = 0; k < tries; k++) {
        const t0 = performance.now();
        const r = await client.get(`${url}${route}`, 60_000);
        times.push(performance.now() - t0);
        if (r.status !== 200) throw new Error(`GET ${route}: HTTP ${r.status} ${r.body.slice(0, 200)}`);
        bytes = r.body.length;
      }
      const t: ReadTiming = { route, tries, summary: summarize(times), firstMs: times[0], bytes };
      log(`  GET ${route.padEnd(16)} median ${ms(t.summary.p50)}, max ${ms(t.summary.max)}, first ${ms(t.firstMs)} (${(bytes / 1024).toFixed(0)} KiB)`);
      return t;
    },
    peakRssMiB: () => kib(pid, 'VmHWM') / 1024,
    async close() {
      client.close();
      await stop(child);
      if (process.env.BENCH_READS_KEEP === '1') log(`  data kept in ${dir}`);
      else rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Memory first, on its own instance (alarms only, so that what the reads allocate does not blur the growth with the
 * count), then the reads on a second one holding `open` open incidents.
 */
export async function runReadsBench(o: { alarms?: number; open?: number; tries?: number; log?: (line: string) => void } = {}): Promise<ReadsReport> {
  const e = process.env;
  const total = o.alarms ?? Number(e.BENCH_READS_N ?? 12_000);
  const open = Math.min(o.open ?? Number(e.BENCH_READS_OPEN ?? 5000), total);
  const tries = o.tries ?? Number(e.BENCH_READS_TRIES ?? 20);
  const log = o.log ?? ((l: string) => process.stdout.write(`${l}\n`));
  const rss: RssPoint[] = [];
  let peakRssMiB: number;
  const mem = await routerSession(log);
  try {
    for (const n of [...new Set([Math.min(1000, total), open, total])]) {
      await mem.postUpTo(n);
      rss.push(await mem.point());
    }
    peakRssMiB = mem.peakRssMiB();
  } finally {
    await mem.close();
  }
  const rd = await routerSession(log);
  try {
    await rd.postUpTo(open);
    log(`  ${open} open incidents on a fresh instance; ${tries} tries each, one at a time:`);
    const reads = [await rd.time('/', tries), await rd.time('/api/incidents', tries), await rd.time('/api/digest', tries)];
    const afterReads = await rd.point();
    return { open, reads, rss, afterReads, peakRssMiB };
  } finally {
    await rd.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runReadsBench().then(
    (r) => {
      process.stdout.write(`${JSON.stringify(r)}\n`);
      process.exit(0);
    },
    (err: Error) => {
      process.stderr.write(`bench/reads: ${err.stack ?? err.message}\n`);
      process.exit(1);
    },
  );
}
