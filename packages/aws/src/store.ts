import { createHash } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { incidentDueAt, type GroupRecord, type Incident } from '@alert-router/core';
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
} from './store/port';
import { validIncident } from './store/validate';
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

function isConditionFailure(err: unknown): boolean {
  return err instanceof ConditionalCheckFailedException || (err as Error)?.name === 'ConditionalCheckFailedException';
}

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
  if (!item) return null;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(item)) if (!INDEX_ATTRS.has(k)) out[k] = v;
  return validIncident(out);
}

/** Incident store on one DynamoDB table (see table.ts for keys and indexes). */
export class DynamoIncidentStore extends RevisionedIncidentStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    readonly tableName: string,
    private readonly retentionDays = 90,
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
      return { kind: 'conflict', ...(await this.conflictState(incidentKey, id)) };
    }
  }

  /**
   * OK: ends the unresolved episode in one round trip and names it on the latch as the one this change closed, so
   * that a repeated OK can finish a resolve that was interrupted. With no episode open it takes a second
   * (the condition tells the two apart; dynalite has no ReturnValuesOnConditionCheckFailure).
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
    const closing = await this.sendIf(
      new UpdateCommand({
        TableName: this.tableName,
        Key: LATCH(incidentKey),
        ConditionExpression: `${newer} AND attribute_exists(openId)`,
        UpdateExpression: `SET ${common}, closedId = openId, closedGroupId = if_not_exists(groupId, openId), closedChange = :t REMOVE openId, groupId, solo, openedAt, severity, channels`,
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_OLD',
      }),
    );
    if (closing) {
      const old = closing.Attributes as unknown as Latch;
      return { kind: 'resolved', previous: old, flips: old.flips ?? [] };
    }
    const quiet = await this.sendIf(
      new UpdateCommand({
        TableName: this.tableName,
        Key: LATCH(incidentKey),
        ConditionExpression: `${newer} AND attribute_not_exists(openId)`,
        UpdateExpression: `SET ${common}`,
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_OLD',
      }),
    );
    if (quiet) return { kind: 'no-episode', flips: (quiet.Attributes as Latch | undefined)?.flips ?? [] };
    const latch = await this.getLatch(incidentKey);
    const id = latch?.closedChange === changedAt ? (latch.closedGroupId ?? latch.closedId) : (latch?.groupId ?? latch?.openId);
    return { kind: 'conflict', latch, incident: id ? await this.getIncident(id) : null };
  }

  private async conflictState(incidentKey: string, id: string): Promise<{ latch: Latch | null; incident: Incident | null }> {
    const [latch, incident] = await Promise.all([this.getLatch(incidentKey), this.getIncident(id)]);
    const target = latch?.groupId ?? latch?.openId;
    if (incident || !target || target === id) return { latch, incident };
    return { latch, incident: await this.getIncident(target) };
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

  /** One BatchGetItem: the group record, the alarm's latch and its children's (unprocessed keys asked again). */
  async lookupGroup(groupKey: string, incidentKey: string, childKeys: string[]): Promise<GroupLookupRead> {
    const own = LATCH(incidentKey);
    const keys = [GROUP(groupKey), own, ...[...new Set(childKeys)].slice(0, 20).map(LATCH)];
    const found: Record<string, unknown>[] = [];
    let pending: Record<string, unknown>[] = keys;
    for (let round = 0; pending.length > 0; round++) {
      if (round === 10) throw new Error('group lookup: keys left unprocessed after 10 rounds');
      const r = await this.db.send(new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: pending, ConsistentRead: true } } }));
      found.push(...(r.Responses?.[this.tableName] ?? []));
      pending = (r.UnprocessedKeys?.[this.tableName]?.Keys as Record<string, unknown>[] | undefined) ?? [];
    }
    const pk = (item: Record<string, unknown>) => item[TABLE.partitionKey];
    const groupItem = found.find((i) => pk(i) === `GROUP#${groupKey}`);
    const latch = (found.find((i) => pk(i) === own[TABLE.partitionKey]) as Latch | undefined) ?? null;
    const childPks = new Set(keys.slice(2).map(pk));
    const children = found.filter((i) => childPks.has(pk(i)) && pk(i) !== own[TABLE.partitionKey]) as unknown as Latch[];
    const record = groupItem
      ? {
          groupKey,
          groupId: groupItem.groupId as string,
          openedAt: groupItem.openedAt as string,
          windowEnd: groupItem.windowEnd as string,
          version: groupItem.version as number,
        }
      : null;
    return { record, latch, children };
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

  async getIncident(id: string): Promise<Incident | null> {
    const r = await this.db.send(new GetCommand({ TableName: this.tableName, Key: INC(id), ConsistentRead: true }));
    return toIncident(r.Item);
  }

  async replaceIncident(next: Incident, expectedRev: number): Promise<boolean> {
    return (
      (await this.sendIf(
        new PutCommand({
          TableName: this.tableName,
          Item: this.item({ ...next, rev: expectedRev + 1 }),
          ConditionExpression: expectedRev === 0 ? `attribute_exists(${TABLE.partitionKey}) AND (attribute_not_exists(rev) OR rev = :rev)` : 'rev = :rev',
          ExpressionAttributeValues: { ':rev': expectedRev },
        }),
      )) !== null
    );
  }

  private item(i: Incident): Record<string, unknown> {
    return { ...INC(i.id), ...indexAttributes(i), ...(i.resolvedAt ? { [TABLE.ttlAttribute]: this.expiry(i.resolvedAt) } : {}), ...i };
  }

  /** Unresolved incidents (open and acknowledged), newest first. */
  async listUnresolved(limit = 500, before?: string): Promise<Incident[]> {
    const { byStatus } = TABLE.indexes;
    return this.queryAll(
      {
        TableName: this.tableName,
        IndexName: 'byStatus',
        KeyConditionExpression: before ? '#pk = :open AND #sk < :before' : '#pk = :open',
        ExpressionAttributeNames: { '#pk': byStatus.partitionKey, ...(before ? { '#sk': byStatus.sortKey } : {}) },
        ExpressionAttributeValues: { ':open': 'OPEN', ...(before ? { ':before': before } : {}) },
        ScanIndexForward: false,
      },
      limit,
    );
  }

  /** Incidents opened on one UTC day (YYYY-MM-DD), optionally from a given instant on, oldest first. */
  async listByDay(day: string, opts: DayQuery = {}): Promise<Incident[]> {
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
    return this.queryAll(
      {
        TableName: this.tableName,
        IndexName: 'byDay',
        KeyConditionExpression: `#pk = :day${range}`,
        ExpressionAttributeNames: { '#pk': byDay.partitionKey, ...(range ? { '#sk': byDay.sortKey } : {}) },
        ExpressionAttributeValues: values,
        ScanIndexForward: !opts.newestFirst,
      },
      opts.limit ?? 10_000,
    );
  }

  /** Incidents whose next escalation step or earliest unfinished notice is due at or before `now`. */
  async listDue(now: string, limit = 100): Promise<Incident[]> {
    const { byDue } = TABLE.indexes;
    return this.queryAll(
      {
        TableName: this.tableName,
        IndexName: 'byDue',
        KeyConditionExpression: '#pk = :due AND #sk <= :now',
        ExpressionAttributeNames: { '#pk': byDue.partitionKey, '#sk': byDue.sortKey },
        ExpressionAttributeValues: { ':due': 'DUE', ':now': `${now}~` },
      },
      limit,
    );
  }

  async listHeld(limit = 500): Promise<Incident[]> {
    const { byStatus } = TABLE.indexes;
    return this.queryAll(
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

  private async queryAll(input: QueryCommandInput, limit: number): Promise<Incident[]> {
    const out: Incident[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const r = await this.db.send(new QueryCommand({ ...input, ExclusiveStartKey: start, Limit: Math.min(limit - out.length, 1000) }));
      for (const item of r.Items ?? []) out.push(toIncident(item)!);
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
