/**
 * GET /api/incidents pages with a cursor: 500 incidents (unresolved and resolved, several days, equal opening
 * times) reached in pages of at most `limit`, each exactly once, in order; parameters outside their documented
 * range are refused with the range.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Incident } from '@alert-router/core';
import { buildRuntime, dashboardRoutes, readConfig, type Runtime } from '@alert-router/aws';
import { apiGatewayEvent } from '../packages/local/src/lambda-events';
import { makeIncident } from './helpers/incident-factory';
import { localStore } from './helpers/local-dynamo';

const NOW = new Date('2026-11-30T12:00:00.000Z');
const SEED = Number(process.env.TEST_SEED ?? 17);
const N = 500;

/** A small seeded generator (mulberry32): the same incidents on every run with the same seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function get(rt: Runtime, url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const event = apiGatewayEvent({ method: 'GET', url, headers: { host: '127.0.0.1' }, body: Buffer.from(''), sourceIp: '127.0.0.1' });
  const r = await dashboardRoutes(event, rt);
  return { status: r.statusCode ?? 200, body: JSON.parse(r.body ?? 'null') as Record<string, unknown> };
}

type Page = { incidents: Incident[]; next: string | null };

async function all(rt: Runtime, query: string): Promise<{ ids: string[]; pages: number[] }> {
  const ids: string[] = [];
  const pages: number[] = [];
  let next: string | null = null;
  do {
    const r = await get(rt, `/api/incidents?${query}${next ? `&cursor=${next}` : ''}`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const page = r.body as unknown as Page;
    pages.push(page.incidents.length);
    ids.push(...page.incidents.map((i) => i.id));
    next = page.next;
    expect(pages.length).toBeLessThan(1000);
  } while (next);
  return { ids, pages };
}

describe('GET /api/incidents pages with a cursor', () => {
  let local: Awaited<ReturnType<typeof localStore>>;
  let rt: Runtime;
  const made: Incident[] = [];

  beforeAll(async () => {
    console.log(`incident-pages seed: ${SEED} (TEST_SEED to replay)`);
    local = await localStore();
    rt = buildRuntime(readConfig({ ROUTER_TABLE: local.tableName, DYNAMODB_ENDPOINT: local.endpoint }), { db: local.db, store: local.store, now: () => NOW });
    const rnd = random(SEED);
    for (let n = 0; n < N; n++) {
      // within the last 5 days, whole minutes so that many incidents share an opening time
      const openedAt = new Date(NOW.getTime() - Math.floor(rnd() * 5 * 24 * 60) * 60_000).toISOString();
      const status = rnd() < 0.3 ? 'resolved' : rnd() < 0.5 ? 'acknowledged' : 'open';
      made.push(
        makeIncident({
          id: `INC-${String(n).padStart(8, '0')}`,
          incidentKey: `k${n}`,
          alarmName: n % 7 === 0 ? `DiskFull-${n}` : `HighErrorRate-${n}`,
          severity: (['P0', 'P1', 'P2', 'P3'] as const)[n % 4],
          openedAt,
          updatedAt: openedAt,
          status,
          resolvedAt: status === 'resolved' ? openedAt : null,
        }),
      );
    }
    for (let n = 0; n < made.length; n += 25) await Promise.all(made.slice(n, n + 25).map((i) => local.store.createIncident(i)));
  }, 120_000);
  afterAll(async () => {
    await local.close();
  });

  const newestFirst = (list: Incident[]) =>
    [...list].sort((a, b) => (a.openedAt !== b.openedAt ? (a.openedAt < b.openedAt ? 1 : -1) : a.id < b.id ? 1 : -1)).map((i) => i.id);

  it('all 500 reachable in pages of at most the limit, none twice, newest first', async () => {
    const { ids, pages } = await all(rt, 'limit=37');
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(newestFirst(made));
    expect(Math.max(...pages)).toBe(37);
    expect(pages.slice(0, -1).every((n) => n === 37)).toBe(true);
    expect(pages).toHaveLength(Math.ceil(N / 37));
  });

  it('the default page is 100 with a next cursor; the last page has next null', async () => {
    const first = (await get(rt, '/api/incidents')).body as unknown as Page;
    expect(first.incidents).toHaveLength(100);
    expect(typeof first.next).toBe('string');
    const { ids, pages } = await all(rt, 'limit=500');
    expect(pages).toEqual([500]);
    expect(ids).toHaveLength(500);
  });

  it('filters page the same way (severity, status, alarm)', async () => {
    for (const [query, keep] of [
      ['severity=P1&limit=20', (i: Incident) => i.severity === 'P1'],
      ['status=resolved&limit=25', (i: Incident) => i.status === 'resolved'],
      ['status=open&limit=30', (i: Incident) => i.status === 'open'],
      ['alarm=diskfull&limit=9', (i: Incident) => i.alarmName.startsWith('DiskFull')],
    ] as const) {
      const { ids } = await all(rt, query);
      expect(ids, query).toEqual(newestFirst(made.filter(keep)));
    }
  });

  it('the history window: resolved incidents opened before `hours` are left out, unresolved ones are not', async () => {
    const since = new Date(NOW.getTime() - 24 * 3_600_000).toISOString();
    const { ids } = await all(rt, 'hours=24&limit=50');
    expect(ids).toEqual(newestFirst(made.filter((i) => i.openedAt >= since || i.status !== 'resolved')));
  });

  it.each([
    ['/api/incidents?limit=0', 'limit: expected an integer 1–500'],
    ['/api/incidents?limit=501', 'limit: expected an integer 1–500'],
    ['/api/incidents?limit=2.5', 'limit: expected an integer 1–500'],
    ['/api/incidents?hours=0.01', 'hours: expected 1–2160'],
    ['/api/incidents?hours=abc', 'hours: expected 1–2160'],
    ['/api/incidents?cursor=bm9wZQ', 'cursor: expected the "next" value of a previous page'],
    ['/api/digest?hours=0.01', 'hours: expected 1–720'],
    ['/api/digest?hours=721', 'hours: expected 1–720'],
  ])('%s → 400 with the range', async (url, error) => {
    const r = await get(rt, url);
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ error });
  });

  it('in range is accepted', async () => {
    expect((await get(rt, '/api/digest?hours=1')).status).toBe(200);
    expect((await get(rt, '/api/incidents?hours=2160&limit=1')).status).toBe(200);
  });
});
