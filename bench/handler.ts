/**
 * Part 1: the alarm Lambda handler in process (run as its own process by bench/run.ts; writes JSON to argv[2]).
 *
 * The middy `handler` exported by functions/alarm.ts, with a runtime from buildRuntime(readConfig(env), {db, store})
 * on dynalite started in this process; Slack/PagerDuty = loopback HTTP sinks (200/202), email = smtp-server on
 * loopback. DynamoDB requests are attributed to the alarm that issued them with AsyncLocalStorage, so that
 * "requests before fan-out" is exact per alarm even with 50 invocations in flight.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { writeFileSync } from 'node:fs';
import { applyLocalEnvDefaults } from '../packages/local/src/local-env';
import { runLoad } from './lib/load';
import { machineBusySeconds } from './lib/procs';
import { startSinks } from './lib/sinks';
import { summarize, type Summary } from './lib/stats';
import { buildWorkload, TEMPLATES } from './lib/workload';

// Lambda-like but quiet: Powertools logs at WARN and EMF metrics off, as in local mode (set before the imports below).
applyLocalEnvDefaults();

const { createDocumentClient, countRequests, DynamoIncidentStore, buildRuntime, readConfig, setRuntime } = await import('@alert-router/aws');
const core = await import('@alert-router/core');
const { startDynalite, ensureTable } = await import('../packages/local/src/dynalite');
const { snsEventFromHttp, lambdaContext } = await import('../packages/local/src/lambda-events');
const { handler } = await import('../functions/alarm');
const { ungroupedPolicy } = await import('../test/helpers/policies');

interface AlarmCtx {
  requests: number;
  byCommand: Record<string, number>;
  /** Requests issued before the first notifier send (null: nothing was sent). */
  beforeSend: number | null;
}
const als = new AsyncLocalStorage<AlarmCtx>();

export interface HandlerRun {
  /** The shipped policy as it is (grouping on: the storm run) rather than with grouping off. */
  grouped: boolean;
  concurrency: number;
  requested: number;
  done: number;
  stoppedByTime: boolean;
  elapsedMs: number;
  alarmsPerSecond: number;
  latency: Summary;
  latencyBySeverity: Record<string, Summary>;
  outcomes: Record<string, number>;
  /** DynamoDB requests per delivery (all deliveries, duplicates included), from the per-alarm contexts. */
  requestsPerAlarm: number;
  /** Same, per outcome kind. */
  requestsByOutcome: Record<string, { alarms: number; perAlarm: number; byCommand: Record<string, number> }>;
  /** Requests issued between the start of the handler and the first notifier send, over alarms that sent. */
  beforeFanOut: { alarms: number; max: number; mean: number; histogram: Record<string, number> };
  /** All requests the client sent during the run / deliveries (cross-check; includes background silence refreshes). */
  clientRequestsPerAlarm: number;
  silenceRefreshes: number;
  sent: Record<string, number>;
  errors: number;
  firstError: string | null;
  cpuMsPerAlarm: number;
  /** CPU seconds the rest of the machine used during the run (noise from other work). */
  otherCpuSeconds: number;
  /** Distinct incidents the alarms went to (a storm's groups; absent in results saved before it was counted). */
  incidents?: number;
}

export interface CpuStage {
  stage: string;
  usPerAlarm: number;
}

export interface HandlerReport {
  runs: HandlerRun[];
  /** Alarms of one group (same account and region) at concurrency 50 on the shipped policy: one hot item. */
  storm?: HandlerRun;
  cpu: { iterations: number; stages: CpuStage[]; total: number; envelope: number };
  peakRssKiB: number;
}

async function runOnce(
  n: number,
  concurrency: number,
  timeLimitMs: number,
  endpoint: string,
  sinks: Awaited<ReturnType<typeof startSinks>>,
  grouped = false,
): Promise<HandlerRun> {
  const tableName = `bench_c${concurrency}_${Date.now().toString(36)}`;
  await ensureTable(endpoint, tableName);
  const db = createDocumentClient({ region: 'us-east-1', endpoint });
  const counter = countRequests(db);
  db.middlewareStack.add(
    (next, context) => async (args) => {
      const ctx = als.getStore();
      if (ctx) {
        ctx.requests++;
        const name = context.commandName ?? 'unknown';
        ctx.byCommand[name] = (ctx.byCommand[name] ?? 0) + 1;
      }
      return next(args);
    },
    { step: 'initialize', name: 'benchPerAlarmCounter' },
  );
  const store = new DynamoIncidentStore(db, tableName);
  const config = readConfig({ ROUTER_TABLE: tableName, DYNAMODB_ENDPOINT: endpoint, AWS_REGION: 'us-east-1', ...sinks.routerEnv() });
  // Grouping off, as in the end-to-end runs (each alarm its own incident); the storm run keeps the shipped grouping.
  const policy = grouped ? core.defaultPolicy() : ungroupedPolicy();
  const rt = buildRuntime(config, { db, store, policy });
  // The background silence refresh is not the alarm's work: run it outside any alarm's context, and count it.
  let silenceRefreshes = 0;
  const listActive = rt.silences.listActive.bind(rt.silences);
  rt.silences.listActive = (now: string) => {
    silenceRefreshes++;
    return als.exit(() => listActive(now));
  };
  const sent: Record<string, number> = {};
  for (const [channel, notifier] of Object.entries(rt.notifiers)) {
    const send = notifier.send.bind(notifier);
    notifier.send = async (notice, signal) => {
      const ctx = als.getStore();
      if (ctx && ctx.beforeSend === null) ctx.beforeSend = ctx.requests;
      sent[channel] = (sent[channel] ?? 0) + 1;
      return send(notice, signal);
    };
  }
  setRuntime(rt);
  const tag = `h${grouped ? 'g' : ''}${concurrency}`;
  sinks.reset(tag);
  // warm-up (not counted): first-use module loading, sockets
  for (const u of buildWorkload(25, `${tag}w`).uniques) await handler(snsEventFromHttp(u.sns), lambdaContext('alarm'));
  await rt.silenceCache.refresh();
  counter.reset();
  silenceRefreshes = 0;
  for (const k of Object.keys(sent)) delete sent[k];

  const work = buildWorkload(n, tag);
  const events = work.deliveries.map((d) => snsEventFromHttp(d.alarm.sns));
  const latencies: number[] = [];
  const bySeverity: Record<string, number[]> = {};
  const outcomes: Record<string, number> = {};
  const incidents = new Set<string>();
  const byOutcome: Record<string, { alarms: number; requests: number; byCommand: Record<string, number> }> = {};
  const before: number[] = [];
  let requestsTotal = 0;
  const cpu0 = process.cpuUsage();
  const machine0 = machineBusySeconds();
  const load = await runLoad(work.deliveries, concurrency, timeLimitMs, async (d, i) => {
    const ctx: AlarmCtx = { requests: 0, byCommand: {}, beforeSend: null };
    const s = performance.now();
    const out = (await als.run(ctx, () => handler(events[i], lambdaContext('alarm')))) as { outcomes: { kind: string; incidentId: string | null }[] };
    const ms = performance.now() - s;
    if (out.outcomes[0]?.incidentId) incidents.add(out.outcomes[0].incidentId);
    latencies.push(ms);
    (bySeverity[d.alarm.template.severity] ??= []).push(ms);
    const kind = `${d.dup ? 'redelivered → ' : ''}${out.outcomes[0]?.kind ?? 'none'}`;
    outcomes[kind] = (outcomes[kind] ?? 0) + 1;
    const o = (byOutcome[kind] ??= { alarms: 0, requests: 0, byCommand: {} });
    o.alarms++;
    o.requests += ctx.requests;
    for (const [c, v] of Object.entries(ctx.byCommand)) o.byCommand[c] = (o.byCommand[c] ?? 0) + v;
    requestsTotal += ctx.requests;
    if (ctx.beforeSend !== null) before.push(ctx.beforeSend);
  });
  const cpu = process.cpuUsage(cpu0);
  const otherCpuSeconds = Math.max(0, machineBusySeconds() - machine0 - (cpu.user + cpu.system) / 1e6);
  const histogram: Record<string, number> = {};
  for (const b of before) histogram[String(b)] = (histogram[String(b)] ?? 0) + 1;
  db.destroy();
  return {
    grouped,
    concurrency,
    requested: n,
    done: load.done,
    stoppedByTime: load.stoppedByTime,
    elapsedMs: load.elapsedMs,
    alarmsPerSecond: load.done / (load.elapsedMs / 1000),
    latency: summarize(latencies),
    latencyBySeverity: Object.fromEntries(
      Object.entries(bySeverity)
        .sort()
        .map(([k, v]) => [k, summarize(v)]),
    ),
    outcomes,
    incidents: incidents.size,
    requestsPerAlarm: requestsTotal / Math.max(1, load.done),
    requestsByOutcome: Object.fromEntries(
      Object.entries(byOutcome).map(([k, v]) => [
        k,
        { alarms: v.alarms, perAlarm: v.requests / v.alarms, byCommand: Object.fromEntries(Object.entries(v.byCommand).map(([c, x]) => [c, x / v.alarms])) },
      ]),
    ),
    beforeFanOut: {
      alarms: before.length,
      max: before.length ? Math.max(...before) : Number.NaN,
      mean: before.reduce((a, b) => a + b, 0) / Math.max(1, before.length),
      histogram,
    },
    clientRequestsPerAlarm: counter.total / Math.max(1, load.done),
    silenceRefreshes,
    sent: { ...sent },
    errors: load.errors,
    firstError: load.firstError,
    cpuMsPerAlarm: (cpu.user + cpu.system) / 1000 / Math.max(1, load.done),
    otherCpuSeconds,
  };
}

/** CPU µs per alarm of the pure work: parse + classify + render, over many iterations (process.cpuUsage). */
function cpuMicrobench(iterations: number): HandlerReport['cpu'] {
  const policy = core.defaultPolicy();
  const work = buildWorkload(TEMPLATES.length * 20, 'cpu');
  const records = work.uniques.map((u) => snsEventFromHttp(u.sns).Records[0].Sns);
  const now = new Date().toISOString();
  const leaseMs = 45_000;
  const slack = policy; // keep the policy object hot
  void slack;
  const parse = (i: number) => core.parseSnsMessage(records[i % records.length] as never, 'Records[0].Sns');
  const notifications = records.map((_, i) => parse(i));
  const routedAll = notifications.map((n) => core.route(n, policy));
  const notices = routedAll.map((r) => {
    const incident = core.newIncident(r, now, policy, { claim: { owner: 'bench', now, leaseMs } });
    return { event: 'trigger' as const, incident, policy, links: core.noticeLinks(incident, policy, { dashboardUrl: 'http://127.0.0.1:3000' }) };
  });
  const render = (i: number) => {
    const k = i % notices.length;
    const notice = notices[k];
    let size = 0;
    for (const c of routedAll[k].channels) {
      if (c === 'slack') size += JSON.stringify(core.renderSlack(notice)).length;
      else if (c === 'email') size += core.renderEmail(notice).html.length;
      else if (c === 'pagerduty') size += JSON.stringify(core.renderPagerDuty(notice, 'R0UT1NGKEY0000000000000000000000')).length;
    }
    return size;
  };
  let sink = 0;
  const measure = (fn: (i: number) => unknown): number => {
    for (let i = 0; i < Math.min(2000, iterations); i++) fn(i); // warm-up (JIT)
    const c0 = process.cpuUsage();
    for (let i = 0; i < iterations; i++) if (fn(i)) sink++;
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / iterations;
  };
  const envelope = measure((i) => core.snsMessageSchema.safeParse(records[i % records.length]).success);
  const stages: CpuStage[] = [
    { stage: 'parseSnsMessage (JSON + alarm schema)', usPerAlarm: measure(parse) },
    { stage: 'route (classify + channels)', usPerAlarm: measure((i) => core.route(notifications[i % notifications.length], policy)) },
    { stage: 'render (Slack blocks / email / PagerDuty event, per routed channel; JSON.stringify included)', usPerAlarm: measure(render) },
  ];
  const total = measure((i) => {
    const n = parse(i);
    const r = core.route(n, policy);
    const incident = core.newIncident(r, now, policy, { claim: { owner: 'bench', now, leaseMs } });
    const notice = { event: 'trigger' as const, incident, policy, links: core.noticeLinks(incident, policy, {}) };
    let size = 0;
    for (const c of r.channels) {
      if (c === 'slack') size += JSON.stringify(core.renderSlack(notice)).length;
      else if (c === 'email') size += core.renderEmail(notice).html.length;
      else if (c === 'pagerduty') size += JSON.stringify(core.renderPagerDuty(notice, 'R0UT1NGKEY0000000000000000000000')).length;
    }
    return size;
  });
  if (sink < 0) console.log(sink);
  return { iterations, stages, total, envelope };
}

async function main(): Promise<void> {
  const out = process.argv[2];
  // "concurrency:alarms,..." (bench/run.ts passes the plan it prints)
  const plan = (process.env.BENCH_HANDLER_PLAN ?? '1:1000,50:10000').split(',').map((x) => x.split(':').map(Number) as [number, number]);
  const limit = Number(process.env.BENCH_TIME_LIMIT_S ?? 180) * 1000;
  const cpuIterations = Number(process.env.BENCH_CPU_ITERATIONS ?? 20_000);
  const dynamo = await startDynalite();
  const sinks = await startSinks();
  let peakRssKiB = 0;
  const rssTimer = setInterval(() => (peakRssKiB = Math.max(peakRssKiB, process.memoryUsage.rss() / 1024)), 250);
  try {
    const cpu = cpuMicrobench(cpuIterations);
    process.stderr.write(`  cpu: parse+classify+render ${cpu.total.toFixed(1)} µs/alarm\n`);
    const runs: HandlerRun[] = [];
    for (const [c, n] of plan) {
      const r = await runOnce(n, c, limit, dynamo.endpoint, sinks);
      process.stderr.write(
        `  handler c=${c}: ${r.done} alarms, ${r.alarmsPerSecond.toFixed(0)}/s, p50 ${r.latency.p50.toFixed(1)} ms, p99 ${r.latency.p99.toFixed(1)} ms\n`,
      );
      runs.push(r);
    }
    const stormN = Number(process.env.BENCH_STORM_N ?? 500);
    let storm: HandlerRun | undefined;
    if (stormN > 0) {
      storm = await runOnce(stormN, 50, limit, dynamo.endpoint, sinks, true);
      process.stderr.write(
        `  handler storm of one account and region (shipped policy), c=50: ${storm.done} alarms into ${storm.incidents} groups, ${storm.alarmsPerSecond.toFixed(0)}/s, p50 ${storm.latency.p50.toFixed(1)} ms, p99 ${storm.latency.p99.toFixed(1)} ms, ${storm.requestsPerAlarm.toFixed(1)} DynamoDB requests per alarm\n`,
      );
    }
    const report: HandlerReport = { runs, storm, cpu, peakRssKiB };
    writeFileSync(out, JSON.stringify(report, null, 2));
  } finally {
    clearInterval(rssTimer);
    setRuntime(undefined);
    await sinks.close();
    await dynamo.close();
  }
}

await main();
process.exit(0);
