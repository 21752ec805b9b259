/**
 * The router alone, end to end (as bench/e2e.ts runs it), with a small N: CPU µs per alarm of the `npm start`
 * process, to compare one change against another (`BENCH_N=1500 BENCH_C=50 BENCH_RUNS=3 tsx bench/cpu-per-alarm.ts`; `BENCH_CHANNELS=slack` for the Slack-only run;
 * `BENCH_PROFILE=DIR` also writes a `--cpu-prof` profile there and prints its top self-time entries).
 */
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runRouterE2e } from './e2e';
import { summarizeProfile } from './lib/cpuprofile';
import { startSinks } from './lib/sinks';

const n = Number(process.env.BENCH_N ?? 1500);
const c = Number(process.env.BENCH_C ?? 50);
const runs = Number(process.env.BENCH_RUNS ?? 1);
const profDir = process.env.BENCH_PROFILE;
const channels = process.env.BENCH_CHANNELS === 'slack' ? 'slack' : 'all';

const sinks = await startSinks();
try {
  for (let i = 0; i < runs; i++) {
    if (profDir) mkdirSync(profDir, { recursive: true });
    const r = await runRouterE2e({ n, concurrency: c, timeLimitMs: 180_000, sinks, tag: `cpu${i}`, cpuProfDir: profDir, channels });
    const perAlarmUs = (r.cpuSeconds / r.posted) * 1e6;
    const mainUs = (r.mainThreadCpuSeconds / r.posted) * 1e6;
    console.log(
      `c=${c} n=${r.posted}: ${perAlarmUs.toFixed(0)} µs CPU/alarm (main thread ${mainUs.toFixed(0)}), ${r.throughput.toFixed(0)} alarms/s, p50 ${r.latency.p50.toFixed(1)} ms p99 ${r.latency.p99.toFixed(1)} ms, ` +
        `response p50 ${r.response.p50.toFixed(1)} ms, peak RSS ${(r.peakRssKiB / 1024).toFixed(0)} MiB, missing ${r.missing}, dup ${r.duplicateNotifications}, others' CPU ${r.otherCpuSeconds.toFixed(1)} s, statuses ${JSON.stringify(r.statuses)}`,
    );
    for (const o of r.others.filter((s) => !Number.isNaN(s.summary.p50)))
      console.log(`  ${o.label}: p50 ${o.summary.p50.toFixed(1)} p95 ${o.summary.p95.toFixed(1)} p99 ${o.summary.p99.toFixed(1)} ms`);
    console.log(`  ${r.latencyLabel}: p95 ${r.latency.p95.toFixed(1)} max ${r.latency.max.toFixed(1)} ms; response p99 ${r.response.p99.toFixed(1)} ms`);
  }
  if (profDir) {
    const files = readdirSync(profDir)
      .filter((f) => f.endsWith('.cpuprofile'))
      .map((f) => join(profDir, f));
    const main = files.sort((a, b) => readFileSync(b).length - readFileSync(a).length)[0];
    if (main) console.log(JSON.stringify(summarizeProfile(main, 40), null, 1));
  }
} finally {
  await sinks.close();
}
