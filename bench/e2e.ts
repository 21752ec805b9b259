/**
 * End to end over loopback: the router started as `npm start` starts it (child process, npm start's node flags from
 * package.json; `BENCH_NODE_FLAGS` come after them, so `--min-semi-space-size=1 --max-semi-space-size=16
 * --v8-pool-size=4` measures node's defaults), real channels pointed at the bench's sinks, and Prometheus
 * Alertmanager with a webhook receiver, fed the same alarm sequence.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { httpClient, runLoad, waitFor } from './lib/load';
import { npmStartNodeFlags, npmStartScript } from './lib/npm-start';
import { cachedTextFile, ungroupedPolicyFile } from '../test/helpers/policies';
import { freePort, machineBusySeconds, ownCpuSeconds, processCpuSeconds, sampleMemory, spawnTracked, spawnUntil, stop } from './lib/procs';
import type { Arrivals, Sinks } from './lib/sinks';
import { summarize, type Summary } from './lib/stats';
import { alertmanagerAlert, buildWorkload, SNS_POST_HEADERS, type UniqueAlarm, type Workload } from './lib/workload';

export const ROOT = resolve(import.meta.dirname, '..');

export interface LatencySeries {
  label: string;
  summary: Summary;
}

export interface E2eResult {
  system: 'alert-router' | 'alertmanager';
  mode: string;
  concurrency: number;
  batch: number;
  /** Deliveries requested / posted (a time cap may stop early). */
  requested: number;
  posted: number;
  uniques: number;
  dups: number;
  stoppedByTime: boolean;
  /** First POST → last POST answered and last expected notification received. */
  elapsedMs: number;
  /** Alarms (deliveries, duplicates included) per second over elapsedMs. */
  throughput: number;
  /** POSTs answered per second (Alertmanager answers before it notifies; the router after fan-out). */
  acceptedPerSecond: number;
  /** The headline latency: POST → webhook received (Slack sink for the router, webhook sink for Alertmanager). */
  latency: Summary;
  latencyLabel: string;
  others: LatencySeries[];
  response: Summary;
  expected: number;
  missing: number;
  duplicateNotifications: number;
  statuses: Record<string, number>;
  outcomes: Record<string, number>;
  peakRssKiB: number;
  /** CPU seconds of the server process during the load. */
  cpuSeconds: number;
  /** CPU seconds of the router's main thread (the one that takes alarms) over the same span; NaN for Alertmanager. */
  mainThreadCpuSeconds: number;
  /** CPU seconds of the bench process (load generator + sinks) during the load. */
  benchCpuSeconds: number;
  /** CPU seconds the rest of the machine used meanwhile (other people's work: noise). */
  otherCpuSeconds: number;
  errors: number;
  firstError: string | null;
}

function duplicates(a: Arrivals): number {
  let d = 0;
  for (const c of a.count.values()) if (c > 1) d += c - 1;
  return d;
}

function bump(r: Record<string, number>, k: string): void {
  r[k] = (r[k] ?? 0) + 1;
}

/**
 * Alarms sent first, one at a time, under another tag and not counted (BENCH_WARMUP, default 2,000): module
 * loading, connection set-up and V8's tiers of compilation are not the steady state. A fresh router pays up to
 * ~2× the steady CPU per alarm over its first ~2,000 alarms (V8 optimises the hot path as it runs); Alertmanager,
 * compiled ahead of time, gets the same warm-up.
 */
export const WARMUP = Number(process.env.BENCH_WARMUP ?? 2000);

/** The warm-up (see WARMUP). */
async function warmUp(send: (u: UniqueAlarm) => Promise<void>, tag: string): Promise<void> {
  const w = buildWorkload(WARMUP, `${tag}w`);
  for (const u of w.uniques) await send(u);
}

export interface RouterRunOptions {
  n: number;
  concurrency: number;
  timeLimitMs: number;
  sinks: Sinks;
  tag: string;
  /** Run the router under `node --cpu-prof` and write the profile here. */
  cpuProfDir?: string;
  /**
   * `all` (default): the shipped policy's channels (PagerDuty, Slack, email). `slack`: the like-for-like
   * comparison with Alertmanager's one webhook receiver: every severity goes to the Slack webhook only.
   */
  channels?: 'all' | 'slack';
}

let slackOnlyFile: string | null = null;

/** The shipped policy with grouping off and every severity's channels `[slack, dashboard]`. */
function slackOnlyPolicyFile(): string {
  if (slackOnlyFile) return slackOnlyFile;
  const text = readFileSync(ungroupedPolicyFile(), 'utf8');
  const replaced = text.replace(/^( {4}channels: )\[[^\]]*\]/gm, '$1[slack, dashboard]');
  if ((replaced.match(/\[slack, dashboard\]/g) ?? []).length !== 4) throw new Error("bench: expected four severities' channels in the policy");
  slackOnlyFile = cachedTextFile('slack-only.yaml', replaced);
  return slackOnlyFile;
}

export async function runRouterE2e(o: RouterRunOptions): Promise<E2eResult> {
  const slackOnly = o.channels === 'slack';
  const work = buildWorkload(o.n, o.tag, slackOnly ? { channels: ['slack'] } : {});
  o.sinks.reset(o.tag);
  const sinkEnv = o.sinks.routerEnv();
  const env: NodeJS.ProcessEnv = { ...process.env, ...(slackOnly ? { SLACK_WEBHOOK_URL: sinkEnv.SLACK_WEBHOOK_URL } : sinkEnv) };
  delete env.PORT;
  delete env.NODE_OPTIONS;
  // Each alarm its own incident, as Alertmanager's `group_by: ['...']` here (grouping has its own tests and costs).
  env.ROUTER_POLICY_FILE = slackOnly ? slackOnlyPolicyFile() : ungroupedPolicyFile();
  // BENCH_ROUTER_ARGS: more `npm start` flags, e.g. `--background 0` to answer after the sends (the Lambda's way).
  const extra = (process.env.BENCH_ROUTER_ARGS ?? '').split(/\s+/).filter(Boolean);
  const args = [
    ...(o.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${o.cpuProfDir}`] : []),
    ...npmStartNodeFlags(),
    ...(process.env.BENCH_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean),
    npmStartScript(),
    '--port',
    '0',
    ...extra,
  ];
  const { child, match, output } = await spawnUntil(process.execPath, args, {
    cwd: ROOT,
    env,
    ready: /channels\s+(.*)\n/,
    label: 'alert-router',
    timeoutMs: 60_000,
  });
  const url = /listening on (http:\/\/[\d.]+:\d+)/.exec(output())?.[1];
  if (!url) throw new Error(`alert-router: no URL in its output:\n${output()}`);
  const live = slackOnly ? /slack: live/ : /pagerduty: live · slack: live · email: live/;
  if (!live.test(match[1])) throw new Error(`alert-router: channels are not live: ${match[1]}`);
  const client = httpClient(o.concurrency);
  const headers = SNS_POST_HEADERS;
  try {
    await warmUp(async (u) => {
      const r = await client.post(`${url}/sns`, u.body, headers);
      if (r.status !== 200) throw new Error(`warm-up: HTTP ${r.status} ${r.body.slice(0, 300)}`);
    }, o.tag);
    o.sinks.reset(o.tag);
    const mem = sampleMemory(child.pid!);
    const cpu0 = processCpuSeconds(child.pid!);
    const main0 = processCpuSeconds(child.pid!, child.pid!);
    const machine0 = machineBusySeconds();
    const own0 = ownCpuSeconds();
    const postedAt = new Map<number, number>();
    const answeredAt = new Map<number, number>();
    const responses: number[] = [];
    const statuses: Record<string, number> = {};
    const outcomes: Record<string, number> = {};
    let lastAnswer = 0;
    let dups = 0;
    const t0 = performance.now();
    const load = await runLoad(work.deliveries, o.concurrency, o.timeLimitMs, async (d) => {
      const s = performance.now();
      if (!d.dup && !postedAt.has(d.alarm.idx)) postedAt.set(d.alarm.idx, s);
      if (d.dup) dups++;
      const r = await client.post(`${url}/sns`, d.alarm.body, headers);
      const e = performance.now();
      lastAnswer = Math.max(lastAnswer, e);
      responses.push(e - s);
      if (!d.dup) answeredAt.set(d.alarm.idx, e);
      bump(statuses, String(r.status));
      const kind = /"kind":"([a-z-]+)"/.exec(r.body)?.[1] ?? (r.status === 200 ? 'none' : `HTTP ${r.status}`);
      bump(outcomes, d.dup ? `redelivered → ${kind}` : kind);
    });
    const posted = [...postedAt.keys()].map((i) => work.uniques[i]);
    const want = (ch: 'slack' | 'email' | 'pagerduty') => posted.filter((u) => u.template.channels.includes(ch));
    const expectSlack = want('slack');
    const expectEmail = want('email');
    const expectPd = want('pagerduty');
    const s = o.sinks;
    const allIn = () =>
      expectSlack.every((u) => s.slack.arrivals.first.has(u.idx)) &&
      expectEmail.every((u) => s.smtp.arrivals.first.has(u.idx)) &&
      expectPd.every((u) => s.pagerduty.arrivals.first.has(u.idx));
    await waitFor(allIn, 30_000);
    const cpuSeconds = processCpuSeconds(child.pid!) - cpu0;
    const mainThreadCpuSeconds = processCpuSeconds(child.pid!, child.pid!) - main0;
    const benchCpuSeconds = ownCpuSeconds() - own0;
    const otherCpuSeconds = Math.max(0, machineBusySeconds() - machine0 - cpuSeconds - benchCpuSeconds);
    const { peakRssKiB } = mem.stop();
    let lastArrival = 0;
    for (const a of [s.slack.arrivals, s.smtp.arrivals, s.pagerduty.arrivals]) for (const t of a.first.values()) lastArrival = Math.max(lastArrival, t);
    const elapsedMs = Math.max(lastAnswer, lastArrival) - t0;
    const lat = (list: UniqueAlarm[], a: Arrivals) => list.filter((u) => a.first.has(u.idx)).map((u) => a.first.get(u.idx)! - postedAt.get(u.idx)!);
    const missing =
      expectSlack.filter((u) => !s.slack.arrivals.first.has(u.idx)).length +
      expectEmail.filter((u) => !s.smtp.arrivals.first.has(u.idx)).length +
      expectPd.filter((u) => !s.pagerduty.arrivals.first.has(u.idx)).length;
    const emailOnly = posted.filter((u) => u.template.severity === 'P2');
    const p3 = posted.filter((u) => u.template.severity === 'P3' && answeredAt.has(u.idx));
    const p0 = posted.filter((u) => u.template.severity === 'P0');
    return {
      system: 'alert-router',
      mode: slackOnly ? 'one alarm per POST /sns, Slack webhook only' : 'one alarm per POST /sns, PagerDuty + Slack + email',
      concurrency: o.concurrency,
      batch: 1,
      requested: o.n,
      posted: load.done,
      uniques: posted.length,
      dups,
      stoppedByTime: load.stoppedByTime,
      elapsedMs,
      throughput: load.done / (elapsedMs / 1000),
      acceptedPerSecond: load.done / ((lastAnswer - t0) / 1000),
      latency: summarize(lat(expectSlack, s.slack.arrivals)),
      latencyLabel: slackOnly ? 'POST /sns → Slack webhook received (every alarm)' : 'POST /sns → Slack webhook received (P0+P1 alarms)',
      others: [
        { label: 'POST → PagerDuty event received (P0)', summary: summarize(lat(p0, s.pagerduty.arrivals)) },
        { label: 'POST → email received by SMTP sink (P2, email only)', summary: summarize(lat(emailOnly, s.smtp.arrivals)) },
        { label: 'POST → HTTP 200 (P3, dashboard only: stored)', summary: summarize(p3.map((u) => answeredAt.get(u.idx)! - postedAt.get(u.idx)!)) },
      ],
      response: summarize(responses),
      expected: expectSlack.length + expectEmail.length + expectPd.length,
      missing,
      duplicateNotifications: duplicates(s.slack.arrivals) + duplicates(s.smtp.arrivals) + duplicates(s.pagerduty.arrivals),
      statuses,
      outcomes,
      peakRssKiB,
      cpuSeconds,
      mainThreadCpuSeconds,
      benchCpuSeconds,
      otherCpuSeconds,
      errors: load.errors,
      firstError: load.firstError,
    };
  } finally {
    client.close();
    await stop(child, 15_000);
  }
}

export const ALERTMANAGER_BIN = process.env.ALERTMANAGER_BIN ?? '/usr/bin/prometheus-alertmanager';

export function alertmanagerVersion(): string | null {
  if (!existsSync(ALERTMANAGER_BIN)) return null;
  try {
    const out = execFileSync(ALERTMANAGER_BIN, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return /version (\S+)/.exec(out)?.[1] ?? out.split('\n')[0];
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    const out = `${e.stdout ?? ''}${e.stderr ?? ''}`;
    return /version (\S+)/.exec(out)?.[1] ?? 'unknown';
  }
}

export interface AlertmanagerRunOptions {
  n: number;
  concurrency: number;
  /** Alerts per POST /api/v2/alerts. */
  batch: number;
  timeLimitMs: number;
  sinks: Sinks;
  tag: string;
}

/** Each alert its own group, notified at once; the webhook points at the bench's loopback sink. */
function alertmanagerConfig(webhookUrl: string): string {
  return `route:
  receiver: bench
  group_by: ['...']
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: bench
    webhook_configs:
      - url: ${webhookUrl}/alertmanager
        send_resolved: true
`;
}

export async function runAlertmanagerE2e(o: AlertmanagerRunOptions): Promise<E2eResult> {
  const work: Workload = buildWorkload(o.n, o.tag);
  o.sinks.reset(o.tag);
  const dir = mkdtempSync(join(tmpdir(), 'bench-am-'));
  writeFileSync(join(dir, 'alertmanager.yml'), alertmanagerConfig(o.sinks.webhook.url));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const { child, output } = spawnTracked(
    ALERTMANAGER_BIN,
    [
      `--config.file=${join(dir, 'alertmanager.yml')}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
      '--log.level=warn',
    ],
    { cwd: dir, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir } },
  );
  const client = httpClient(o.concurrency);
  const post = async (alerts: Record<string, unknown>[]) => {
    const r = await client.post(`${base}/api/v2/alerts`, JSON.stringify(alerts));
    if (r.status !== 200) throw new Error(`alertmanager: HTTP ${r.status} ${r.body.slice(0, 300)}`);
    return r;
  };
  try {
    let ok = false;
    for (let i = 0; i < 150 && !ok && child.exitCode === null; i++) {
      ok = await client
        .get(`${base}/-/ready`, 1000)
        .then((r) => r.status === 200)
        .catch(() => false);
      if (!ok) await new Promise((r) => setTimeout(r, 100));
    }
    if (!ok) throw new Error(`alertmanager: /-/ready never answered 200:\n${output().slice(-2000)}`);
    // warm-up: connections, first aggregation groups, the webhook client
    const w = buildWorkload(WARMUP, `${o.tag}w`);
    o.sinks.webhook.tag = `${o.tag}w`;
    for (const u of w.uniques) await post([alertmanagerAlert(u)]);
    await waitFor(() => o.sinks.webhook.arrivals.first.size >= w.uniques.length, 15_000);
    o.sinks.reset(o.tag);

    const mem = sampleMemory(child.pid!);
    const cpu0 = processCpuSeconds(child.pid!);
    const machine0 = machineBusySeconds();
    const own0 = ownCpuSeconds();
    const chunks: (typeof work.deliveries)[] = [];
    for (let i = 0; i < work.deliveries.length; i += o.batch) chunks.push(work.deliveries.slice(i, i + o.batch));
    const postedAt = new Map<number, number>();
    const responses: number[] = [];
    const statuses: Record<string, number> = {};
    let lastAnswer = 0;
    let posted = 0;
    let dups = 0;
    const t0 = performance.now();
    const load = await runLoad(chunks, o.concurrency, o.timeLimitMs, async (chunk) => {
      const s = performance.now();
      for (const d of chunk) {
        if (d.dup) dups++;
        else if (!postedAt.has(d.alarm.idx)) postedAt.set(d.alarm.idx, s);
      }
      posted += chunk.length;
      const r = await post(chunk.map((d) => alertmanagerAlert(d.alarm)));
      const e = performance.now();
      lastAnswer = Math.max(lastAnswer, e);
      responses.push(e - s);
      bump(statuses, String(r.status));
    });
    const arrivals = o.sinks.webhook.arrivals;
    const expected = [...postedAt.keys()];
    await waitFor(() => expected.every((i) => arrivals.first.has(i)), 60_000);
    const cpuSeconds = processCpuSeconds(child.pid!) - cpu0;
    const benchCpuSeconds = ownCpuSeconds() - own0;
    const otherCpuSeconds = Math.max(0, machineBusySeconds() - machine0 - cpuSeconds - benchCpuSeconds);
    const { peakRssKiB } = mem.stop();
    let lastArrival = 0;
    for (const t of arrivals.first.values()) lastArrival = Math.max(lastArrival, t);
    const elapsedMs = Math.max(lastAnswer, lastArrival) - t0;
    const lat = expected.filter((i) => arrivals.first.has(i)).map((i) => arrivals.first.get(i)! - postedAt.get(i)!);
    return {
      system: 'alertmanager',
      mode: o.batch === 1 ? 'one alert per POST /api/v2/alerts' : `${o.batch} alerts per POST /api/v2/alerts`,
      concurrency: o.concurrency,
      batch: o.batch,
      requested: o.n,
      posted,
      uniques: expected.length,
      dups,
      stoppedByTime: load.stoppedByTime,
      elapsedMs,
      throughput: posted / (elapsedMs / 1000),
      acceptedPerSecond: posted / ((lastAnswer - t0) / 1000),
      latency: summarize(lat),
      latencyLabel: 'POST /api/v2/alerts → webhook received',
      others: [],
      response: summarize(responses),
      expected: expected.length,
      missing: expected.filter((i) => !arrivals.first.has(i)).length,
      duplicateNotifications: duplicates(arrivals),
      statuses,
      outcomes: {},
      peakRssKiB,
      cpuSeconds,
      mainThreadCpuSeconds: Number.NaN,
      benchCpuSeconds,
      otherCpuSeconds,
      errors: load.errors,
      firstError: load.firstError,
    };
  } finally {
    client.close();
    await stop(child, 10_000);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** How to get Alertmanager when it is missing (the comparison is skipped, nothing else). */
export const ALERTMANAGER_INSTALL_HINT =
  'sudo apt-get update && sudo apt-get install -y prometheus-alertmanager   (Debian/Ubuntu; or set ALERTMANAGER_BIN to an alertmanager binary from https://prometheus.io/download/)';
