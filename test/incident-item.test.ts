/**
 * The DynamoDB item of an incident (packages/aws/src/store/incident-item.ts): the listing row and rev in the clear,
 * the rest one deflated document, so that a group an alarm storm keeps rewriting costs a fraction of its JSON.
 */
import { deflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultPolicy, groupingFor, joinGroup, memberFor, newGroupIncident, parseSnsMessage, route, type Incident } from '@alert-router/core';
import { itemBytes, writeUnits } from '@alert-router/aws/capacity';
import { DOC_ATTRIBUTE, incidentAttributes, incidentOfItem, rowOfItem } from '@alert-router/aws/store/incident-item';
import { countRequests, createDocumentClient, DynamoIncidentStore } from '@alert-router/aws';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { RUNBOOK_ALARMS, snsNotification, type DemoAlarm } from '../packages/local/src/demo';
import { makeIncident } from './helpers/incident-factory';
import { localStore } from './helpers/local-dynamo';

const T0 = '2026-11-20T10:00:00.000Z';
const at = (s: number) => new Date(Date.parse(T0) + s * 1000).toISOString();
const NO_KEYS = new Set(['pk', 'sk']);

function note(a: DemoAlarm, when: string, n: number) {
  const b = snsNotification(a, 'ALARM', new Date(when), `storm-${n}`);
  return parseSnsMessage({ ...b, Subject: b.Subject ?? null }, 'Sns');
}

/** An outage's group: `size` alarms of one account and region, each joined as a storm joins them. */
function stormGroup(size: number): Incident {
  const policy = defaultPolicy();
  const first = note(RUNBOOK_ALARMS[0], T0, 0);
  const routed = route(first, policy);
  const plan = { ...groupingFor(first, routed.classification.severity, policy)!, maxMembers: 200 };
  const claim = { owner: 'w1', now: T0, leaseMs: 45_000 };
  let g = newGroupIncident(routed, memberFor(first, routed.classification.severity, 'INC-STORM0', T0), plan, policy, {
    claim,
    groupId: 'INC-STORM0',
    openedAt: T0,
  });
  for (let i = 1; i < size; i++) {
    const a = RUNBOOK_ALARMS[i % RUNBOOK_ALARMS.length];
    const n = note({ ...a, name: `${a.name}-prod-svc${i}-i-0${(i * 7919).toString(16)}` }, at(i), i);
    const r = route(n, policy);
    const j = joinGroup(g, memberFor(n, r.classification.severity, `INC-STORM${i}`, at(i)), r, {
      claim: { ...claim, now: at(i) },
      policy,
      plan,
      threads: true,
      by: 'cloudwatch',
    });
    if (j.kind !== 'joined') throw new Error(`member ${i}: ${j.kind}`);
    g = j.incident;
    for (const k of j.send) g.deliveries[k] = { ...g.deliveries[k], status: 'delivered' };
  }
  return { ...g, rev: 7 };
}

describe('an incident item', () => {
  const group = stormGroup(200);

  it('keeps a 200-alarm group in a tenth of its JSON, and reads it back whole', () => {
    const json = Buffer.byteLength(JSON.stringify(group));
    const attrs = incidentAttributes(group);
    expect(json).toBeGreaterThan(100_000);
    expect(itemBytes(attrs)).toBeLessThan(json / 8);
    expect(incidentOfItem({ pk: 'INC#x', sk: 'INC', ...attrs }, NO_KEYS)).toEqual(group);
  });

  it('carries the listing row in the clear, with the group counted instead of its members', () => {
    const recovered = { ...group, members: group.members!.map((m, i) => (i < 3 ? { ...m, state: 'recovered' as const } : m)) };
    const attrs = incidentAttributes(recovered);
    expect(attrs).toMatchObject({ id: group.id, status: group.status, severity: group.severity, rev: 7, groupSize: { alarms: 200, recovered: 3 } });
    expect(attrs).not.toHaveProperty('members');
    expect(attrs).not.toHaveProperty('timeline');
    expect(rowOfItem(attrs)).not.toHaveProperty(DOC_ATTRIBUTE);
    expect(rowOfItem(attrs).groupSize).toEqual({ alarms: 200, recovered: 3 });
  });

  it('reads an item written before the document existed (every field an attribute), and its row counts the members', () => {
    const legacy = { pk: `INC#${group.id}`, sk: 'INC', ...group };
    expect(incidentOfItem(legacy, NO_KEYS)).toEqual(group);
    const row = rowOfItem(legacy);
    expect(row.groupSize).toEqual({ alarms: 200, recovered: 0 });
    expect(row).not.toHaveProperty('members');
    expect(row).not.toHaveProperty('deliveries');
  });

  it('a damaged member of an item in the old layout is not counted, and the row is still checked', () => {
    const legacy = { pk: `INC#${group.id}`, sk: 'INC', ...group, members: [null, 'x', ...group.members!.slice(0, 2)] };
    expect(rowOfItem(legacy).groupSize).toEqual({ alarms: 2, recovered: 0 });
    expect(() => rowOfItem({ ...legacy, severity: 'P9' })).toThrow(/stored incident .* is not valid: severity/);
  });

  it('a document that inflates past 8 MiB is refused, not inflated', () => {
    const bomb = deflateRawSync(JSON.stringify({ pad: ' '.repeat(9 * 1024 * 1024) }));
    expect(bomb.length).toBeLessThan(20_000);
    const attrs = { ...incidentAttributes(makeIncident({ id: 'INC-BOMB' })), [DOC_ATTRIBUTE]: bomb };
    expect(() => incidentOfItem(attrs, NO_KEYS)).toThrow(/stored incident INC-BOMB is not valid: doc/);
  });

  it('an incident of its own has no group size, and fields that are absent stay absent', () => {
    const single = makeIncident({ id: 'INC-SINGLE' });
    const back = incidentOfItem(incidentAttributes(single), NO_KEYS);
    expect(back).toEqual(single);
    expect(Object.keys(back).sort()).toEqual(Object.keys(single).sort());
    expect(rowOfItem(incidentAttributes(single))).not.toHaveProperty('groupSize');
  });

  it('keeps releasedAt in the document too, where a build before 2026-12-03 reads it (the row has it in the clear)', async () => {
    const { inflateRawSync } = await import('node:zlib');
    const released = makeIncident({ id: 'INC-REL', releasedAt: at(90) });
    const attrs = incidentAttributes(released);
    expect(attrs.releasedAt).toBe(at(90));
    expect(JSON.parse(inflateRawSync(attrs[DOC_ATTRIBUTE] as Uint8Array).toString('utf8'))).toMatchObject({ releasedAt: at(90) });
    expect(incidentOfItem(attrs, NO_KEYS)).toEqual(released);
    expect(rowOfItem(attrs).releasedAt).toBe(at(90));
  });

  it.each([
    ['not deflated', Buffer.from('plain text')],
    ['a deflated array', deflateRawSync(JSON.stringify([1, 2]))],
    ['a string', 'eJzLSM3JyQcABiwCFQ=='],
  ])('a damaged document (%s) is reported, naming the incident, not acted upon', (_label, doc) => {
    const attrs = { ...incidentAttributes(makeIncident({ id: 'INC-BAD' })), [DOC_ATTRIBUTE]: doc };
    expect(() => incidentOfItem(attrs, NO_KEYS)).toThrow(/stored incident INC-BAD is not valid: doc: expected a deflated JSON object/);
  });
});

describe('on dynalite', () => {
  let local: Awaited<ReturnType<typeof localStore>>;
  beforeAll(async () => {
    local = await localStore();
  });
  afterAll(async () => local.close());

  it("a storm's group is written and read through the store, costing a few units a write, and its row comes from the index", async () => {
    const group = stormGroup(200);
    expect(await local.store.createIncident(group)).toBe(true);
    const raw = (await local.db.send(new GetCommand({ TableName: local.tableName, Key: { pk: `INC#${group.id}`, sk: 'INC' } }))).Item!;
    expect(raw[DOC_ATTRIBUTE]).toBeInstanceOf(Uint8Array);
    expect(writeUnits(itemBytes(raw))).toBeLessThanOrEqual(20); // the JSON alone would take ~130
    expect(await local.store.getIncident(group.id)).toEqual(group);
    const rows = await local.store.listUnresolvedRows(10);
    expect(rows.map((r) => [r.id, r.groupSize])).toEqual([[group.id, { alarms: 200, recovered: 0 }]]);
    expect(rows[0]).not.toHaveProperty('members');
  });

  it('a group written in the old layout is counted in its rows, read from the index, and is read whole', async () => {
    const old = { ...stormGroup(5), id: 'INC-OLDGROUP' };
    old.members = old.members!.map((m, i) => (i < 2 ? { ...m, state: 'recovered' as const } : m));
    const day = old.openedAt.slice(0, 10);
    const index = { gsi1pk: 'OPEN', gsi1sk: `${old.openedAt}#${old.id}`, gsi2pk: `DAY#${day}`, gsi2sk: `${old.openedAt}#${old.id}` };
    await local.db.send(new PutCommand({ TableName: local.tableName, Item: { pk: `INC#${old.id}`, sk: 'INC', ...index, ...old } }));
    const rows = [...(await local.store.listUnresolvedRows(10)), ...(await local.store.listRowsByDay(day))].filter((r) => r.id === old.id);
    expect(rows.map((r) => r.groupSize)).toEqual([
      { alarms: 5, recovered: 2 },
      { alarms: 5, recovered: 2 },
    ]);
    expect(rows[0]).not.toHaveProperty('members');
    expect(await local.store.getIncident(old.id)).toEqual(old);
  });

  it('an item written in the old layout is read, updated (into the new layout) and listed', async () => {
    const old = makeIncident({ id: 'INC-OLDLAYOUT', rev: 3 });
    await local.db.send(
      new PutCommand({ TableName: local.tableName, Item: { pk: `INC#${old.id}`, sk: 'INC', gsi1pk: 'OPEN', gsi1sk: `${old.openedAt}#${old.id}`, ...old } }),
    );
    expect(await local.store.getIncident(old.id)).toEqual(old);
    const r = await local.store.updateIncident(old.id, (cur) => ({ incident: { ...cur, acknowledgedBy: 'ana' } }));
    expect(r.kind).toBe('updated');
    const raw = (await local.db.send(new GetCommand({ TableName: local.tableName, Key: { pk: `INC#${old.id}`, sk: 'INC' } }))).Item!;
    expect(raw).toHaveProperty(DOC_ATTRIBUTE);
    expect(raw).not.toHaveProperty('deliveries');
    expect(await local.store.getIncident(old.id)).toMatchObject({ ...old, acknowledgedBy: 'ana', rev: 4 });
  });

  it('a lost race on an incident hands its current state back with the failure: the retry at once reads nothing', async () => {
    const id = 'INC-RACE0001';
    await local.store.createIncident(makeIncident({ id, rev: 1 }));
    const stale = (await local.store.getIncident(id))!;
    await local.store.updateIncident(id, (cur) => ({ incident: { ...cur, acknowledgedBy: 'first' } }));
    local.requests.reset();
    const r = await local.store.updateIncident(id, (cur) => ({ incident: { ...cur, resolvedBy: `after ${cur.acknowledgedBy}` } }), stale);
    expect(r).toMatchObject({ kind: 'updated', incident: { rev: 3, acknowledgedBy: 'first', resolvedBy: 'after first' } });
    expect(Object.fromEntries(local.requests.byCommand)).toEqual({ PutItemCommand: 2 });
  });

  it('a peer that does not hand the item back costs one read after the lost race, with the same result', async () => {
    const plain = DynamoDBDocumentClient.from(
      new DynamoDBClient({ region: 'us-east-1', endpoint: local.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
      { marshallOptions: { removeUndefinedValues: true, convertEmptyValues: false, allowImpreciseNumbers: true } },
    );
    try {
      const store = new DynamoIncidentStore(plain, local.tableName);
      const requests = countRequests(plain);
      const id = 'INC-RACE0002';
      await store.createIncident(makeIncident({ id, rev: 1 }));
      const stale = (await store.getIncident(id))!;
      await store.updateIncident(id, (cur) => ({ incident: { ...cur, acknowledgedBy: 'first' } }));
      requests.reset();
      const r = await store.updateIncident(id, (cur) => ({ incident: { ...cur, resolvedBy: `after ${cur.acknowledgedBy}` } }), stale);
      expect(r).toMatchObject({ kind: 'updated', incident: { rev: 3, acknowledgedBy: 'first', resolvedBy: 'after first' } });
      expect(Object.fromEntries(requests.byCommand)).toEqual({ PutItemCommand: 2, GetItemCommand: 1 });
    } finally {
      plain.destroy();
    }
  });

  it('after a pause between lost races the store reads the incident again (what the failure handed back is stale by then)', async () => {
    const id = 'INC-RACE0003';
    await local.store.createIncident(makeIncident({ id, rev: 1, duplicates: 0 }));
    const db = createDocumentClient({ region: 'us-east-1', endpoint: local.endpoint });
    const slept: number[] = [];
    const store = new DynamoIncidentStore(db, local.tableName, undefined, { sleep: async (ms) => void slept.push(ms), random: () => 0.5 });
    const requests = countRequests(db);
    // A rival writer lands just before each of this store's first three writes: it loses three races in a row.
    let rivals = 3;
    db.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'PutItemCommand' && rivals > 0) {
          rivals--;
          await local.store.updateIncident(id, (cur) => ({ incident: { ...cur, duplicates: cur.duplicates + 1 } }));
        }
        return next(args);
      },
      { step: 'initialize', name: 'rivalWriter' },
    );
    try {
      const r = await store.updateIncident(id, (cur) => ({ incident: { ...cur, acknowledgedBy: `after ${cur.duplicates}` } }));
      expect(r).toMatchObject({ kind: 'updated', incident: { rev: 5, duplicates: 3, acknowledgedBy: 'after 3' } });
      expect(slept).toHaveLength(1); // the third lost race backs off; the first two retry at once
      // 1 read to start, none after the two retries at once, 1 after the pause.
      expect(Object.fromEntries(requests.byCommand)).toEqual({ GetItemCommand: 2, PutItemCommand: 4 });
    } finally {
      db.destroy();
    }
  });
});
