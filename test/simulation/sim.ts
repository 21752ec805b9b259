/**
 * Deterministic simulation of the alarm path (in the spirit of FoundationDB's simulation testing).
 *
 * One seed drives everything: which alarms fire, how many copies SNS delivers and in what order, which store
 * operation or channel send runs next, which channel answers 500 / 429 Retry-After / times out / refuses (4xx),
 * where a process dies (a crash before any store operation or send: what was written stays, nothing after it
 * runs), and which silences are created and when they end (expire, or are removed), matching some of the alarms.
 * Every store operation and send is a scheduling point: one runs at a time, picked by the seeded generator, or (on
 * some seeds, at some steps) a burst of 2-4 released together, whose store calls then share one event-loop turn
 * (which the SQLite store runs as one batch); a seed replays exactly (since the bursts, 2026-12-02, a seed that has
 * any, or a crashed process waiting at several points, plays differently from the same seed before). After the
 * storm, channels heal and redeliveries and sweeps run to quiescence; then the invariants are checked against what
 * the channels received and what the store holds.
 */
import {
  defaultPolicy,
  escalationFor,
  heldBy,
  matchingSilence,
  noticeLinks,
  pagerDutyDedupKey,
  silenceMatches,
  type Incident,
  type Notice,
  type Notifier,
  type Policy,
  type SendChannel,
  type Silence,
} from '@alert-router/core';
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
  /** The simulated clock when it was sent, and the notice's note (a release says "was silenced by SIL-…"). */
  at: number;
  note: string;
}

type Fault = 'ok' | '500' | '429' | 'timeout' | '4xx';

const PRIMITIVES = new Set([
  'recordProblem',
  'recordRecovery',
  'getLatch',
  'trimFlips',
  'releaseLatch',
  'setLatchGroup',
  'lookupGroup',
  'putGroupRecord',
  'pointChildren',
  'createIncident',
  'getIncident',
  'replaceIncident',
  // updateIncident's conditional write (store/port.ts), which the DynamoDB adapter sends itself.
  'replaceOrCurrent',
  'listUnresolved',
  'listByDay',
  'listDue',
  'listHeld',
  'putDeadLetter',
  'listDeadLetters',
]);

/**
 * The DynamoDB adapter's pacing under the simulation: no wall-clock pause between lost races. The scheduler is what
 * interleaves the writers here, and a writer asleep in a real timer is neither at a point nor in flight: the world
 * would look idle without it, and the writer would wake to a point nobody runs.
 */
export const SIM_PACING = { sleep: () => Promise.resolve(), random: () => 0.5 };

export interface SimOptions {
  seed: number;
  /** The store under test (default: the in-memory adapter). */
  store?: () => Promise<SimStore>;
  /** Keep the whole trace (default: only on failure). */
  trace?: boolean;
  /** Run on the shipped grouping (the world's alarms share an account and region: they fold into groups). */
  grouped?: boolean;
}

export interface SimStore {
  store: IncidentStore;
  close(): Promise<void>;
  /**
   * False: no step releases a burst of waiting points. For a store whose replies come back from another thread
   * (dynalite), where calls in flight together would finish in an order the seed does not decide.
   */
  bursts?: boolean;
}

export interface SimResult {
  seed: number;
  violations: string[];
  trace: string[];
  stats: {
    steps: number;
    crashes: number;
    sends: number;
    faults: number;
    incidents: number;
    failedForGood: number;
    redeliveries: number;
    /** Silences in force at some point; episodes opened under one and announced when it ended; those that recovered under it; announced ones whose OK came under a later silence. */
    silences: number;
    released: number;
    recoveredSilenced: number;
    resolvedUnderSilence: number;
    /** Members of groups beyond each group's first (alarms folded into another's incident). */
    groupedMembers: number;
    /** Steps that released more than one waiting point at once (their store calls share an event-loop turn). */
    bursts: number;
  };
}

const T0 = Date.parse('2026-11-20T10:00:00.000Z');
const LEASE_MS = 45_000;
const SNS_ATTEMPTS = 8;

/** Every count at zero: one run's start, or the totals of many. */
export function noStats(): SimResult['stats'] {
  return {
    steps: 0,
    crashes: 0,
    sends: 0,
    faults: 0,
    incidents: 0,
    failedForGood: 0,
    redeliveries: 0,
    silences: 0,
    released: 0,
    recoveredSilenced: 0,
    resolvedUnderSilence: 0,
    groupedMembers: 0,
    bursts: 0,
  };
}

export async function simulate(opts: SimOptions): Promise<SimResult> {
  const random = rng(opts.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
  const chance = (p: number) => random() < p;
  const trace: string[] = [];
  const stats = noStats();
  const made: SimStore = opts.store ? await opts.store() : { store: new MemoryIncidentStore(), close: async () => {} };
  const store = made.store;

  // What this seed's world is like.
  const crashRate = pick([0, 0.01, 0.03, 0.06]);
  const faultRate = pick([0, 0.1, 0.25, 0.4]);
  // How often a step releases a burst of 2-4 waiting points at once instead of one: their store calls then come in
  // one event-loop turn, which the SQLite store runs together (on a file, in one transaction). Drawn from a
  // generator of their own: a seed without bursts replays the world it made before they existed.
  const burstRandom = rng(opts.seed + 0x5bd1e995);
  const burstRate = made.bursts === false ? 0 : [0, 0, 0.3, 0.6][Math.floor(burstRandom() * 4)];
  let faultsOn = true;
  let crashesOn = true;
  let clock = T0;
  trace.push(`seed ${opts.seed}: crash rate ${crashRate}, fault rate ${faultRate}, burst rate ${burstRate}`);

  // The scheduler: every store operation and send waits at a point; one proceeds at a time, or a burst (burstRate).
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
  /** The silence store of this world (what `/incident silence` wrote); an early end rewrites `endsAt` and sets `endedBy`. */
  const silences: Silence[] = [];
  /** When each incident was first stored, and each sweep that ran to its end: started (its `now`) and finished. */
  const storedAt = new Map<string, number>();
  const sweeps: { from: number; to: number }[] = [];
  const iso = (t: number) => new Date(t).toISOString();
  const metrics = new Map<string, number>();
  let owners = 0;
  const silent = { info() {}, warn() {}, error() {} };
  const policy: Policy = opts.grouped ? defaultPolicy() : { ...defaultPolicy(), grouping: 'off' };
  // Slack with threads (the Web API: updates at once) or without (the webhook: batched), per seed.
  const threads = opts.grouped === true && random() < 0.5;
  const notifiers = Object.fromEntries(
    (['pagerduty', 'slack', 'email'] as const).map((c) => [c, { channel: c, threads: c === 'slack' && threads, send: async () => ({}) } satisfies Notifier]),
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
            const r = await fn.apply(target, a);
            if (prop === 'createIncident' && r === true && !storedAt.has((a[0] as Incident).id)) storedAt.set((a[0] as Incident).id, clock);
            return r;
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
      sent.push({
        proc: proc.id,
        channel,
        event: notice.event,
        incidentId: notice.incident.id,
        dedupKey: pagerDutyDedupKey(notice.incident),
        accepted,
        fault,
        at: clock,
        note: notice.note ?? '',
      });
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

  /**
   * A process's copy of the silences, read at a scheduling point like any store read: the alarm path asks at the
   * moment it decides; a sweep's refresh takes a snapshot that may be stale by the time it is used.
   */
  function silencesFor(proc: Proc) {
    let copy: Silence[] = [];
    return {
      silencedBy: async (n: { alarmName: string }) => {
        await point(proc, `silences.match(${n.alarmName})`);
        const s = matchingSilence(silences, n, iso(clock));
        return s ? `${s.id} by ${s.author}: ${s.reason}` : null;
      },
      silenceCache: {
        prefetch() {},
        refresh: async () => {
          await point(proc, 'silences.listActive');
          copy = silences.filter((s) => s.endsAt > iso(clock)).map((s) => ({ ...s }));
        },
        match: (alarmName: string, now: string) => matchingSilence(copy, { alarmName }, now),
        all: () => copy,
      },
    };
  }

  function runtimeFor(proc: Proc): Runtime {
    const rt = {
      ...silencesFor(proc),
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
      const burst = burstRate > 0 && waiting.length > 1 && burstRandom() < burstRate ? Math.min(waiting.length, 2 + Math.floor(burstRandom() * 3)) : 1;
      if (burst > 1) {
        stats.bursts++;
        trace.push(`burst of ${burst}`);
      }
      // The whole burst is released before any of it runs: the released calls continue in this same turn.
      for (let b = 0; b < burst; b++) {
        const i = Math.floor(random() * waiting.length);
        const [w] = waiting.splice(i, 1);
        if (w.proc.dead) {
          // A process that crashed at one of its points runs none of the others it was waiting at.
          trace.push(`#${w.proc.id} (crashed) never ${w.label}`);
          w.die(new Crash(w.label));
          continue;
        }
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
  const sweep = (label: string) =>
    spawn(`sweep ${label}`, async (rt) => {
      const from = clock;
      await runEscalations(rt);
      sweeps.push({ from, to: clock });
    });

  // Silences: none, one or two, each matching one alarm or all of them; created before the storm (so ALARMs open
  // under it) or at a random point of a later phase (so it holds incidents already announced), and ended at a
  // random point of the same or a later phase: expired by the clock, or removed by a person (`/incident unsilence`).
  const PHASES = ['storm', 'response', 'oks', 'quiescence'] as const;
  type Phase = (typeof PHASES)[number];
  /** Nominal start of each phase on the simulated clock (a phase lasts seconds; they are minutes apart). */
  const phaseAt: Record<Phase, number> = { storm: T0, response: T0 + 6 * 60_000, oks: T0 + 8 * 60_000, quiescence: T0 + 13 * 60_000 };
  type PlannedSilence = { id: string; match: string; from: Phase | 'before'; until: Phase; how: 'expire' | 'remove'; endsAt: number };
  const planned: PlannedSilence[] = Array.from({ length: pick([0, 1, 1, 2]) }, (_, k) => {
    const from = pick(['before', 'before', 'storm', 'response', 'oks'] as const);
    const later = PHASES.slice(from === 'before' ? 0 : PHASES.indexOf(from));
    const until = pick(later);
    const how = chance(0.5) ? ('expire' as const) : ('remove' as const);
    // An expiry lands anywhere from half a minute before its phase (between events) to a few seconds into it.
    const endsAt = how === 'expire' ? phaseAt[until] - 30_000 + Math.floor(random() * 33_000) : phaseAt.quiescence + 3_600_000;
    return { id: `SIL-S${k}`, match: chance(0.6) ? pick(alarms).name : 'Sim*', from, until, how, endsAt };
  });
  const putSilence = (p: PlannedSilence) => {
    const s: Silence = {
      id: p.id,
      match: p.match,
      reason: 'sim maintenance',
      author: 'carol',
      startsAt: iso(clock),
      endsAt: iso(Math.max(p.endsAt, clock + 1)),
      createdAt: iso(clock),
    };
    silences.push(s);
    stats.silences++;
    trace.push(`  silence ${s.id} ${s.match} from ${s.startsAt} until ${s.endsAt}`);
  };
  /** Starts and ends the silences planned for this phase, as processes that interleave with everything else. */
  const silenceEvents = (phase: Phase) => {
    for (const p of planned.filter((x) => x.from === phase))
      spawn(`silence ${p.id} ${p.match}`, async (_rt, proc) => {
        await point(proc, `silences.create(${p.id})`);
        putSilence(p);
      });
    for (const p of planned.filter((x) => x.until === phase && x.how === 'remove'))
      spawn(`unsilence ${p.id}`, async (_rt, proc) => {
        await point(proc, `silences.end(${p.id})`);
        const s = silences.find((x) => x.id === p.id);
        if (s && !s.endedBy && s.endsAt > iso(clock)) Object.assign(s, { endedBy: 'dave', endsAt: iso(clock) });
      });
  };
  for (const p of planned) trace.push(`  planned ${p.id} ${p.match}: from ${p.from}, ${p.how} in ${p.until}`);
  for (const p of planned.filter((x) => x.from === 'before')) putSilence(p);

  try {
    // Phase 1: ALARMs (and some racing OKs), redeliveries, a sweep.
    for (const m of messages.filter((x) => x.early)) for (let c = 0; c < m.copies; c++) deliverMessage(m.body, m.label);
    sweep('during the storm');
    silenceEvents('storm');
    await runToIdle();

    // Phase 2: response time passes: escalations (with faults), acknowledgements and resolves by people.
    clock = Math.max(clock + 60_000, phaseAt.response);
    sweep('after 6 min');
    silenceEvents('response');
    for (const i of await store.listUnresolved()) {
      if (chance(0.3))
        spawn(`ack ${i.id}`, (rt) => acknowledgeIncident(rt, i.id, { id: 'U1', name: 'alice', via: 'slack' }, { skip: chance(0.5) ? ['slack'] : [] }));
      else if (chance(0.1)) spawn(`resolve ${i.id}`, (rt) => resolveIncident(rt, i.id, { id: 'U2', name: 'bob', via: 'dashboard' }));
    }
    await runToIdle();

    // Phase 3: the OKs that had not come yet (and late copies of the ALARMs), with a sweep.
    clock = Math.max(clock + 60_000, phaseAt.oks);
    silenceEvents('oks');
    for (const m of messages.filter((x) => !x.early)) for (let c = 0; c < m.copies; c++) deliverMessage(m.body, m.label);
    for (const m of messages.filter((x) => x.early && x.label.includes('ALARM'))) if (chance(0.3)) deliverMessage(m.body, `${m.label} late copy`);
    sweep('with the OKs');
    await runToIdle();

    // Quiescence: channels heal, nothing crashes; sweeps run (leases and retry times pass) until nothing is due.
    faultsOn = false;
    crashesOn = false;
    trace.push('-- quiescence');
    for (let round = 0; round < 40; round++) {
      clock = Math.max(clock + 5 * 60_000, round === 0 ? phaseAt.quiescence : 0);
      sweep(`quiescence ${round}`);
      if (round === 0) silenceEvents('quiescence');
      await runToIdle();
      const due = await store.listDue(new Date(clock + 365 * 86_400_000).toISOString(), 1000);
      const unfinished = (d: Incident['deliveries'][string]) =>
        d.status === 'pending' || d.status === 'scheduled' || (d.status === 'failed' && d.retryable !== false);
      if (!due.some((i) => Object.values(i.deliveries).some(unfinished))) break;
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
        if (d.status === 'pending' || d.status === 'scheduled' || (d.status === 'failed' && d.retryable !== false))
          v.push(`${i.id} notice ${key} ends ${d.status} (not delivered, not failed for good)`);
        if (d.status === 'failed' && d.retryable === false) {
          failedForGood++;
          if (!d.error) v.push(`${i.id} notice ${key} failed for good without a reason`);
        }
      }
      checkSilenced(i, v);
      checkMembers(i, v);
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
    // Groups: every episode is in one incident at most, and PagerDuty never gets a group's updates.
    const homes = new Map<string, string>();
    for (const i of incidents)
      for (const m of i.members ?? []) {
        const home = homes.get(m.episodeId);
        if (home && home !== i.id) v.push(`episode ${m.episodeId} (${m.alarmName}) is a member of ${home} and of ${i.id}`);
        homes.set(m.episodeId, i.id);
      }
    for (const x of sent.filter((y) => y.channel === 'pagerduty' && y.event === 'update')) v.push(`${x.incidentId}: PagerDuty got an update notice`);
    stats.failedForGood = failedForGood;
    // Every notice that failed for good is visible in a metric too.
    if ((metrics.get('NoticesFailedPermanently') ?? 0) < failedForGood)
      v.push(`metric NoticesFailedPermanently ${metrics.get('NoticesFailedPermanently') ?? 0} < ${failedForGood} notices failed for good`);
    return v;
  }

  /** A group resolves only when every member recovered, or a person resolved it; a member recovered has its time. */
  function checkMembers(i: Incident, v: string[]): void {
    if (!i.members) return;
    stats.groupedMembers += i.members.length - 1;
    const byPerson = i.resolvedBy !== null && !i.resolvedBy.startsWith('cloudwatch');
    if (i.status === 'resolved' && !byPerson) {
      for (const m of i.members.filter((x) => x.state !== 'recovered')) v.push(`${i.id} resolved by ${i.resolvedBy} while ${m.alarmName} still fires`);
    }
    if (i.status !== 'resolved' && i.members.every((m) => m.state === 'recovered')) v.push(`${i.id}: every member recovered, yet ${i.status}`);
    for (const m of i.members) if (m.state === 'recovered' && !m.recoveredAt) v.push(`${i.id}: member ${m.alarmName} recovered without a time`);
    if (new Set(i.members.map((m) => m.incidentKey)).size !== i.members.length) v.push(`${i.id}: an alarm is listed twice among its members`);
  }

  /** A matching silence was in force at some moment of [from, to] (its final start and end, after any removal). */
  function silencedDuring(alarmName: string, from: number, to: number): boolean {
    return silences.some((s) => silenceMatches(s, alarmName) && Date.parse(s.startsAt) <= to && Date.parse(s.endsAt) > from);
  }

  /** The invariants of silences, for one incident. */
  function checkSilenced(i: Incident, v: string[]): void {
    const mine = sent.filter((s) => s.incidentId === i.id);
    const opened = i.timeline.find((e) => e.type === 'silenced' && !e.by);
    const held = opened ? heldBy(opened.detail ?? null) : null;
    const channels = i.channels.filter((c): c is SendChannel => c !== 'dashboard');
    if (!held) {
      // If we notified, we resolve: an incident announced before a silence, whose OK came while it was in force.
      const firstPage = mine.find((s) => s.accepted && s.event === 'trigger');
      if (firstPage && i.resolvedAt && silencedDuring(i.alarmName, Date.parse(i.resolvedAt), Date.parse(i.resolvedAt))) stats.resolvedUnderSilence++;
      return;
    }
    const created = storedAt.get(i.id) ?? T0;
    const resolved = i.resolvedAt ? Date.parse(i.resolvedAt) : Infinity;
    if (!i.releasedAt) {
      // Recovered during the silence: nothing at all is sent.
      stats.recoveredSilenced++;
      if (mine.length > 0) v.push(`${i.id}: opened under ${held.id}, never released, yet sent ${mine.map((s) => `${s.event}:${s.channel}`).join(', ')}`);
      // ...and it did recover during the silence: no sweep ran to its end, silence-free, while it was unresolved.
      const missed = sweeps.find((w) => w.from >= created && w.to < resolved && !silencedDuring(i.alarmName, w.from, w.to));
      if (missed)
        v.push(`${i.id}: opened under ${held.id}, still unresolved after the sweep at ${iso(missed.from)} that ran with no silence in force, never announced`);
      return;
    }
    stats.released++;
    const holding = silences.filter((h) => silenceMatches(h, i.alarmName) && Date.parse(h.startsAt) <= created && Date.parse(h.endsAt) > created);
    const releasedAt = Date.parse(i.releasedAt);
    if (!i.timeline.some((e) => e.type === 'silenced' && e.by === 'escalation' && e.detail?.includes(`was silenced by ${held.id} `)))
      v.push(`${i.id}: released without the "was silenced by ${held.id}" mark on its timeline`);
    for (const s of mine.filter((x) => x.at < releasedAt))
      v.push(`${i.id}: ${s.channel} got ${s.event} at ${iso(s.at)}, before its release at ${i.releasedAt}`);
    for (const channel of channels) {
      const triggers = mine.filter((s) => s.channel === channel && s.event === 'trigger');
      const landed = triggers.filter((s) => s.accepted);
      // Announced at least once after the end (more than once only after a crash: the generic check), or on record why not.
      const d = i.deliveries[`trigger:${channel}`];
      const whyNot = d && ((d.status === 'failed' && d.retryable === false) || (d.status === 'skipped' && i.status === 'resolved'));
      if (landed.length === 0 && !whyNot)
        v.push(`${i.id}: opened under ${held.id}, released at ${i.releasedAt}, never announced on ${channel} (${d?.status ?? 'no notice'})`);
      for (const t of triggers.filter((x) => x.at >= releasedAt && !x.note.includes(`was silenced by ${held.id} `)))
        v.push(`${i.id}: the release trigger on ${channel} does not say it was silenced by ${held.id} ("${t.note}")`);
      for (const t of triggers.filter((x) => holding.some((h) => Date.parse(h.endsAt) > x.at)))
        v.push(`${i.id}: ${channel} got its trigger at ${iso(t.at)} while a silence that held it since it opened was in force`);
    }
    // Its escalation counts from the release: no step before the release's first deadline.
    const deadline = escalationFor(i.severity, i.releasedAt, policy)?.nextAt;
    const early = i.timeline.filter((e) => e.type === 'escalated' && (!deadline || e.at < deadline));
    if (early.length > 0) v.push(`${i.id}: escalated at ${early[0].at}, before its deadline from the release (${deadline ?? 'none'})`);
  }
}
