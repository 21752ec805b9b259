/**
 * Each stage of the alarm path on its own (packages/aws/src/alarm-stages.ts): classify → latch → hold back →
 * record → fan-out, against the in-memory store and channel fakes, with an injected clock.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import {
  DeliveryError,
  defaultPolicy,
  episodeId,
  parseInput,
  parseSnsMessage,
  SEND_CHANNELS,
  type Notification,
  type Notifier,
  type SendChannel,
} from '@alert-router/core';
import {
  claimDue,
  classifyStage,
  fanOut,
  holdBack,
  latchProblem,
  latchRecovery,
  MemoryIncidentStore,
  processNotification,
  recordEpisode,
  recordResolve,
  type Episode,
  type LatchStep,
  type PipelineDeps,
} from '@alert-router/aws';
import { RUNBOOK_ALARMS, snsNotification } from '../packages/local/src/demo';
import { ungroupedPolicy } from './helpers/policies';

const T0 = Date.parse('2026-11-20T10:00:00.000Z');
const iso = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();
const message = (state: 'ALARM' | 'OK', minutes: number, alarm = RUNBOOK_ALARMS[0]): Notification => {
  const b = snsNotification(alarm, state, new Date(T0 + minutes * 60_000));
  return parseSnsMessage({ ...b, Subject: b.Subject ?? null }, 'Sns');
};
const alarm = (minutes: number) => message('ALARM', minutes);
const ok = (minutes: number) => message('OK', minutes);

interface World {
  deps: PipelineDeps;
  store: MemoryIncidentStore;
  sent: { channel: SendChannel; event: string; id: string }[];
  failing: Set<SendChannel>;
  counts: Map<string, number>;
  clock: { minutes: number };
}

function world(): World {
  const store = new MemoryIncidentStore();
  const sent: World['sent'] = [];
  const failing = new Set<SendChannel>();
  const counts = new Map<string, number>();
  const clock = { minutes: 0 };
  let owners = 0;
  const notifier = (channel: SendChannel): Notifier => ({
    channel,
    send: async (notice) => {
      if (failing.has(channel)) throw new DeliveryError(`${channel}: HTTP 500`, { retryable: true, status: 500 });
      sent.push({ channel, event: notice.event, id: notice.incident.id });
      return { ref: `${channel}-${sent.length}` };
    },
  });
  const deps: PipelineDeps = {
    store,
    policy: ungroupedPolicy(),
    notifiers: Object.fromEntries(SEND_CHANNELS.map((c) => [c, notifier(c)])) as Record<SendChannel, Notifier>,
    deliver: async (n, notice) => {
      try {
        const r = await n.send(notice, new AbortController().signal);
        return { status: 'delivered', attempts: 1, ref: r.ref, elapsedMs: 0 };
      } catch (err) {
        return { status: 'failed', attempts: 1, error: (err as Error).message, retryable: (err as DeliveryError).retryable, elapsedMs: 0 };
      }
    },
    links: () => ({ console: null, runbook: null, dashboard: null }),
    leaseMs: 45_000,
    now: () => new Date(T0 + clock.minutes * 60_000),
    logger: { info() {}, warn() {}, error() {} },
    metrics: { count: (name, value = 1) => void counts.set(name, (counts.get(name) ?? 0) + value) },
    newOwner: () => `owner-${++owners}`,
  };
  return { deps, store, sent, failing, counts, clock };
}

const quiet = { silencedBy: null, flapping: null, stillFlapping: false };

/** Latch and record a new episode the way the pipeline does, returning the stored incident and its pending keys. */
async function stored(w: World, n: Notification) {
  const routed = classifyStage(n, w.deps);
  const { step } = await latchProblem(n, routed, w.deps);
  if (step.next !== 'open') throw new Error(`expected an open step, got ${step.next}`);
  const rec = await recordEpisode(routed, step.episode, quiet, { opened: true, now: w.deps.now().toISOString() }, w.deps);
  if (!rec.created) throw new Error('expected this worker to create the incident');
  return rec;
}

describe('classify alone', () => {
  it('routes by the policy: a critical-topic alarm is P0 on PagerDuty, Slack and the dashboard', () => {
    const r = classifyStage(alarm(0), { policy: defaultPolicy() });
    expect(r.classification).toMatchObject({ severity: 'P0', by: 'topic' });
    expect(r.channels).toEqual(['pagerduty', 'slack', 'dashboard']);
  });

  it('a high-topic alarm is P1 on Slack, email and the dashboard', () => {
    const r = classifyStage(message('ALARM', 0, RUNBOOK_ALARMS[1]), { policy: defaultPolicy() });
    expect(r.classification.severity).toBe('P1');
    expect(r.channels).toEqual(['slack', 'email', 'dashboard']);
  });
});

describe('the latch alone', () => {
  let w: World;
  beforeEach(() => {
    w = world();
  });
  const latch = async (n: Notification): Promise<LatchStep> => (await latchProblem(n, classifyStage(n, w.deps), w.deps)).step;

  it('the first copy of an ALARM opens its episode; a copy before the incident is stored stores it (resent)', async () => {
    const first = await latch(alarm(0));
    expect(first).toMatchObject({ next: 'open', kind: 'opened', episode: { id: episodeId(alarm(0)), openedAt: iso(0) } });
    const again = await latch(alarm(0));
    expect(again).toMatchObject({ next: 'open', kind: 'resent', episode: { id: episodeId(alarm(0)), note: expect.stringMatching(/^stored by a redelivery/) } });
  });

  it('a copy after the incident is stored goes on to send what it has due', async () => {
    const rec = await stored(w, alarm(0));
    const step = await latch(alarm(0));
    expect(step.next).toBe('resend');
    expect(step.next === 'resend' && step.incident.id).toBe(rec.incident.id);
  });

  it('a newer ALARM while the episode is open is a duplicate, counted and on the timeline', async () => {
    const rec = await stored(w, alarm(0));
    expect(await latch(alarm(3))).toEqual({ next: 'done', kind: 'duplicate', incidentId: rec.incident.id });
    expect(w.counts.get('Deduplicated')).toBe(1);
    expect((await w.store.getIncident(rec.incident.id))!.timeline.map((e) => e.type)).toContain('duplicate');
  });

  it('an older ALARM than the last change is stale', async () => {
    await latch(alarm(5));
    expect(await latch(alarm(1))).toMatchObject({ next: 'done', kind: 'stale' });
  });

  it('an OK with no open episode ends there; an OK of an open one resolves it, and the same OK again resolves it again', async () => {
    expect((await latchRecovery(ok(0), w.deps)).step).toEqual({ next: 'done', kind: 'no-episode', incidentId: null });
    const rec = await stored(w, alarm(1));
    expect((await latchRecovery(ok(2), w.deps)).step).toMatchObject({ next: 'resolve', id: rec.incident.id, openedAt: iso(0) });
    const again = (await latchRecovery(ok(2), w.deps)).step;
    expect(again).toMatchObject({ next: 'resolve', id: rec.incident.id });
    expect(again.next === 'resolve' && again.known?.id).toBe(rec.incident.id);
  });

  it('an OK older than the last change is stale', async () => {
    await latch(alarm(5));
    expect((await latchRecovery(ok(1), w.deps)).step).toEqual({ next: 'done', kind: 'stale', incidentId: null });
  });
});

describe('the silence / flapping stage alone', () => {
  const policy = ungroupedPolicy(); // flapping: more than 4 changes in 30 min

  it('a quiet alarm is announced', async () => {
    expect(await holdBack(alarm(0), [], 'P0', iso(0), { policy })).toEqual({ silencedBy: null, flapping: null, stillFlapping: false });
  });

  it('a matching silence holds it back, by name', async () => {
    const r = await holdBack(alarm(0), [], 'P0', iso(0), { policy, silencedBy: () => 'SIL-1 by U1: deploy' });
    expect(r.silencedBy).toBe('SIL-1 by U1: deploy');
  });

  it('the change that starts flapping is announced once; the next ones are held', async () => {
    const started = await holdBack(alarm(5), [iso(1), iso(2), iso(3), iso(4)], 'P0', iso(5), { policy });
    expect(started.silencedBy).toBeNull();
    expect(started.flapping?.detail).toMatch(/^started flapping \(5 changes in 30 min\)/);
    const still = await holdBack(alarm(6), [iso(1), iso(2), iso(3), iso(4), iso(5)], 'P0', iso(6), { policy });
    expect(still.silencedBy).toBe('flapping: 6 state changes in 30 min');
    expect(still.flapping?.detail).toMatch(/^still flapping/);
  });
});

describe('record alone', () => {
  let w: World;
  beforeEach(() => {
    w = world();
  });
  const episode = (n: Notification): Episode => ({ id: episodeId(n), openedAt: n.changedAt, flips: [] });

  it('stores the incident with one pending trigger per sending channel, owned by this worker; a second worker finds it stored', async () => {
    const n = alarm(0);
    const routed = classifyStage(n, w.deps);
    const rec = await recordEpisode(routed, episode(n), quiet, { opened: true, now: iso(0) }, w.deps);
    expect(rec.created).toBe(true);
    if (!rec.created) return;
    expect(rec.send.sort()).toEqual(['trigger:pagerduty', 'trigger:slack']);
    const kept = (await w.store.getIncident(rec.incident.id))!;
    expect(Object.values(kept.deliveries).map((d) => [d.status, d.owner])).toEqual([
      ['pending', rec.owner],
      ['pending', rec.owner],
    ]);
    expect(w.counts.get('IncidentsOpened')).toBe(1);
    const second = await recordEpisode(routed, episode(n), quiet, { opened: true, now: iso(0) }, w.deps);
    expect(second).toMatchObject({ created: false, stored: { id: rec.incident.id } });
    expect(w.counts.get('IncidentsOpened')).toBe(1);
  });

  it('a held-back episode is stored with its triggers skipped and the flapping note on its timeline', async () => {
    const n = alarm(0);
    const held = { silencedBy: 'SIL-1 by U1: deploy', flapping: { at: iso(0), type: 'flapping' as const, detail: 'started flapping' }, stillFlapping: false };
    const rec = await recordEpisode(classifyStage(n, w.deps), episode(n), held, { opened: true, now: iso(0) }, w.deps);
    expect(rec.created && rec.send).toEqual([]);
    const kept = (await w.store.getIncident(episodeId(n)))!;
    expect(kept.silencedBy).toBe('SIL-1 by U1: deploy');
    expect(kept.flapping).toBe(true);
    expect(Object.values(kept.deliveries).every((d) => d.status === 'skipped')).toBe(true);
  });

  it('an OK for an episode never stored stores it resolved and announced nowhere', async () => {
    const n = ok(2);
    const r = await recordResolve(n, classifyStage(n, w.deps), { id: 'INC-NEVERSTD', openedAt: iso(0) }, w.deps);
    expect(r).toEqual({ kind: 'stored-resolved' });
    const kept = (await w.store.getIncident('INC-NEVERSTD'))!;
    expect(kept.status).toBe('resolved');
    expect(Object.values(kept.deliveries).every((d) => d.status === 'skipped')).toBe(true);
  });

  it('an OK resolves where the trigger landed, and a second resolve of it changes nothing', async () => {
    const rec = await stored(w, alarm(0));
    await fanOut(w.deps, rec.incident, rec.owner, rec.send);
    const n = ok(2);
    const r = await recordResolve(n, classifyStage(n, w.deps), { id: rec.incident.id, openedAt: iso(0) }, w.deps);
    expect(r.kind).toBe('resolved');
    expect(r.kind === 'resolved' && r.send.sort()).toEqual(['resolve:pagerduty', 'resolve:slack']);
    const again = await recordResolve(n, classifyStage(n, w.deps), { id: rec.incident.id, openedAt: iso(0) }, w.deps);
    expect(again.kind).toBe('already-resolved');
  });
});

describe('fan-out alone', () => {
  it('sends every claimed notice on its channel and records each outcome; a failure is due again and reported', async () => {
    const w = world();
    const rec = await stored(w, alarm(0));
    w.failing.add('slack');
    const report = await fanOut(w.deps, rec.incident, rec.owner, rec.send);
    expect(w.sent).toEqual([{ channel: 'pagerduty', event: 'trigger', id: rec.incident.id }]);
    expect(report.retryableFailure).toBe(true);
    expect(report.deliveries['trigger:pagerduty']).toMatchObject({ status: 'delivered', ref: 'pagerduty-1' });
    expect(report.deliveries['trigger:slack']).toMatchObject({ status: 'failed', retryable: true, error: 'slack: HTTP 500' });
    expect((await w.store.getIncident(rec.incident.id))!.deliveries['trigger:slack'].status).toBe('failed');

    // The failed one is what a later claim takes, and only that.
    w.failing.clear();
    w.clock.minutes = 2;
    const due = await claimDue((await w.store.getIncident(rec.incident.id))!, w.deps);
    expect(due.send).toEqual(['trigger:slack']);
    expect((await fanOut(w.deps, due.incident, due.owner, due.send)).retryableFailure).toBe(false);
    expect(w.sent.map((s) => s.channel)).toEqual(['pagerduty', 'slack']);
  });

  it('a notice owned by another claim is not recorded by this sender', async () => {
    const w = world();
    const rec = await stored(w, alarm(0));
    const report = await fanOut(w.deps, rec.incident, 'someone-else', rec.send);
    expect(report.deliveries).toEqual({});
    expect(Object.values((await w.store.getIncident(rec.incident.id))!.deliveries).map((d) => d.status)).toEqual(['pending', 'pending']);
  });
});

describe('the stages composed (processNotification)', () => {
  it('ALARM then OK: pages, then resolves on the same channels; a copy of the OK changes nothing', async () => {
    const w = world();
    expect(await processNotification(alarm(0), w.deps)).toMatchObject({ kind: 'opened', retryableFailure: false });
    expect(await processNotification(ok(2), w.deps)).toMatchObject({ kind: 'resolved', retryableFailure: false });
    expect(await processNotification(ok(2), w.deps)).toMatchObject({ kind: 'redelivery' });
    expect(w.sent.map((s) => `${s.event}:${s.channel}`).sort()).toEqual(['resolve:pagerduty', 'resolve:slack', 'trigger:pagerduty', 'trigger:slack']);
  });

  it('a change whose actions CloudWatch held back pages nothing; the same ALARM sent when the hold ends pages; OK resolves', async () => {
    const w = world();
    // A composite alarm's EventBridge events, as CloudWatch sends them around an actions suppressor's wait period.
    const event = (value: 'ALARM' | 'OK', previous: 'ALARM' | 'OK', minutes: number, held?: { by: string }) =>
      parseInput({
        version: '0',
        id: `e-${minutes}`,
        'detail-type': 'CloudWatch Alarm State Change',
        source: 'aws.cloudwatch',
        account: '123456789012',
        time: iso(minutes),
        region: 'us-east-1',
        resources: ['arn:aws:cloudwatch:us-east-1:123456789012:alarm:HighErrorRate'],
        detail: {
          alarmName: 'HighErrorRate',
          state: {
            value,
            reason: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:api-5xx transitioned to ALARM',
            timestamp: iso(minutes).replace('Z', '+0000'),
            ...(held ? { actionsSuppressedBy: held.by, actionsSuppressedReason: `Actions suppressed by ${held.by}` } : {}),
          },
          previousState: { value: previous },
          configuration: { alarmRule: 'ALARM(api-5xx)', actionsSuppressor: 'deploy-in-progress', actionsSuppressorWaitPeriod: 120 },
        },
      }).notifications[0];
    const suppressed = event('ALARM', 'OK', 0, { by: 'WaitPeriod' });
    expect(suppressed.actionsHeld).toBe('Actions suppressed by WaitPeriod');
    expect(await processNotification(suppressed, w.deps)).toMatchObject({ kind: 'held', incidentId: null });
    expect([w.sent, [...w.store.latches.keys()], [...w.store.incidents.keys()]]).toEqual([[], [], []]);
    // The wait ended with the alarm still in ALARM: CloudWatch sends the change again, its actions run.
    expect(await processNotification(event('ALARM', 'ALARM', 2), w.deps)).toMatchObject({ kind: 'opened' });
    const paged = w.sent.length;
    expect(paged).toBeGreaterThan(0);
    // Held again later (the suppressor went into ALARM): nothing more is sent; a recovery under a hold still resolves.
    expect(await processNotification(event('ALARM', 'ALARM', 4, { by: 'Alarm' }), w.deps)).toMatchObject({ kind: 'held' });
    expect(w.sent).toHaveLength(paged);
    expect(await processNotification(event('OK', 'ALARM', 6, { by: 'Alarm' }), w.deps)).toMatchObject({ kind: 'resolved' });
    expect(w.sent.filter((x) => x.event === 'resolve').length).toBeGreaterThan(0);
  });
});
