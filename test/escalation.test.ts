import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseSnsMessage, type Incident } from '@alert-router/core';
import { acknowledgeIncident, processNotification, resolveIncident, runEscalations, type Runtime } from '@alert-router/aws';
import { RUNBOOK_ALARMS, snsNotification } from '../packages/local/src/demo';
import { routerWithPeers } from './helpers/router-runtime';

const [errorRate, , , dbCpu] = RUNBOOK_ALARMS;
const T0 = new Date('2026-11-24T10:00:00.000Z'); // a Tuesday

/** A controlled clock: tests move it; nothing sleeps. */
function clock(start: Date) {
  let t = start.getTime();
  return { now: () => new Date(t), set: (d: Date) => (t = d.getTime()), advanceMinutes: (m: number) => (t += m * 60_000) };
}

function alarm(a = errorRate, at = T0, state: 'ALARM' | 'OK' = 'ALARM') {
  const b = snsNotification(a, state, at);
  return parseSnsMessage({ ...b, Subject: b.Subject ?? null }, 'Sns');
}

/** A sweep that read `stale` from the due index before someone acted on the incident: its guarded write must fail. */
async function sweepThatRead(rt: Runtime, stale: Incident) {
  const listDue = rt.store.listDue.bind(rt.store);
  rt.store.listDue = async () => [stale];
  try {
    return await runEscalations(rt);
  } finally {
    rt.store.listDue = listDue;
  }
}

describe('escalation on ack timeout (controlled clock)', () => {
  let env: Awaited<ReturnType<typeof routerWithPeers>>;
  const c = clock(T0);
  beforeEach(async () => {
    c.set(T0);
    env = await routerWithPeers({}, { now: c.now });
  });
  afterEach(() => env.close());

  it('walks the P0 chain: on-call again at 5 min, team lead at 10, CTO three times, then stops', async () => {
    const opened = await processNotification(alarm(), env.rt);
    const id = opened.incidentId!;
    expect(env.pagerduty.received).toHaveLength(1);

    c.advanceMinutes(4);
    expect((await runEscalations(env.rt)).escalated).toEqual([]);

    c.advanceMinutes(1);
    const first = await runEscalations(env.rt);
    expect(first.escalated).toEqual([{ id, step: 0, tier: 'onCall', notify: ['pagerduty', 'slack'] }]);
    expect(env.pagerduty.received).toHaveLength(2);

    c.advanceMinutes(5);
    expect((await runEscalations(env.rt)).escalated.map((e) => e.tier)).toEqual(['teamLead']);
    expect(env.smtp.messages).toHaveLength(1);

    const tiers: string[] = [];
    for (let i = 0; i < 5; i++) {
      c.advanceMinutes(5);
      tiers.push(...(await runEscalations(env.rt)).escalated.map((e) => e.tier));
    }
    expect(tiers).toEqual(['cto', 'cto', 'cto']);
    const inc = await env.rt.store.getIncident(id);
    expect(inc?.escalation?.nextAt).toBeNull();
    expect(inc?.timeline.filter((e) => e.type === 'escalated').map((e) => e.detail)).toEqual([
      'step 1/3: On-call engineer via pagerduty, slack',
      'step 2/3: Team lead via slack, email',
      'step 3/3 (1 of 3): CTO via slack, email',
      'step 3/3 (2 of 3): CTO via slack, email',
      'step 3/3 (3 of 3): CTO via slack, email',
    ]);
  });

  it('two overlapping runs never escalate twice', async () => {
    await processNotification(alarm(), env.rt);
    c.advanceMinutes(5);
    const runs = await Promise.all([runEscalations(env.rt), runEscalations(env.rt), runEscalations(env.rt)]);
    expect(runs.flatMap((r) => r.escalated)).toHaveLength(1);
    expect(env.pagerduty.received).toHaveLength(2);
  });

  it('an acknowledged or resolved incident is not escalated', async () => {
    const a = await processNotification(alarm(), env.rt);
    await acknowledgeIncident(env.rt, a.incidentId!, { id: 'U1', name: 'alice', via: 'slack' });
    const b = await processNotification(alarm(dbCpu), env.rt);
    await resolveIncident(env.rt, b.incidentId!, { id: 'U2', name: 'bob', via: 'dashboard' });
    c.advanceMinutes(24 * 60);
    const run = await runEscalations(env.rt);
    expect(run.due).toBe(0);
    expect(run.escalated).toEqual([]);
  });

  it('a run that finds the incident acknowledged meanwhile does nothing', async () => {
    const a = await processNotification(alarm(), env.rt);
    c.advanceMinutes(5);
    const stale = await env.rt.store.getIncident(a.incidentId!);
    await acknowledgeIncident(env.rt, a.incidentId!, { id: 'U1', name: 'alice', via: 'slack' });
    // The sweep read the incident before the ack landed: its revision-guarded write fails, and the re-read sees the ack.
    const run = await sweepThatRead(env.rt, stale!);
    expect(run.escalated).toEqual([]);
    expect(run.skipped).toEqual([{ id: a.incidentId, why: 'acknowledged' }]);
    expect(env.pagerduty.received.filter((r) => (r.body as { event_action: string }).event_action === 'trigger')).toHaveLength(1);
  });

  it('an ack PagerDuty failed to take is resent by the next sweeps until it lands, then nothing more', async () => {
    const a = await processNotification(alarm(), env.rt);
    env.pagerduty.fallback = { status: 500, body: '{"status":"error"}' };
    await acknowledgeIncident(env.rt, a.incidentId!, { id: 'U1', name: 'alice', via: 'slack' });
    let inc = await env.rt.store.getIncident(a.incidentId!);
    expect(inc?.deliveries['acknowledge:pagerduty']).toMatchObject({ status: 'failed', retryable: true });

    c.advanceMinutes(1);
    let run = await runEscalations(env.rt);
    expect(run.redelivered).toEqual([{ id: a.incidentId, event: 'acknowledge', channel: 'pagerduty', outcome: 'failed' }]);

    env.pagerduty.fallback = { status: 202, body: '{}' };
    c.advanceMinutes(2);
    run = await runEscalations(env.rt);
    expect(run.redelivered).toEqual([{ id: a.incidentId, event: 'acknowledge', channel: 'pagerduty', outcome: 'delivered' }]);
    inc = await env.rt.store.getIncident(a.incidentId!);
    expect(inc?.deliveries['acknowledge:pagerduty'].status).toBe('delivered');
    expect(env.pagerduty.received.filter((r) => (r.body as { event_action: string }).event_action === 'acknowledge').at(-1)?.body).toMatchObject({
      event_action: 'acknowledge',
    });

    c.advanceMinutes(10);
    run = await runEscalations(env.rt);
    expect(run.due).toBe(0);
  });

  it('a silence created after the incident opened holds its escalation; the step runs once the silence ends', async () => {
    const a = await processNotification(alarm(), env.rt);
    const id = a.incidentId!;
    c.advanceMinutes(2);
    // Created by another function (Slack, dashboard): this runtime's cache is not told; the sweep must see it.
    const s = await env.rt.silences.create({
      match: errorRate.name,
      reason: 'deploy rollback',
      author: 'slack:U1 (alice)',
      minutes: 10,
      now: c.now().toISOString(),
    });
    const triggers = () => env.pagerduty.received.filter((r) => (r.body as { event_action: string }).event_action === 'trigger');
    const escalated = async () => (await env.rt.store.getIncident(id))!.timeline.filter((e) => e.type === 'escalated');

    c.advanceMinutes(3); // the first step (5 min) is due, inside the silence
    let run = await runEscalations(env.rt);
    expect(run.escalated).toEqual([]);
    expect(run.skipped).toEqual([{ id, why: 'silenced' }]);
    c.advanceMinutes(4);
    run = await runEscalations(env.rt);
    expect(run.skipped).toEqual([{ id, why: 'silenced' }]);
    expect(triggers()).toHaveLength(1);
    expect(env.slack.received).toHaveLength(1);
    let inc = await env.rt.store.getIncident(id);
    expect(await escalated()).toEqual([]);
    expect(inc?.escalation).toMatchObject({ step: 0, count: 0, nextAt: new Date(T0.getTime() + 5 * 60_000).toISOString() });
    // Held once on the timeline, not once per sweep.
    expect(inc?.timeline.filter((e) => e.by === 'escalation' && e.type === 'silenced').map((e) => e.detail)).toEqual([
      `escalation held: silenced by ${s.id} by slack:U1 (alice) until ${s.endsAt}: deploy rollback`,
    ]);

    c.advanceMinutes(3); // 12 min: the silence ended at 12 min
    run = await runEscalations(env.rt);
    expect(run.escalated).toEqual([{ id, step: 0, tier: 'onCall', notify: ['pagerduty', 'slack'] }]);
    expect(triggers()).toHaveLength(2);
    expect((await escalated()).map((e) => e.detail)).toEqual(['step 1/3: On-call engineer via pagerduty, slack']);
    inc = await env.rt.store.getIncident(id);
    expect(inc?.escalation?.nextAt).toBe(new Date(T0.getTime() + 17 * 60_000).toISOString());
  });

  it('a silence ended early lets the held escalation resume on the next sweep', async () => {
    const a = await processNotification(alarm(), env.rt);
    const s = await env.rt.silences.create({ match: 'higherror*', reason: 'investigating', author: 'dashboard', minutes: 120, now: c.now().toISOString() });
    c.advanceMinutes(5);
    expect((await runEscalations(env.rt)).escalated).toEqual([]);
    c.advanceMinutes(1);
    await env.rt.silences.end(s.id, 'slack:U1 (alice)', c.now().toISOString());
    c.advanceMinutes(1);
    expect((await runEscalations(env.rt)).escalated).toEqual([{ id: a.incidentId, step: 0, tier: 'onCall', notify: ['pagerduty', 'slack'] }]);
  });

  it('a run that finds the incident resolved meanwhile does nothing', async () => {
    const a = await processNotification(alarm(), env.rt);
    c.advanceMinutes(5);
    const stale = await env.rt.store.getIncident(a.incidentId!);
    await resolveIncident(env.rt, a.incidentId!, { id: 'U2', name: 'bob', via: 'dashboard' });
    const pages = env.pagerduty.received.length;
    const run = await sweepThatRead(env.rt, stale!);
    expect(run.escalated).toEqual([]);
    expect(run.skipped).toEqual([{ id: a.incidentId, why: 'resolved' }]);
    expect(env.pagerduty.received).toHaveLength(pages);
    const inc = await env.rt.store.getIncident(a.incidentId!);
    expect(inc?.status).toBe('resolved');
    expect(inc?.timeline.filter((e) => e.type === 'escalated')).toEqual([]);
  });

  it('P2 waits two hours; the chain copied at open is kept when the policy changes', async () => {
    const b = await processNotification(alarm(dbCpu), env.rt);
    env.rt.policy = { ...env.rt.policy, severities: { ...env.rt.policy.severities, P2: { ...env.rt.policy.severities.P2, escalation: [] } } };
    c.advanceMinutes(119);
    expect((await runEscalations(env.rt)).escalated).toEqual([]);
    c.advanceMinutes(1);
    expect((await runEscalations(env.rt)).escalated).toEqual([{ id: b.incidentId, step: 0, tier: 'team', notify: ['email'] }]);
  });
});

describe('flapping and silences', () => {
  let env: Awaited<ReturnType<typeof routerWithPeers>>;
  const c = clock(T0);
  beforeEach(async () => {
    c.set(T0);
    env = await routerWithPeers({}, { now: c.now });
  });
  afterEach(() => env.close());

  it('an alarm that keeps changing state is notified once as flapping, then recorded without paging', async () => {
    const outcomes = [];
    for (let i = 0; i < 8; i++) {
      const at = new Date(T0.getTime() + i * 60_000);
      c.set(at);
      outcomes.push(await processNotification(alarm(errorRate, at, i % 2 === 0 ? 'ALARM' : 'OK'), env.rt));
    }
    // ALARM at 0,2,4,6 min; OK at 1,3,5,7. The default policy: more than 4 changes in 30 min is flapping.
    const triggers = env.pagerduty.received.filter((r) => (r.body as { event_action: string }).event_action === 'trigger');
    expect(triggers).toHaveLength(3); // 0 and 2 min normal, 4 min (5th change) notified once as flapping, 6 min silent
    const last = await env.rt.store.getIncident(outcomes[6].incidentId!);
    expect(last?.flapping).toBe(true);
    expect(last?.silencedBy).toMatch(/^flapping: 7 state changes/);
    expect(last?.deliveries['trigger:pagerduty'].status).toBe('skipped');
    const flagged = await env.rt.store.getIncident(outcomes[4].incidentId!);
    expect(flagged?.flapping).toBe(true);
    expect(flagged?.silencedBy).toBeNull();
    expect(flagged?.timeline.find((e) => e.type === 'flapping')?.detail).toMatch(/started flapping/);
  });

  it('a silenced alarm is recorded and shown but not notified, until the silence ends', async () => {
    const s = await env.rt.silences.create({
      match: 'database*',
      reason: 'maintenance window',
      author: 'slack:U1 (alice)',
      minutes: 60,
      now: c.now().toISOString(),
    });
    await env.rt.silenceCache.refresh();
    const quiet = await processNotification(alarm(dbCpu), env.rt);
    expect(env.smtp.messages).toHaveLength(0);
    const inc = await env.rt.store.getIncident(quiet.incidentId!);
    expect(inc?.silencedBy).toContain(s.id);
    expect(inc?.deliveries['trigger:email']).toMatchObject({ status: 'skipped' });
    expect(inc?.escalation).toBeNull();
    expect((await env.rt.store.listUnresolved()).map((i) => i.id)).toContain(quiet.incidentId);

    c.advanceMinutes(61);
    await env.rt.silenceCache.refresh();
    const later = await processNotification(alarm(dbCpu, new Date(T0.getTime() + 61 * 60_000), 'OK'), env.rt);
    expect(later.kind).toBe('resolved');
    expect(env.smtp.messages).toHaveLength(0);
    const loud = await processNotification(alarm(dbCpu, new Date(T0.getTime() + 62 * 60_000)), env.rt);
    expect(loud.kind).toBe('opened');
    expect(env.smtp.messages).toHaveLength(1);
  });
});
