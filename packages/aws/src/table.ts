/**
 * The single DynamoDB table: its keys and indexes. The store queries exactly these, the local runner
 * creates them in dynalite, and the storage stack deploys them; a wiring test keeps the three in step.
 */
export const TABLE = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /** Epoch seconds; enabled as the table's TTL attribute when deployed (dynalite has no TTL). */
  ttlAttribute: 'expiresAt',
  indexes: {
    /** Unresolved incidents (open or acknowledged): pk `OPEN`, sk `openedAt#id`. */
    byStatus: { partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
    /** Incidents by the UTC day they opened: pk `DAY#2024-01-15`, sk `openedAt#id` (digest, dashboard history). */
    byDay: { partitionKey: 'gsi2pk', sortKey: 'gsi2sk' },
    /** Unacknowledged incidents with a next escalation step: pk `DUE`, sk `nextAt#id`. */
    byDue: { partitionKey: 'gsi3pk', sortKey: 'gsi3sk' },
  },
} as const;

export type IndexName = keyof typeof TABLE.indexes;

/** AWS CreateTable input (also used for dynalite). */
export function createTableInput(tableName: string) {
  const attr = (name: string) => ({ AttributeName: name, AttributeType: 'S' as const });
  const names = [TABLE.partitionKey, TABLE.sortKey, ...Object.values(TABLE.indexes).flatMap((i) => [i.partitionKey, i.sortKey])];
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST' as const,
    AttributeDefinitions: names.map(attr),
    KeySchema: [
      { AttributeName: TABLE.partitionKey, KeyType: 'HASH' as const },
      { AttributeName: TABLE.sortKey, KeyType: 'RANGE' as const },
    ],
    GlobalSecondaryIndexes: Object.entries(TABLE.indexes).map(([name, i]) => ({
      IndexName: name,
      KeySchema: [
        { AttributeName: i.partitionKey, KeyType: 'HASH' as const },
        { AttributeName: i.sortKey, KeyType: 'RANGE' as const },
      ],
      Projection: { ProjectionType: 'ALL' as const },
    })),
  };
}
