import { describe, expect, it } from 'vitest';
import { BatchGetCommand } from '@aws-sdk/lib-dynamodb';
import { indexWriteUnits, itemBytes, queryUnits, readUnits, writeCost, writeUnits, type TableShape } from '@alert-router/aws/capacity';
import { batchGetItems, type ItemKey } from '@alert-router/aws/store/batch-get';

const table: TableShape = {
  partitionKey: 'pk',
  sortKey: 'sk',
  indexes: {
    keys: { partitionKey: 'gpk', sortKey: 'gsk', projection: 'keys' },
    some: { partitionKey: 'gpk', sortKey: 'gsk', projection: ['note'] },
    all: { partitionKey: 'gpk', sortKey: 'gsk', projection: 'all' },
  },
};
const big = 'x'.repeat(3000);
const item = (over: Record<string, unknown> = {}) => ({ pk: 'INC#1', sk: 'INC', gpk: 'OPEN', gsk: 'a#1', note: 'n', body: big, ...over });

describe('capacity model (DynamoDB item sizes and units)', () => {
  it('sizes attribute names and values the way DynamoDB bills them', () => {
    expect(itemBytes({ name: 'abc' })).toBe(4 + 3);
    expect(itemBytes({ é: 'é' })).toBe(2 + 2); // UTF-8 bytes
    expect(itemBytes({ n: 12345 })).toBe(1 + 1 + 3); // 1 byte + 1 per two significant digits
    expect(itemBytes({ n: 1200 })).toBe(1 + 1 + 1); // trailing zeros trimmed
    expect(itemBytes({ b: true, z: null })).toBe(2 + 2);
    expect(itemBytes({ l: ['a', 'bc'] })).toBe(1 + 3 + (1 + 1) + (1 + 2));
    expect(itemBytes({ m: { k: true } })).toBe(1 + 3 + (1 + 1 + 1));
    expect(itemBytes({ gone: undefined })).toBe(0);
  });

  it('rounds writes per KB and reads per 4 KB (eventually consistent: half), with a minimum', () => {
    expect([writeUnits(0), writeUnits(1024), writeUnits(1025)]).toEqual([1, 1, 2]);
    expect([readUnits(0, true), readUnits(4096, true), readUnits(4097, true), readUnits(4097, false)]).toEqual([1, 1, 2, 1]);
    expect(queryUnits([3000, 3000], false)).toBe(1); // a query rounds the sum once
    expect(readUnits(3000, false) * 2).toBe(1); // two separate reads round each
  });

  it('charges an index only when the item enters, leaves, moves or changes what it projects', () => {
    const keys = table.indexes.keys;
    expect(indexWriteUnits(null, item(), table, keys)).toBe(1);
    expect(indexWriteUnits(item(), null, table, keys)).toBe(1);
    expect(indexWriteUnits(item(), item({ body: 'changed' }), table, keys)).toBe(0);
    expect(indexWriteUnits(item(), item({ gsk: 'b#1' }), table, keys)).toBe(2);
    expect(indexWriteUnits(item({ gpk: undefined }), item({ gpk: undefined, body: 'x' }), table, keys)).toBe(0);
    expect(indexWriteUnits(item(), item({ body: 'changed' }), table, table.indexes.some)).toBe(0);
    expect(indexWriteUnits(item(), item({ note: 'changed' }), table, table.indexes.some)).toBe(1);
    expect(indexWriteUnits(item(), item({ body: `${big}y` }), table, table.indexes.all)).toBe(3);
  });

  it('a failed condition costs the table the item as it is, and no index anything', () => {
    expect(writeCost(item(), item(), table, true)).toEqual({ table: 3, indexes: { keys: 0, some: 0, all: 0 } });
    expect(writeCost(null, null, table, true).table).toBe(1);
    expect(writeCost(item(), item({ body: 'small' }), table).table).toBe(3); // the larger of before and after
  });
});

describe('batchGetItems', () => {
  const keys: ItemKey[] = Array.from({ length: 250 }, (_, n) => ({ pk: `INC#${n}`, sk: 'INC' }));

  function stub(unprocessedOnce: number, missing = new Set<string>()) {
    const sent: number[] = [];
    let held = false;
    return {
      sent,
      db: {
        send: async (command: BatchGetCommand) => {
          const asked = command.input.RequestItems!.t.Keys as ItemKey[];
          sent.push(asked.length);
          const back = !held && unprocessedOnce > 0 ? asked.slice(-unprocessedOnce) : [];
          held ||= back.length > 0;
          const served = asked.filter((k) => !back.includes(k) && !missing.has(k.pk)).reverse(); // any order
          return { Responses: { t: served.map((k) => ({ ...k, id: k.pk })) }, UnprocessedKeys: back.length ? { t: { Keys: back } } : {} };
        },
      },
    };
  }

  it('asks 100 keys at a time, retries the unprocessed ones after a pause, returns items in key order', async () => {
    const s = stub(10, new Set(['INC#7']));
    const sleeps: number[] = [];
    const items = await batchGetItems(s.db as never, 't', keys, ['pk', 'sk'], { sleep: async (ms) => void sleeps.push(ms) });
    expect(s.sent).toEqual([100, 10, 100, 50]);
    expect(sleeps).toEqual([25]);
    expect(items.map((i) => i.id)).toEqual(keys.map((k) => k.pk).filter((pk) => pk !== 'INC#7'));
  });

  it('gives up, with the reason, when keys stay unprocessed', async () => {
    const db = { send: async (c: BatchGetCommand) => ({ Responses: { t: [] }, UnprocessedKeys: { t: { Keys: c.input.RequestItems!.t.Keys } } }) };
    await expect(batchGetItems(db as never, 't', keys.slice(0, 3), ['pk', 'sk'], { sleep: async () => {} })).rejects.toThrow(
      /3 keys still unprocessed after 8 rounds/,
    );
  });
});

describe('listing rows', () => {
  it('are what the status and by-day indexes project', async () => {
    const { ROW_FIELDS, ROW_PROJECTION } = await import('@alert-router/aws/store/row');
    const { TABLE } = await import('@alert-router/aws/table');
    expect(TABLE.indexes.byStatus.projection).toBe(ROW_PROJECTION);
    expect(TABLE.indexes.byDay.projection).toBe(ROW_PROJECTION);
    expect(ROW_PROJECTION).toEqual([...ROW_FIELDS, 'members']); // members: only items in the layout before rows counted them
    expect(ROW_FIELDS).toContain('silencedBy'); // listHeld filters on it in the index
    expect(ROW_FIELDS).toContain('groupSize');
  });

  it("carry exactly the row's attributes, each copied from the incident (rowOf is one literal; the list is the index's)", async () => {
    const { ROW_FIELDS, rowOf } = await import('@alert-router/aws/store/row');
    const { makeIncident } = await import('./helpers/incident-factory');
    const source = makeIncident({ releasedAt: '2026-12-03T06:00:00.000Z', members: [] });
    const defined = Object.fromEntries(ROW_FIELDS.map((f, n) => [f, `v${n}`]));
    const row = rowOf({ ...source, ...defined } as never) as unknown as Record<string, unknown>;
    expect(Object.keys(row).sort()).toEqual([...ROW_FIELDS].sort());
    for (const f of ROW_FIELDS) if (f !== 'groupSize' && f !== 'paged') expect(row[f], f).toBe(defined[f]);
    expect(row.groupSize).toEqual({ alarms: 0, recovered: 0 });
  });
});

describe('listings through a keys index', () => {
  it('drop an incident that changed since the index was read (resolved, or no longer due), keeping the index order', async () => {
    const { DynamoIncidentStore } = await import('@alert-router/aws');
    const { makeIncident } = await import('./helpers/incident-factory');
    const at = '2026-12-01T10:00:00.000Z';
    const items = {
      'INC-A': makeIncident({ id: 'INC-A', openedAt: at, status: 'open', escalation: { step: 0, count: 0, nextAt: at, chain: [] } }),
      'INC-B': makeIncident({ id: 'INC-B', openedAt: at, status: 'resolved', resolvedAt: at }), // resolved after the index read
      'INC-C': makeIncident({ id: 'INC-C', openedAt: at, status: 'open', escalation: { step: 0, count: 0, nextAt: '2026-12-01T11:00:00.000Z', chain: [] } }),
    };
    const db = {
      send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
        if (command.constructor.name === 'QueryCommand') return { Items: ['INC-C', 'INC-B', 'INC-A'].map((id) => ({ pk: `INC#${id}`, sk: 'INC' })) };
        const keys = (command.input.RequestItems as Record<string, { Keys: { pk: string }[] }>).t.Keys;
        return { Responses: { t: keys.map((k) => ({ pk: k.pk, sk: 'INC', ...items[k.pk.slice(4) as keyof typeof items] })).reverse() } };
      },
    };
    const store = new DynamoIncidentStore(db as never, 't');
    expect((await store.listUnresolved()).map((i) => i.id)).toEqual(['INC-C', 'INC-A']);
    expect((await store.listByDay('2026-12-01')).map((i) => i.id)).toEqual(['INC-C', 'INC-B', 'INC-A']);
    expect((await store.listDue(at)).map((i) => i.id)).toEqual(['INC-A']); // C's next step moved past `at`, B resolved
  });
});
