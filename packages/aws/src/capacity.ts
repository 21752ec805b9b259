/**
 * DynamoDB's capacity rules, computed from items (pure): what a request costs in read and write units on the table
 * and on each index. dynalite reports the table's units of a successful request but nothing for an index write or
 * a failed condition, so the bench and the tests count with this model instead (docs/capacity.md).
 *
 * Sizes (developer guide, "Item sizes and formats"): an attribute is its name's UTF-8 bytes plus its value's:
 * strings their UTF-8 bytes, numbers 1 byte per two significant digits plus 1, booleans and null 1 byte, lists
 * and maps 3 bytes plus 1 per element plus the elements (a map's keys count as names).
 * Units: a write 1 per KB (rounded up) of the larger of the item before and after, a failed condition the same
 * for the item as it is (at least 1); a read 1 per 4 KB, half when eventually consistent, a missing item the
 * minimum. A query rounds the sum of what it read up once; BatchGetItem rounds each item.
 * An index costs a write only when the item enters it, leaves it (1 write each), moves in it (2: delete and put)
 * or changes an attribute it projects (1); each write 1 per KB of the index's copy of the item.
 */

/** Which attributes an index keeps beside its keys and the table's: all, none, or the named ones. */
export type Projection = 'all' | 'keys' | readonly string[];

export interface IndexShape {
  partitionKey: string;
  sortKey: string;
  projection: Projection;
}

export interface TableShape {
  partitionKey: string;
  sortKey: string;
  indexes: Record<string, IndexShape>;
}

export type Item = Record<string, unknown>;

function valueBytes(v: unknown): number {
  if (v === null || typeof v === 'boolean') return 1;
  if (typeof v === 'string') return Buffer.byteLength(v, 'utf8');
  if (typeof v === 'number' || typeof v === 'bigint') return numberBytes(String(v));
  if (v instanceof Uint8Array) return v.byteLength;
  if (v instanceof Set) return [...(v as Set<unknown>)].reduce<number>((n, x) => n + valueBytes(x), 0);
  if (Array.isArray(v)) return 3 + v.reduce<number>((n, x) => n + 1 + valueBytes(x), 0);
  if (typeof v === 'object') {
    const entries = Object.entries(v as Item).filter(([, x]) => x !== undefined);
    return 3 + entries.reduce((n, [k, x]) => n + 1 + Buffer.byteLength(k, 'utf8') + valueBytes(x), 0);
  }
  return 0;
}

function numberBytes(text: string): number {
  const digits = text.replace(/^-/, '').replace(/e.*$/i, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  return 1 + Math.ceil(Math.max(1, digits.length) / 2);
}

/** An item's size in bytes as DynamoDB bills it. */
export function itemBytes(item: Item | undefined | null): number {
  if (!item) return 0;
  let n = 0;
  for (const [k, v] of Object.entries(item)) if (v !== undefined) n += Buffer.byteLength(k, 'utf8') + valueBytes(v);
  return n;
}

export const writeUnits = (bytes: number): number => Math.max(1, Math.ceil(bytes / 1024));
export const readUnits = (bytes: number, consistent: boolean): number => Math.max(1, Math.ceil(bytes / 4096)) * (consistent ? 1 : 0.5);
/** A query page: the sum of what it read, rounded up to 4 KB once. */
export const queryUnits = (bytes: number[], consistent: boolean): number =>
  Math.max(1, Math.ceil(bytes.reduce((a, b) => a + b, 0) / 4096)) * (consistent ? 1 : 0.5);

/** The index's copy of an item (null: the item is not in the index). */
export function indexCopy(item: Item | undefined | null, table: TableShape, index: IndexShape): Item | null {
  if (!item || item[index.partitionKey] == null || item[index.sortKey] == null) return null;
  if (index.projection === 'all') return item;
  const names = [table.partitionKey, table.sortKey, index.partitionKey, index.sortKey, ...(index.projection === 'keys' ? [] : index.projection)];
  return Object.fromEntries(names.filter((k) => item[k] !== undefined).map((k) => [k, item[k]]));
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** Write units an index spends on a table write that turned `before` into `after`. */
export function indexWriteUnits(before: Item | null | undefined, after: Item | null | undefined, table: TableShape, index: IndexShape): number {
  const old = indexCopy(before, table, index);
  const next = indexCopy(after, table, index);
  if (!old && !next) return 0;
  if (!old) return writeUnits(itemBytes(next));
  if (!next) return writeUnits(itemBytes(old));
  const moved = old[index.partitionKey] !== next[index.partitionKey] || old[index.sortKey] !== next[index.sortKey];
  if (moved) return writeUnits(itemBytes(old)) + writeUnits(itemBytes(next));
  return same(old, next) ? 0 : writeUnits(itemBytes(next));
}

export interface WriteCost {
  table: number;
  indexes: Record<string, number>;
}

/**
 * What a conditional or plain write costs: `after` is the item once written (null when deleted); a failed condition
 * (`failed`) costs the table the item as it stands and no index anything.
 */
export function writeCost(before: Item | null | undefined, after: Item | null | undefined, table: TableShape, failed = false): WriteCost {
  const indexes: Record<string, number> = {};
  for (const name of Object.keys(table.indexes)) indexes[name] = failed ? 0 : indexWriteUnits(before, after, table, table.indexes[name]);
  const bytes = failed ? itemBytes(before) : Math.max(itemBytes(before), itemBytes(after));
  return { table: writeUnits(bytes), indexes };
}

/** The same table with every index projecting `projection` (to price the alternative). */
export function withProjection(table: TableShape, projection: Projection): TableShape {
  return { ...table, indexes: Object.fromEntries(Object.entries(table.indexes).map(([k, i]) => [k, { ...i, projection }])) };
}
