import { BatchGetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** BatchGetItem takes at most 100 keys per request. */
export const BATCH_GET_MAX = 100;
const MAX_ROUNDS = 8;

export type ItemKey = Record<string, string>;

export interface BatchGetOptions {
  /** Strongly consistent reads cost twice the units; the listings read through an index, which is eventual anyway. */
  consistent?: boolean;
  /** Waits between rounds of unprocessed keys (injected by tests). */
  sleep?: (ms: number) => Promise<void>;
}

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Reads items by key, 100 per request, retrying the keys DynamoDB leaves unprocessed (throttling, 16 MB per
 * response) with a growing pause. Returns them in the order of `keys`; a key with no item is left out.
 */
export async function batchGetItems(
  db: Pick<DynamoDBDocumentClient, 'send'>,
  tableName: string,
  keys: ItemKey[],
  keyNames: readonly [string, string],
  opts: BatchGetOptions = {},
): Promise<Record<string, unknown>[]> {
  const [pk, sk] = keyNames;
  const id = (k: Record<string, unknown>) => `${String(k[pk])}\u0000${String(k[sk])}`;
  const found = new Map<string, Record<string, unknown>>();
  for (let start = 0; start < keys.length; start += BATCH_GET_MAX) {
    let pending: ItemKey[] = keys.slice(start, start + BATCH_GET_MAX);
    for (let round = 0; pending.length > 0; round++) {
      if (round === MAX_ROUNDS) throw new Error(`BatchGetItem: ${pending.length} keys still unprocessed after ${MAX_ROUNDS} rounds`);
      if (round > 0) await (opts.sleep ?? wait)(Math.min(1000, 25 * 2 ** (round - 1)));
      const r = await db.send(new BatchGetCommand({ RequestItems: { [tableName]: { Keys: pending, ConsistentRead: opts.consistent ?? false } } }));
      for (const item of r.Responses?.[tableName] ?? []) found.set(id(item), item);
      pending = (r.UnprocessedKeys?.[tableName]?.Keys as ItemKey[] | undefined) ?? [];
    }
  }
  const out: Record<string, unknown>[] = [];
  for (const k of keys) {
    const item = found.get(id(k));
    if (item) out.push(item);
  }
  return out;
}
