import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { itemBytes, queryUnits, readUnits, withProjection, writeCost, type Item, type TableShape } from './capacity';
import { TABLE } from './table';

/** Units spent, by where: `table` or an index's name. */
export type Units = Record<string, number>;

export interface CapacityTally {
  /** Requests sent, by command (`UpdateItemCommand`, …), failed conditions included. */
  requests: Record<string, number>;
  /** Write units by the model, on the table's indexes as they are defined (table.ts). */
  write: Units;
  /** The same writes had every index projected ALL (what the table cost before). */
  writeIfAll: Units;
  read: Units;
  /** What the peer itself reported with ReturnConsumedCapacity INDEXES, for writes and for reads (dynalite: the table only). */
  reportedWrite: Units;
  reportedRead: Units;
  /** Conditional writes whose condition failed. */
  failedConditions: number;
}

export interface CapacityMeter {
  /** Everything since the last reset (or since the meter was attached). */
  tally(): CapacityTally;
  reset(): void;
}

const WRITES = new Set(['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand']);

function emptyTally(): CapacityTally {
  return { requests: {}, write: {}, writeIfAll: {}, read: {}, reportedWrite: {}, reportedRead: {}, failedConditions: 0 };
}

const add = (units: Units, where: string, n: number) => void (n && (units[where] = (units[where] ?? 0) + n));

interface Consumed {
  TableName?: string;
  CapacityUnits?: number;
  Table?: { CapacityUnits?: number };
  GlobalSecondaryIndexes?: Record<string, { CapacityUnits?: number }>;
}

/**
 * Measures what each request on `doc` costs (bench and tests; never attached when deployed): asks for
 * ReturnConsumedCapacity INDEXES and keeps what the peer reports, and prices every request with the capacity model
 * (capacity.ts), reading a written item before and after through `peek` (an unmetered client on the same table).
 * Counts right only while requests on the table do not overlap.
 */
export function meterCapacity(doc: DynamoDBDocumentClient, peek: DynamoDBDocumentClient, tableName: string, table: TableShape = TABLE): CapacityMeter {
  let t = emptyTally();
  const all = withProjection(table, 'all');
  const read = async (Key: Item): Promise<Item | null> =>
    ((await peek.send(new GetCommand({ TableName: tableName, Key, ConsistentRead: true }))).Item as Item | undefined) ?? null;
  const keyOf = (input: { Key?: Item; Item?: Item }): Item =>
    input.Key ?? { [table.partitionKey]: input.Item?.[table.partitionKey], [table.sortKey]: input.Item?.[table.sortKey] };

  doc.middlewareStack.add(
    (next, context) => async (args) => {
      const name = context.commandName ?? 'unknown';
      t.requests[name] = (t.requests[name] ?? 0) + 1;
      const input = args.input as Record<string, unknown> & { Key?: Item; Item?: Item; ConsistentRead?: boolean; IndexName?: string };
      input.ReturnConsumedCapacity = 'INDEXES';
      const write = WRITES.has(name);
      const before = write ? await read(keyOf(input)) : null;
      let out: Awaited<ReturnType<typeof next>>;
      try {
        out = await next(args);
      } catch (err) {
        if (write && (err as Error).name === 'ConditionalCheckFailedException') {
          t.failedConditions++;
          add(t.write, 'table', writeCost(before, before, table, true).table);
          add(t.writeIfAll, 'table', writeCost(before, before, all, true).table);
        }
        throw err;
      }
      const o = out.output as { ConsumedCapacity?: Consumed | Consumed[]; Item?: Item; Items?: Item[]; Responses?: Record<string, Item[]> };
      const reported = write ? t.reportedWrite : t.reportedRead;
      for (const c of [o.ConsumedCapacity ?? []].flat()) {
        add(reported, 'table', c.Table?.CapacityUnits ?? c.CapacityUnits ?? 0);
        for (const [index, u] of Object.entries(c.GlobalSecondaryIndexes ?? {})) add(reported, index, u.CapacityUnits ?? 0);
      }
      if (write) {
        const after = name === 'DeleteItemCommand' ? null : await read(keyOf(input));
        const cost = writeCost(before, after, table);
        const ifAll = writeCost(before, after, all);
        add(t.write, 'table', cost.table);
        add(t.writeIfAll, 'table', ifAll.table);
        for (const index of Object.keys(table.indexes)) {
          add(t.write, index, cost.indexes[index]);
          add(t.writeIfAll, index, ifAll.indexes[index]);
        }
      } else if (name === 'GetItemCommand') {
        add(t.read, 'table', readUnits(itemBytes(o.Item), input.ConsistentRead === true));
      } else if (name === 'QueryCommand') {
        add(t.read, input.IndexName ?? 'table', queryUnits((o.Items ?? []).map(itemBytes), input.ConsistentRead === true));
      } else if (name === 'BatchGetItemCommand') {
        const asked = (input.RequestItems as Record<string, { Keys: Item[]; ConsistentRead?: boolean }>)[tableName];
        const got = o.Responses?.[tableName] ?? [];
        const unprocessed = ((out.output as { UnprocessedKeys?: Record<string, { Keys?: Item[] }> }).UnprocessedKeys?.[tableName]?.Keys ?? []).length;
        const consistent = asked?.ConsistentRead === true;
        const missing = Math.max(0, (asked?.Keys.length ?? 0) - got.length - unprocessed);
        add(t.read, 'table', got.reduce((n, i) => n + readUnits(itemBytes(i), consistent), 0) + missing * readUnits(0, consistent));
      }
      return out;
    },
    { step: 'initialize', name: 'capacityMeter' },
  );
  return {
    tally: () => t,
    reset: () => void (t = emptyTally()),
  };
}
