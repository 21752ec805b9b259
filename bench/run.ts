/**
 * `npm run bench`: the alert router's numbers, printed and written to docs/performance.md (+ docs/bench-latency.svg).
 *
 *  1. the alarm Lambda handler in process (bench/handler.ts, its own process): alarms/s, latency, DynamoDB requests
 *     per alarm (before fan-out too), CPU per alarm of the pure work; bundle sizes and cold imports (bench/bundle.ts)
 *  2. end to end: the router started like `npm start`, real channels to loopback sinks (bench/e2e.ts)
 *  3. Prometheus Alertmanager, same alarms, same concurrency, same run (skipped, with a hint, when not installed)
 *  4. a CPU profile of the router under load (node --cpu-prof), summarised
 *  5. reads and memory on `npm start --data DIR` (bench/reads.ts): RSS after 1,000 and 12,000 alarms; GET /,
 *     /api/incidents, /api/digest with 5,000 open incidents
 *
 * Knobs (environment): BENCH_N (alarms at concurrency 50, default 10000), BENCH_N_C1 (at concurrency 1, default
 * BENCH_N), BENCH_TIME_LIMIT_S (hard cap per load loop, default 180), BENCH_BATCH (Alertmanager batch
 * size, default 100), BENCH_PROFILE_N (alarms under the profiler, default 2000; 0 skips), BENCH_PROFILE_CHANNELS (slack, the default, or all), BENCH_PROFILE_KEEP (a path: keep the main thread's .cpuprofile there), BENCH_SKIP (comma list
 * of handler,bundle,e2e,alertmanager,profile,reads), BENCH_WRITE=0 (print only), BENCH_FROM=FILE (re-render the report from
 * a saved run: each run saves its raw results in node_modules/.cache/alert-router-bench-last-run.json, a BENCH_WRITE=0
 * run in alert-router-bench-last-print-only-run.json),
 * BENCH_CHANNELS (router runs per concurrency: slack,all by default), BENCH_WARMUP (alarms before each measured run,
 * default 2000), BENCH_STORM_N (part 1's storm into one group, default 500; 0 skips), BENCH_PROFILE_C (the profile's
 * concurrency, default 50), BENCH_NODE_FLAGS (more node flags for the router, e.g. --cpu-prof-interval=137),
 * BENCH_ROUNDS (like-for-like rounds per concurrency, default 3; the headline ratio is their median).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { measureBundles, type BundleReport } from './bundle';
import { ALERTMANAGER_BIN, ALERTMANAGER_INSTALL_HINT, alertmanagerVersion, ROOT, runAlertmanagerE2e, runRouterE2e, WARMUP, type E2eResult } from './e2e';
import type { HandlerReport } from './handler';
import { summarizeProfile, type ProfileSummary } from './lib/cpuprofile';
import { runReadsBench, type ReadsReport } from './reads';
import { runHttpFloor } from './lib/floor';
import { npmStartNodeFlags, npmStartScript } from './lib/npm-start';
import { stopAll, track } from './lib/procs';
import { startSinks } from './lib/sinks';
import { bytes, median, ms, num, ratio, table } from './lib/stats';
import { latencyChart, type ChartGroup } from './lib/svg';

const env = process.env;
const N = Number(env.BENCH_N ?? 10_000);
const N_C1 = Number(env.BENCH_N_C1 ?? N);
const TIME_LIMIT_MS = Number(env.BENCH_TIME_LIMIT_S ?? 180) * 1000;
const BATCH = Number(env.BENCH_BATCH ?? 100);
const PROFILE_N = Number(env.BENCH_PROFILE_N ?? 2000);
const SKIP = new Set(
  (env.BENCH_SKIP ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);
const WRITE = env.BENCH_WRITE !== '0';
/** BENCH_CHANNELS: router runs per concurrency, in order (`slack`: the issue's like-for-like; `all`: the shipped mix). */
const E2E_CHANNELS = (env.BENCH_CHANNELS ?? 'slack,all').split(',').map((c) => {
  if (c !== 'slack' && c !== 'all') throw new Error(`BENCH_CHANNELS: expected slack and/or all, got "${c}"`);
  return c as 'slack' | 'all';
});
const PROFILE_C = Number(env.BENCH_PROFILE_C ?? 50);
/**
 * BENCH_ROUNDS: like-for-like pairs per concurrency (router Slack only, Alertmanager one alert per POST), the first
 * being the runs above; the others alternate which system goes first. Run-to-run spread on this shared box is
 * ±10–20 %, so the headline ratio is the median of the rounds, with their range.
 */
const ROUNDS = Math.max(1, Number(env.BENCH_ROUNDS ?? 3));
const PROFILE_CHANNELS = env.BENCH_PROFILE_CHANNELS === 'all' ? 'all' : 'slack';
const PLAN: [number, number][] = [
  [1, N_C1],
  [50, N],
];

const log = (line = '') => process.stdout.write(`${line}\n`);
const started = performance.now();
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(0)} s`;

function commandLine(): string {
  const overrides = Object.entries(env)
    .filter(([k]) => k.startsWith('BENCH_') || k === 'ALERTMANAGER_BIN')
    .map(([k, v]) => `${k}=${v}`);
  return `${overrides.length ? `${overrides.join(' ')} ` : ''}npm run bench`;
}

function machine() {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1]?.trim() ?? cpus()[0]?.model ?? 'unknown';
  const mem = Number(/MemTotal:\s+(\d+)/.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? 0);
  return {
    date: new Date().toISOString(),
    nproc: cpus().length,
    cpu: model,
    node: process.version,
    kernel: release(),
    memGiB: mem / 1024 / 1024,
    loadStart: loadavg()[0],
  };
}

/** Part 1: bench/handler.ts in its own process (fresh heap, its own dynalite); Powertools' per-invocation warning is counted, not shown. */
async function handlerPart(): Promise<{ report: HandlerReport; powertoolsWarnings: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-handler-'));
  const out = join(dir, 'handler.json');
  const child = track(
    spawn(process.execPath, ['--import', 'tsx', 'bench/handler.ts', out], {
      cwd: ROOT,
      env: { ...env, BENCH_HANDLER_PLAN: PLAN.map(([c, n]) => `${c}:${n}`).join(','), BENCH_TIME_LIMIT_S: String(TIME_LIMIT_MS / 1000) },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  let warnings = 0;
  let tail = '';
  const filter = (chunk: Buffer) => {
    const lines = (tail + chunk.toString('utf8')).split('\n');
    tail = lines.pop() ?? '';
    for (const l of lines) {
      if (l.includes('No application metrics to publish')) warnings++;
      else if (l.trim()) log(`  ${l.trim()}`);
    }
  };
  child.stdout!.on('data', filter);
  child.stderr!.on('data', filter);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`bench/handler.ts exited with ${code}${tail ? `: ${tail}` : ''}`);
  const report = JSON.parse(readFileSync(out, 'utf8')) as HandlerReport;
  rmSync(dir, { recursive: true, force: true });
  return { report, powertoolsWarnings: warnings };
}

function e2eLine(r: E2eResult): string {
  return `${r.system} ${r.mode}, c=${r.concurrency}: ${r.posted} alarms${r.stoppedByTime ? ' (time cap)' : ''}, ${r.throughput.toFixed(0)}/s, p50 ${r.latency.p50.toFixed(0)} ms, p99 ${r.latency.p99.toFixed(0)} ms, missing ${r.missing}, duplicate notifications ${r.duplicateNotifications}, other processes ${r.otherCpuSeconds.toFixed(0)} CPU-s`;
}

const LAST_RUN = join(ROOT, 'node_modules', '.cache', 'alert-router-bench-last-run.json');
/** A BENCH_WRITE=0 run keeps its results apart, so that BENCH_FROM still re-renders the last run that wrote the report. */
const LAST_PRINT_ONLY_RUN = join(ROOT, 'node_modules', '.cache', 'alert-router-bench-last-print-only-run.json');

type Results = Parameters<typeof report>[0];

/** Writes the report and the chart (also used by BENCH_FROM to re-render a saved run). */
function publish(results: Results): void {
  const md = report(results);
  log(`\n${md}`);
  if (!WRITE) return;
  writeFileSync(join(ROOT, 'docs', 'performance.md'), md);
  const chart = chartOf(results.e2e, results.m);
  if (chart) writeFileSync(join(ROOT, 'docs', 'bench-latency.svg'), chart);
  log(`\nwritten: docs/performance.md${chart ? ', docs/bench-latency.svg' : ''} (${elapsed()}); raw results in ${LAST_RUN}`);
}

async function main(): Promise<void> {
  if (env.BENCH_FROM) {
    publish(JSON.parse(readFileSync(env.BENCH_FROM, 'utf8')) as Results);
    return;
  }
  const m = machine();
  const amVersion = SKIP.has('alertmanager') ? null : alertmanagerVersion();
  log(`alert-router bench — ${m.date}`);
  log(`  ${m.nproc} CPUs (${m.cpu}), Node ${m.node}, Linux ${m.kernel}`);
  log(`  plan: concurrency 1 → N=${N_C1}, concurrency 50 → N=${N} (BENCH_N_C1 / BENCH_N), cap ${TIME_LIMIT_MS / 1000} s per load loop`);
  if (N_C1 < N) log(`  (concurrency 1 runs ${N_C1} alarms, not ${N}: BENCH_N_C1=${N} runs them all)`);
  if (!SKIP.has('alertmanager') && !amVersion)
    log(`  Alertmanager not found at ${ALERTMANAGER_BIN}: its half is skipped. Install: ${ALERTMANAGER_INSTALL_HINT}`);

  let handler: Awaited<ReturnType<typeof handlerPart>> | null = null;
  if (!SKIP.has('handler')) {
    log(`\n[1/4] alarm handler in process (${elapsed()})`);
    handler = await handlerPart();
  }
  let bundle: BundleReport | null = null;
  if (!SKIP.has('bundle')) {
    log(`\n[1/4] bundles and cold imports (${elapsed()})`);
    bundle = await measureBundles(Number(env.BENCH_COLD_RUNS ?? 5));
    for (const s of bundle.sizes)
      log(
        `  ${s.fn}: ${bytes(s.withoutSdk.bytes)} loaded at start without the SDK (${bytes(s.withoutSdk.totalBytes)} with lazy chunks), ${bytes(s.withSdk.bytes)} with it`,
      );
    const fe = bundle.firstEvent;
    if (fe)
      log(
        `  alarm: fresh node → first SNS event handled ${fe.medianMs.toFixed(0)} ms (median; \`node -e 0\` ${bundle.nodeBaselineMs.toFixed(0)} ms)${fe.error ? `; error: ${fe.error}` : ''}`,
      );
  }

  const e2e: E2eResult[] = [];
  const rounds: Round[] = [];
  const sinks = await startSinks();
  try {
    if (!SKIP.has('e2e')) {
      for (const [c, n] of PLAN) {
        log(`\n[2/4] end to end, concurrency ${c} (${elapsed()})`);
        let ours: E2eResult | null = null;
        for (const channels of E2E_CHANNELS) {
          const run = await runRouterE2e({ n, concurrency: c, timeLimitMs: TIME_LIMIT_MS, sinks, tag: `r${c}${channels[0]}`, channels });
          log(`  ${e2eLine(run)}`);
          e2e.push(run);
          ours ??= run;
        }
        if (!ours) continue;
        if (amVersion) {
          log(`[3/4] Alertmanager ${amVersion}, same ${ours.posted} alarms, concurrency ${c} (${elapsed()})`);
          for (const batch of [1, BATCH]) {
            const am = await runAlertmanagerE2e({ n: ours.posted, concurrency: c, batch, timeLimitMs: TIME_LIMIT_MS, sinks, tag: `a${c}b${batch}` });
            log(`  ${e2eLine(am)}`);
            e2e.push(am);
          }
          const first = e2e.find((r) => r.system === 'alertmanager' && r.concurrency === c && r.batch === 1);
          const slackRun = e2e.find((r) => r.system === 'alert-router' && r.concurrency === c && routerLabel(r) === 'Slack only');
          // Both sides of a later round take the alarms round 1's router posted.
          const roundN = slackRun?.posted ?? 0;
          const floor = () => runHttpFloor({ n: roundN, concurrency: c, warmUp: WARMUP, tag: `f${c}`, timeLimitMs: TIME_LIMIT_MS });
          if (slackRun && first) {
            const round = roundOf(c, slackRun, first, await floor());
            log(`  like for like, round 1: node:http doing nothing ${num(round.floor ?? NaN)}/s`);
            rounds.push(round);
          }
          for (let k = 2; slackRun && first && k <= ROUNDS; k++) {
            log(`  like for like, round ${k} of ${ROUNDS} (${elapsed()})`);
            const runAm = () => runAlertmanagerE2e({ n: roundN, concurrency: c, batch: 1, timeLimitMs: TIME_LIMIT_MS, sinks, tag: `a${c}r${k}` });
            const runOurs = () => runRouterE2e({ n: roundN, concurrency: c, timeLimitMs: TIME_LIMIT_MS, sinks, tag: `r${c}r${k}`, channels: 'slack' });
            const am = k % 2 === 0 ? await runAm() : null;
            const r = await runOurs();
            const amRun = am ?? (await runAm());
            const round = roundOf(c, r, amRun, await floor());
            log(
              `    router ${num(round.ours)}/s, Alertmanager ${num(round.theirs)}/s: ${round.ratio.toFixed(3)}×; node:http doing nothing ${num(round.floor ?? NaN)}/s`,
            );
            rounds.push(round);
          }
        }
      }
    }
    let profile: { summary: ProfileSummary; dynalite?: ProfileSummary | null; run: E2eResult } | null = null;
    if (!SKIP.has('profile') && PROFILE_N > 0) {
      log(`\n[4/4] CPU profile of the router (node --cpu-prof), ${PROFILE_N} alarms at concurrency ${PROFILE_C} (${elapsed()})`);
      const dir = mkdtempSync(join(tmpdir(), 'bench-prof-'));
      try {
        const run = await runRouterE2e({
          n: PROFILE_N,
          concurrency: PROFILE_C,
          timeLimitMs: TIME_LIMIT_MS,
          sinks,
          tag: 'prof',
          cpuProfDir: dir,
          channels: PROFILE_CHANNELS,
        });
        // CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile: thread 0 is the main thread (HTTP + handlers + SDK);
        // the biggest other one is dynalite's worker thread (tsx's loader thread writes a small one too)
        const files = readdirSync(dir)
          .filter((f) => f.endsWith('.cpuprofile'))
          .map((f) => join(dir, f));
        const bySize = (a: string, b: string) => readFileSync(b).length - readFileSync(a).length;
        const main = files.filter((f) => /\.\d+\.0\.\d+\.cpuprofile$/.test(f)).sort(bySize)[0];
        const dynaliteThread = files.filter((f) => f !== main).sort(bySize)[0];
        if (main && env.BENCH_PROFILE_KEEP) writeFileSync(env.BENCH_PROFILE_KEEP, readFileSync(main));
        if (main) profile = { summary: summarizeProfile(main, 20), dynalite: dynaliteThread ? summarizeProfile(dynaliteThread, 10) : null, run };
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    let reads: ReadsReport | null = null;
    if (!SKIP.has('reads')) {
      log(`\n[5/5] reads and memory on npm start --data DIR (${elapsed()})`);
      reads = await runReadsBench({ log: (l) => log(l) });
    }
    const results: Results = {
      m: { ...m, loadEnd: loadavg()[0] },
      amVersion,
      handler,
      bundle,
      e2e,
      rounds,
      warmup: WARMUP,
      profile,
      reads,
      plan: PLAN,
      timeLimitMs: TIME_LIMIT_MS,
      batch: BATCH,
      command: commandLine(),
    };
    mkdirSync(dirname(LAST_RUN), { recursive: true });
    writeFileSync(WRITE ? LAST_RUN : LAST_PRINT_ONLY_RUN, JSON.stringify(results));
    publish(results);
  } finally {
    await stopAll();
    await sinks.close();
  }
}

function chartOf(e2e: E2eResult[], m: { nproc: number; node: string; date: string }): string | null {
  if (e2e.length === 0) return null;
  const groups: ChartGroup[] = e2e.map((r) => ({
    label: `${r.system === 'alert-router' ? `alert-router (${routerLabel(r)})` : r.batch === 1 ? 'Alertmanager' : `Alertmanager ×${r.batch}`}\nconcurrency ${r.concurrency}\n${num(r.throughput)} alarms/s`,
    system: r.system === 'alert-router' ? 'ours' : 'theirs',
    values: { p50: r.latency.p50, p95: r.latency.p95, p99: r.latency.p99 },
  }));
  return latencyChart(groups, {
    title: 'POST → notification received: alert-router (npm start) vs Prometheus Alertmanager',
    subtitle: `alert-router: POST /sns → Slack webhook (Slack only: every alarm; all channels: P0/P1); Alertmanager: POST /api/v2/alerts → webhook. Loopback, ${m.nproc} CPUs, Node ${m.node}, ${m.date.slice(0, 10)}`,
    footer: 'Same alarms (10% redeliveries), same concurrency, same run; ×100 = 100 alerts per POST. Generated by npm run bench (bench/run.ts).',
  });
}

function routerLabel(r: E2eResult): string {
  return r.mode.includes('Slack webhook only') ? 'Slack only' : 'all channels';
}

function latRow(label: string, r: E2eResult): string[] {
  return [
    label,
    `c=${r.concurrency}`,
    num(r.posted),
    num(r.throughput, 1),
    ms(r.latency.p50),
    ms(r.latency.p95),
    ms(r.latency.p99),
    ms(r.latency.max),
    `${(r.peakRssKiB / 1024).toFixed(0)} MiB`,
    `${((r.cpuSeconds / r.posted) * 1000).toFixed(2)} ms`,
    `${r.otherCpuSeconds.toFixed(0)} s / ${(r.elapsedMs / 1000).toFixed(0)} s`,
  ];
}

/** One like-for-like pair: alarms/s of each, p99 of each (ms) and CPU per alarm (ms). */
interface Round {
  concurrency: number;
  ours: number;
  theirs: number;
  ratio: number;
  p99: [number, number];
  cpuMs: [number, number];
  /**
   * Requests/s of a node:http server that does nothing, with the same client and alarms (bench/lib/floor.ts):
   * measured right after the round's pair (round 1: after the other runs of its concurrency).
   */
  floor?: number;
}

function roundOf(concurrency: number, ours: E2eResult, theirs: E2eResult, floor?: { throughput: number }): Round {
  const cpu = (r: E2eResult) => (r.cpuSeconds / r.posted) * 1000;
  return {
    concurrency,
    ours: ours.throughput,
    theirs: theirs.throughput,
    ratio: ours.throughput / theirs.throughput,
    p99: [ours.latency.p99, theirs.latency.p99],
    cpuMs: [cpu(ours), cpu(theirs)],
    floor: floor && Number.isFinite(floor.throughput) ? floor.throughput : undefined,
  };
}

function roundsSection(rounds: Round[]): string[] {
  const L: string[] = [];
  const cs = [...new Set(rounds.map((r) => r.concurrency))];
  L.push('## Like for like, repeated: the throughput ratio as a median');
  L.push('');
  L.push(
    `The Slack-only router against Alertmanager (one alert per POST), ${Math.max(...cs.map((c) => rounds.filter((r) => r.concurrency === c).length))} rounds per concurrency (BENCH_ROUNDS): round 1 is the pair above (the router first), then Alertmanager first in even rounds and the router first in odd ones. Each round is a fresh process of each, with its own warm-up, on the same alarms.`,
  );
  const hasFloor = (r: Round): r is Round & { floor: number } => typeof r.floor === 'number' && Number.isFinite(r.floor);
  const withFloor = rounds.some(hasFloor);
  if (withFloor)
    L.push(
      '',
      "After each pair, the same client posts the same alarms to a node:http server that only parses each body and answers `{}` (bench/lib/floor.ts): nothing stored, nothing sent. It is an upper bound for any Node server with this client on this box, measured right after the pair (round 1: after the other runs of its concurrency), and it moves with the box's load; each system's share of it is in brackets.",
    );
  L.push('');
  const share = (x: number, r: Round) => (hasFloor(r) && r.floor > 0 ? ` (${(x / r.floor).toFixed(2)})` : '');
  const rows: string[][] = [];
  for (const c of cs) {
    const rs = rounds.filter((r) => r.concurrency === c);
    rs.forEach((r, i) =>
      rows.push([
        `c=${c}`,
        String(i + 1),
        `${num(r.ours)}${share(r.ours, r)}`,
        `${num(r.theirs)}${share(r.theirs, r)}`,
        `${r.ratio.toFixed(3)}×`,
        `${r.p99[0].toFixed(1)} / ${r.p99[1].toFixed(1)} ms`,
        `${r.cpuMs[0].toFixed(2)} / ${r.cpuMs[1].toFixed(2)} ms`,
        ...(withFloor ? [hasFloor(r) ? num(r.floor) : ''] : []),
      ]),
    );
    const ratios = rs.map((r) => r.ratio);
    const floors = rs.filter(hasFloor).map((r) => r.floor);
    rows.push([
      `c=${c}`,
      '**median**',
      num(median(rs.map((r) => r.ours))),
      num(median(rs.map((r) => r.theirs))),
      `**${median(ratios).toFixed(3)}×** (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})`,
      '',
      '',
      ...(withFloor ? [floors.length ? num(median(floors)) : ''] : []),
    ]);
  }
  L.push(
    table(
      [
        'conc.',
        'round',
        'alert-router alarms/s',
        'Alertmanager alarms/s',
        'ratio',
        'p99 ours / theirs',
        'CPU per alarm ours / theirs',
        ...(withFloor ? ['node:http doing nothing, requests/s'] : []),
      ],
      rows,
    ),
  );
  L.push('');
  return L;
}

function report(x: {
  m: ReturnType<typeof machine> & { loadEnd: number };
  plan: [number, number][];
  timeLimitMs: number;
  batch: number;
  command: string;
  amVersion: string | null;
  handler: Awaited<ReturnType<typeof handlerPart>> | null;
  bundle: BundleReport | null;
  e2e: E2eResult[];
  /** Absent in results saved before BENCH_ROUNDS. */
  rounds?: Round[];
  /** Alarms before each measured run (absent in results saved before it was recorded: the current BENCH_WARMUP). */
  warmup?: number;
  profile: { summary: ProfileSummary; dynalite?: ProfileSummary | null; run: E2eResult } | null;
  reads?: ReadsReport | null;
}): string {
  const { m } = x;
  const L: string[] = [];
  const PLAN = x.plan;
  const TIME_LIMIT_MS = x.timeLimitMs;
  const BATCH = x.batch;
  L.push('# Performance');
  L.push('');
  L.push(
    `Measured ${m.date.replace('T', ' ').slice(0, 16)} UTC on ${m.nproc} CPUs (\`nproc\`), ${m.cpu}, ${m.memGiB.toFixed(1)} GiB RAM, Linux ${m.kernel}, Node ${m.node}${x.amVersion ? `, Prometheus Alertmanager ${x.amVersion} (Debian package)` : ''}. Load average when the run started: ${m.loadStart.toFixed(2)} (1 min), ${m.loadEnd.toFixed(2)} when it ended.`,
  );
  L.push('');
  L.push(
    `Command: \`${x.command}\` (bench/run.ts; every figure below comes from that one run; loopback only; the load generator and the channel sinks run in the bench process on the same ${m.nproc} CPUs).`,
  );
  L.push('');
  L.push(
    `Alarm mix everywhere: unique alarm names built from the runbook alarms of packages/local/src/demo.ts — P0 HighErrorRate (PagerDuty + Slack), P1 HighResponseTime and HighCPUUtilization (Slack + email), P2 DatabaseHighCPU (email), P3 the same on the low topic (dashboard only) — in rotation, and every 10th delivery an exact redelivery (same bytes, same MessageId) of an earlier one. The routes are the shipped policy's ("all channels"), or, in the "Slack only" runs (the like-for-like comparison with Alertmanager's one webhook receiver), the Slack webhook for every severity. Concurrency 1 runs ${num(PLAN[0][1])} alarms, concurrency 50 runs ${num(PLAN[1][1])} (BENCH_N_C1, BENCH_N), each after a warm-up of ${num(x.warmup ?? WARMUP)} alarms not counted (BENCH_WARMUP); each load loop also stops after ${TIME_LIMIT_MS / 1000} s.`,
  );
  L.push('');

  const ours = x.e2e.filter((r) => r.system === 'alert-router');
  const theirs = x.e2e.filter((r) => r.system === 'alertmanager');
  if (ours.length) {
    L.push('## Headline: end to end, alert-router vs Alertmanager');
    L.push('');
    L.push('![latency percentiles](bench-latency.svg)');
    L.push('');
    L.push(
      table(
        ['system', 'conc.', 'alarms', 'alarms/s', 'p50', 'p95', 'p99', 'max', 'peak RSS', 'server CPU/alarm', "others' CPU / wall"],
        x.e2e.map((r) => latRow(r.system === 'alert-router' ? `alert-router, ${routerLabel(r)}` : `Alertmanager, ${r.batch} per POST`, r)),
      ),
    );
    L.push('');
    L.push(
      `Latency = POST sent → notification received by the loopback sink: the Slack webhook for alert-router (every alarm in the Slack-only runs; P0 and P1 alarms, the ones that reach Slack, with all channels), the webhook receiver for Alertmanager (every alert). Throughput = alarms posted (redeliveries included) / time from the first POST to the last answer or expected notification, whichever is later. Peak RSS = VmHWM of the server process; server CPU/alarm = its user+system time during the load / alarms. "Others’ CPU / wall" = CPU seconds the rest of the machine (neither the server nor the bench process) used during the run, against its wall time: other work on this shared box competes for the same CPUs, and figures taken while it is high are pessimistic.`,
    );
    L.push('');
    if (theirs.length) {
      const rows: string[][] = [];
      for (const o of ours) {
        for (const t of theirs.filter((r) => r.concurrency === o.concurrency)) {
          rows.push([
            `c=${o.concurrency}, ${routerLabel(o)} vs Alertmanager ${t.batch === 1 ? 'one alert per POST' : `${t.batch} per POST`}`,
            ratio(o.throughput, t.throughput),
            ratio(o.latency.p50, t.latency.p50),
            ratio(o.latency.p99, t.latency.p99),
            ratio(o.peakRssKiB, t.peakRssKiB),
            ratio(o.cpuSeconds / o.posted, t.cpuSeconds / t.posted),
          ]);
        }
      }
      L.push('Ratios ours / theirs (throughput: above 1 is better for us; latency, memory, CPU per alarm: below 1 is better for us):');
      L.push('');
      L.push(table(['comparison', 'throughput', 'p50 latency', 'p99 latency', 'peak RSS', 'CPU per alarm'], rows));
      L.push('');
    }
    if (x.rounds?.length) L.push(...roundsSection(x.rounds));
  }

  if (x.handler) {
    const h = x.handler.report;
    L.push('## 1. Alarm handler in process');
    L.push('');
    L.push(
      "The middy `handler` of functions/alarm.ts called with an SNSEvent per alarm (as Lambda does), runtime from `buildRuntime(readConfig(env), { db, store })` on dynalite started in the same process with `startDynalite()` (so the SDK hands requests to dynalite without a socket, as in local mode), Slack/PagerDuty = loopback HTTP sinks (200/202), email = smtp-server on loopback. Powertools log level WARN and EMF metrics off (local-mode defaults). Concurrency 1 is one Lambda container; concurrency 50 is one process taking 50 invocations at a time (the embedded mode's situation).",
    );
    L.push('');
    L.push(
      table(
        [
          'concurrency',
          'alarms',
          'alarms/s',
          'p50',
          'p95',
          'p99',
          'max',
          'CPU per alarm*',
          'DynamoDB req/alarm',
          'req before fan-out: mean (max)',
          "others' CPU / wall",
        ],
        h.runs.map((r) => [
          String(r.concurrency),
          `${num(r.done)}${r.stoppedByTime ? ' (time cap)' : ''}`,
          num(r.alarmsPerSecond, 1),
          ms(r.latency.p50),
          ms(r.latency.p95),
          ms(r.latency.p99),
          ms(r.latency.max),
          `${r.cpuMsPerAlarm.toFixed(2)} ms`,
          r.requestsPerAlarm.toFixed(2),
          `${r.beforeFanOut.mean.toFixed(2)} (${r.beforeFanOut.max})`,
          `${r.otherCpuSeconds.toFixed(0)} s / ${(r.elapsedMs / 1000).toFixed(0)} s`,
        ]),
      ),
    );
    L.push('');
    L.push('\\* CPU of the whole bench process per alarm: handler, AWS SDK, dynalite, and the loopback sinks (smtp-server, HTTP) all run in it.');
    L.push('');
    L.push('The runs above use the shipped policy with `grouping: off` (each alarm its own incident, as end to end).');
    L.push('');
    if (h.storm) {
      const st = h.storm;
      L.push(
        `**A storm into one group at a time** (the shipped policy: grouping by account and region, so every alarm joins the open group, one DynamoDB item that every writer updates by a conditional write, until it is full at \`maxMembers\` (100) and the next alarm opens another): ${num(st.done)} alarms at concurrency 50${st.incidents ? ` into ${num(st.incidents)} groups` : ''}, ${num(st.alarmsPerSecond, 1)} alarms/s, handler latency p50 ${ms(st.latency.p50)}, p99 ${ms(st.latency.p99)}, ${st.requestsPerAlarm.toFixed(1)} DynamoDB requests per alarm${st.errors ? `, ${st.errors} errors (${st.firstError ?? ''})` : ''}. On dynalite every request of every writer is served one at a time by one thread, so this is the pessimistic case of the hot item; real DynamoDB was not measured.`,
      );
      L.push('');
    }
    for (const r of h.runs) {
      L.push(
        `Concurrency ${r.concurrency}, by severity (handler latency p50 / p99): ${Object.entries(r.latencyBySeverity)
          .map(([k, s]) => `${k} ${ms(s.p50)} / ${ms(s.p99)}`)
          .join(' · ')}.`,
      );
      L.push('');
      L.push(
        table(
          ['outcome', 'alarms', 'DynamoDB req/alarm', 'by command (per alarm)'],
          Object.entries(r.requestsByOutcome).map(([k, v]) => [
            k,
            num(v.alarms),
            v.perAlarm.toFixed(2),
            Object.entries(v.byCommand)
              .map(([c, n]) => `${c.replace('Command', '')} ${n.toFixed(2)}`)
              .join(', '),
          ]),
        ),
      );
      L.push('');
      L.push(
        `Requests before fan-out (issued between the start of the invocation and the first notifier \`send\`, attributed per alarm with AsyncLocalStorage; the background silence refresh — ${r.silenceRefreshes} during the run — is excluded): ${Object.entries(
          r.beforeFanOut.histogram,
        )
          .map(([k, v]) => `${num(v)} alarms issued ${k}`)
          .join(
            ', ',
          )}, over the ${num(r.beforeFanOut.alarms)} alarms that sent anything (P3 and redeliveries send nothing). Cross-check, all requests the client sent / alarms: ${r.clientRequestsPerAlarm.toFixed(2)}. Sends: ${Object.entries(
          r.sent,
        )
          .map(([k, v]) => `${k} ${num(v)}`)
          .join(', ')}.${r.errors ? ` Errors: ${r.errors} (${r.firstError}).` : ''}`,
      );
      L.push('');
    }
    if (x.handler.powertoolsWarnings > 0) {
      L.push(`Powertools printed "No application metrics to publish…" ${num(x.handler.powertoolsWarnings)} times during this part (once per invocation).`);
      L.push('');
    }
    L.push(`CPU per alarm of the pure work (packages/core, ${num(h.cpu.iterations)} iterations per line, process.cpuUsage, after a warm-up):`);
    L.push('');
    L.push(
      table(
        ['stage', 'µs per alarm'],
        [
          ...h.cpu.stages.map((s) => [s.stage, s.usPerAlarm.toFixed(1)]),
          ['**parse + classify + render, end to end** (incl. building the incident and links)', `**${h.cpu.total.toFixed(1)}**`],
          ['(for reference) SNS envelope schema (zod) in the handler', h.cpu.envelope.toFixed(1)],
        ],
      ),
    );
    L.push('');
  }

  if (x.bundle) {
    const b = x.bundle;
    L.push('### Bundles and cold imports');
    L.push('');
    L.push(
      `esbuild ${b.esbuildVersion}: platform node, format esm, target node22, minify, code splitting (as stacks/functions.ts builds), with a createRequire banner; "no SDK" marks @aws-sdk/* external (the Lambda runtime provides it) — that is the deployable figure; "at start" counts the entry and the chunks it imports statically (lazy chunks, e.g. nodemailer, load on first use). Cold import = median of ${b.runs} fresh processes; "import" is the \`await import()\` alone, "process" the whole \`node\` run (a bare \`node -e 0\` takes ${ms(b.nodeBaselineMs)} here).`,
    );
    L.push('');
    L.push(
      table(
        [
          'function',
          'at start, no SDK',
          'gzip',
          'at start, with SDK',
          'cold import: bundle (real)',
          'process: bundle',
          'import: bundle with SDK',
          'import: tsx source',
          'process: tsx source',
        ],
        b.sizes.map((s) => {
          const c = b.cold.find((x) => x.fn === s.fn)!;
          return [
            `functions/${s.fn}.ts`,
            bytes(s.withoutSdk.bytes),
            bytes(s.withoutSdk.gzip),
            bytes(s.withSdk.bytes),
            `**${ms(c.bundleImportMs)}**`,
            ms(c.bundleProcessMs),
            ms(c.fullBundleImportMs),
            ms(c.tsxImportMs),
            ms(c.tsxProcessMs),
          ];
        }),
      ),
    );
    L.push('');
    const alarm = b.sizes.find((s) => s.fn === 'alarm');
    if (alarm)
      L.push(
        `Largest parts of what functions/alarm.ts loads at start (without SDK): ${alarm.topPackages.map((p) => `${p.name} ${bytes(p.bytes)}`).join(', ')}.`,
      );
    if (b.firstEvent)
      L.push(
        `Alarm bundle, fresh \`node\` → first SNS event handled (DynamoDB on loopback dynalite, Slack to a loopback sink): **${ms(b.firstEvent.medianMs)}** median of ${b.firstEvent.runsMs.length} (${b.firstEvent.runsMs.join(', ')} ms; ${ms(b.firstEvent.cpuMs)} of CPU), beside \`node -e 0\` ${ms(b.nodeBaselineMs)}.${b.firstEvent.error ? ` Error: ${b.firstEvent.error}` : ''}`,
      );
    const errs = b.cold.filter((c) => c.error);
    if (errs.length) L.push(`Import errors: ${errs.map((c) => `${c.fn}: ${c.error}`).join('; ')}`);
    L.push('');
  }

  if (ours.length) {
    L.push('## 2. End to end, embedded default (`npm start`)');
    L.push('');
    L.push(
      `\`node ${npmStartNodeFlags().join(' ')} ${npmStartScript()} --port 0\` as a child process (\`npm start\`'s script, with its node flags from package.json; the launcher bundles src/start.ts with esbuild and runs it), SLACK_WEBHOOK_URL, PAGERDUTY_ROUTING_KEY + PAGERDUTY_EVENTS_URL, SMTP_URL + EMAIL_FROM + EMAIL_TO pointing at the bench's loopback sinks, so every channel really goes out; the store is the router’s own in-memory SQLite (the default; \`--store dynalite\` picks the DynamoDB adapter); the policy is the shipped one with \`grouping: off\` (each alarm its own incident, as Alertmanager's \`group_by: ['...']\`), or in the Slack-only runs the same with every severity's channels \`[slack, dashboard]\`. One alarm per POST /sns (an SNS HTTP notification), ${num(x.warmup ?? WARMUP)} warm-up alarms first (not counted).`,
    );
    L.push('');
    for (const r of ours) {
      L.push(
        `**Concurrency ${r.concurrency}**: ${num(r.posted)} alarms (${num(r.uniques)} unique + ${num(r.dups)} redeliveries)${r.stoppedByTime ? ', stopped by the time cap' : ''} in ${(r.elapsedMs / 1000).toFixed(1)} s = **${num(r.throughput, 1)} alarms/s**; HTTP answers ${Object.entries(
          r.statuses,
        )
          .map(([k, v]) => `${k}×${num(v)}`)
          .join(', ')}; outcomes ${Object.entries(r.outcomes)
          .map(([k, v]) => `${k} ${num(v)}`)
          .join(
            ', ',
          )}; ${r.missing} expected notifications missing, ${r.duplicateNotifications} duplicate notifications; peak RSS ${(r.peakRssKiB / 1024).toFixed(0)} MiB; router CPU ${r.cpuSeconds.toFixed(1)} s (${((r.cpuSeconds / r.posted) * 1000).toFixed(1)} ms per alarm).`,
      );
      L.push('');
      L.push(
        table(
          ['latency', 'n', 'p50', 'p95', 'p99', 'max'],
          [
            [r.latencyLabel, num(r.latency.n), ms(r.latency.p50), ms(r.latency.p95), ms(r.latency.p99), ms(r.latency.max)],
            ...r.others.map((o) => [o.label, num(o.summary.n), ms(o.summary.p50), ms(o.summary.p95), ms(o.summary.p99), ms(o.summary.max)]),
            [
              'POST → HTTP answer (all, redeliveries included)',
              num(r.response.n),
              ms(r.response.p50),
              ms(r.response.p95),
              ms(r.response.p99),
              ms(r.response.max),
            ],
          ],
        ),
      );
      L.push('');
    }
  }

  L.push('## 3. Prometheus Alertmanager side by side');
  L.push('');
  if (!x.amVersion) {
    L.push(`Skipped: no Alertmanager at ${ALERTMANAGER_BIN}. Install it with \`${ALERTMANAGER_INSTALL_HINT}\` and run \`npm run bench\` again.`);
  } else {
    L.push(
      `\`${ALERTMANAGER_BIN}\` ${x.amVersion}, started per run with a temporary config and storage: \`--cluster.listen-address=\` (no clustering), \`--web.listen-address=127.0.0.1:PORT\`, \`--storage.path=TMP\`; route \`group_by: ['...']\` (each alert its own group), \`group_wait: 0s\`, \`group_interval: 1s\`, \`repeat_interval: 1h\`, one webhook receiver (\`send_resolved: true\`) to the bench's loopback sink. The same alarms as labelled alerts (alertname = the alarm name, severity, namespace, metric, dimensions) to POST /api/v2/alerts, one per request like SNS deliveries, and ${BATCH} per request; a redelivery posts the identical alert again. Same N and concurrency as alert-router, same run, ${num(x.warmup ?? WARMUP)} warm-up alerts first.`,
    );
    L.push('');
    L.push(
      table(
        ['mode', 'conc.', 'alarms', 'alarms/s', 'POSTs answered/s', 'p50', 'p95', 'p99', 'max', 'POST answer p50', 'missing', 'dup. notif.', 'peak RSS'],
        theirs.map((r) => [
          r.mode,
          String(r.concurrency),
          num(r.posted),
          num(r.throughput, 1),
          num(r.acceptedPerSecond, 0),
          ms(r.latency.p50),
          ms(r.latency.p95),
          ms(r.latency.p99),
          ms(r.latency.max),
          ms(r.response.p50),
          String(r.missing),
          String(r.duplicateNotifications),
          `${(r.peakRssKiB / 1024).toFixed(0)} MiB`,
        ]),
      ),
    );
    L.push('');
    L.push(
      'Not the same contract: Alertmanager answers the POST once the alert is in memory and notifies afterwards (a crash in between loses the notification; nothing is written to disk but the periodic snapshot), while alert-router answers SNS only once the incident is stored by a conditional write with its notices recorded as pending; `npm start` then sends them after the answer (at most 3 fan-outs at a time; past that an answer waits for its own sends, as in the Lambda), and a notice that failed, or whose sender died, is resent by the escalation sweep. Alertmanager here talks to one webhook; alert-router renders and sends Slack, PagerDuty and SMTP email and stores each incident.',
    );
  }
  L.push('');

  if (x.profile) {
    const p = x.profile.summary;
    L.push("## 4. Where the router's CPU goes");
    L.push('');
    L.push(
      `\`node --cpu-prof\` on the router (started as above) while it took ${num(x.profile.run.posted)} alarms at concurrency ${x.profile.run.concurrency} (${num(x.profile.run.throughput, 1)} alarms/s under the profiler); main thread, ${(p.busyMs / 1000).toFixed(1)} s busy of ${(p.totalMs / 1000).toFixed(1)} s profiled (start-up and warm-up included). Self time by area:`,
    );
    L.push('');
    L.push(
      table(
        ['area (self time)', 'ms', 'share of busy'],
        p.areas.slice(0, 14).map((a) => [a.name, num(a.ms), `${(a.share * 100).toFixed(1)}%`]),
      ),
    );
    L.push('');
    L.push('Inclusive time (a sample counts for a row when such a frame is anywhere on its stack; rows overlap):');
    L.push('');
    L.push(
      table(
        ['frames', 'ms', 'share of busy'],
        p.inclusive.map((a) => [a.name, num(a.ms), `${(a.share * 100).toFixed(1)}%`]),
      ),
    );
    L.push('');
    L.push('Top functions by self time:');
    L.push('');
    L.push(
      table(
        ['function', 'ms', 'share'],
        p.topFunctions.slice(0, 15).map((a) => [`\`${a.name}\``, num(a.ms), `${(a.share * 100).toFixed(1)}%`]),
      ),
    );
    L.push('');
    const d = x.profile.dynalite;
    if (d) {
      L.push(
        `dynalite's worker thread (the in-process DynamoDB, on the second core), ${(d.busyMs / 1000).toFixed(1)} s busy of ${(d.totalMs / 1000).toFixed(1)} s:`,
      );
      L.push('');
      L.push(
        table(
          ['area (self time)', 'ms', 'share of busy'],
          d.areas.slice(0, 8).map((a) => [a.name, num(a.ms), `${(a.share * 100).toFixed(1)}%`]),
        ),
      );
      L.push('');
    }
  }

  if (x.reads) L.push(...readsSection(x.reads), '');

  const notes = readFileSync(join(ROOT, 'bench', 'notes.md'), 'utf8');
  L.push(notes.trim());
  L.push('');
  return L.join('\n');
}

function readsSection(r: ReadsReport): string[] {
  const mib = (v: number | null | undefined) => (v === null || v === undefined ? '?' : `${v.toFixed(0)} MiB`);
  return [
    `## Reads and memory (\`npm start --data DIR\`, bench/reads.ts)`,
    '',
    `With ${num(r.open)} open incidents in the SQLite file, ${r.reads[0]?.tries ?? 0} tries of each route, one at a time (the digest's first answer is cold, the rest come from its 30 s cache):`,
    '',
    table(
      ['route', 'median', 'max', 'first', 'body'],
      r.reads.map((t) => [`GET ${t.route}`, ms(t.summary.p50), ms(t.summary.max), ms(t.firstMs), bytes(t.bytes)]),
    ),
    '',
    table(
      ['alarms posted', 'RSS (settled)', 'RSS after a full GC', 'live JS heap', 'stored (SQLite + WAL)'],
      r.rss.map((p) => [num(p.alarms), mib(p.rssMiB), mib(p.rssAfterGcMiB), mib(p.heapMiB), `${p.storedMiB.toFixed(1)} MiB`]),
    ),
    '',
    `An instance that only took alarms (peak RSS ${r.peakRssMiB.toFixed(0)} MiB); the reads ran on a second one${r.afterReads ? `, ${mib(r.afterReads.rssMiB)} RSS after them (live JS heap ${mib(r.afterReads.heapMiB)})` : ''}.`,
  ];
}

main().then(
  () => process.exit(0),
  async (err: Error) => {
    process.stderr.write(`bench: ${err.stack ?? err.message}\n`);
    await stopAll();
    process.exit(1);
  },
);
