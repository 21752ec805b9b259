import { inflateSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  breachOf,
  computeDigest,
  crc32,
  digestRow,
  defaultPolicy,
  digestSubject,
  emptyDigestLine,
  encodePng,
  hourlyChartPng,
  renderDigestEmail,
  renderDigestSlack,
  responseDeadline,
  secondsText,
  SEVERITY_STYLE,
  type GroupMember,
  type Incident,
  type Silence,
} from '@alert-router/core';
import { makeIncident } from './helpers/incident-factory';

/**
 * A fixed day with known answers. Window: Monday 2024-01-15 08:00 → Tuesday 08:00 UTC; default policy
 * (P0 5 min, P1 15 min, P2 2 h, P3 next business day 09:00 + 1 h, UTC, Mon–Fri).
 */
const FROM = '2024-01-15T08:00:00.000Z';
const TO = '2024-01-16T08:00:00.000Z';
const policy = defaultPolicy();

function inc(id: string, alarmName: string, severity: Incident['severity'], openedAt: string, o: Partial<Incident> = {}): Incident {
  return makeIncident({
    id,
    alarmName,
    incidentKey: `arn:aws:cloudwatch:eu-west-1:123456789012:alarm:${alarmName}`,
    severity,
    openedAt,
    updatedAt: openedAt,
    ...o,
  });
}

const acked = (at: string, by = 'slack:U1 (alice)') => ({ acknowledgedAt: at, acknowledgedBy: by });
const resolvedAt = (at: string, by = 'cloudwatch') => ({ status: 'resolved' as const, resolvedAt: at, resolvedBy: by });

// A: P0, acked after 200 s, resolved after 2700 s: within the 5 min response time.
const A = inc('INC-AAAAAAAA', 'HighErrorRate', 'P0', '2024-01-15T10:00:00.000Z', {
  ...acked('2024-01-15T10:03:20.000Z'),
  ...resolvedAt('2024-01-15T10:45:00.000Z'),
});
// B: same alarm, next episode: acked after 450 s (deadline 14:05 → 150 s late), resolved after 3600 s, 3 repeats.
const B = inc('INC-BBBBBBBB', 'HighErrorRate', 'P0', '2024-01-15T14:00:00.000Z', {
  ...acked('2024-01-15T14:07:30.000Z', 'dashboard:dashboard (bob)'),
  ...resolvedAt('2024-01-15T15:00:00.000Z'),
  duplicates: 3,
});
// C: P1 acked after 600 s (within 15 min), resolved after 2400 s.
const C = inc('INC-CCCCCCCC', 'HighResponseTime', 'P1', '2024-01-15T09:00:00.000Z', {
  ...acked('2024-01-15T09:10:00.000Z'),
  ...resolvedAt('2024-01-15T09:40:00.000Z'),
});
// D: P1 never acked, still open at TO: ongoing breach, deadline 20:15 → 11 h 45 min late; open 12 h.
const D = inc('INC-DDDDDDDD', 'HighCPUUtilization', 'P1', '2024-01-15T20:00:00.000Z');
// E: P2 recovered by itself after 1800 s (before its 2 h deadline): no breach; flapping, 5 repeats.
const E = inc('INC-EEEEEEEE', 'DatabaseHighCPU', 'P2', '2024-01-15T12:00:00.000Z', {
  ...resolvedAt('2024-01-15T12:30:00.000Z'),
  flapping: true,
  duplicates: 5,
});
// F: opened before the window, still acknowledged: only in "still open" (29 h).
const F = inc('INC-FFFFFFFF', 'RedisHighMemory', 'P2', '2024-01-15T03:00:00.000Z', { status: 'acknowledged', ...acked('2024-01-15T03:30:00.000Z') });
// G: P3 Monday 16:00, open: due Tuesday 10:00 (next business day 09:00 + 1 h), after TO: no breach; open 16 h.
const G = inc('INC-GGGGGGGG', 'DiskSpaceTrend', 'P3', '2024-01-15T16:00:00.000Z');
// H: one second before the window: ignored.
const H = inc('INC-HHHHHHHH', 'HighResponseTime', 'P1', '2024-01-15T07:59:59.000Z', { ...resolvedAt('2024-01-15T08:30:00.000Z') });
// I: P0 never acknowledged, resolved by CloudWatch after 1200 s: breach (900 s past the 22:05 deadline).
const I = inc('INC-JJJJJJJJ', 'LoginFailures', 'P0', '2024-01-15T22:00:00.000Z', { ...resolvedAt('2024-01-15T22:20:00.000Z') });
// J: silenced P1, open, never acked: never notified, so no breach; open 9 h.
const J = inc('INC-KKKKKKKK', 'PaymentsLatency', 'P1', '2024-01-15T23:00:00.000Z', { silencedBy: 'SIL-ABC123 by carol: deploy' });
// K: P2 acked after 1200 s, still acknowledged; open 3 h.
const K = inc('INC-MMMMMMMM', 'QueueDepth', 'P2', '2024-01-16T05:00:00.000Z', { status: 'acknowledged', ...acked('2024-01-16T05:20:00.000Z') });

const silences: Silence[] = [
  {
    id: 'SIL-000001',
    match: 'Payments*',
    reason: 'deploy',
    author: 'carol',
    startsAt: '2024-01-15T22:50:00.000Z',
    endsAt: '2024-01-16T12:00:00.000Z',
    createdAt: '2024-01-15T22:50:00.000Z',
  },
  {
    id: 'SIL-000002',
    match: 'Old*',
    reason: 'expired',
    author: 'dave',
    startsAt: '2024-01-14T00:00:00.000Z',
    endsAt: '2024-01-15T00:00:00.000Z',
    createdAt: '2024-01-14T00:00:00.000Z',
  },
  {
    id: 'SIL-000003',
    match: 'Ended*',
    reason: 'ended early',
    author: 'erin',
    startsAt: '2024-01-15T00:00:00.000Z',
    endsAt: '2024-01-17T00:00:00.000Z',
    createdAt: '2024-01-15T00:00:00.000Z',
    endedBy: 'erin',
  },
];

function report() {
  return computeDigest({
    // Two day partitions as the store returns them (H is on the first day but before the window; A twice: deduplicated).
    incidents: [H, C, A, E, B, G, D, I, J, K, A],
    unresolved: [D, F, G, J, K],
    silences,
    policy,
    from: FROM,
    to: TO,
  });
}

describe('computeDigest on a fixed day', () => {
  it('counts the incidents opened in the window by severity and by state', () => {
    const r = report();
    expect(r).toMatchObject({ from: FROM, to: TO, hours: 24, empty: false, total: 9 });
    expect(r.bySeverity).toEqual({ P0: 3, P1: 3, P2: 2, P3: 1 });
    expect(r.byState).toEqual({ open: 3, acknowledged: 1, resolved: 5 });
  });

  it('MTTA and MTTR per severity, to the second', () => {
    const r = report();
    expect(r.mtta.P0).toEqual({ count: 2, meanSeconds: 325, medianSeconds: 325, maxSeconds: 450 });
    expect(r.mtta.P1).toEqual({ count: 1, meanSeconds: 600, medianSeconds: 600, maxSeconds: 600 });
    expect(r.mtta.P2).toEqual({ count: 1, meanSeconds: 1200, medianSeconds: 1200, maxSeconds: 1200 });
    expect(r.mtta.P3).toEqual({ count: 0, meanSeconds: null, medianSeconds: null, maxSeconds: null });
    // 200, 450, 600, 1200 → mean 612.5 → 613; median (450 + 600) / 2.
    expect(r.mtta.all).toEqual({ count: 4, meanSeconds: 613, medianSeconds: 525, maxSeconds: 1200 });
    expect(r.mttr.P0).toEqual({ count: 3, meanSeconds: 2500, medianSeconds: 2700, maxSeconds: 3600 });
    expect(r.mttr.P1).toEqual({ count: 1, meanSeconds: 2400, medianSeconds: 2400, maxSeconds: 2400 });
    expect(r.mttr.P2).toEqual({ count: 1, meanSeconds: 1800, medianSeconds: 1800, maxSeconds: 1800 });
    expect(r.mttr.all).toEqual({ count: 5, meanSeconds: 2340, medianSeconds: 2400, maxSeconds: 3600 });
  });

  it('lists the response-time breaches, most late first', () => {
    const r = report();
    expect(r.breaches).toEqual([
      {
        id: D.id,
        alarmName: 'HighCPUUtilization',
        severity: 'P1',
        openedAt: D.openedAt,
        deadline: '2024-01-15T20:15:00.000Z',
        acknowledgedAt: null,
        acknowledgedBy: null,
        lateSeconds: 42_300,
        ongoing: true,
      },
      {
        id: I.id,
        alarmName: 'LoginFailures',
        severity: 'P0',
        openedAt: I.openedAt,
        deadline: '2024-01-15T22:05:00.000Z',
        acknowledgedAt: null,
        acknowledgedBy: null,
        lateSeconds: 900,
        ongoing: false,
      },
      {
        id: B.id,
        alarmName: 'HighErrorRate',
        severity: 'P0',
        openedAt: B.openedAt,
        deadline: '2024-01-15T14:05:00.000Z',
        acknowledgedAt: '2024-01-15T14:07:30.000Z',
        acknowledgedBy: 'dashboard:dashboard (bob)',
        lateSeconds: 150,
        ongoing: false,
      },
    ]);
  });

  it('ranks the noisiest alarms by incidents + repeats, and lists the flapping ones', () => {
    const r = report();
    expect(r.noisiest.map((a) => [a.alarmName, a.severity, a.incidents, a.duplicates, a.total])).toEqual([
      ['DatabaseHighCPU', 'P2', 1, 5, 6],
      ['HighErrorRate', 'P0', 2, 3, 5],
      ['LoginFailures', 'P0', 1, 0, 1],
      ['HighCPUUtilization', 'P1', 1, 0, 1],
      ['HighResponseTime', 'P1', 1, 0, 1],
      ['PaymentsLatency', 'P1', 1, 0, 1],
      ['QueueDepth', 'P2', 1, 0, 1],
      ['DiskSpaceTrend', 'P3', 1, 0, 1],
    ]);
    expect(r.flapping).toEqual([{ incidentKey: E.incidentKey, alarmName: 'DatabaseHighCPU', severity: 'P2', incidents: 1, lastOpenedAt: E.openedAt }]);
  });

  it('keeps only the ten noisiest', () => {
    const many = Array.from({ length: 12 }, (_, n) =>
      inc(`INC-N${String(n).padStart(7, '0')}`, `Alarm${String(n).padStart(2, '0')}`, 'P2', '2024-01-15T12:00:00.000Z', { duplicates: n }),
    );
    const r = computeDigest({ incidents: many, unresolved: [], silences: [], policy, from: FROM, to: TO });
    expect(r.noisiest).toHaveLength(10);
    expect(r.noisiest[0]).toMatchObject({ alarmName: 'Alarm11', total: 12 });
    expect(r.noisiest[9]).toMatchObject({ alarmName: 'Alarm02', total: 3 });
  });

  it('lists every still-open incident with its age, most severe then oldest first', () => {
    expect(report().stillOpen.map((o) => [o.id, o.severity, o.status, o.ageSeconds])).toEqual([
      [D.id, 'P1', 'open', 43_200],
      [J.id, 'P1', 'open', 32_400],
      [F.id, 'P2', 'acknowledged', 104_400],
      [K.id, 'P2', 'acknowledged', 10_800],
      [G.id, 'P3', 'open', 57_600],
    ]);
  });

  it('shows only the silences in force', () => {
    expect(report().silences.map((s) => s.id)).toEqual(['SIL-000001']);
  });

  it('counts incidents per hour by severity', () => {
    const r = report();
    expect(r.hourly).toHaveLength(24);
    expect(r.hourly[0].start).toBe(FROM);
    const at = (iso: string) => r.hourly.find((b) => b.start === iso)!.counts;
    expect(at('2024-01-15T09:00:00.000Z')).toEqual({ P0: 0, P1: 1, P2: 0, P3: 0 });
    expect(at('2024-01-15T10:00:00.000Z')).toEqual({ P0: 1, P1: 0, P2: 0, P3: 0 });
    expect(at('2024-01-16T05:00:00.000Z')).toEqual({ P0: 0, P1: 0, P2: 1, P3: 0 });
    expect(r.hourly.reduce((n, b) => n + b.counts.P0 + b.counts.P1 + b.counts.P2 + b.counts.P3, 0)).toBe(9);
  });
});

describe('alarms folded into incidents and pages', () => {
  const member = (n: number, state: GroupMember['state'] = 'firing'): GroupMember => ({
    incidentKey: `arn:aws:cloudwatch:eu-west-1:123456789012:alarm:Storm${n}`,
    alarmName: `Storm${n}`,
    severity: 'P0',
    state,
    episodeId: `INC-STORM${String(n).padStart(3, '0')}`,
    firedAt: '2024-01-15T10:00:00.000Z',
    joinedAt: '2024-01-15T10:00:00.000Z',
    recoveredAt: state === 'recovered' ? '2024-01-15T10:30:00.000Z' : null,
    fired: 1,
    reason: null,
  });
  const sent = (status: 'delivered' | 'skipped' | 'failed') => ({ status, attempts: 1, at: '2024-01-15T10:00:01.000Z' });
  // A storm of 50 alarms as one group that paged; one alarm paged on its own; one whose page was skipped (silenced); one on Slack only.
  const storm = inc('INC-STORM000', 'Storm0', 'P0', '2024-01-15T10:00:00.000Z', {
    members: Array.from({ length: 50 }, (_, n) => member(n, n < 20 ? 'recovered' : 'firing')),
    groupKey: '123456789012/eu-west-1',
    deliveries: { 'trigger:pagerduty': sent('delivered'), 'trigger:slack': sent('delivered') },
  });
  const single = inc('INC-SINGLE01', 'DiskFull', 'P0', '2024-01-15T11:00:00.000Z', { deliveries: { 'trigger:pagerduty': sent('failed') } });
  const silenced = inc('INC-SILENCED', 'Quiet', 'P0', '2024-01-15T12:00:00.000Z', { deliveries: { 'trigger:pagerduty': sent('skipped') } });
  const slackOnly = inc('INC-SLACK001', 'Slow', 'P1', '2024-01-15T13:00:00.000Z', {
    deliveries: { 'trigger:slack': sent('delivered'), 'escalate#1.1:slack': sent('delivered') },
  });
  const escalated = inc('INC-ESCAL001', 'Slower', 'P1', '2024-01-15T14:00:00.000Z', { deliveries: { 'escalate#2.1:pagerduty': sent('delivered') } });
  const before = inc('INC-BEFORE01', 'Old', 'P0', '2024-01-15T07:00:00.000Z', { deliveries: { 'trigger:pagerduty': sent('delivered') } });
  const all = [storm, single, silenced, slackOnly, escalated, before];
  const input = (incidents: Parameters<typeof computeDigest>[0]['incidents']) => ({ incidents, unresolved: [], silences: [], policy, from: FROM, to: TO });

  it('counts every member of a group, and the incidents that paged through PagerDuty', () => {
    const r = computeDigest(input(all));
    // 50 + 1 + 1 + 1 + 1 alarms (the one before the window is not counted), into 5 incidents, 3 of which paged.
    expect(r.folding).toEqual({ alarms: 54, incidents: 5, grouped: 1, paged: 3 });
  });

  it('the slim rows the digest reads in pages give the same report as the incidents', () => {
    const rows = all.map(digestRow);
    expect(rows.every((row) => !('members' in row) && !('deliveries' in row) && !('alarm' in row))).toBe(true);
    expect(computeDigest(input(rows))).toEqual(computeDigest(input(all)));
  });

  it('Slack, email text and HTML say how many alarms were folded into how many incidents and pages', () => {
    const r = computeDigest(input(all));
    const line = '54 alarms folded into 5 incidents, 3 pages';
    expect(JSON.stringify(renderDigestSlack(r, { policy }).blocks)).toContain(line);
    const mail = renderDigestEmail(r, { policy });
    expect(mail.text).toContain(`Grouping: ${line}`);
    expect(mail.html).toContain(`Grouping: ${line}`);
    const one = computeDigest(input([single]));
    expect(renderDigestEmail(one, { policy }).text).toContain('1 alarm folded into 1 incident, 1 page');
  });
});

describe('response-time breaches', () => {
  it('P3 is due at the next business day 09:00 + 1 h: Friday 16:00 → Monday 10:00', () => {
    const p3 = inc('INC-PPPPPPPP', 'Trend', 'P3', '2024-01-19T16:00:00.000Z');
    expect(breachOf(p3, policy, '2024-01-22T09:30:00.000Z')).toBeNull();
    expect(breachOf(p3, policy, '2024-01-22T10:30:00.000Z')).toMatchObject({ deadline: '2024-01-22T10:00:00.000Z', lateSeconds: 1800, ongoing: true });
  });

  it('an acknowledgement exactly at the deadline is in time', () => {
    const i = inc('INC-QQQQQQQQ', 'X', 'P0', '2024-01-15T10:00:00.000Z', acked('2024-01-15T10:05:00.000Z'));
    expect(breachOf(i, policy, TO)).toBeNull();
    expect(breachOf({ ...i, acknowledgedAt: '2024-01-15T10:05:01.000Z' }, policy, TO)).toMatchObject({ lateSeconds: 1 });
  });
});

describe('the digest parses each time once', () => {
  // computeDigest works on epoch ms (each openedAt parsed once); the reference here adds the minutes itself and
  // takes the next business day from responseDeadline, so the two must agree on every deadline, lateness and age.
  it('breaches and ages agree with responseDeadline on random incidents (seeded)', () => {
    const seed = Number(process.env.DIGEST_SEED ?? 20261203);
    console.log('digest property seed', seed);
    // A response time of a fraction of a minute, and timestamps written without milliseconds or with an offset.
    const odd = { ...policy, severities: { ...policy.severities, P1: { ...policy.severities.P1, responseTime: 7.5 } } };
    const written = [(ms: number) => new Date(ms).toISOString(), (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+00:00')];
    const t0 = Date.parse(FROM) - 12 * 3_600_000;
    const span = 48 * 3_600_000;
    const incident = fc.record({
      n: fc.integer({ min: 0, max: 60 }),
      severity: fc.constantFrom('P0' as const, 'P1' as const, 'P2' as const, 'P3' as const),
      opened: fc.integer({ min: 0, max: span }),
      ackAfter: fc.option(fc.integer({ min: 0, max: 4 * 3_600_000 })),
      resolveAfter: fc.option(fc.integer({ min: 0, max: 6 * 3_600_000 })),
      releasedAfter: fc.option(fc.integer({ min: 0, max: 3_600_000 })),
      silenced: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(incident, { maxLength: 40 }), fc.boolean(), fc.boolean(), (specs, oddPolicy, offsets) => {
        const p = oddPolicy ? odd : policy;
        const iso = written[offsets ? 1 : 0];
        const incidents = specs.map((s) => {
          const opened = t0 + s.opened;
          return inc(`INC-${String(s.n).padStart(8, '0')}`, `A${s.n}`, s.severity, iso(opened), {
            status: s.resolveAfter !== null ? 'resolved' : s.ackAfter !== null ? 'acknowledged' : 'open',
            acknowledgedAt: s.ackAfter !== null ? iso(opened + s.ackAfter) : null,
            resolvedAt: s.resolveAfter !== null ? iso(opened + s.resolveAfter) : null,
            releasedAt: s.releasedAfter !== null ? iso(opened + s.releasedAfter) : undefined,
            silencedBy: s.silenced && s.releasedAfter === null ? 'SIL-1' : null,
          });
        });
        const r = computeDigest({ incidents, unresolved: incidents, silences: [], policy: p, from: FROM, to: TO });
        const seen = new Set<string>();
        const at = (t: string) => Date.parse(t);
        const inWindow = incidents.filter((i) => at(i.openedAt) >= at(FROM) && at(i.openedAt) < at(TO) && !seen.has(i.id) && seen.add(i.id));
        const expected = inWindow.flatMap((i) => {
          if (i.silencedBy) return [];
          const base = i.releasedAt ?? i.openedAt;
          const rt = p.severities[i.severity].responseTime;
          // Minutes by hand; the next business day through the calendar's own walk.
          const deadline =
            rt === 'next-business-day' ? responseDeadline(i.severity, base, p) : new Date(Date.parse(base) + Math.round(rt * 60_000)).toISOString();
          const end = i.acknowledgedAt ?? (i.status === 'resolved' ? i.resolvedAt : null) ?? TO;
          const late = Math.round((Date.parse(end) - Date.parse(deadline)) / 1000);
          return Date.parse(end) > Date.parse(deadline) ? [{ id: i.id, deadline, lateSeconds: late }] : [];
        });
        const byId = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id);
        expect(r.breaches.map(({ id, deadline, lateSeconds }) => ({ id, deadline, lateSeconds })).sort(byId)).toEqual(expected.sort(byId));
        const openSeen = new Set<string>();
        const open = incidents.filter((i) => i.status !== 'resolved' && at(i.openedAt) < at(TO) && !openSeen.has(i.id) && openSeen.add(i.id));
        expect(r.stillOpen.map((o) => [o.id, o.ageSeconds]).sort()).toEqual(
          open.map((i) => [i.id, Math.round((Date.parse(TO) - Date.parse(i.openedAt)) / 1000)]).sort(),
        );
        const hours = r.hourly.map((b) => ({ start: b.start, counts: { P0: 0, P1: 0, P2: 0, P3: 0 } }));
        for (const i of inWindow) hours[Math.floor((at(i.openedAt) - at(FROM)) / 3_600_000)].counts[i.severity]++;
        expect(r.hourly).toEqual(hours);
      }),
      { seed, numRuns: 300 },
    );
  });
});

describe('empty windows', () => {
  it('nothing opened and nothing open: empty, and the digest is one line', () => {
    const r = computeDigest({ incidents: [H], unresolved: [], silences, policy, from: FROM, to: TO });
    expect(r.empty).toBe(true);
    expect(emptyDigestLine(r)).toBe('Alert digest, last 24 h (2024-01-15 08:00 UTC – 2024-01-16 08:00 UTC): no incidents, nothing open. 1 silence in force.');
    const slack = renderDigestSlack(r, { policy });
    expect(slack.blocks).toHaveLength(1);
    expect(slack.text).toContain('no incidents, nothing open');
    const mail = renderDigestEmail(r, { policy, chartCid: null });
    expect(mail.subject).toBe('Alert digest, last 24 h: no incidents');
    expect(mail.text.trim().split('\n')).toHaveLength(1);
    expect(mail.html).not.toContain('<table');
  });

  it('an incident still open from before makes the day not empty', () => {
    expect(computeDigest({ incidents: [], unresolved: [F], silences: [], policy, from: FROM, to: TO }).empty).toBe(false);
  });
});

describe('secondsText', () => {
  it.each([
    [0, '0 s'],
    [59, '59 s'],
    [60, '1 min'],
    [325, '5 min 25 s'],
    [3600, '1 h'],
    [42_300, '11 h 45 min'],
    [104_400, '1 d 5 h'],
    [null, '—'],
  ])('%s → %s', (s, text) => expect(secondsText(s)).toBe(text));
});

const HOSTILE = '<!channel> <http://evil.example|click> <img src=x onerror=alert(1)><script>alert(2)</script> & more';

describe('digest renderers', () => {
  it('Slack: Block Kit within limits, numbers to the second, alarm text escaped', () => {
    const r = report();
    r.noisiest[0].alarmName = HOSTILE;
    r.stillOpen[0].alarmName = HOSTILE;
    const m = renderDigestSlack(r, { policy, dashboardUrl: 'https://alerts.example.com' });
    expect(m.blocks.length).toBeLessThanOrEqual(50);
    const texts = JSON.stringify(m.blocks);
    for (const b of m.blocks) {
      if (b.type === 'section' && b.text) expect(b.text.text.length).toBeLessThanOrEqual(3000);
    }
    expect(texts).not.toContain('<!channel>');
    expect(texts).not.toContain('<http://evil');
    expect(texts).toContain('&lt;!channel&gt;');
    expect(texts).toContain('5 min 25 s (n=2)'); // P0 MTTA
    expect(texts).toContain('39 min (n=5)'); // all MTTR 2340 s
    expect(texts).toContain('INC-DDDDDDDD');
    expect(texts).toContain('unacknowledged, 11 h 45 min past due');
    expect(texts).toContain('<https://alerts.example.com/|Dashboard>');
    expect(m.text).toContain('9 incidents (P0 3 · P1 3 · P2 2 · P3 1), 3 response-time breaches, 5 still open');
  });

  it('email: subject without alarm text, HTML escaped with the chart by cid, plain text with the same facts', () => {
    const r = report();
    r.noisiest[0].alarmName = HOSTILE;
    r.breaches[0].alarmName = 'Evil\r\nBcc: victim@example.com';
    const m = renderDigestEmail(r, { policy, dashboardUrl: 'https://alerts.example.com', chartCid: 'digest-chart@alert-router' });
    expect(m.subject).toBe('Alert digest, last 24 h: 9 incidents (P0 3 · P1 3 · P2 2 · P3 1), 3 response-time breaches, 5 still open');
    expect(m.html).toContain('<img src="cid:digest-chart@alert-router"');
    expect(m.html).not.toMatch(/<script|<img src=x/);
    expect(m.html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(m.text).toContain('P0   5 min 25 s (n=2)');
    expect(m.text).toContain('- INC-JJJJJJJJ [P0] LoginFailures: never acknowledged (resolved 15 min past due)');
    expect(m.text).toContain('- INC-DDDDDDDD [P1] Evil Bcc: victim@example.com: unacknowledged, 11 h 45 min past due');
    expect(m.text).not.toMatch(/\r|\nBcc:/);
    expect(m.text).toContain('Evil Bcc: victim@example.com');
    expect(digestSubject(r)).not.toMatch(/[\r\n]/);
  });
});

/** Reads a PNG back: chunk CRCs, IHDR, and the inflated scanlines (filter 0) as RGB. */
function decodePng(png: Buffer): { width: number; height: number; rgb: Buffer } {
  expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  let off = 8;
  let width = 0;
  let height = 0;
  const idat: Buffer[] = [];
  const types: string[] = [];
  while (off < png.length) {
    const len = png.readUInt32BE(off);
    const type = png.toString('ascii', off + 4, off + 8);
    const data = png.subarray(off + 8, off + 8 + len);
    expect(png.readUInt32BE(off + 8 + len)).toBe(crc32(png, off + 4, off + 8 + len));
    types.push(type);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      expect([...data.subarray(8)]).toEqual([8, 2, 0, 0, 0]);
    }
    if (type === 'IDAT') idat.push(data);
    off += 12 + len;
  }
  expect(types[0]).toBe('IHDR');
  expect(types.at(-1)).toBe('IEND');
  const raw = inflateSync(Buffer.concat(idat));
  expect(raw.length).toBe((width * 3 + 1) * height);
  const rgb = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    expect(raw[y * (width * 3 + 1)]).toBe(0);
    raw.copy(rgb, y * width * 3, y * (width * 3 + 1) + 1, (y + 1) * (width * 3 + 1));
  }
  return { width, height, rgb };
}

describe('the digest chart as PNG (pure JS)', () => {
  it('crc32 matches the standard check value', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
  });

  it('encodes pixels that decode back', () => {
    const rgb = new Uint8Array([255, 0, 0, 0, 255, 0, 0, 0, 255, 1, 2, 3]);
    const back = decodePng(encodePng(2, 2, rgb));
    expect(back).toMatchObject({ width: 2, height: 2 });
    expect([...back.rgb]).toEqual([...rgb]);
  });

  it('draws stacked bars in the severity colours', () => {
    const png = hourlyChartPng(report().hourly);
    const { width, height, rgb } = decodePng(png);
    expect([width, height]).toEqual([720, 240]);
    const colours = new Set<string>();
    for (let p = 0; p < rgb.length; p += 3)
      colours.add(
        `#${[rgb[p], rgb[p + 1], rgb[p + 2]]
          .map((v) => v.toString(16).padStart(2, '0'))
          .join('')
          .toUpperCase()}`,
      );
    for (const s of ['P0', 'P1', 'P2', 'P3'] as const) expect(colours).toContain(SEVERITY_STYLE[s].color);
    expect(png.length).toBeLessThan(20_000);
  });
});
