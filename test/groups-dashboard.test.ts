/**
 * Groups on the dashboard and the JSON API (issue 13): every incident of `GET /api/incidents` carries its members,
 * the list says "N alarms" for a group, the incident page has a members table (all alarm text escaped), scheduled
 * deliveries show when they go out; and `/api/digest` answers from its short cache.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultPolicy, escapeHtml, renderIncidentPage, type GroupMember, type Incident } from '@alert-router/core';
import { buildRuntime, dashboardRoutes, readConfig, type Runtime } from '@alert-router/aws';
import { DIGEST_CACHE_MS } from '../packages/aws/src/digest/digest';
import { apiGatewayEvent } from '../packages/local/src/lambda-events';
import { makeIncident } from './helpers/incident-factory';
import { localStore } from './helpers/local-dynamo';

type Local = Awaited<ReturnType<typeof localStore>>;

const HOSTILE = `<img src=x onerror=alert(1)>"'&<script>x</script>`;
const NOW = Date.parse('2026-12-01T10:30:00.000Z');
const at = (minutesAgo: number) => new Date(NOW - minutesAgo * 60_000).toISOString();

function member(n: number, o: Partial<GroupMember> = {}): GroupMember {
  return {
    incidentKey: `arn:aws:cloudwatch:eu-west-1:123456789012:alarm:Member${n}`,
    alarmName: `Member${n}`,
    severity: 'P1',
    state: 'firing',
    episodeId: `INC-MEMBER${String(n).padStart(2, '0')}`,
    firedAt: at(20 - n),
    joinedAt: at(20 - n),
    recoveredAt: null,
    fired: 1,
    reason: null,
    ...o,
  };
}

const GROUP: Incident = makeIncident({
  id: 'INC-GRP00001',
  alarmName: 'Member0',
  incidentKey: member(0).incidentKey,
  severity: 'P0',
  openedAt: at(20),
  updatedAt: at(5),
  groupKey: '123456789012/eu-west-1',
  members: [
    member(0, { severity: 'P0' }),
    member(1, { alarmName: HOSTILE, reason: `reason ${HOSTILE}` }),
    member(2, { state: 'recovered', recoveredAt: at(6), fired: 3 }),
  ],
  deliveries: {
    'trigger:pagerduty': { status: 'delivered', attempts: 1, at: at(20) },
  },
});
const SINGLE: Incident = makeIncident({ id: 'INC-SNG00001', alarmName: 'DiskFull', severity: 'P2', openedAt: at(10), updatedAt: at(10) });

async function call(rt: Runtime, url: string) {
  const r = await dashboardRoutes(apiGatewayEvent({ method: 'GET', url, headers: { host: '127.0.0.1' }, body: Buffer.from(''), sourceIp: '127.0.0.1' }), rt);
  return { status: r.statusCode ?? 200, body: r.body ?? '', json: () => JSON.parse(r.body ?? 'null') as Record<string, unknown> };
}

describe('groups on the dashboard and the API', () => {
  let local: Local;
  let rt: Runtime;
  let clock = NOW;
  beforeAll(async () => {
    local = await localStore();
    rt = buildRuntime(readConfig({ ROUTER_TABLE: local.tableName, DYNAMODB_ENDPOINT: local.endpoint }), {
      db: local.db,
      store: local.store,
      now: () => new Date(clock),
    });
    for (const i of [GROUP, SINGLE]) await local.store.createIncident(i);
  });
  afterAll(async () => {
    await local.close();
  });

  it('GET /api/incidents gives every incident its members: incidentKey, alarmName, state, severity', async () => {
    const r = await call(rt, '/api/incidents');
    expect(r.status).toBe(200);
    const byId = new Map((r.json().incidents as (Incident & { members: unknown[] })[]).map((i) => [i.id, i.members]));
    expect(byId.get('INC-GRP00001')).toEqual(
      GROUP.members!.map(({ incidentKey, alarmName, state, severity }) => ({ incidentKey, alarmName, state, severity })),
    );
    // An ungrouped incident: its own alarm is its one member.
    expect(byId.get('INC-SNG00001')).toEqual([{ incidentKey: SINGLE.incidentKey, alarmName: 'DiskFull', state: 'firing', severity: 'P2' }]);
    const one = await call(rt, '/api/incidents/INC-SNG00001');
    expect((one.json().incident as Incident).members).toHaveLength(1);
  });

  it('the list says "3 alarms · 1 recovered" for the group and nothing for a single alarm', async () => {
    const page = await call(rt, '/');
    expect(page.status).toBe(200);
    const groupRow = /<tr class="row-open" data-id="INC-GRP00001">[\s\S]*?<\/tr>/.exec(page.body)?.[0] ?? '';
    expect(groupRow).toContain('3 alarms · 1 recovered');
    const singleRow = /<tr class="row-open" data-id="INC-SNG00001">[\s\S]*?<\/tr>/.exec(page.body)?.[0] ?? '';
    expect(singleRow).not.toContain('alarms');
  });

  it('the incident page has a members table (state, fired at, recovered at, fired count), alarm text escaped', async () => {
    const page = await call(rt, '/incidents/INC-GRP00001');
    expect(page.status).toBe(200);
    const table = /<table class="incidents members">[\s\S]*?<\/table>/.exec(page.body)?.[0] ?? '';
    const rows = [...table.matchAll(/<tr class="member-(firing|recovered)">([\s\S]*?)<\/tr>/g)];
    expect(rows.map((m) => m[1])).toEqual(['firing', 'firing', 'recovered']);
    expect(rows[2][2]).toContain(`<time datetime="${GROUP.members![2].recoveredAt}">`);
    expect(rows[2][2]).toContain('3 times');
    expect(rows[0][2]).toContain(`<time datetime="${GROUP.members![0].firedAt}">`);
    expect(page.body).not.toContain(HOSTILE);
    expect(page.body).not.toMatch(/<img src=x|<script>x/);
    expect(table).toContain(escapeHtml(HOSTILE));
    // Its live region is polled like the others.
    const live = await call(rt, '/api/incidents/INC-GRP00001?sections=1');
    expect(Object.keys(live.json().sections as object)).toContain('members');
  });

  it('a scheduled delivery shows when it goes out, not as failed', () => {
    // Rendered directly: the store's schema learns `scheduled` with the grouping work.
    const scheduled: Incident = {
      ...GROUP,
      deliveries: {
        ...GROUP.deliveries,
        'update:email': { status: 'scheduled', attempts: 0, at: at(5), retryAt: '2026-12-01T10:42:00.000Z', event: 'update', channel: 'email' },
      },
    };
    const session = { csrf: null, user: null, authEnabled: false };
    const page = { body: renderIncidentPage({ incident: scheduled, now: new Date(NOW).toISOString(), policy: defaultPolicy(), session }, { poll: '/x' }) };
    expect(page.body).toContain('<span class="outcome outcome-scheduled">scheduled for <time datetime="2026-12-01T10:42:00.000Z"');
    expect(page.body).toContain('>10:42 UTC</time>');
    expect(page.body).not.toContain('outcome-failed');
  });

  it('/api/digest answers from its cache for DIGEST_CACHE_MS, then reads again; it says how many alarms were folded', async () => {
    const first = (await call(rt, '/api/digest')).json();
    expect(first.folding).toEqual({ alarms: 4, incidents: 2, grouped: 1, paged: 1 });
    await local.store.createIncident(makeIncident({ id: 'INC-ATR00001', alarmName: 'Later', severity: 'P3', openedAt: at(1), updatedAt: at(1) }));
    clock = NOW + DIGEST_CACHE_MS - 1;
    expect((await call(rt, '/api/digest')).json()).toEqual(first);
    clock = NOW + DIGEST_CACHE_MS;
    const fresh = (await call(rt, '/api/digest')).json();
    expect(fresh.total).toBe(3);
    expect(fresh.folding).toEqual({ alarms: 5, incidents: 3, grouped: 1, paged: 1 });
  });
});
