/**
 * Grouping (issue 13) on the real alarm path: dynalite, loopback Slack (webhook) / PagerDuty / SMTP peers, a
 * controlled clock, the shipped default policy (alarms of one account and region group, window 10 min, P1–P3 wait
 * 30 s). Each test drives one of the cases the issue names.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultPolicy, parseSnsMessage, type Incident, type Policy } from '@alert-router/core';
import { acknowledgeIncident, dashboardRoutes, handleSnsEvent, processNotification, resolveIncident, runEscalations, splitOut } from '@alert-router/aws';
import { RUNBOOK_ALARMS, snsNotification, type DemoAlarm } from '../packages/local/src/demo';
import { apiGatewayEvent, snsEventFromHttp } from '../packages/local/src/lambda-events';
import { routerWithPeers } from './helpers/router-runtime';

const [errorRate, responseTime, , dbCpu] = RUNBOOK_ALARMS;
const T0 = new Date('2026-11-20T10:00:00.000Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);

type Env = Awaited<ReturnType<typeof routerWithPeers>>;
type PdBody = { event_action: string; dedup_key: string };

const named = (a: DemoAlarm, name: string): DemoAlarm => ({ ...a, name });
const body = (a: DemoAlarm, state: 'ALARM' | 'OK', when: Date) => snsNotification(a, state, when, `${a.name}-${state}-${when.getTime()}`);
const note = (a: DemoAlarm, state: 'ALARM' | 'OK', when: Date) => {
  const b = body(a, state, when);
  return parseSnsMessage({ ...b, Subject: b.Subject ?? null }, 'Sns');
};
const pd = (env: Env, action: string) => env.pagerduty.received.map((r) => r.body as PdBody).filter((b) => b.event_action === action);
const slackTexts = (env: Env) => env.slack.received.map((r) => JSON.stringify(r.body));

describe('grouping on the alarm path (shipped default policy)', () => {
  let env: Env;
  let clock = T0.getTime();
  const advance = (minutes: number) => (clock += minutes * 60_000);
  const start = async (policy: Policy = defaultPolicy()) => {
    clock = at(1).getTime();
    // A budget far above a loopback send: on a loaded machine a send only takes longer, it does not time out.
    env = await routerWithPeers({ DELIVERY_BUDGET_MS: '30000' }, { now: () => new Date(clock), policy });
  };
  const group = async (id: string) => (await env.rt.store.getIncident(id))!;
  afterEach(() => env.close());

  describe('one outage', () => {
    beforeEach(() => start());

    it('50 alarms fired together are one incident: one page, one Slack message, their 50 OKs one resolve; redeliveries change nothing', async () => {
      const alarms = Array.from({ length: 50 }, (_, i) => named(errorRate, `Storm-${String(i).padStart(2, '0')}`));
      const outcomes = await Promise.all(alarms.map((a) => processNotification(note(a, 'ALARM', at(0)), env.rt)));
      const ids = new Set(outcomes.map((o) => o.incidentId));
      expect(ids.size).toBe(1);
      const id = outcomes[0].incidentId!;
      let g = await group(id);
      expect(g.members).toHaveLength(50);
      expect(new Set(g.members!.map((m) => m.alarmName))).toEqual(new Set(alarms.map((a) => a.name)));
      expect(pd(env, 'trigger')).toHaveLength(1);
      expect(pd(env, 'trigger')[0].dedup_key).toBe(pd(env, 'trigger')[0].dedup_key);
      expect(env.slack.received.length).toBeLessThanOrEqual(3);
      expect(env.smtp.messages.length).toBeLessThanOrEqual(2);

      advance(1);
      await Promise.all(alarms.map((a) => processNotification(note(a, 'OK', at(1)), env.rt)));
      g = await group(id);
      expect(g.status).toBe('resolved');
      expect(g.members!.every((m) => m.state === 'recovered')).toBe(true);
      expect(pd(env, 'resolve')).toHaveLength(1);
      expect(pd(env, 'resolve')[0].dedup_key).toBe(pd(env, 'trigger')[0].dedup_key);
      expect(env.slack.received.length).toBeLessThanOrEqual(3);
      expect(slackTexts(env).filter((t) => t.includes('Resolved'))).toHaveLength(1);

      const seen = { pd: env.pagerduty.received.length, slack: env.slack.received.length, smtp: env.smtp.messages.length, rev: g.rev };
      for (const a of alarms) {
        await handleSnsEvent(snsEventFromHttp(body(a, 'ALARM', at(0))), env.rt);
        await handleSnsEvent(snsEventFromHttp(body(a, 'OK', at(1))), env.rt);
      }
      advance(10);
      await runEscalations(env.rt);
      expect({ pd: env.pagerduty.received.length, slack: env.slack.received.length, smtp: env.smtp.messages.length }).toEqual({
        pd: seen.pd,
        slack: seen.slack,
        smtp: seen.smtp,
      });
      expect((await env.rt.store.listUnresolved()).length).toBe(0);
    });

    it('a P2 group waits group_wait, then names every member; a P0 member joining pages PagerDuty at once', async () => {
      const first = await processNotification(note(dbCpu, 'ALARM', at(0)), env.rt);
      const id = first.incidentId!;
      expect(env.smtp.messages).toHaveLength(0); // P2: email, after group_wait
      expect((await group(id)).deliveries['trigger:email'].status).toBe('scheduled');
      await processNotification(note(named(dbCpu, 'DatabaseHighConnections'), 'ALARM', at(0)), env.rt);
      advance(0.5);
      await runEscalations(env.rt);
      expect(env.smtp.messages).toHaveLength(1);
      expect(env.smtp.messages[0].raw).toContain('DatabaseHighConnections'); // the first notice names both

      const raised = await processNotification(note(errorRate, 'ALARM', at(1)), env.rt);
      expect(raised.incidentId).toBe(id);
      const g = await group(id);
      expect(g.severity).toBe('P0');
      expect(g.members!.map((m) => m.severity)).toEqual(['P2', 'P2', 'P0']);
      expect(pd(env, 'trigger')).toHaveLength(1);
      expect(pd(env, 'trigger')[0].dedup_key).toBe(pd(env, 'trigger')[0].dedup_key);
      expect(g.deliveries['trigger:slack'].status).toBe('delivered');
      expect(g.escalation?.chain[0].tier).toBe('onCall'); // the P0 chain, from the raise
      expect(g.timeline.some((e) => e.type === 'member' && e.detail?.includes('severity raised to P0'))).toBe(true);
    });

    it('a member that recovers and fires again rejoins its group; the group resolves when the last one recovers, once per channel', async () => {
      const a = named(errorRate, 'ApiErrors');
      const b = named(errorRate, 'ApiLatency');
      const id = (await processNotification(note(a, 'ALARM', at(0)), env.rt)).incidentId!;
      await processNotification(note(b, 'ALARM', at(0)), env.rt);
      advance(1);
      expect((await processNotification(note(a, 'OK', at(1)), env.rt)).kind).toBe('recovered');
      let g = await group(id);
      expect(g.status).toBe('open');
      expect(g.members!.find((m) => m.alarmName === 'ApiErrors')?.state).toBe('recovered');
      advance(1);
      expect((await processNotification(note(a, 'ALARM', at(2)), env.rt)).incidentId).toBe(id);
      g = await group(id);
      expect(g.members).toHaveLength(2);
      expect(g.members!.find((m) => m.alarmName === 'ApiErrors')).toMatchObject({ state: 'firing', fired: 2 });
      advance(1);
      await processNotification(note(b, 'OK', at(3)), env.rt);
      expect((await group(id)).status).toBe('open');
      await processNotification(note(a, 'OK', at(3)), env.rt);
      g = await group(id);
      expect(g.status).toBe('resolved');
      expect(pd(env, 'trigger')).toHaveLength(1);
      expect(pd(env, 'resolve')).toHaveLength(1);
      expect(slackTexts(env).filter((t) => t.includes('Resolved'))).toHaveLength(1);
      // After the group resolved, the alarm starts a new group.
      advance(1);
      expect((await processNotification(note(a, 'ALARM', at(5)), env.rt)).incidentId).not.toBe(id);
    });

    it('a silence created after the first notice does not swallow the resolve', async () => {
      const a = named(errorRate, 'CheckoutErrors');
      const b = named(errorRate, 'CheckoutLatency');
      const id = (await processNotification(note(a, 'ALARM', at(0)), env.rt)).incidentId!;
      await processNotification(note(b, 'ALARM', at(0)), env.rt);
      await env.rt.silences.create({ match: 'Checkout*', reason: 'maintenance', author: 'slack:U1 (alice)', minutes: 60, now: new Date(clock).toISOString() });
      await env.rt.silenceCache.refresh();
      advance(1);
      await processNotification(note(a, 'OK', at(1)), env.rt);
      await processNotification(note(b, 'OK', at(1)), env.rt);
      const g = await group(id);
      expect(g.status).toBe('resolved');
      expect(pd(env, 'resolve')).toHaveLength(1);
      expect(g.deliveries['resolve:slack'].status).toBe('delivered');
    });

    it('an ack racing the last member recovering: resolved, the resolve sent once, the page and resolve paired', async () => {
      const a = named(errorRate, 'QueueDepth');
      const id = (await processNotification(note(a, 'ALARM', at(0)), env.rt)).incidentId!;
      await processNotification(note(named(errorRate, 'QueueAge'), 'ALARM', at(0)), env.rt);
      await processNotification(note(named(errorRate, 'QueueAge'), 'OK', at(0.5)), env.rt);
      advance(1);
      const [ack, ok] = await Promise.all([
        acknowledgeIncident(env.rt, id, { id: 'U1', name: 'alice', via: 'slack' }),
        processNotification(note(a, 'OK', at(1)), env.rt),
      ]);
      expect(['done', 'already']).toContain(ack.kind);
      expect(['resolved', 'resent', 'in-progress']).toContain(ok.kind);
      const g = await group(id);
      expect(g.status).toBe('resolved');
      expect(pd(env, 'trigger')).toHaveLength(1);
      expect(pd(env, 'resolve')).toHaveLength(1);
    });

    it('a member that fires again after the group is older than maxAge pages anew (a new group), whatever lingers in the old one', async () => {
      const db = named(errorRate, 'DbDown');
      const id = (await processNotification(note(db, 'ALARM', at(0)), env.rt)).incidentId!;
      await processNotification(note(named(dbCpu, 'DiskAlmostFull'), 'ALARM', at(0)), env.rt); // stays in ALARM for days
      await acknowledgeIncident(env.rt, id, { id: 'U1', name: 'alice', via: 'slack' });
      advance(30);
      await processNotification(note(db, 'OK', at(30)), env.rt);
      expect((await group(id)).status).toBe('acknowledged');
      advance(5 * 60); // next morning, well past the 4 h cap
      const again = await processNotification(note(db, 'ALARM', at(330)), env.rt);
      expect(again.incidentId).not.toBe(id);
      expect(pd(env, 'trigger')).toHaveLength(2);
    });

    it('a redelivery does not reserve a group: the key keeps pointing at the open one', async () => {
      const a = named(errorRate, 'RedeliveredA');
      const id = (await processNotification(note(a, 'ALARM', at(0)), env.rt)).incidentId!;
      advance(11); // the window has passed; the group is still open
      expect((await processNotification(note(a, 'ALARM', at(0)), env.rt)).kind).not.toBe('opened');
      const next = await processNotification(note(named(errorRate, 'NewB'), 'ALARM', at(11)), env.rt);
      expect(next.incidentId).not.toBe(id);
      expect((await group(next.incidentId!)).members!.map((m) => m.alarmName)).toEqual(['NewB']);
      const later = await processNotification(note(named(errorRate, 'NewC'), 'ALARM', at(11)), env.rt);
      expect(later.incidentId).toBe(next.incidentId);
    });

    it('a person resolving the group ends every member episode: their next ALARM opens a new group', async () => {
      const a = named(errorRate, 'DiskFull');
      const id = (await processNotification(note(a, 'ALARM', at(0)), env.rt)).incidentId!;
      await processNotification(note(named(errorRate, 'DiskSlow'), 'ALARM', at(0)), env.rt);
      const r = await resolveIncident(env.rt, id, { id: 'U1', name: 'alice', via: 'slack' });
      expect(r.kind).toBe('done');
      advance(1);
      const next = await processNotification(note(a, 'ALARM', at(1)), env.rt);
      expect(next.kind).toBe('opened');
      expect(next.incidentId).not.toBe(id);
    });
  });

  describe('splitting a member out', () => {
    beforeEach(() => start());

    it('the member becomes its own incident, announced; its OK resolves that one, the others resolve the group', async () => {
      const a = named(errorRate, 'PaymentsErrors');
      const b = named(errorRate, 'SearchErrors');
      const id = (await processNotification(note(a, 'ALARM', at(0)), env.rt)).incidentId!;
      await processNotification(note(b, 'ALARM', at(0)), env.rt);
      const key = (await group(id)).members!.find((m) => m.alarmName === 'SearchErrors')!.incidentKey;
      const who = { id: 'U1', name: 'alice', via: 'dashboard' as const };
      const r = await splitOut(env.rt, id, key, who);
      if (r.kind !== 'done') throw new Error(JSON.stringify(r));
      expect(r.group.members!.map((m) => m.alarmName)).toEqual(['PaymentsErrors']);
      expect(r.incident).toMatchObject({ alarmName: 'SearchErrors', status: 'open', severity: 'P0' });
      expect(r.incident.deliveries['trigger:slack'].status).toBe('delivered');
      expect(pd(env, 'trigger').map((t) => t.dedup_key)).toHaveLength(2);
      expect(await splitOut(env.rt, id, key, who)).toMatchObject({ kind: 'refused' });
      expect(await splitOut(env.rt, id, (await group(id)).members![0].incidentKey, who)).toMatchObject({ kind: 'refused' }); // the last member stays

      advance(1);
      await processNotification(note(b, 'OK', at(1)), env.rt);
      expect((await group(r.incident.id)).status).toBe('resolved');
      expect((await group(id)).status).toBe('open');
      await processNotification(note(a, 'OK', at(1)), env.rt);
      expect((await group(id)).status).toBe('resolved');
      expect(pd(env, 'resolve')).toHaveLength(2);
    });

    it('splitting the P0 member out lowers the group to its members highest severity; a group resolved meanwhile refuses', async () => {
      const p0 = named(errorRate, 'OrdersDown');
      const id = (await processNotification(note(named(responseTime, 'OrdersSlow'), 'ALARM', at(0)), env.rt)).incidentId!;
      await processNotification(note(p0, 'ALARM', at(0)), env.rt);
      expect((await group(id)).severity).toBe('P0');
      const key = (await group(id)).members!.find((m) => m.alarmName === 'OrdersDown')!.incidentKey;
      const r = await splitOut(env.rt, id, key, { id: 'U1', name: 'alice', via: 'dashboard' });
      if (r.kind !== 'done') throw new Error(JSON.stringify(r));
      expect(r.group.severity).toBe('P1');
      expect(r.group.escalation?.chain[0].tier).toBe('teamLead'); // the P1 chain
      expect(r.incident.alarm.metric).toBeNull(); // not the group's first alarm's facts

      const x = named(errorRate, 'PayX');
      const g2 = (await processNotification(note(x, 'ALARM', at(1)), env.rt)).incidentId!;
      await processNotification(note(named(errorRate, 'PayY'), 'ALARM', at(1)), env.rt);
      const xKey = (await group(g2)).members!.find((m) => m.alarmName === 'PayX')!.incidentKey;
      const store = env.rt.store as unknown as { setLatchGroup: (...a: unknown[]) => Promise<boolean> };
      const original = store.setLatchGroup.bind(env.rt.store);
      store.setLatchGroup = async (...a: unknown[]) => {
        const moved = await original(...a);
        await resolveIncident(env.rt, g2, { id: 'U2', name: 'bob', via: 'slack' }); // a person resolves it in between
        store.setLatchGroup = original;
        return moved;
      };
      expect(await splitOut(env.rt, g2, xKey, { id: 'U1', name: 'alice', via: 'dashboard' })).toMatchObject({ kind: 'refused' });
      expect((await env.rt.store.listUnresolved()).map((i) => i.alarmName)).not.toContain('PayX');
    });
  });

  describe('splitting a member out over HTTP (POST /api/incidents/{id}/split)', () => {
    it('answers the new incident, 409 for the last member firing, 404 for no incident', async () => {
      clock = at(1).getTime();
      env = await routerWithPeers(
        { DELIVERY_BUDGET_MS: '30000', DASHBOARD_TOKEN: 'tok-0123456789abcdef0123' },
        { now: () => new Date(clock), policy: defaultPolicy() },
      );
      const id = (await processNotification(note(named(errorRate, 'CartErrors'), 'ALARM', at(0)), env.rt)).incidentId!;
      await processNotification(note(named(errorRate, 'CartLatency'), 'ALARM', at(0)), env.rt);
      const key = (await group(id)).members!.find((m) => m.alarmName === 'CartLatency')!.incidentKey;
      const post = async (path: string, body: unknown) => {
        const headers = { host: '127.0.0.1', authorization: 'Bearer tok-0123456789abcdef0123', 'content-type': 'application/json' };
        const r = await dashboardRoutes(
          apiGatewayEvent({ method: 'POST', url: path, headers, body: Buffer.from(JSON.stringify(body)), sourceIp: '127.0.0.1' }),
          env.rt,
        );
        return { status: r.statusCode ?? 200, json: JSON.parse(r.body ?? 'null') as Record<string, Incident & { error?: string }> };
      };
      const ok = await post(`/api/incidents/${id}/split`, { incidentKey: key });
      expect(ok.status).toBe(200);
      expect(ok.json.incident).toMatchObject({ alarmName: 'CartLatency', status: 'open' });
      const last = await post(`/api/incidents/${id}/split`, { incidentKey: (await group(id)).members![0].incidentKey });
      expect(last.status).toBe(409);
      expect((await post('/api/incidents/INC-00000000/split', { incidentKey: key })).status).toBe(404);
    });
  });

  describe('windows, composites, rules', () => {
    it('the window expiring: an alarm 11 minutes after the newest member opens a new group', async () => {
      await start();
      const id = (await processNotification(note(named(errorRate, 'W1'), 'ALARM', at(0)), env.rt)).incidentId!;
      advance(5);
      expect((await processNotification(note(named(errorRate, 'W2'), 'ALARM', at(5)), env.rt)).incidentId).toBe(id);
      advance(9); // 9 min after W2 joined: still inside (window 10 min after the newest member)
      expect((await processNotification(note(named(errorRate, 'W3'), 'ALARM', at(14)), env.rt)).incidentId).toBe(id);
      advance(11);
      const late = await processNotification(note(named(errorRate, 'W4'), 'ALARM', at(25)), env.rt);
      expect(late.incidentId).not.toBe(id);
      expect((await group(late.incidentId!)).members!.map((m) => m.alarmName)).toEqual(['W4']);
      expect(pd(env, 'trigger').map((t) => t.dedup_key)).toHaveLength(2);
    });

    it('a composite alarm joins the group its triggering children fire in, whatever its own key', async () => {
      const base = defaultPolicy();
      await start({ ...base, grouping: { ...(base.grouping as Exclude<Policy['grouping'], 'off'>), by: ['account', 'region', 'namespace'] } });
      const child = named(responseTime, 'OrdersLatency');
      const id = (await processNotification(note(child, 'ALARM', at(0)), env.rt)).incidentId!;
      const childArn = (await group(id)).members![0].incidentKey;
      const b = body(named(errorRate, 'OrdersDegraded'), 'ALARM', at(0.5));
      const message = JSON.parse(b.Message) as Record<string, unknown>;
      delete message.Trigger;
      message.AlarmRule = `ALARM("${childArn}")`;
      message.TriggeringChildren = [{ Arn: childArn, State: { Value: 'ALARM', Timestamp: at(0).toISOString().replace('Z', '+0000') } }];
      await handleSnsEvent(snsEventFromHttp({ ...b, Message: JSON.stringify(message) }), env.rt);
      const g = await group(id);
      expect(g.members!.map((m) => m.alarmName)).toEqual(['OrdersLatency', 'OrdersDegraded']);
      expect(g.severity).toBe('P0');
    });

    it("alarms a composite named, firing after it, join the composite's group, whatever their own key", async () => {
      const base = defaultPolicy();
      await start({ ...base, grouping: { ...(base.grouping as Exclude<Policy['grouping'], 'off'>), by: ['account', 'region', 'namespace'] } });
      const child = named(responseTime, 'CheckoutLatency');
      const childArn = note(child, 'ALARM', at(0)).incidentKey;
      const b = body(named(errorRate, 'CheckoutDegraded'), 'ALARM', at(0));
      const message = JSON.parse(b.Message) as Record<string, unknown>;
      delete message.Trigger;
      message.AlarmRule = `ALARM("${childArn}")`;
      message.TriggeringChildren = [{ Arn: childArn, State: { Value: 'ALARM', Timestamp: at(0).toISOString().replace('Z', '+0000') } }];
      const composite = await handleSnsEvent(snsEventFromHttp({ ...b, Message: JSON.stringify(message) }), env.rt);
      const id = composite.outcomes[0].incidentId!;
      advance(0.5);
      expect((await processNotification(note(child, 'ALARM', at(0.5)), env.rt)).incidentId).toBe(id);
      expect((await group(id)).members!.map((m) => m.alarmName)).toEqual(['CheckoutDegraded', 'CheckoutLatency']);
      // Another alarm of the child's namespace, not named by the composite, keeps its own key's group.
      expect((await processNotification(note(named(responseTime, 'SearchLatency'), 'ALARM', at(0.5)), env.rt)).incidentId).not.toBe(id);
    });

    it('grouping off (everywhere, or by a rule): every alarm is its own incident', async () => {
      const base = defaultPolicy();
      const on = base.grouping as Exclude<Policy['grouping'], 'off'>;
      await start({ ...base, grouping: { ...on, rules: [{ alarmName: 'Canary*', grouping: 'off' }] } });
      const c1 = await processNotification(note(named(errorRate, 'Canary1'), 'ALARM', at(0)), env.rt);
      const c2 = await processNotification(note(named(errorRate, 'Canary2'), 'ALARM', at(0)), env.rt);
      const g1 = await processNotification(note(named(errorRate, 'Api1'), 'ALARM', at(0)), env.rt);
      const g2 = await processNotification(note(named(errorRate, 'Api2'), 'ALARM', at(0)), env.rt);
      expect(new Set([c1.incidentId, c2.incidentId, g1.incidentId]).size).toBe(3);
      expect(g2.incidentId).toBe(g1.incidentId);
      await env.close();

      await start({ ...base, grouping: 'off' });
      const x = await processNotification(note(named(errorRate, 'Api1'), 'ALARM', at(0)), env.rt);
      const y = await processNotification(note(named(errorRate, 'Api2'), 'ALARM', at(0)), env.rt);
      expect(x.incidentId).not.toBe(y.incidentId);
      expect(((await env.rt.store.getIncident(x.incidentId!)) as Incident).members).toBeUndefined();
    });
  });
});
