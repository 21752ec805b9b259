/**
 * One contract for every IncidentStore adapter: the DynamoDB adapter (on dynalite), the SQLite one of the embedded
 * default and the in-memory one that the simulation drives must answer the same way, so that what the simulation
 * proves holds for the real stores.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { digestRow, digestRowOfListing, pendingNotice, type Incident } from '@alert-router/core';
import { DynamoIncidentStore, DynamoSilenceStore, MemoryIncidentStore, MemorySilenceStore, type IncidentStore, type SilenceStore } from '@alert-router/aws';
import { claimSlackSignature, memoryReplayClaims, type ReplayClaims } from '@alert-router/aws/slack/replay-store';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { makeIncident } from './helpers/incident-factory';
import { rowOf } from '@alert-router/aws/store/row';
import { localStore } from './helpers/local-dynamo';
import { SqliteIncidentStore } from '../packages/local/src/sqlite-store';
import { SqliteSilenceStore, sqliteReplayClaims } from '../packages/local/src/sqlite-records';

const KEY = 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:Contract';
const T = (s: number) => new Date(Date.UTC(2026, 10, 20, 10, 0, s)).toISOString();
const fields = { now: T(0), severity: 'P0' as const, channels: ['pagerduty', 'slack', 'dashboard'], alarmName: 'Contract', messageId: 'm' };

interface Adapter {
  store: IncidentStore;
  silences: SilenceStore;
  replayClaims: ReplayClaims;
  /** Writes a damaged record straight into the backing store. */
  corrupt(id: string): Promise<void>;
  close(): Promise<void>;
}

const adapters: Record<string, () => Promise<Adapter>> = {
  memory: async () => {
    const store = new MemoryIncidentStore();
    return {
      store,
      silences: new MemorySilenceStore(),
      replayClaims: memoryReplayClaims(),
      corrupt: async (id) => void store.incidents.set(id, { id, status: 'gone' } as unknown as Incident),
      close: async () => {},
    };
  },
  dynamodb: async () => dynamoAdapter(await localStore()),
  // dynalite over its loopback socket, without the worker's ReturnValuesOnConditionCheckFailure: the store's
  // fallback (it reads the latch) answers the same.
  'dynamodb, peer without the failed item': async () => {
    const local = await localStore();
    const plain = DynamoDBDocumentClient.from(
      new DynamoDBClient({ region: 'us-east-1', endpoint: local.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
      { marshallOptions: { removeUndefinedValues: true, convertEmptyValues: false, allowImpreciseNumbers: true } },
    );
    const adapter = dynamoAdapter(local, plain);
    const close = async () => {
      plain.destroy();
      await adapter.close();
    };
    return { ...adapter, close };
  },
  sqlite: async () => {
    const store = new SqliteIncidentStore();
    return {
      store,
      silences: new SqliteSilenceStore(store.db),
      replayClaims: sqliteReplayClaims(store.db),
      corrupt: async (id) =>
        void store.db
          .prepare("INSERT INTO incidents (id, rev, body, day, day_key) VALUES (?, 1, ?, '2026-11-20', ?)")
          .run(id, JSON.stringify({ id, status: 'gone' }), id),
      close: async () => store.close(),
    };
  },
};

function dynamoAdapter(local: Awaited<ReturnType<typeof localStore>>, storeClient = local.db): Adapter {
  return {
    store: new DynamoIncidentStore(storeClient, local.tableName),
    silences: new DynamoSilenceStore(local.db, local.tableName),
    replayClaims: (signature, opts) => claimSlackSignature(local.db, local.tableName, signature, { ...opts, timeoutMs: 10_000 }),
    corrupt: async (id) => void (await local.db.send(new PutCommand({ TableName: local.tableName, Item: { pk: `INC#${id}`, sk: 'INC', id, status: 'gone' } }))),
    close: local.close,
  };
}

function withPending(id: string, owner = 'o1', at = T(0)): Incident {
  const claim = { owner, now: at, leaseMs: 45_000 };
  return makeIncident({
    id,
    incidentKey: KEY,
    openedAt: at,
    updatedAt: at,
    deliveries: {
      'trigger:slack': pendingNotice({ event: 'trigger', channel: 'slack' }, claim),
      'trigger:pagerduty': pendingNotice({ event: 'trigger', channel: 'pagerduty' }, claim),
    },
  });
}

describe.each(Object.keys(adapters))('IncidentStore contract: %s', (name) => {
  let a: Adapter;
  beforeEach(async () => {
    a = await adapters[name]();
  });
  afterEach(() => a.close());

  it('the latch: opened, duplicate, same change again, older change', async () => {
    expect(await a.store.recordProblem(KEY, T(10), 'INC-A', fields)).toEqual({ kind: 'opened', flips: [] });
    expect(await a.store.recordProblem(KEY, T(20), 'INC-B', fields)).toMatchObject({ kind: 'duplicate', openId: 'INC-A', openedAt: T(0), flips: [T(10)] });
    expect(await a.store.recordProblem(KEY, T(20), 'INC-B', fields)).toMatchObject({
      kind: 'conflict',
      latch: { openId: 'INC-A', lastChange: T(20) },
      incident: null,
    });
    expect(await a.store.recordProblem(KEY, T(5), 'INC-C', fields)).toMatchObject({ kind: 'conflict', latch: { lastChange: T(20) } });
  });

  it('an OK closes the episode and the latch names it, so the same OK again finds it; a later OK finds none', async () => {
    await a.store.recordProblem(KEY, T(10), 'INC-A', fields);
    await a.store.createIncident(withPending('INC-A'));
    const r = await a.store.recordRecovery(KEY, T(30), { alarmName: 'Contract', messageId: 'ok' });
    expect(r).toMatchObject({ kind: 'resolved', previous: { openId: 'INC-A' } });
    const again = await a.store.recordRecovery(KEY, T(30), { alarmName: 'Contract', messageId: 'ok' });
    expect(again).toMatchObject({ kind: 'conflict', latch: { closedId: 'INC-A', closedChange: T(30) }, incident: { id: 'INC-A' } });
    expect(await a.store.recordRecovery(KEY, T(40), { alarmName: 'Contract', messageId: 'ok2' })).toMatchObject({ kind: 'no-episode' });
    expect((await a.store.getLatch(KEY))?.closedId).toBe('INC-A');
    expect(await a.store.recordProblem(KEY, T(50), 'INC-N', fields)).toMatchObject({ kind: 'opened' });
  });

  it('groups: the record by version, the latch names the group (moved by compare-and-set), the OK remembers it; pointers', async () => {
    const record = { groupKey: 'default|account=1|region=eu-west-1', groupId: 'INC-G', openedAt: T(0), windowEnd: T(600), version: 1 };
    expect(await a.store.putGroupRecord(record, 0)).toBe(true);
    expect(await a.store.putGroupRecord({ ...record, groupId: 'INC-H' }, 0)).toBe(false);
    expect(await a.store.putGroupRecord({ ...record, windowEnd: T(900), version: 2 }, 1)).toBe(true);
    expect(await a.store.putGroupRecord({ ...record, version: 3 }, 1)).toBe(false);

    expect(await a.store.recordProblem(KEY, T(10), 'INC-A', { ...fields, groupId: 'INC-G' })).toMatchObject({ kind: 'opened' });
    const child = `${KEY}-child`;
    await a.store.recordProblem(child, T(10), 'INC-C', { ...fields, groupId: 'INC-G' });
    await a.store.pointChildren([KEY], { groupId: 'INC-P', until: T(700) });
    const read = await a.store.lookupGroup(record.groupKey, KEY, [child]);
    expect(read.record).toMatchObject({ groupId: 'INC-G', windowEnd: T(900), version: 2 });
    expect(read.latch).toMatchObject({ openId: 'INC-A', groupId: 'INC-G' });
    expect(read.children.map((c) => c.openId)).toEqual(['INC-C']);
    expect(read.pointer).toEqual({ groupId: 'INC-P', until: T(700) });

    expect(await a.store.setLatchGroup(KEY, 'INC-A', 'INC-X', 'INC-H')).toBe(false); // not in INC-X
    expect(await a.store.setLatchGroup(KEY, 'INC-B', 'INC-G', 'INC-H')).toBe(false); // not its episode
    expect(await a.store.setLatchGroup(KEY, 'INC-A', 'INC-G', 'INC-H')).toBe(true);
    expect(await a.store.recordProblem(KEY, T(20), 'INC-B', { ...fields, groupId: 'INC-Z' })).toMatchObject({ kind: 'duplicate', groupId: 'INC-H' });
    expect(await a.store.recordRecovery(KEY, T(30), { alarmName: 'Contract', messageId: 'ok' })).toMatchObject({
      kind: 'resolved',
      previous: { groupId: 'INC-H' },
    });
    expect(await a.store.getLatch(KEY)).toMatchObject({ closedGroupId: 'INC-H' });
    expect((await a.store.getLatch(KEY))?.groupId).toBeUndefined();
  });

  it('releaseLatch frees the alarm only for the episode that holds it', async () => {
    await a.store.recordProblem(KEY, T(10), 'INC-A', fields);
    expect(await a.store.releaseLatch(KEY, 'INC-X')).toBe(false);
    expect(await a.store.releaseLatch(KEY, 'INC-A')).toBe(true);
    expect(await a.store.recordProblem(KEY, T(20), 'INC-B', fields)).toMatchObject({ kind: 'opened' });
  });

  it('an incident is created once; a replace needs the revision it was read with', async () => {
    expect(await a.store.createIncident(withPending('INC-A'))).toBe(true);
    expect(await a.store.createIncident(withPending('INC-A'))).toBe(false);
    const read = (await a.store.getIncident('INC-A'))!;
    expect(read.rev).toBe(1);
    expect(await a.store.replaceIncident({ ...read, duplicates: 1 }, 0)).toBe(false);
    expect(await a.store.replaceIncident({ ...read, duplicates: 1 }, 1)).toBe(true);
    expect(await a.store.getIncident('INC-A')).toMatchObject({ rev: 2, duplicates: 1 });
  });

  it('concurrent updates all land (each re-reads and retries on a lost race)', async () => {
    await a.store.createIncident(withPending('INC-A'));
    await Promise.all(Array.from({ length: 8 }, (_, i) => a.store.recordDuplicate('INC-A', { at: T(i), type: 'duplicate' })));
    expect(await a.store.getIncident('INC-A')).toMatchObject({ duplicates: 8, rev: 9 });
    expect(await a.store.recordDuplicate('INC-MISSING', { at: T(1), type: 'duplicate' })).toBe(false);
  });

  it('notices: due after their lease, claimed by one claimer, completed only by their owner, then off the due index', async () => {
    await a.store.createIncident(withPending('INC-A'));
    expect(await a.store.listDue(T(10))).toEqual([]);
    const due = await a.store.listDue(T(50));
    expect(due.map((i) => i.id)).toEqual(['INC-A']);
    const [c1, c2] = await Promise.all([
      a.store.claimNotices('INC-A', { owner: 'o2', now: T(50), leaseMs: 45_000 }),
      a.store.claimNotices('INC-A', { owner: 'o3', now: T(50), leaseMs: 45_000 }),
    ]);
    const winners = [c1, c2].filter((c) => c.kind === 'updated' && c.send.length > 0);
    expect(winners).toHaveLength(1);
    const owner = (winners[0] as { incident: Incident }).incident.deliveries['trigger:slack'].owner!;
    expect(await a.store.completeNotices('INC-A', 'o1', { 'trigger:slack': { status: 'delivered', attempts: 1 } }, T(51))).toMatchObject({ kind: 'unchanged' });
    const done = await a.store.completeNotices(
      'INC-A',
      owner,
      { 'trigger:slack': { status: 'delivered', attempts: 1 }, 'trigger:pagerduty': { status: 'failed', attempts: 1, retryable: false, error: 'HTTP 400' } },
      T(52),
    );
    expect(done).toMatchObject({ kind: 'updated', failedForGood: ['trigger:pagerduty'] });
    expect(await a.store.listDue(T(3000))).toEqual([]);
    expect((await a.store.getIncident('INC-A'))!.deliveries['trigger:pagerduty']).toMatchObject({ status: 'failed', retryable: false, error: 'HTTP 400' });
  });

  it('resolve: once; the resolve of a channel still paging belongs to that sender', async () => {
    await a.store.createIncident(withPending('INC-A'));
    const claim = { owner: 'r1', now: T(5), leaseMs: 45_000 };
    const input = { at: T(5), by: 'cloudwatch', entry: { at: T(5), type: 'resolved' as const }, claim };
    const r = await a.store.resolveIncident('INC-A', input);
    expect(r).toMatchObject({ kind: 'updated', send: [] });
    const inc = (r as { incident: Incident }).incident;
    expect(inc.deliveries['resolve:slack']).toMatchObject({ status: 'pending', owner: 'o1', after: 'trigger:slack' });
    expect(await a.store.resolveIncident('INC-A', input)).toMatchObject({ kind: 'unchanged' });
    const done = await a.store.completeNotices(
      'INC-A',
      'o1',
      { 'trigger:slack': { status: 'delivered', attempts: 1 }, 'trigger:pagerduty': { status: 'failed', attempts: 1, error: '500' } },
      T(6),
    );
    expect(done).toMatchObject({ kind: 'updated', followUps: ['resolve:slack'] });
    const after = (done as { incident: Incident }).incident;
    expect(after.deliveries['trigger:pagerduty'].status).toBe('skipped');
    expect(after.deliveries['resolve:pagerduty'].status).toBe('skipped');
    expect((await a.store.listUnresolved()).map((i) => i.id)).toEqual([]);
  });

  it('lists by day and unresolved, newest first', async () => {
    await a.store.createIncident(withPending('INC-A', 'o', T(1)));
    await a.store.createIncident(withPending('INC-B', 'o', T(2)));
    expect((await a.store.listUnresolved()).map((i) => i.id)).toEqual(['INC-B', 'INC-A']);
    expect((await a.store.listByDay(T(0).slice(0, 10))).map((i) => i.id)).toEqual(['INC-A', 'INC-B']);
    expect((await a.store.listOpenedBetween(T(0), T(60))).map((i) => i.id)).toEqual(['INC-B', 'INC-A']);
  });

  it('pages unresolved and by-day incidents with a keyset cursor (`before`, exclusive)', async () => {
    for (let n = 1; n <= 5; n++) await a.store.createIncident(withPending(`INC-${n}`, 'o', T(n)));
    const first = await a.store.listUnresolved(2);
    expect(first.map((i) => i.id)).toEqual(['INC-5', 'INC-4']);
    const cursor = `${first[1].openedAt}#${first[1].id}`;
    expect((await a.store.listUnresolved(2, cursor)).map((i) => i.id)).toEqual(['INC-3', 'INC-2']);
    const day = T(0).slice(0, 10);
    expect((await a.store.listByDay(day, { before: cursor, newestFirst: true, limit: 10 })).map((i) => i.id)).toEqual(['INC-3', 'INC-2', 'INC-1']);
    expect(await a.store.listUnresolved(10, `${T(1)}#INC-1`)).toEqual([]);
  });

  it('lists whole incidents past 100 at a time (DynamoDB: keys from the index, items 100 to a batch); held ones alone', async () => {
    const ids = Array.from({ length: 130 }, (_, n) => `INC-L${String(n).padStart(3, '0')}`);
    const at = (n: number) => new Date(Date.UTC(2026, 10, 20, 10, 0, 0, n * 10)).toISOString();
    for (const [n, id] of ids.entries()) await a.store.createIncident(withPending(id, 'o', at(n)));
    const held = ids.filter((_, n) => n % 40 === 0);
    for (const id of held) await a.store.updateIncident(id, (cur) => ({ incident: { ...cur, silencedBy: 'SIL-1' } }));
    const byDay = await a.store.listByDay(T(0).slice(0, 10));
    expect(byDay.map((i) => i.id)).toEqual(ids);
    expect(byDay[129]).toEqual(await a.store.getIncident(ids[129]));
    expect((await a.store.listUnresolved(120)).map((i) => i.id)).toEqual([...ids].reverse().slice(0, 120));
    expect((await a.store.listHeld()).map((i) => i.id)).toEqual([...held].reverse());
    await a.store.resolveIncident(ids[129], {
      at: T(70),
      by: 'alice',
      entry: { at: T(70), type: 'resolved' },
      claim: { owner: 'r', now: T(70), leaseMs: 1000 },
    });
    expect((await a.store.listUnresolved(1)).map((i) => i.id)).toEqual([ids[128]]);
  });

  it("rows (the dashboard's listings) are the listed incidents' row fields", async () => {
    for (let n = 1; n <= 3; n++) await a.store.createIncident(withPending(`INC-${n}`, 'o', T(n)));
    await a.store.acknowledgeIncident('INC-2', {
      at: T(9),
      by: 'alice',
      entry: { at: T(9), type: 'acknowledged' },
      claim: { owner: 'a', now: T(9), leaseMs: 1000 },
    });
    const day = T(0).slice(0, 10);
    expect(await a.store.listUnresolvedRows(2)).toEqual((await a.store.listUnresolved(2)).map(rowOf));
    expect(await a.store.listRowsByDay(day, { newestFirst: true })).toEqual((await a.store.listByDay(day, { newestFirst: true })).map(rowOf));
    expect((await a.store.listRowsByDay(day))[1]).toMatchObject({ id: 'INC-2', status: 'acknowledged', acknowledgedBy: 'alice' });
  });

  it('rows carry what the digest counts (paged, released, group size): the digest of rows is that of incidents', async () => {
    const claim = { owner: 'o', now: T(0), leaseMs: 45_000 };
    const done = (event: 'trigger' | 'escalate#2.1', channel: 'pagerduty' | 'slack', status: 'delivered' | 'skipped' | 'failed') => ({
      ...pendingNotice({ event: event.startsWith('escalate') ? 'escalate' : 'trigger', channel }, claim),
      status,
      attempts: 1,
    });
    const member = (n: number, state: 'firing' | 'recovered') => ({
      incidentKey: `${KEY}-${n}`,
      alarmName: `Member${n}`,
      severity: 'P1' as const,
      state,
      episodeId: `INC-M${n}`,
      firedAt: T(1),
      joinedAt: T(1),
      recoveredAt: state === 'recovered' ? T(5) : null,
      fired: 1,
      reason: 'Threshold Crossed',
    });
    const incidents = [
      makeIncident({
        id: 'INC-P1',
        incidentKey: KEY,
        openedAt: T(1),
        updatedAt: T(1),
        deliveries: { 'trigger:pagerduty': done('trigger', 'pagerduty', 'delivered') },
      }),
      makeIncident({
        id: 'INC-P2',
        incidentKey: KEY,
        openedAt: T(2),
        updatedAt: T(2),
        deliveries: { 'trigger:pagerduty': done('trigger', 'pagerduty', 'skipped') },
      }),
      makeIncident({
        id: 'INC-P3',
        incidentKey: KEY,
        openedAt: T(3),
        updatedAt: T(3),
        severity: 'P1',
        releasedAt: T(4),
        silencedBy: 'SIL-1 by carol: deploy',
        deliveries: { 'trigger:slack': done('trigger', 'slack', 'delivered'), 'escalate#2.1:pagerduty': done('escalate#2.1', 'pagerduty', 'failed') },
      }),
      makeIncident({
        id: 'INC-P4',
        incidentKey: KEY,
        openedAt: T(4),
        updatedAt: T(4),
        members: [member(1, 'firing'), member(2, 'recovered'), member(3, 'firing')],
        deliveries: { 'trigger:slack': done('trigger', 'slack', 'delivered') },
      }),
    ];
    for (const i of incidents) await a.store.createIncident(i);
    await a.store.updateIncident('INC-P2', (cur) => ({
      incident: { ...cur, deliveries: { ...cur.deliveries, 'escalate#2.1:pagerduty': done('escalate#2.1', 'pagerduty', 'delivered') } },
    }));
    const day = T(0).slice(0, 10);
    const rows = await a.store.listRowsByDay(day);
    const whole = await a.store.listByDay(day);
    expect(rows).toEqual(whole.map(rowOf));
    expect(rows.map((r) => [r.id, r.paged, r.releasedAt ?? null, r.groupSize?.alarms ?? null])).toEqual([
      ['INC-P1', true, null, null],
      ['INC-P2', true, null, null],
      ['INC-P3', true, T(4), null],
      ['INC-P4', false, null, 3],
    ]);
    expect(rows.map(digestRowOfListing)).toEqual(whole.map(digestRow));
    expect((await a.store.listUnresolvedRows(10)).map(digestRowOfListing)).toEqual((await a.store.listUnresolved(10)).map(digestRow));
  });

  it('reads several incidents at once (past one batch), leaving out those not found', async () => {
    const ids = Array.from({ length: 130 }, (_, n) => `INC-G${String(n).padStart(3, '0')}`);
    for (const id of ids) await a.store.createIncident(withPending(id));
    const got = await a.store.getIncidents([...ids, 'INC-NONE', ids[0]]);
    expect(got.map((i) => i.id).sort()).toEqual(ids);
    expect(got.find((i) => i.id === ids[129])).toEqual(await a.store.getIncident(ids[129]));
    expect(await a.store.getIncidents([])).toEqual([]);
  });

  it('keeps a raw message whole, however long', async () => {
    const raw = `${'é'.repeat(150_000)}${'x'.repeat(120_000)}`;
    await a.store.putDeadLetter({ at: T(0), reason: 'kept', source: 'sns', raw });
    const [kept] = await a.store.listDeadLetters(T(0).slice(0, 10));
    expect(kept.raw === raw).toBe(true);
  });

  it('a damaged record is refused on read, not acted upon', async () => {
    await a.corrupt('INC-BAD');
    await expect(a.store.getIncident('INC-BAD')).rejects.toThrow(/stored incident INC-BAD is not valid/);
  });

  it('silences: created, listed while not ended, ended once', async () => {
    const s = await a.silences.create({ match: 'Payments*', reason: 'deploy', author: 'carol', minutes: 60, now: T(0) });
    expect(s).toMatchObject({ match: 'Payments*', startsAt: T(0), endsAt: new Date(Date.parse(T(0)) + 3_600_000).toISOString() });
    expect((await a.silences.listActive(T(10))).map((x) => x.id)).toEqual([s.id]);
    expect(await a.silences.end('SIL-NONE', 'alice', T(20))).toBeNull();
    expect(await a.silences.end(s.id, 'alice', T(20))).toMatchObject({ id: s.id, endedBy: 'alice', endsAt: T(20) });
    expect(await a.silences.end(s.id, 'bob', T(30))).toBeNull();
    expect(await a.silences.listActive(T(30))).toEqual([]);
  });

  it('replay claims: the first claim of a signature wins, any other is a replay', async () => {
    const times = { nowSeconds: 1_800_000_000, requestTimestamp: 1_800_000_000 };
    expect(await a.replayClaims('v0=abc', times)).toBe(true);
    expect(await a.replayClaims('V0=ABC ', { ...times, nowSeconds: times.nowSeconds + 60 })).toBe(false);
    expect(await a.replayClaims('v0=def', times)).toBe(true);
  });
});
