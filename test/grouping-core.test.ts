/** The pure half of grouping (packages/core/src/grouping.ts) and its policy keys. */
import { describe, expect, it } from 'vitest';
import {
  alarmArnOfKey,
  candidateGroup,
  defaultPolicy,
  fitToStore,
  groupingFor,
  INCIDENT_BYTES_MAX,
  joinGroup,
  memberFor,
  newGroupIncident,
  parsePolicyYaml,
  parseSnsMessage,
  recoverMember,
  resolveWithNotices,
  route,
  type GroupChangeOptions,
  type Incident,
  type Notification,
  type Policy,
} from '@alert-router/core';
import { RUNBOOK_ALARMS, snsNotification, type DemoAlarm } from '../packages/local/src/demo';
import { policyYamlWithGrouping } from './helpers/policies';

const [errorRate, responseTime, , dbCpu] = RUNBOOK_ALARMS;
const T0 = '2026-11-20T10:00:00.000Z';
const plus = (minutes: number) => new Date(Date.parse(T0) + minutes * 60_000).toISOString();

function note(a: DemoAlarm, state: 'ALARM' | 'OK' = 'ALARM', at = T0): Notification {
  const b = snsNotification(a, state, new Date(at), `${a.name}-${state}-${at}`);
  return parseSnsMessage({ ...b, Subject: b.Subject ?? null }, 'Sns');
}
const named = (a: DemoAlarm, name: string): DemoAlarm => ({ ...a, name });
const plan = (policy: Policy = defaultPolicy(), n = note(errorRate)) => groupingFor(n, route(n, policy).classification.severity, policy)!;
const claim = (now = T0) => ({ owner: 'w1', now, leaseMs: 45_000 });
const options = (now = T0, threads = false): GroupChangeOptions => ({ claim: claim(now), policy: defaultPolicy(), plan: plan(), threads, by: 'cloudwatch' });

/** A group opened by `first` at T0 with its triggers delivered (as they are once the first fan-out is recorded). */
function announcedGroup(first: DemoAlarm): Incident {
  const n = note(first);
  const routed = route(n, defaultPolicy());
  const g = newGroupIncident(routed, memberFor(n, routed.classification.severity, 'INC-FIRST000', T0), plan(), defaultPolicy(), {
    claim: claim(),
    groupId: 'INC-FIRST000',
    openedAt: T0,
  });
  for (const [k, d] of Object.entries(g.deliveries)) g.deliveries[k] = { status: 'delivered', attempts: 1, at: T0, event: d.event, channel: d.channel };
  return g;
}

function join(g: Incident, a: DemoAlarm, id: string, now = T0, threads = false) {
  const n = note(a, 'ALARM', now);
  const routed = route(n, defaultPolicy());
  return joinGroup(g, memberFor(n, routed.classification.severity, id, now), routed, options(now, threads));
}

describe('alarmArnOfKey (the alarm a split-out member names)', () => {
  it("is the key when it is an ARN, a contributor's alarm ARN, else null", () => {
    const arn = 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:checkout-endpoint-latency';
    expect(alarmArnOfKey(arn)).toBe(arn);
    expect(alarmArnOfKey(`contributor:9f2c4e6a8b1d3f5e@${arn}`)).toBe(arn);
    expect(alarmArnOfKey('contributor:9f2c4e6a8b1d3f5e@123456789012:EU (Ireland):api')).toBeNull();
    expect(alarmArnOfKey('123456789012:EU (Ireland):api')).toBeNull();
    expect(alarmArnOfKey('alertmanager:3a7f1c9e5b2d8046')).toBeNull();
  });
});

describe('grouping policy keys', () => {
  it('ships on: account and region, 10 min window, 4 h cap, 30 s group_wait, 5 min interval', () => {
    expect(defaultPolicy().grouping).toMatchObject({ by: ['account', 'region'], window: 10, maxAge: 240, groupWait: 0.5, groupInterval: 5, maxMembers: 100 });
    expect(parsePolicyYaml(policyYamlWithGrouping('off')).grouping).toBe('off');
  });

  it.each([
    ['{ by: [account, colour] }', /grouping\.by\[1\]: expected one of account, region/],
    ['{ window: 5h, maxAge: 4h }', /grouping\.window: expected at most maxAge/],
    ['{ groupWait: 2d }', /grouping\.groupWait: expected a duration/],
    ['{ rules: [{ by: [region] }] }', /grouping\.rules\[0\]: a grouping rule needs at least one of alarmName, namespace, source/],
    ['{ rules: [{ alarmName: "*", grouping: off }] }', /grouping\.rules\[0\]\.alarmName/],
    ['{ maxMembers: 1 }', /grouping\.maxMembers/],
    ['sometimes', /grouping/],
  ])('refuses grouping: %s, naming the key', (yaml, message) => {
    expect(() => parsePolicyYaml(policyYamlWithGrouping(yaml))).toThrow(message);
  });
});

describe('groupingFor', () => {
  it('keys alarms of one account and region together, whatever their names and topics', () => {
    expect(plan(defaultPolicy(), note(errorRate)).key).toBe(plan(defaultPolicy(), note(dbCpu)).key);
    expect(plan().key).toBe('default|account=123456789012|region=us-east-1');
  });

  it('is off for plain messages, for grouping: off, and for alarms a rule turns off', () => {
    const message = { ...note(errorRate), kind: 'message' as const };
    expect(groupingFor(message, 'P2', defaultPolicy())).toBeNull();
    expect(groupingFor(note(errorRate), 'P0', { ...defaultPolicy(), grouping: 'off' })).toBeNull();
    const p = parsePolicyYaml(policyYamlWithGrouping('{ rules: [{ alarmName: "Canary*", grouping: off }] }'));
    expect(groupingFor(note(named(errorRate, 'Canary-api')), 'P0', p)).toBeNull();
    expect(groupingFor(note(errorRate), 'P0', p)).not.toBeNull();
  });

  it('a rule groups by its own fields (a dimension), apart from the default groups', () => {
    const p = parsePolicyYaml(policyYamlWithGrouping('{ rules: [{ namespace: AWS/RDS, by: [account, "dimension:DBInstanceIdentifier"], window: 20m }] }'));
    const db = groupingFor(note(dbCpu), 'P2', p)!;
    expect(db.key).toBe('rule0|account=123456789012|dimension:DBInstanceIdentifier=qenergyz-production-db');
    expect(db.window).toBe(20);
    expect(groupingFor(note(errorRate), 'P0', p)!.key).not.toBe(db.key);
  });

  it('hashes keys longer than 512 bytes', () => {
    const p = parsePolicyYaml(policyYamlWithGrouping('{ by: [alarmName] }'));
    expect(groupingFor(note(named(errorRate, 'x'.repeat(600))), 'P0', p)!.key).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
});

describe('candidateGroup', () => {
  const record = { groupKey: 'k', groupId: 'INC-G', openedAt: T0, windowEnd: plus(10), version: 3 };
  it('joins the open group while its window lasts, else opens one', () => {
    expect(candidateGroup({ record, lastGroupId: null, childGroups: [] }, plus(9))).toEqual({ kind: 'join', groupId: 'INC-G', why: 'window' });
    expect(candidateGroup({ record, lastGroupId: null, childGroups: [] }, plus(10))).toEqual({ kind: 'new' });
    expect(candidateGroup({ record: null, lastGroupId: null, childGroups: [] }, T0)).toEqual({ kind: 'new' });
  });
  it('a member that fired again rejoins its group after the window; a composite joins its children', () => {
    expect(candidateGroup({ record, lastGroupId: 'INC-G', childGroups: [] }, plus(60)).kind).toBe('join');
    expect(candidateGroup({ record, lastGroupId: null, childGroups: ['INC-C'] }, plus(60))).toEqual({ kind: 'join', groupId: 'INC-C', why: 'composite' });
  });
});

describe('joinGroup / recoverMember', () => {
  it('a P2 group waits group_wait before its first notice; P0 pages at once', () => {
    const n = note(dbCpu);
    const routed = route(n, defaultPolicy());
    const g = newGroupIncident(routed, memberFor(n, 'P2', 'INC-A', T0), plan(), defaultPolicy(), { claim: claim(), groupId: 'INC-A', openedAt: T0 });
    expect(g.deliveries['trigger:email']).toMatchObject({ status: 'scheduled', retryAt: plus(0.5) });
    const p0 = announcedGroup(errorRate);
    expect(p0.members).toHaveLength(1);
  });

  it('a higher member raises the severity: PagerDuty is triggered now, the waiting triggers go now, the P0 chain starts', () => {
    const n = note(dbCpu);
    const routed = route(n, defaultPolicy());
    const g = newGroupIncident(routed, memberFor(n, 'P2', 'INC-A', T0), plan(), defaultPolicy(), { claim: claim(), groupId: 'INC-A', openedAt: T0 });
    const j = join(g, errorRate, 'INC-B', plus(0.2));
    if (j.kind !== 'joined') throw new Error(j.kind);
    expect(j.raised).toBe(true);
    expect(j.incident.severity).toBe('P0');
    expect(j.incident.channels).toEqual(['pagerduty', 'slack', 'email', 'dashboard']);
    expect(j.send.sort()).toEqual(['trigger:email', 'trigger:pagerduty', 'trigger:slack']);
    expect(j.incident.escalation?.chain[0]).toMatchObject({ tier: 'onCall', notify: ['pagerduty', 'slack'] });
    expect(j.incident.escalation?.nextAt).toBe(plus(5.2));
  });

  it('later members: a Slack thread reply at once with threads, else one batch per group_interval; never PagerDuty', () => {
    const g = announcedGroup(errorRate);
    const webhook = join(g, named(errorRate, 'ApiLatency'), 'INC-B', plus(1));
    if (webhook.kind !== 'joined') throw new Error(webhook.kind);
    expect(webhook.send).toEqual([]);
    expect(webhook.incident.deliveries['update#1:slack']).toMatchObject({ status: 'scheduled', retryAt: plus(5), note: 'ApiLatency (P0) joined' });
    expect(Object.keys(webhook.incident.deliveries).filter((k) => k.includes('pagerduty'))).toEqual(['trigger:pagerduty']);
    const again = join(webhook.incident, named(errorRate, 'ApiSaturation'), 'INC-C', plus(2));
    if (again.kind !== 'joined') throw new Error(again.kind);
    expect(again.incident.deliveries['update#1:slack'].note).toBe('ApiLatency (P0) joined; ApiSaturation (P0) joined');
    expect(Object.keys(again.incident.deliveries).filter((k) => k.startsWith('update'))).toEqual(['update#1:slack']);

    const threads = join(g, named(errorRate, 'ApiLatency'), 'INC-B', plus(1), true);
    if (threads.kind !== 'joined') throw new Error(threads.kind);
    expect(threads.send).toEqual(['update#1:slack']);
    expect(threads.incident.deliveries['update#1:slack'].status).toBe('pending');
  });

  it('the same episode joins once; a resolved or full group refuses', () => {
    const g = announcedGroup(errorRate);
    const j = join(g, named(errorRate, 'B'), 'INC-B');
    if (j.kind !== 'joined') throw new Error(j.kind);
    expect(join(j.incident, named(errorRate, 'B'), 'INC-B').kind).toBe('already');
    expect(join({ ...g, status: 'resolved' }, named(errorRate, 'C'), 'INC-C')).toEqual({ kind: 'closed', why: 'resolved' });
    const full = { ...g, members: Array.from({ length: 100 }, (_, i) => ({ ...g.members![0], incidentKey: `k${i}`, episodeId: `E${i}` })) };
    expect(join(full, named(errorRate, 'D'), 'INC-D').kind).toBe('closed');
  });

  it('recovering: an update while others fire, the resolve with the last one, nothing for a repeat', () => {
    const g = announcedGroup(errorRate);
    const j = join(g, named(errorRate, 'B'), 'INC-B');
    if (j.kind !== 'joined') throw new Error(j.kind);
    const okB = note(named(errorRate, 'B'), 'OK', plus(3));
    const input = { at: plus(3), by: 'cloudwatch', entry: { at: plus(3), type: 'resolved' as const }, claim: claim(plus(3)) };
    const b = recoverMember(j.incident, memberFor(okB, 'P0', 'INC-B', plus(3)), input, options(plus(3)));
    if (b.kind !== 'recovered') throw new Error(b.kind);
    expect(b.resolved).toBe(false);
    expect(b.incident.status).toBe('open');
    expect(b.incident.members!.find((m) => m.episodeId === 'INC-B')).toMatchObject({ state: 'recovered', recoveredAt: plus(3) });
    expect(recoverMember(b.incident, memberFor(okB, 'P0', 'INC-B', plus(3)), input, options(plus(3))).kind).toBe('unchanged');
    const okA = note(errorRate, 'OK', plus(4));
    const a = recoverMember(b.incident, memberFor(okA, 'P0', 'INC-FIRST000', plus(4)), { ...input, at: plus(4) }, options(plus(4)));
    if (a.kind !== 'recovered') throw new Error(a.kind);
    expect(a.resolved).toBe(true);
    expect(a.incident.status).toBe('resolved');
    expect(a.send.sort()).toEqual(['resolve:pagerduty', 'resolve:slack']);
    expect(a.incident.deliveries['update#1:slack'].status).toBe('skipped'); // the batch still waiting: the resolve says it
  });

  it('a group stays within the store limit: it refuses members once its record nears 250 KB, and keeps 20 finished updates a channel', () => {
    let g = announcedGroup(errorRate);
    const long = 'k'.repeat(1000);
    let refused = '';
    for (let i = 0; i < 200 && !refused; i++) {
      const n = note(named(errorRate, `${'n'.repeat(200)}${i}`));
      const j = joinGroup(g, memberFor(n, 'P0', `INC-${i}`, T0), route(n, defaultPolicy()), { ...options(), plan: { ...plan(), maxMembers: 200 } });
      if (j.kind === 'closed') refused = j.why;
      else if (j.kind === 'joined')
        g = {
          ...j.incident,
          members: j.incident.members!.map((m, k) =>
            k === j.incident.members!.length - 1 ? { ...m, incidentKey: `${long}${i}`, reason: 'r'.repeat(300) } : m,
          ),
        };
    }
    expect(refused).toMatch(/near the store limit/);
    expect(JSON.stringify(g).length).toBeLessThan(300_000);

    let t = announcedGroup(errorRate);
    for (let i = 0; i < 40; i++) {
      const j = joinGroup(
        t,
        memberFor(note(named(errorRate, `U${i}`)), 'P0', `INC-U${i}`, plus(i)),
        route(note(errorRate), defaultPolicy()),
        options(plus(i), true),
      );
      if (j.kind !== 'joined') throw new Error(j.kind);
      t = j.incident;
      for (const k of j.send) t.deliveries[k] = { ...t.deliveries[k], status: 'delivered' };
    }
    const updates = Object.keys(t.deliveries).filter((k) => k.startsWith('update#'));
    expect(updates.length).toBeLessThanOrEqual(21);
    expect(updates).toContain('update#40:slack');
  });

  it('a resolve while a thread update is being sent follows it from the same sender (its edit cannot land after the resolve)', () => {
    const g = announcedGroup(errorRate);
    const j = join(g, named(errorRate, 'B'), 'INC-B', plus(1), true);
    if (j.kind !== 'joined') throw new Error(j.kind);
    expect(j.incident.deliveries['update#1:slack'].status).toBe('pending');
    const input = { at: plus(1), by: 'cloudwatch', entry: { at: plus(1), type: 'resolved' as const }, claim: { owner: 'w2', now: plus(1), leaseMs: 45_000 } };
    const r = resolveWithNotices(j.incident, input)!;
    expect(r.incident.deliveries['resolve:slack']).toMatchObject({ after: 'update#1:slack', owner: 'w1', announced: true });
    expect(r.send).toEqual(['resolve:pagerduty']);
  });

  it("an old episode's OK, arriving after the alarm fired again, leaves the member (its newer episode) as it is", () => {
    const g = announcedGroup(errorRate);
    const j = join(g, named(errorRate, 'B'), 'INC-B2');
    if (j.kind !== 'joined') throw new Error(j.kind);
    const ok = note(named(errorRate, 'B'), 'OK', plus(1));
    const input = { at: plus(1), by: 'cloudwatch', entry: { at: plus(1), type: 'resolved' as const }, claim: claim(plus(1)) };
    expect(recoverMember(j.incident, memberFor(ok, 'P0', 'INC-B1', plus(1)), input, options(plus(1))).kind).toBe('unchanged');
  });

  it('fitToStore trims the middle of a timeline that outgrew the item in bytes, noting it', () => {
    const g = announcedGroup(errorRate);
    const big = { ...g, timeline: Array.from({ length: 600 }, (_, i) => ({ at: plus(i), type: 'member' as const, detail: `é${'x'.repeat(800)}${i}` })) };
    const fit = fitToStore(big);
    expect(Buffer.byteLength(JSON.stringify(fit), 'utf8')).toBeLessThanOrEqual(INCIDENT_BYTES_MAX);
    expect(fit.timeline[0]).toEqual(big.timeline[0]);
    expect(fit.timeline.at(-1)).toEqual(big.timeline.at(-1));
    expect(fit.timeline.some((e) => e.detail?.includes('older entries not kept'))).toBe(true);
    expect(fitToStore(g)).toBe(g);
  });

  it('an OK that overtakes its ALARM: the member is kept as recovered, and its join then does nothing', () => {
    const g = announcedGroup(errorRate);
    const ok = note(responseTime, 'OK', plus(1));
    const input = { at: plus(1), by: 'cloudwatch', entry: { at: plus(1), type: 'resolved' as const }, claim: claim(plus(1)) };
    const r = recoverMember(g, memberFor(ok, 'P1', 'INC-L', plus(1)), input, options(plus(1)));
    if (r.kind !== 'recovered') throw new Error(r.kind);
    expect(r.send).toEqual([]);
    expect(r.incident.status).toBe('open');
    expect(join(r.incident, responseTime, 'INC-L', plus(1)).kind).toBe('already');
  });
});
