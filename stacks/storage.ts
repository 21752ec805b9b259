import { TABLE, type IndexProjection } from '../packages/aws/src/table';

/**
 * The incident table. Keys, indexes and the TTL attribute come from packages/aws/src/table.ts, the same
 * definition the store queries and the local runner creates in dynalite, so they cannot drift.
 * sst.aws.Dynamo always uses on-demand billing and point-in-time recovery.
 */
export function storage() {
  const indexes = Object.values(TABLE.indexes);
  const fields = Object.fromEntries(
    [TABLE.partitionKey, TABLE.sortKey, ...indexes.flatMap((i) => [i.partitionKey, i.sortKey])].map((name) => [name, 'string' as const]),
  );
  const table = new sst.aws.Dynamo('Incidents', {
    fields,
    primaryIndex: { hashKey: TABLE.partitionKey, rangeKey: TABLE.sortKey },
    globalIndexes: Object.fromEntries(
      Object.entries(TABLE.indexes).map(([name, i]) => [name, { hashKey: i.partitionKey, rangeKey: i.sortKey, projection: sstProjection(i.projection) }]),
    ),
    ttl: TABLE.ttlAttribute,
    deletionProtection: $app.stage === 'production',
  });
  return { table };
}

/** SST's spelling of an index projection: `keys-only`, or the non-key attributes to include. */
function sstProjection(p: IndexProjection): 'keys-only' | string[] {
  return p === 'keys' ? 'keys-only' : [...p];
}
