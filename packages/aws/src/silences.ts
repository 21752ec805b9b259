import { randomBytes } from 'node:crypto';
import { PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Policy } from '@alert-router/core/policy';
import { matchingSilence, silenceIsActive, type Silence } from '@alert-router/core/silence';
import { TABLE } from './table';

const PK = 'SILENCE';

export interface NewSilence {
  match: string;
  reason: string;
  author: string;
  minutes: number;
  now: string;
}

/** Where silences live: the DynamoDB table on AWS, SQLite in the embedded default, memory in tests. */
export interface SilenceStore {
  create(input: NewSilence): Promise<Silence>;
  /** Ends a silence early; null when there is no such active silence. */
  end(id: string, by: string, now: string): Promise<Silence | null>;
  /** Silences that have not ended by `now` (in force or scheduled). */
  listActive(now: string): Promise<Silence[]>;
}

/** A new silence's record: its id drawn here, so every adapter makes the same kind. */
export function newSilence(input: NewSilence): Silence {
  return {
    id: `SIL-${randomBytes(3).toString('hex').toUpperCase()}`,
    match: input.match,
    reason: input.reason,
    author: input.author,
    startsAt: input.now,
    endsAt: new Date(Date.parse(input.now) + input.minutes * 60_000).toISOString(),
    createdAt: input.now,
  };
}

/** Silences in the table (pk `SILENCE`, one partition: there are few). */
export class DynamoSilenceStore implements SilenceStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async create(input: NewSilence): Promise<Silence> {
    const s = newSilence(input);
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { [TABLE.partitionKey]: PK, [TABLE.sortKey]: s.id, ...s, [TABLE.ttlAttribute]: Math.floor(Date.parse(s.endsAt) / 1000) + 30 * 86_400 },
        ConditionExpression: `attribute_not_exists(${TABLE.partitionKey})`,
      }),
    );
    return s;
  }

  /** Ends a silence early; false when there is no such active silence. */
  async end(id: string, by: string, now: string): Promise<Silence | null> {
    try {
      const r = await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { [TABLE.partitionKey]: PK, [TABLE.sortKey]: id },
          ConditionExpression: `attribute_exists(${TABLE.partitionKey}) AND attribute_not_exists(endedBy) AND endsAt > :now`,
          UpdateExpression: 'SET endedBy = :by, endsAt = :now',
          ExpressionAttributeValues: { ':by': by, ':now': now },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return strip(r.Attributes);
    } catch (err) {
      if ((err as Error).name === 'ConditionalCheckFailedException') return null;
      throw err;
    }
  }

  /** Silences that have not ended by `now`. */
  async listActive(now: string): Promise<Silence[]> {
    const r = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: '#pk = :pk',
        FilterExpression: 'endsAt > :now AND attribute_not_exists(endedBy)',
        ExpressionAttributeNames: { '#pk': TABLE.partitionKey },
        ExpressionAttributeValues: { ':pk': PK, ':now': now },
      }),
    );
    return (r.Items ?? []).map((i) => strip(i)!).filter((s) => silenceIsActive(s, now) || s.startsAt > now);
  }
}

/** Silences in memory, with the table's semantics (tests and the simulation). */
export class MemorySilenceStore implements SilenceStore {
  readonly silences = new Map<string, Silence>();

  async create(input: NewSilence): Promise<Silence> {
    const s = newSilence(input);
    this.silences.set(s.id, s);
    return { ...s };
  }

  async end(id: string, by: string, now: string): Promise<Silence | null> {
    const s = this.silences.get(id);
    if (!s || s.endedBy || !(s.endsAt > now)) return null;
    const ended = { ...s, endedBy: by, endsAt: now };
    this.silences.set(id, ended);
    return { ...ended };
  }

  async listActive(now: string): Promise<Silence[]> {
    return [...this.silences.values()].filter((s) => s.endsAt > now && !s.endedBy && (silenceIsActive(s, now) || s.startsAt > now)).map((s) => ({ ...s }));
  }
}

function strip(item: Record<string, unknown> | undefined): Silence | null {
  if (!item) return null;
  const { [TABLE.partitionKey]: _pk, [TABLE.sortKey]: _sk, [TABLE.ttlAttribute]: _ttl, ...rest } = item;
  return rest as unknown as Silence;
}

/**
 * What the alarm path consults: the policy's silences plus the stored ones, refreshed in the background so
 * the alarm path keeps its single DynamoDB round trip. Only the first alarm of a cold start waits for the load.
 */
export class SilenceCache {
  private silences: Silence[] | null = null;
  private loadedAt = 0;
  private loading: Promise<void> | null = null;

  constructor(
    private readonly store: SilenceStore,
    private readonly policy: Policy,
    private readonly maxAgeMs = 15_000,
    private readonly clock: () => number = Date.now,
  ) {}

  /**
   * The alarm path, step 1: starts reading the silences when none are loaded or the copy is older than maxAgeMs,
   * without waiting, so the read runs in parallel with the alarm's one conditional write.
   */
  prefetch(): void {
    if (this.loading) return;
    if (this.silences === null || this.clock() - this.loadedAt > this.maxAgeMs) void this.refresh().catch(() => undefined);
  }

  /**
   * Step 2, just before fan-out: waits for a read in flight. A failed read keeps the previous copy (or only the
   * policy's silences) rather than failing the alarm: a page too many beats a page lost.
   */
  async current(): Promise<void> {
    if (this.loading) await this.loading.catch(() => undefined);
    else if (this.silences === null) await this.refresh().catch(() => undefined);
  }

  refresh(): Promise<void> {
    this.loading ??= this.store
      .listActive(new Date(this.clock()).toISOString())
      .then((s) => {
        this.silences = s;
        this.loadedAt = this.clock();
      })
      .finally(() => {
        this.loading = null;
      });
    return this.loading;
  }

  /** Forget the cache (after a silence was created or ended in this process). */
  invalidate(): void {
    this.loadedAt = 0;
  }

  all(): Silence[] {
    const fromPolicy: Silence[] = this.policy.silences.map((s, i) => ({
      id: s.id ?? `policy-${i + 1}`,
      match: s.match,
      reason: s.reason,
      author: s.author,
      startsAt: s.startsAt ? new Date(s.startsAt).toISOString() : '0000',
      endsAt: new Date(s.endsAt).toISOString(),
      createdAt: s.startsAt ? new Date(s.startsAt).toISOString() : '0000',
    }));
    return [...fromPolicy, ...(this.silences ?? [])];
  }

  match(alarmName: string, now: string): Silence | null {
    return matchingSilence(this.all(), { alarmName }, now);
  }
}
