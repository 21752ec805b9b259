/**
 * Deterministic simulation of the alarm path (in the spirit of FoundationDB's simulation testing).
 *
 * One seed drives everything: which alarms fire, how many copies SNS delivers and in what order, which store
 * operation or channel send runs next, which channel answers 500 / 429 Retry-After / times out / refuses (4xx),
 * and where a process dies (a crash before any store operation or send: what was written stays, nothing after it
 * runs). Every store operation and send is a scheduling point: one runs at a time, picked by the seeded generator,
 * so a seed replays exactly. After the storm, channels heal and redeliveries and sweeps run to quiescence; then
 * the invariants are checked against what the channels received and what the store holds.
 */
import { defaultPolicy, noticeLinks, pagerDutyDedupKey, type Incident, type Notice, type Notifier, type SendChannel } from '@alert-router/core';
import { acknowledgeIncident, handleSnsEvent, MemoryIncidentStore, resolveIncident, runEscalations, type IncidentStore, type Runtime } from '@alert-router/aws';
import { RUNBOOK_ALARMS, snsNotification, type DemoAlarm } from '../../packages/local/src/demo';
import { snsEventFromHttp } from '../../packages/local/src/lambda-events';
import type { DeliveryOutcome } from '../../packages/aws/src/notifiers/retry';

/** Small, fast, seedable PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Crash extends Error {
  constructor(where: string) {
    super(`process crashed before ${where}`);
    this.name = 'Crash';
  }
}

interface Proc {
  id: number;
  label: string;
  dead: boolean;
  /** Sends this process made (channel + incident + event), to judge duplicates after a crash. */
  sent: { channel: SendChannel; incidentId: string; event: string }[];
}

interface Sent {
  proc: number;
  channel: SendChannel;
  event: string;
  incidentId: string;
  dedupKey: string;
  accepted: boolean;
  fault: string;
}

type Fault = 'ok' | '500' | '429' | 'timeout' | '4xx';

const PRIMITIVES = new Set([
  'recordProblem',
  'recordRecovery',
  'getLatch',
  'trimFlips',
  'releaseLatch',
  'createIncident',
  'getIncident',
  'replaceIncident',
  'listUnresolved',
  'listByDay',
  'listDue',
  'listHeld',
  'putDeadLetter',
  'listDeadLetters',
]);

export interface SimOptions {
  seed: number;
  /** The store under test (default: the in-memory adapter). */
  store?: () => Promise<{ store: IncidentStore; close(): Promise<void> }>;
  /** Keep the whole trace (default: only on failure). */
  trace?: boolean;
}

export interface SimResult {
  seed: number;
  violations: string[];
  trace: string[];
  stats: { steps: number; crashes: number; sends: number; faults: number; incidents: number; failedForGood: number; redeliveries: number };
}

const T0 = Date.parse('2026-11-20T10:00:00.000Z');
const LEASE_MS = 45_000;
const SNS_ATTEMPTS = 8;

export async function simulate(opts: SimOptions): Promise<SimResult> {
  const random = rng(opts.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
  const chance = (p: number) => random() < p;
  const trace: string[] = [];
  const stats: SimResult['stats'] = { steps: 0, crashes: 0, sends: 0, faults: 0, incidents: 0, failedForGood: 0, redeliveries: 0 };
  const made = opts.store ? await opts.store() : { store: new MemoryIncidentStore(), close: async () => {} };
  const store = made.store;

  // What this seed's world is like.
  const crashRate = pick([0, 0.01, 0.03, 0.06]);
  const faultRate = pick([0, 0.1, 0.25, 0.4]);
  let faultsOn = true;
  let crashesOn = true;
  let clock = T0;
  trace.push(`seed ${opts.seed}: crash rate ${crashRate}, fault rate ${faultRate}`);

  // The scheduler: every store operation and send waits at a point; one proceeds at a time.
  const waiting: { proc: Proc; label: string; go: () => void; die: (e: Error) => void }[] = [];
  let inflight = 0;
  let settled: (() => void) | null = null;
  const point = (proc: Proc, label: string) =>
    new Promise<void>((go, die) => {
      if (proc.dead) die(new Crash(label));
      else waiting.push({ proc, label, go, die });
    });
  const idle = async () => {
    for (;;) {
      while (inflight > 0) await new Promise<void>((r) => (settled = r));
      await new Promise((r) => setImmediate(r));
      if (inflight === 0) return;
    }
  };

  const procs: Proc[] = [];
  const sent: Sent[] = [];
  const metrics = new Map<string, number>();
  let owners = 0;
  const silent = { info() {}, warn() {}, error() {} };
  const policy = defaultPolicy();
  const notifiers = Object.fromEntries(
    (['pagerduty', 'slack', 'email'] as const).map((c) => [c, { channel: c, send: async () => ({}) } satisfies Notifier]),
  ) as unknown as Record<SendChannel, Notifier>;

  function storeFor(proc: Proc): IncidentStore {
    return new Proxy(store, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver) as unknown;
        if (typeof v !== 'function') return v;
        const fn = v as (...a: unknown[]) => Promise<unknown>;
        if (!PRIMITIVES.has(String(prop))) return (...a: unknown[]) => fn.apply(receiver, a);
        return async (...a: unknown[]) => {
          await point(proc, `store.${String(prop)}(${typeof a[0] === 'string' ? a[0].slice(0, 60) : ((a[0] as Incident)?.id ?? '')})`);
          inflight++;
          try {
            return await fn.apply(target, a);
          } finally {
            inflight--;
            if (inflight === 0) settled?.();
          }
        };
      },
    });
  }

  function deliverFor(proc: Proc) {
    return async (notifier: Notifier, notice: Notice): Promise<DeliveryOutcome> => {
      const channel = notifier.channel;
      await point(proc, `send ${channel} ${notice.event} ${notice.incident.id}`);
      const fault: Fault = faultsOn && chance(faultRate) ? pick(['500', '429', 'timeout', '4xx'] as const) : 'ok';
      const accepted = fault === 'ok';
      sent.push({ proc: proc.id, channel, event: notice.event, incidentId: notice.incident.id, dedupKey: pagerDutyDedupKey(notice.incident), accepted, fault });
      proc.sent.push({ channel, incidentId: notice.incident.id, event: notice.event });
      stats.sends++;
      if (!accepted) stats.faults++;
      trace.push(`    ${channel} ← ${notice.event} ${notice.incident.id}: ${fault}`);
      switch (fault) {
        case 'ok':
          return { status: 'delivered', attempts: 1, elapsedMs: 0 };
        case '500':
          return { status: 'failed', attempts: 4, error: `${channel}: HTTP 500 internal_error`, retryable: true, elapsedMs: 0 };
        case '429':
          return {
            status: 'failed',
            attempts: 1,
            error: `${channel}: HTTP 429 (Retry-After 30 s does not fit the remaining budget)`,
            retryable: true,
            retryAfterMs: 30_000,
            elapsedMs: 0,
          };
        case 'timeout':
          return { status: 'failed', attempts: 2, error: `${channel}: attempt timed out`, retryable: true, elapsedMs: 0 };
        case '4xx':
          return { status: 'failed', attempts: 1, error: `${channel}: HTTP 400 invalid_payload`, retryable: false, elapsedMs: 0 };
      }
    };
  }

  function runtimeFor(proc: Proc): Runtime {
    const rt = {
      store: storeFor(proc),
      notifiers,
      policy,
      deliver: deliverFor(proc),
      links: (i: Incident) => noticeLinks(i, policy, {}),
      leaseMs: LEASE_MS,
      now: () => new Date(clock),
      logger: silent,
      metrics: { count: (name: string, value = 1) => metrics.set(name, (metrics.get(name) ?? 0) + value) },
      redact: (t: string) => t,
      newOwner: () => `owner-${++owners}`,
      silenceCache: { prefetch() {}, refresh: async () => {}, match: () => null, all: () => [] },
    };
    return rt as unknown as Runtime;
  }

  const tasks: Promise<void>[] = [];
  function spawn(label: string, work: (rt: Runtime, proc: Proc) => Promise<unknown>, onFail?: () => void): void {
    const proc: Proc = { id: procs.length + 1, label, dead: false, sent: [] };
    procs.push(proc);
    trace.push(`  spawn #${proc.id} ${label}`);
    tasks.push(
      work(runtimeFor(proc), proc).then(
        () => {
          trace.push(`  #${proc.id} done`);
        },
        (err: Error) => {
          trace.push(`  #${proc.id} ${err.name === 'Crash' ? 'crashed' : `failed: ${err.message.slice(0, 120)}`}`);
          onFail?.();
        },
      ),
    );
  }

  /** SNS: delivers a message; a failed or crashed invocation (no 2xx) is delivered again, up to SNS_ATTEMPTS. */
  function deliverMessage(body: ReturnType<typeof snsNotification>, label: string, attempt = 1): void {
    spawn(
      `${label} (delivery ${attempt})`,
      (rt) => handleSnsEvent(snsEventFromHttp(body), rt),
      () => {
        if (attempt < SNS_ATTEMPTS) {
          stats.redeliveries++;
          deliverMessage(body, label, attempt + 1);
        } else trace.push(`  SNS gave up on ${label}`);
      },
    );
  }

  async function runToIdle(): Promise<void> {
    for (;;) {
      await idle();
      if (waiting.length === 0) return;
      const i = Math.floor(random() * waiting.length);
      const [w] = waiting.splice(i, 1);
      stats.steps++;
      clock += 1 + Math.floor(random() * 20);
      if (crashesOn && chance(crashRate)) {
        w.proc.dead = true;
        stats.crashes++;
        trace.push(`#${w.proc.id} CRASH before ${w.label}`);
        w.die(new Crash(w.label));
      } else {
        trace.push(`#${w.proc.id} ${w.label}`);
        w.go();
      }
    }
  }

  // The world: a few alarms, one or two episodes each (ALARM then OK, each delivered in 1-3 copies).
  const alarms: DemoAlarm[] = Array.from({ length: 2 + Math.floor(random() * 4) }, (_, k) => ({ ...pick(RUNBOOK_ALARMS.slice(0, 3)), name: `Sim${k}` }));
  type Msg = { body: ReturnType<typeof snsNotification>; label: string; copies: number; early: boolean };
  const messages: Msg[] = [];
  for (const a of alarms) {
    const episodes = 1 + Math.floor(random() * 2);
    const raceOk = chance(0.5); // the OK arrives while the ALARM is still being routed
    for (let e = 0; e < episodes; e++) {
      const t = new Date(T0 - 3_600_000 + e * 20 * 60_000);
      const ok = new Date(t.getTime() + 10 * 60_000);
      messages.push({
        body: snsNotification(a, 'ALARM', t, `${a.name}-A${e}`),
        label: `${a.name} ALARM#${e}`,
        copies: 1 + Math.floor(random() * 3),
        early: true,
      });
      messages.push({
        body: snsNotification(a, 'OK', ok, `${a.name}-O${e}`),
        label: `${a.name} OK#${e}`,
        copies: 1 + Math.floor(random() * 3),
        early: raceOk && e === episodes - 1,
      });
    }
  }
  const sweep = (label: string) => spawn(`sweep ${label}`, (rt) => runEscalations(rt));

  try {
    // Phase 1: ALARMs (and some racing OKs), redeliveries, a sweep.
    for (const m of messages.filter((x) => x.early)) for (let c = 0; c < m.copies; c++) deliverMessage(m.body, m.label);
    sweep('during the storm');
    await runToIdle();

    // Phase 2: response time passes: escalations (with faults), acknowledgements and resolves by people.
    clock += 6 * 60_000;
    sweep('after 6 min');
    for (const i of await store.listUnresolved()) {
      if (chance(0.3))
        spawn(`ack ${i.id}`, (rt) => acknowledgeIncident(rt, i.id, { id: 'U1', name: 'alice', via: 'slack' }, { skip: chance(0.5) ? ['slack'] : [] }));
      else if (chance(0.1)) spawn(`resolve ${i.id}`, (rt) => resolveIncident(rt, i.id, { id: 'U2', name: 'bob', via: 'dashboard' }));
    }
    await runToIdle();

    // Phase 3: the OKs that had not come yet (and late copies of the ALARMs), with a sweep.
    clock += 60_000;
    for (const m of messages.filter((x) => !x.early)) for (let c = 0; c < m.copies; c++) deliverMessage(m.body, m.label);
    for (const m of messages.filter((x) => x.early && x.label.includes('ALARM'))) if (chance(0.3)) deliverMessage(m.body, `${m.label} late copy`);
    sweep('with the OKs');
    await runToIdle();

    // Quiescence: channels heal, nothing crashes; sweeps run (leases and retry times pass) until nothing is due.
    faultsOn = false;
    crashesOn = false;
    trace.push('-- quiescence');
    for (let round = 0; round < 40; round++) {
      clock += 5 * 60_000;
      sweep(`quiescence ${round}`);
      await runToIdle();
      const due = await store.listDue(new Date(clock + 365 * 86_400_000).toISOString(), 1000);
      if (!due.some((i) => Object.values(i.deliveries).some((d) => d.status === 'pending' || (d.status === 'failed' && d.retryable !== false)))) break;
    }
    await Promise.all(tasks);

    const violations = await check();
    if (violations.length > 0 || opts.trace) return { seed: opts.seed, violations, trace, stats };
    return { seed: opts.seed, violations, trace: [], stats };
  } finally {
    await made.close();
  }

  async function check(): Promise<string[]> {
    const v: string[] = [];
    const incidents: Incident[] = [];
    for (const day of new Set([new Date(T0).toISOString().slice(0, 10), new Date(clock).toISOString().slice(0, 10)]))
      incidents.push(...(await store.listByDay(day)));
    stats.incidents = incidents.length;
    let failedForGood = 0;
    for (const i of incidents) {
      // No incident stays open after its OK (every alarm's newest change is an OK).
      if (i.status !== 'resolved') v.push(`${i.id} (${i.alarmName}) is ${i.status} after its OK`);
      for (const [key, d] of Object.entries(i.deliveries)) {
        if (d.status === 'pending' || (d.status === 'failed' && d.retryable !== false))
          v.push(`${i.id} notice ${key} ends ${d.status} (not delivered, not failed for good)`);
        if (d.status === 'failed' && d.retryable === false) {
          failedForGood++;
          if (!d.error) v.push(`${i.id} notice ${key} failed for good without a reason`);
        }
      }
      const mine = sent.filter((s) => s.incidentId === i.id && s.accepted);
      for (const channel of ['pagerduty', 'slack', 'email'] as const) {
        const onChannel = mine.filter((s) => s.channel === channel);
        const pages = onChannel.filter((s) => s.event === 'trigger' || s.event === 'escalate');
        const lastPage = sent.lastIndexOf(pages.at(-1)!);
        // Every episode that paged a channel is resolved there after its last page (or the resolve failed for good, on record).
        if (pages.length > 0) {
          const resolvedAfter = onChannel.some((s) => s.event === 'resolve' && sent.indexOf(s) > lastPage);
          const refused = i.deliveries[`resolve:${channel}`]?.status === 'failed' && i.deliveries[`resolve:${channel}`]?.retryable === false;
          if (!resolvedAfter && !refused) v.push(`${i.id}: ${channel} was paged (${pages.length}×) and never told it resolved`);
        }
        // No channel gets two triggers for one episode unless a crash came between send and record (same dedup_key).
        const triggers = onChannel.filter((s) => s.event === 'trigger');
        if (triggers.length > 1) {
          const crashed = procs.some((p) => p.dead && p.sent.some((s) => s.channel === channel && s.incidentId === i.id && s.event === 'trigger'));
          if (!crashed) v.push(`${i.id}: ${channel} got ${triggers.length} triggers without a crash between send and record`);
          if (new Set(triggers.map((t) => t.dedupKey)).size > 1) v.push(`${i.id}: ${channel} triggers with different dedup keys`);
        }
      }
    }
    stats.failedForGood = failedForGood;
    // Every notice that failed for good is visible in a metric too.
    if ((metrics.get('NoticesFailedPermanently') ?? 0) < failedForGood)
      v.push(`metric NoticesFailedPermanently ${metrics.get('NoticesFailedPermanently') ?? 0} < ${failedForGood} notices failed for good`);
    return v;
  }
}
