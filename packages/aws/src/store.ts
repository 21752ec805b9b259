import { createHash } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { incidentDueAt, type GroupPointer, type GroupRecord, type Incident } from '@alert-router/core';
import {
  DEAD_LETTER_CHUNK,
  RevisionedIncidentStore,
  type DayQuery,
  type DeadLetter,
  type GroupLookupRead,
  type Latch,
  type ProblemFields,
  type ProblemResult,
  type RecoveryResult,
  type ReplaceOutcome,
} from './store/port';
import { batchGetItems } from './store/batch-get';
import type { IncidentRow } from './store/row';
import { incidentAttributes, incidentOfItem, rowOfItem } from './store/incident-item';
import { TABLE } from './table';

const INC = (id: string) => ({ [TABLE.partitionKey]: `INC#${id}`, [TABLE.sortKey]: 'INC' });
/**
 * DynamoDB refuses partition keys over 2048 bytes; an alarm name (so an incident key) can be longer when it comes
 * from junk or a hand-written message. Such keys are hashed — the same key always gives the same latch.
 */
function latchPartition(incidentKey: string): string {
  if (Buffer.byteLength(incidentKey, 'utf8') <= 1024) return `KEY#${incidentKey}`;
  return `KEY#sha256:${createHash('sha256').update(incidentKey).digest('hex')}`;
}
const LATCH = (incidentKey: string) => ({ [TABLE.partitionKey]: latchPartition(incidentKey), [TABLE.sortKey]: 'LATCH' });
/** Group keys are at most 512 bytes (grouping.ts hashes longer ones). */
const GROUP = (groupKey: string) => ({ [TABLE.partitionKey]: `GROUP#${groupKey}`, [TABLE.sortKey]: 'GROUP' });
/** A composite's pointer to its group, beside the child's latch (same partition). */
const POINTER = (incidentKey: string) => ({ [TABLE.partitionKey]: latchPartition(incidentKey), [TABLE.sortKey]: 'PTR' });

function isConditionFailure(err: unknown): boolean {
  return err instanceof ConditionalCheckFailedException || (err as Error)?.name === 'ConditionalCheckFailedException';
}

/** The item a failed condition returned (ReturnValuesOnConditionCheckFailure); null when the failure carries none. */
function failedItem(err: unknown): Record<string, unknown> | null {
  const item = (err as ConditionalCheckFailedException).Item;
  return item ? unmarshall(item) : null;
}

function failedLatch(err: unknown): Latch | null {
  return failedItem(err) as Latch | null;
}

/** The most one revision-guarded update of an incident sleeps backing off from other writers (stacks/timeouts.ts). */
export const CONTENTION_BUDGET_MS = 2000;

/** Index attributes an incident item carries, derived from its fields (never stored separately). */
export function indexAttributes(i: Incident): Record<string, string> {
  const { byStatus, byDay, byDue } = TABLE.indexes;
  const out: Record<string, string> = {
    [byDay.partitionKey]: `DAY#${i.openedAt.slice(0, 10)}`,
    [byDay.sortKey]: `${i.openedAt}#${i.id}`,
  };
  if (i.status !== 'resolved') {
    out[byStatus.partitionKey] = 'OPEN';
    out[byStatus.sortKey] = `${i.openedAt}#${i.id}`;
  }
  const due = incidentDueAt(i);
  if (due) {
    out[byDue.partitionKey] = 'DUE';
    out[byDue.sortKey] = `${due}#${i.id}`;
  }
  return out;
}

const INDEX_ATTRS = new Set<string>([
  TABLE.partitionKey,
  TABLE.sortKey,
  TABLE.ttlAttribute,
  ...Object.values(TABLE.indexes).flatMap((i) => [i.partitionKey, i.sortKey]),
]);

export function toIncident(item: Record<string, unknown> | undefined): Incident | null {
  return item ? incidentOfItem(item, INDEX_ATTRS) : null;
}

/** How the store waits when writers of one incident contend (tests and the simulation pass their own). */
export interface ContentionPacing {
  sleep(ms: number): Promise<void>;
  /** In [0, 1): the jitter. */
  random(): number;
}

const REAL_PACING: ContentionPacing = { sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)), random: Math.random };

/** Incident store on one DynamoDB table (see table.ts for keys and indexes). */
export class DynamoIncidentStore extends RevisionedIncidentStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    readonly tableName: string,
    private readonly retentionDays = 90,
    private readonly pacing: ContentionPacing = REAL_PACING,
  ) {
    super();
  }

  /**
   * ALARM / INSUFFICIENT_DATA / plain message: the alarm path's single round trip before fan-out.
   * Opens an episode unless one is unresolved (then it is a duplicate); a change not newer than the last one seen
   * fails the condition and the caller gets both items to decide (redelivery, retry, out of order).
   */
  async recordProblem(incidentKey: string, changedAt: string, id: string, fields: ProblemFields): Promise<ProblemResult> {
    try {
      const r = await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: LATCH(incidentKey),
          ConditionExpression: 'attribute_not_exists(lastChange) OR lastChange < :t',
          UpdateExpression:
            'SET lastChange = :t, incidentKey = :k, alarmName = :name, lastMessageId = :mid, openId = if_not_exists(openId, :id), groupId = if_not_exists(groupId, :gid), solo = if_not_exists(solo, :solo), openedAt = if_not_exists(openedAt, :now), severity = if_not_exists(severity, :sev), channels = if_not_exists(channels, :ch), flips = list_append(if_not_exists(flips, :none), :flip)',
          ExpressionAttributeValues: {
            ':t': changedAt,
            ':flip': [changedAt],
            ':none': [],
            ':k': incidentKey,
            ':name': fields.alarmName,
            ':mid': fields.messageId ?? '',
            ':id': id,
            ':gid': fields.groupId ?? id,
            ':solo': fields.solo === true,
            ':now': fields.now,
            ':sev': fields.severity,
            ':ch': fields.channels,
          },
          ReturnValues: 'ALL_OLD',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      const old = r.Attributes as Latch | undefined;
      const flips = old?.flips ?? [];
      if (!old?.openId) return { kind: 'opened', flips };
      // A latch written before groups existed has no groupId: the write above gave it this delivery's; put back its own.
      if (!old.groupId && (fields.groupId ?? id) !== old.openId) await this.setLatchGroup(incidentKey, old.openId, fields.groupId ?? id, old.openId);
      return { kind: 'duplicate', openId: old.openId, groupId: old.groupId ?? old.openId, openedAt: old.openedAt ?? null, flips };
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      // The condition failed on an existing latch: it came back with the failure, unless the peer does not return it.
      const latch = failedLatch(err) ?? (await this.getLatch(incidentKey));
      return { kind: 'conflict', latch, incident: await this.conflictIncident(id, latch) };
    }
  }

  /**
   * OK: ends the unresolved episode in one round trip and names it on the latch as the one this change closed, so
   * that a repeated OK can finish a resolve that was interrupted. The latch that failed the condition comes back
   * with the failure: a repeated or older OK then reads only its incident; with no episode open a second write
   * records the change (dynalite has no ReturnValuesOnConditionCheckFailure: the local worker adds it).
   */
  async recordRecovery(incidentKey: string, changedAt: string, fields: { alarmName: string; messageId: string | null }): Promise<RecoveryResult> {
    // The two conditional writes below are two requests: an ALARM landing between them fails both, and the latch,
    // read back, still holds an older change. Then it is tried again (the ALARM is in place now).
    for (let attempt = 0; ; attempt++) {
      const r = await this.recoveryAttempt(incidentKey, changedAt, fields);
      if (r.kind !== 'conflict' || !r.latch || r.latch.lastChange >= changedAt || attempt === 4) return r;
    }
  }

  private async recoveryAttempt(incidentKey: string, changedAt: string, fields: { alarmName: string; messageId: string | null }): Promise<RecoveryResult> {
    const newer = '(attribute_not_exists(lastChange) OR lastChange < :t)';
    const values = { ':t': changedAt, ':k': incidentKey, ':name': fields.alarmName, ':mid': fields.messageId ?? '', ':flip': [changedAt], ':none': [] };
    const common = 'lastChange = :t, incidentKey = :k, alarmName = :name, lastMessageId = :mid, flips = list_append(if_not_exists(flips, :none), :flip)';
    const closing = await this.latchWrite(
      new UpdateCommand({
        TableName: this.tableName,
        Key: LATCH(incidentKey),
        ConditionExpression: `${newer} AND attribute_exists(openId)`,
        UpdateExpression: `SET ${common}, closedId = openId, closedGroupId = if_not_exists(groupId, openId), closedChange = :t REMOVE openId, groupId, solo, openedAt, severity, channels`,
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_OLD',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    if (closing.written) {
      const old = closing.old as Latch;
      return { kind: 'resolved', previous: old, flips: old.flips ?? [] };
    }
    let latch = closing.current;
    if (!latch || latch.lastChange < changedAt) {
      // No latch came back (none exists, or the peer does not return it) or it is older: no episode is open.
      const quiet = await this.latchWrite(
        new UpdateCommand({
          TableName: this.tableName,
          Key: LATCH(incidentKey),
          ConditionExpression: `${newer} AND attribute_not_exists(openId)`,
          UpdateExpression: `SET ${common}`,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_OLD',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      if (quiet.written) return { kind: 'no-episode', flips: quiet.old?.flips ?? [] };
      latch = quiet.current ?? (await this.getLatch(incidentKey)) ?? undefined;
    }
    const id = latch?.closedChange === changedAt ? (latch.closedGroupId ?? latch.closedId) : (latch?.groupId ?? latch?.openId);
    return { kind: 'conflict', latch: latch ?? null, incident: id ? await this.getIncident(id) : null };
  }

  /**
   * The incident a failed ALARM condition answers with, in one read: its own episode's, else the open one's (its
   * group's; both asked for in one BatchGetItem when they differ, the own one preferred).
   */
  private async conflictIncident(id: string, latch: Latch | null): Promise<Incident | null> {
    const open = latch?.groupId ?? latch?.openId;
    if (!open || open === id) return this.getIncident(id);
    const items = await batchGetItems(this.db, this.tableName, [INC(id), INC(open)], [TABLE.partitionKey, TABLE.sortKey], { consistent: true });
    return toIncident(items[0]);
  }

  /** A conditional latch update: what it replaced, or, when its condition failed, the latch as it was (if returned). */
  private async latchWrite(command: UpdateCommand): Promise<{ written: true; old: Latch | undefined } | { written: false; current: Latch | undefined }> {
    try {
      const r = await this.db.send(command);
      return { written: true, old: r.Attributes as Latch | undefined };
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      return { written: false, current: failedLatch(err) ?? undefined };
    }
  }

  async getLatch(incidentKey: string): Promise<Latch | null> {
    const r = await this.db.send(new GetCommand({ TableName: this.tableName, Key: LATCH(incidentKey), ConsistentRead: true }));
    return (r.Item as Latch | undefined) ?? null;
  }

  /** Keeps the flapping history short; skipped when a newer change got there first. Off the alarm path. */
  async trimFlips(incidentKey: string, changedAt: string, keep: string[]): Promise<void> {
    await this.sendIf(
      new UpdateCommand({
        TableName: this.tableName,
        Key: LATCH(incidentKey),
        ConditionExpression: 'lastChange = :t',
        UpdateExpression: 'SET flips = :keep',
        ExpressionAttributeValues: { ':t': changedAt, ':keep': keep },
      }),
    );
  }

  /** Frees the alarm for a new episode after a person resolved it (only if this episode still holds it). */
  async releaseLatch(incidentKey: string, id: string): Promise<boolean> {
    return (
      (await this.sendIf(
        new UpdateCommand({
          TableName: this.tableName,
          Key: LATCH(incidentKey),
          ConditionExpression: 'openId = :id',
          UpdateExpression: 'REMOVE openId, groupId, solo, openedAt, severity, channels',
          ExpressionAttributeValues: { ':id': id },
        }),
      )) !== null
    );
  }

  async setLatchGroup(incidentKey: string, openId: string, from: string, to: string): Promise<boolean> {
    const r = await this.sendIf(
      new UpdateCommand({
        TableName: this.tableName,
        Key: LATCH(incidentKey),
        ConditionExpression: 'openId = :id AND (groupId = :from OR (attribute_not_exists(groupId) AND openId = :from))',
        UpdateExpression: 'SET groupId = :g',
        ExpressionAttributeValues: { ':id': openId, ':from': from, ':g': to },
      }),
    );
    return r !== null;
  }

  /** One BatchGetItem: the group record, the alarm's latch and its children's (unprocessed keys asked again, with a pause). */
  async lookupGroup(groupKey: string, incidentKey: string, childKeys: string[]): Promise<GroupLookupRead> {
    const own = LATCH(incidentKey);
    const keys = [GROUP(groupKey), own, POINTER(incidentKey), ...[...new Set(childKeys)].slice(0, 20).map(LATCH)];
    const found = await batchGetItems(this.db, this.tableName, keys as Record<string, string>[], [TABLE.partitionKey, TABLE.sortKey], { consistent: true });
    const pk = (item: Record<string, unknown>) => item[TABLE.partitionKey];
    const sk = (item: Record<string, unknown>) => item[TABLE.sortKey];
    const groupItem = found.find((i) => pk(i) === `GROUP#${groupKey}`);
    const latch = (found.find((i) => pk(i) === own[TABLE.partitionKey] && sk(i) === 'LATCH') as Latch | undefined) ?? null;
    const pointerItem = found.find((i) => pk(i) === own[TABLE.partitionKey] && sk(i) === 'PTR');
    const childPks = new Set(keys.slice(3).map(pk));
    const children = found.filter((i) => childPks.has(pk(i)) && sk(i) === 'LATCH' && pk(i) !== own[TABLE.partitionKey]) as unknown as Latch[];
    const pointer = pointerItem ? { groupId: pointerItem.groupId as string, until: pointerItem.until as string } : null;
    const record = groupItem
      ? {
          groupKey,
          groupId: groupItem.groupId as string,
          openedAt: groupItem.openedAt as string,
          windowEnd: groupItem.windowEnd as string,
          version: groupItem.version as number,
        }
      : null;
    return { record, latch, children, pointer };
  }

  async pointChildren(childKeys: string[], pointer: GroupPointer): Promise<void> {
    await Promise.all(
      [...new Set(childKeys)]
        .slice(0, 20)
        .map((k) =>
          this.db.send(new PutCommand({ TableName: this.tableName, Item: { ...POINTER(k), ...pointer, [TABLE.ttlAttribute]: this.expiry(pointer.until) } })),
        ),
    );
  }

  async putGroupRecord(next: GroupRecord, expectedVersion: number): Promise<boolean> {
    const r = await this.sendIf(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...GROUP(next.groupKey), ...next, [TABLE.ttlAttribute]: this.expiry(next.windowEnd) },
        ConditionExpression: expectedVersion === 0 ? `attribute_not_exists(${TABLE.partitionKey})` : 'version = :v',
        ...(expectedVersion === 0 ? {} : { ExpressionAttributeValues: { ':v': expectedVersion } }),
      }),
    );
    return r !== null;
  }

  async createIncident(incident: Incident): Promise<boolean> {
    return (
      (await this.sendIf(
        new PutCommand({
          TableName: this.tableName,
          Item: this.item({ ...incident, rev: incident.rev ?? 1 }),
          ConditionExpression: `attribute_not_exists(${TABLE.partitionKey})`,
        }),
      )) !== null
    );
  }

  /**
   * Many writers of one item (an alarm storm joining one group): back off with full jitter, exponentially (at most
   * 500 ms a time), so they do not all retry at once, and about CONTENTION_BUDGET_MS in all for one update (then at
   * most 20 ms a try; the function timeouts allow for it: stacks/timeouts.ts). 500 alarms of one group at concurrency 50 on dynalite:
   * 18 → ~36 alarms/s, 37 → ~21 requests per alarm against a 100 ms cap (`npm run bench`, part 1's storm).
   */
  protected override async contended(attempt: number, sleptMs: number): Promise<number> {
    if (attempt < 2) return 0; // two writers: retry at once
    const left = CONTENTION_BUDGET_MS - sleptMs;
    // Past the budget, still a little jitter (at most 20 ms), so spent writers do not hammer the item back to back.
    const ms = left > 0 ? Math.min(left, this.pacing.random() * Math.min(500, 5 * 2 ** (attempt - 2))) : this.pacing.random() * 20;
    await this.pacing.sleep(ms);
    return ms;
  }

  async getIncident(id: string): Promise<Incident | null> {
    const r = await this.db.send(new GetCommand({ TableName: this.tableName, Key: INC(id), ConsistentRead: true }));
    return toIncident(r.Item);
  }

  /** `BatchGetItem`, 100 keys a request (store/batch-get.ts). */
  override async getIncidents(ids: string[]): Promise<Incident[]> {
    const keys = [...new Set(ids)].map((id) => INC(id) as Record<string, string>);
    return (await batchGetItems(this.db, this.tableName, keys, [TABLE.partitionKey, TABLE.sortKey])).map((item) => toIncident(item)!);
  }

  async replaceIncident(next: Incident, expectedRev: number): Promise<boolean> {
    return (await this.replaceOrCurrent(next, expectedRev)).written;
  }

  /** The item that failed the condition comes back with the failure (no read unit), unless the peer does not return it. */
  protected override async replaceOrCurrent(next: Incident, expectedRev: number): Promise<ReplaceOutcome> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: this.item({ ...next, rev: expectedRev + 1 }),
          ConditionExpression: expectedRev === 0 ? `attribute_exists(${TABLE.partitionKey}) AND (attribute_not_exists(rev) OR rev = :rev)` : 'rev = :rev',
          ExpressionAttributeValues: { ':rev': expectedRev },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { written: true };
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      const item = failedItem(err);
      return { written: false, current: item ? () => toIncident(item) : undefined };
    }
  }

  private item(i: Incident): Record<string, unknown> {
    return { ...INC(i.id), ...indexAttributes(i), ...(i.resolvedAt ? { [TABLE.ttlAttribute]: this.expiry(i.resolvedAt) } : {}), ...incidentAttributes(i) };
  }

  /** Unresolved incidents (open and acknowledged), newest first. */
  async listUnresolved(limit = 500, before?: string): Promise<Incident[]> {
    return this.listThrough(this.unresolvedQuery(before), limit, (i) => i.status !== 'resolved');
  }

  /** Their rows, from the status index alone (it projects them). */
  override async listUnresolvedRows(limit = 500, before?: string): Promise<IncidentRow[]> {
    return this.indexRows(this.unresolvedQuery(before), limit);
  }

  /** Incidents opened on one UTC day (YYYY-MM-DD), optionally from a given instant on, oldest first. */
  async listByDay(day: string, opts: DayQuery = {}): Promise<Incident[]> {
    return this.listThrough(this.dayQuery(day, opts), opts.limit ?? 10_000);
  }

  /** Their rows, from the by-day index alone (it projects them). */
  override async listRowsByDay(day: string, opts: DayQuery = {}): Promise<IncidentRow[]> {
    return this.indexRows(this.dayQuery(day, opts), opts.limit ?? 10_000);
  }

  private unresolvedQuery(before?: string): QueryCommandInput {
    const { byStatus } = TABLE.indexes;
    return {
      TableName: this.tableName,
      IndexName: 'byStatus',
      KeyConditionExpression: before ? '#pk = :open AND #sk < :before' : '#pk = :open',
      ExpressionAttributeNames: { '#pk': byStatus.partitionKey, ...(before ? { '#sk': byStatus.sortKey } : {}) },
      ExpressionAttributeValues: { ':open': 'OPEN', ...(before ? { ':before': before } : {}) },
      ScanIndexForward: false,
    };
  }

  private dayQuery(day: string, opts: DayQuery): QueryCommandInput {
    const { byDay } = TABLE.indexes;
    const values: Record<string, unknown> = { ':day': `DAY#${day}` };
    let range = '';
    if (opts.before) {
      range = ' AND #sk < :before';
      values[':before'] = opts.before;
    } else if (opts.from && opts.to) {
      range = ' AND #sk BETWEEN :from AND :to';
      values[':from'] = opts.from;
      values[':to'] = `${opts.to}~`;
    } else if (opts.from) {
      range = ' AND #sk >= :from';
      values[':from'] = opts.from;
    } else if (opts.to) {
      range = ' AND #sk <= :to';
      values[':to'] = `${opts.to}~`;
    }
    return {
      TableName: this.tableName,
      IndexName: 'byDay',
      KeyConditionExpression: `#pk = :day${range}`,
      ExpressionAttributeNames: { '#pk': byDay.partitionKey, ...(range ? { '#sk': byDay.sortKey } : {}) },
      ExpressionAttributeValues: values,
      ScanIndexForward: !opts.newestFirst,
    };
  }

  /** Incidents whose next escalation step or earliest unfinished notice is due at or before `now`. */
  async listDue(now: string, limit = 100): Promise<Incident[]> {
    const { byDue } = TABLE.indexes;
    return this.listThrough(
      {
        TableName: this.tableName,
        IndexName: 'byDue',
        KeyConditionExpression: '#pk = :due AND #sk <= :now',
        ExpressionAttributeNames: { '#pk': byDue.partitionKey, '#sk': byDue.sortKey },
        ExpressionAttributeValues: { ':due': 'DUE', ':now': `${now}~` },
      },
      limit,
      (i) => {
        const due = incidentDueAt(i);
        return due !== null && due <= now;
      },
    );
  }

  async listHeld(limit = 500): Promise<Incident[]> {
    const { byStatus } = TABLE.indexes;
    return this.listThrough(
      {
        TableName: this.tableName,
        IndexName: 'byStatus',
        KeyConditionExpression: '#pk = :open',
        FilterExpression: 'attribute_exists(silencedBy) AND silencedBy <> :null',
        ExpressionAttributeNames: { '#pk': byStatus.partitionKey },
        ExpressionAttributeValues: { ':open': 'OPEN', ':null': null },
        ScanIndexForward: false,
      },
      limit,
      (i) => i.status !== 'resolved' && Boolean(i.silencedBy),
    );
  }

  /** Kept whole: a raw message longer than one item holds is split in parts (`part`/`parts`), read back joined. */
  async putDeadLetter(d: DeadLetter): Promise<void> {
    const sk = `${d.at}#${Math.random().toString(36).slice(2, 10)}`;
    const parts = Math.max(1, Math.ceil(d.raw.length / DEAD_LETTER_CHUNK));
    for (let part = 0; part < parts; part++) {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            [TABLE.partitionKey]: `DLQ#${d.at.slice(0, 10)}`,
            [TABLE.sortKey]: parts === 1 ? sk : `${sk}#${String(part).padStart(4, '0')}`,
            ...d,
            raw: d.raw.slice(part * DEAD_LETTER_CHUNK, (part + 1) * DEAD_LETTER_CHUNK),
            ...(parts > 1 ? { part, parts } : {}),
            [TABLE.ttlAttribute]: this.expiry(d.at),
          },
        }),
      );
    }
  }

  async listDeadLetters(day: string): Promise<DeadLetter[]> {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const r = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': TABLE.partitionKey },
          ExpressionAttributeValues: { ':pk': `DLQ#${day}` },
          ExclusiveStartKey: start,
        }),
      );
      items.push(...(r.Items ?? []));
      start = r.LastEvaluatedKey;
    } while (start);
    return joinDeadLetterParts(items);
  }

  /** Sends a conditional write; null when its condition failed (the expected outcome of a lost race). */
  private async sendIf(command: UpdateCommand | PutCommand): Promise<{ Attributes?: Record<string, unknown> } | null> {
    try {
      return await this.db.send(command as UpdateCommand);
    } catch (err) {
      if (isConditionFailure(err)) return null;
      throw err;
    }
  }

  private expiry(at: string): number {
    return Math.floor(Date.parse(at) / 1000) + this.retentionDays * 86_400;
  }

  /** Rows straight from an index that projects them (no item read). */
  private async indexRows(input: QueryCommandInput, limit: number): Promise<IncidentRow[]> {
    const out: IncidentRow[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const r = await this.db.send(new QueryCommand({ ...input, ExclusiveStartKey: start, Limit: Math.min(limit - out.length, 1000) }));
      for (const item of r.Items ?? []) out.push(rowOfItem(item));
      start = r.LastEvaluatedKey;
    } while (start && out.length < limit);
    return out;
  }

  /**
   * A listing: the keys from the index (which holds no incidents, see table.ts), then the incidents themselves in
   * the index's order. An incident that changed since the index was read is kept only if it still `matches`.
   */
  private async listThrough(input: QueryCommandInput, limit: number, matches: (i: Incident) => boolean = () => true): Promise<Incident[]> {
    const out: Incident[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const r = await this.db.send(new QueryCommand({ ...input, ExclusiveStartKey: start, Limit: Math.min(limit - out.length, 1000) }));
      const keys = (r.Items ?? []).map((k) => ({ [TABLE.partitionKey]: String(k[TABLE.partitionKey]), [TABLE.sortKey]: String(k[TABLE.sortKey]) }));
      for (const item of await batchGetItems(this.db, this.tableName, keys, [TABLE.partitionKey, TABLE.sortKey])) {
        const incident = toIncident(item)!;
        if (matches(incident)) out.push(incident);
      }
      start = r.LastEvaluatedKey;
    } while (start && out.length < limit);
    return out;
  }
}

/** Joins the parts of chunked dead letters (sorted by sort key, so parts are in order). */
export function joinDeadLetterParts(items: Record<string, unknown>[]): DeadLetter[] {
  const out: DeadLetter[] = [];
  let open: DeadLetter | null = null;
  for (const item of items) {
    const { at, reason, source, raw } = item as unknown as DeadLetter;
    const part = typeof item.part === 'number' ? item.part : null;
    if (part !== null && part > 0 && open) {
      open.raw += raw;
      continue;
    }
    open = { at, reason, source, raw };
    out.push(open);
    if (part === null) open = null;
  }
  return out;
}
