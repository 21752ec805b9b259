import { ROW_PROJECTION } from './store/row';

/**
 * The single DynamoDB table: its keys and indexes. The store queries exactly these, the local runner
 * creates them in dynalite, and the storage stack deploys them; a wiring test keeps the three in step.
 *
 * No index holds whole incidents (`projection`): the status and by-day indexes keep the listing row (ROW_PROJECTION,
 * ~0.5 KB: 1 unit per index write, and the dashboard, which polls them, reads rows from the index alone); the due
 * index keeps keys only (written when an incident enters, leaves or moves in it). Whoever needs the incidents
 * reads them by key with BatchGetItem (docs/capacity.md has the trade, measured).
 */
export const TABLE = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /** Epoch seconds; enabled as the table's TTL attribute when deployed (dynalite has no TTL). */
  ttlAttribute: 'expiresAt',
  indexes: {
    /** Unresolved incidents (open or acknowledged): pk `OPEN`, sk `openedAt#id`; rows (held ones filtered on `silencedBy`). */
    byStatus: { partitionKey: 'gsi1pk', sortKey: 'gsi1sk', projection: ROW_PROJECTION },
    /** Incidents by the UTC day they opened: pk `DAY#2024-01-15`, sk `openedAt#id` (digest, dashboard history); rows. */
    byDay: { partitionKey: 'gsi2pk', sortKey: 'gsi2sk', projection: ROW_PROJECTION },
    /** Unacknowledged incidents with a next escalation step: pk `DUE`, sk `nextAt#id`. */
    byDue: { partitionKey: 'gsi3pk', sortKey: 'gsi3sk', projection: 'keys' },
  },
} as const;

export type IndexName = keyof typeof TABLE.indexes;
/** What an index holds beside the table's and its own keys: nothing (`keys`) or the attributes named. */
export type IndexProjection = 'keys' | readonly string[];

/** DynamoDB's Projection for an index definition. */
export function dynamoProjection(p: IndexProjection): { ProjectionType: 'KEYS_ONLY' } | { ProjectionType: 'INCLUDE'; NonKeyAttributes: string[] } {
  return p === 'keys' ? { ProjectionType: 'KEYS_ONLY' } : { ProjectionType: 'INCLUDE', NonKeyAttributes: [...p] };
}

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
      Projection: dynamoProjection(i.projection),
    })),
  };
}
