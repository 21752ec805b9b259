import { createHash } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { DeliveryRecord, Incident, IncidentStatus, Severity, TimelineEntry } from '@alert-router/core';
import { TABLE } from './table';

/** The per-alarm item that serialises episodes: one conditional write decides new / duplicate / stale. */
export interface Latch {
  incidentKey: string;
  /** Newest state change seen for the alarm (ISO); older or equal changes are redeliveries. */
  lastChange: string;
  openId?: string;
  openedAt?: string;
  severity?: Severity;
  channels?: string[];
  alarmName?: string;
  lastMessageId?: string;
  /** Recent state change times, for flapping detection (trimmed off the alarm path). */
  flips?: string[];
}

export type ProblemResult =
  /** This delivery opened the episode: the caller creates the incident and notifies. */
  | { kind: 'opened'; flips: string[] }
  /** A newer transition of an alarm whose episode is still unresolved. */
  | { kind: 'duplicate'; openId: string; flips: string[] }
  /** The same or an older state change: a redelivery, a concurrent delivery, or out of order. */
  | { kind: 'conflict'; latch: Latch | null; incident: Incident | null };

export type RecoveryResult =
  | { kind: 'resolved'; previous: Latch; flips: string[] }
  | { kind: 'no-episode'; flips: string[] }
  | { kind: 'conflict'; latch: Latch | null; incident: Incident | null };

export interface DeadLetter {
  at: string;
  reason: string;
  source: string;
  raw: string;
}

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
const MAX_DEAD_LETTER = 350_000;

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
  if (i.status === 'open' && i.escalation?.nextAt && !i.silencedBy) {
    out[byDue.partitionKey] = 'DUE';
    out[byDue.sortKey] = `${i.escalation.nextAt}#${i.id}`;
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
  return out as unknown as Incident;
}

/** Incident store on one DynamoDB table (see table.ts for keys and indexes). */
export class DynamoIncidentStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    readonly tableName: string,
    private readonly retentionDays = 90,
  ) {}

  /**
   * ALARM / INSUFFICIENT_DATA / plain message: the alarm path's single round trip before fan-out.
   * Opens an episode unless one is unresolved (then it is a duplicate); a change not newer than the last one seen
   * fails the condition and the caller gets both items to decide (redelivery, retry, out of order).
   */
  async recordProblem(incidentKey: string, changedAt: string, id: string, fields: { now: string; severity: Severity; channels: string[]; alarmName: string; messageId: string | null }): Promise<ProblemResult> {
    try {
      const r = await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: LATCH(incidentKey),
          ConditionExpression: 'attribute_not_exists(lastChange) OR lastChange < :t',
          UpdateExpression:
            'SET lastChange = :t, incidentKey = :k, alarmName = :name, lastMessageId = :mid, openId = if_not_exists(openId, :id), openedAt = if_not_exists(openedAt, :now), severity = if_not_exists(severity, :sev), channels = if_not_exists(channels, :ch), flips = list_append(if_not_exists(flips, :none), :flip)',
          ExpressionAttributeValues: {
            ':t': changedAt,
            ':flip': [changedAt],
            ':none': [],
            ':k': incidentKey,
            ':name': fields.alarmName,
            ':mid': fields.messageId ?? '',
            ':id': id,
            ':now': fields.now,
            ':sev': fields.severity,
            ':ch': fields.channels,
          },
          ReturnValues: 'ALL_OLD',
        }),
      );
      const old = r.Attributes as Latch | undefined;
      const flips = old?.flips ?? [];
      return old?.openId ? { kind: 'duplicate', openId: old.openId, flips } : { kind: 'opened', flips };
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      return { kind: 'conflict', ...(await this.conflictState(incidentKey, id)) };
    }
  }

  /** OK: ends the unresolved episode, if any, in the same single round trip. */
  async recordRecovery(incidentKey: string, changedAt: string, fields: { alarmName: string; messageId: string | null }): Promise<RecoveryResult> {
    try {
      const r = await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: LATCH(incidentKey),
          ConditionExpression: 'attribute_not_exists(lastChange) OR lastChange < :t',
          UpdateExpression:
            'SET lastChange = :t, incidentKey = :k, alarmName = :name, lastMessageId = :mid, flips = list_append(if_not_exists(flips, :none), :flip) REMOVE openId, openedAt, severity, channels',
          ExpressionAttributeValues: { ':t': changedAt, ':k': incidentKey, ':name': fields.alarmName, ':mid': fields.messageId ?? '', ':flip': [changedAt], ':none': [] },
          ReturnValues: 'ALL_OLD',
        }),
      );
      const old = r.Attributes as Latch | undefined;
      const flips = old?.flips ?? [];
      return old?.openId ? { kind: 'resolved', previous: old, flips } : { kind: 'no-episode', flips };
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      const latch = await this.getLatch(incidentKey);
      const incident = latch?.openId ? await this.getIncident(latch.openId) : null;
      return { kind: 'conflict', latch, incident };
    }
  }

  private async conflictState(incidentKey: string, id: string): Promise<{ latch: Latch | null; incident: Incident | null }> {
    const [latch, incident] = await Promise.all([this.getLatch(incidentKey), this.getIncident(id)]);
    if (incident || !latch?.openId || latch.openId === id) return { latch, incident };
    return { latch, incident: await this.getIncident(latch.openId) };
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
    return (await this.sendIf(
        new UpdateCommand({
          TableName: this.tableName,
          Key: LATCH(incidentKey),
          ConditionExpression: 'openId = :id',
          UpdateExpression: 'REMOVE openId, openedAt, severity, channels',
          ExpressionAttributeValues: { ':id': id },
        }),
    )) !== null;
  }

  /** Stores a new incident; a second writer of the same episode loses (returns false). */
  async createIncident(incident: Incident): Promise<boolean> {
    return (await this.sendIf(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...INC(incident.id), ...indexAttributes(incident), ...incident },
          ConditionExpression: `attribute_not_exists(${TABLE.partitionKey})`,
        }),
    )) !== null;
  }

  async getIncident(id: string): Promise<Incident | null> {
    const r = await this.db.send(new GetCommand({ TableName: this.tableName, Key: INC(id), ConsistentRead: true }));
    return toIncident(r.Item);
  }

  /** Records delivery outcomes and timeline entries without touching anything a person may change meanwhile. */
  async recordDeliveries(id: string, deliveries: Record<string, DeliveryRecord>, entries: TimelineEntry[], now: string): Promise<void> {
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = { ':now': now, ':entries': entries, ':empty': [] };
    const sets = ['updatedAt = :now', 'timeline = list_append(if_not_exists(timeline, :empty), :entries)'];
    Object.entries(deliveries).forEach(([key, d], i) => {
      names[`#d${i}`] = key;
      values[`:d${i}`] = d;
      sets.push(`deliveries.#d${i} = :d${i}`);
    });
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: INC(id),
        ConditionExpression: `attribute_exists(${TABLE.partitionKey})`,
        UpdateExpression: `SET ${sets.join(', ')}`,
        ExpressionAttributeNames: Object.keys(names).length ? names : undefined,
        ExpressionAttributeValues: values,
      }),
    );
  }

  /** Takes over one failed (or abandoned pending) delivery; true when this worker now owns it. */
  async claimDelivery(id: string, key: string, now: string, leaseUntil: string): Promise<boolean> {
    return (await this.sendIf(
        new UpdateCommand({
          TableName: this.tableName,
          Key: INC(id),
          ConditionExpression: '(deliveries.#k.#s = :failed) OR (deliveries.#k.#s = :pending AND deliveries.#k.leaseUntil < :now)',
          UpdateExpression: 'SET deliveries.#k.#s = :pending, deliveries.#k.leaseUntil = :lease, updatedAt = :now',
          ExpressionAttributeNames: { '#k': key, '#s': 'status' },
          ExpressionAttributeValues: { ':failed': 'failed', ':pending': 'pending', ':now': now, ':lease': leaseUntil },
        }),
    )) !== null;
  }

  /** Adds resolve deliveries (pending) and resolves the incident unless it already is; returns it, or null. */
  async markResolved(id: string, at: string, by: string, entry: TimelineEntry, deliveries: Record<string, DeliveryRecord>): Promise<Incident | null> {
    const names: Record<string, string> = { '#st': 'status' };
    const values: Record<string, unknown> = { ':resolved': 'resolved', ':at': at, ':by': by, ':entries': [entry], ':empty': [], ':ttl': this.expiry(at) };
    const sets = [
      '#st = :resolved',
      'resolvedAt = :at',
      'resolvedBy = :by',
      'updatedAt = :at',
      `${TABLE.ttlAttribute} = :ttl`,
      'timeline = list_append(if_not_exists(timeline, :empty), :entries)',
    ];
    Object.entries(deliveries).forEach(([key, d], i) => {
      names[`#d${i}`] = key;
      values[`:d${i}`] = d;
      sets.push(`deliveries.#d${i} = :d${i}`);
    });
    const { byStatus, byDue } = TABLE.indexes;
    const r = await this.sendIf(
        new UpdateCommand({
          TableName: this.tableName,
          Key: INC(id),
          ConditionExpression: `attribute_exists(${TABLE.partitionKey}) AND #st <> :resolved`,
          UpdateExpression: `SET ${sets.join(', ')} REMOVE ${byStatus.partitionKey}, ${byStatus.sortKey}, ${byDue.partitionKey}, ${byDue.sortKey}`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
    );
    return r ? toIncident(r.Attributes) : null;
  }

  /** A newer transition folded into an open episode: counted, and on the timeline (bounded). */
  async recordDuplicate(id: string, entry: TimelineEntry): Promise<void> {
    await this.sendIf(
        new UpdateCommand({
          TableName: this.tableName,
          Key: INC(id),
          ConditionExpression: `attribute_exists(${TABLE.partitionKey})`,
          UpdateExpression: 'SET duplicates = if_not_exists(duplicates, :zero) + :one, updatedAt = :at, timeline = list_append(if_not_exists(timeline, :empty), :entries)',
          ExpressionAttributeValues: { ':zero': 0, ':one': 1, ':at': entry.at, ':entries': [entry], ':empty': [] },
        }),
    );
  }

  /**
   * Puts an acknowledged or resolved incident back on the sweep's index so that the escalation run resends
   * the ack/resolve notices a channel failed to take (a person's action has no Lambda retry behind it).
   */
  async scheduleRedelivery(id: string, at: string): Promise<void> {
    const { byDue } = TABLE.indexes;
    await this.sendIf(
        new UpdateCommand({
          TableName: this.tableName,
          Key: INC(id),
          ConditionExpression: `attribute_exists(${TABLE.partitionKey}) AND #st <> :open`,
          UpdateExpression: 'SET #pk = :due, #sk = :at',
          ExpressionAttributeNames: { '#st': 'status', '#pk': byDue.partitionKey, '#sk': byDue.sortKey },
          ExpressionAttributeValues: { ':open': 'open', ':due': 'DUE', ':at': `${at}#${id}` },
        }),
    );
  }

  /** Takes an acknowledged or resolved incident off the sweep's index once nothing is left to resend. */
  async clearRedelivery(id: string): Promise<void> {
    const { byDue } = TABLE.indexes;
    await this.sendIf(
        new UpdateCommand({
          TableName: this.tableName,
          Key: INC(id),
          ConditionExpression: `attribute_exists(${TABLE.partitionKey}) AND #st <> :open`,
          UpdateExpression: 'REMOVE #pk, #sk',
          ExpressionAttributeNames: { '#st': 'status', '#pk': byDue.partitionKey, '#sk': byDue.sortKey },
          ExpressionAttributeValues: { ':open': 'open' },
        }),
    );
  }

  /** Unresolved incidents (open and acknowledged), newest first. */
  async listUnresolved(limit = 500): Promise<Incident[]> {
    const { byStatus } = TABLE.indexes;
    return this.queryAll(
      {
        TableName: this.tableName,
        IndexName: 'byStatus',
        KeyConditionExpression: '#pk = :open',
        ExpressionAttributeNames: { '#pk': byStatus.partitionKey },
        ExpressionAttributeValues: { ':open': 'OPEN' },
        ScanIndexForward: false,
      },
      limit,
    );
  }

  /** Incidents opened on one UTC day (YYYY-MM-DD), optionally from a given instant on, oldest first. */
  async listByDay(day: string, opts: { from?: string; to?: string; limit?: number; newestFirst?: boolean } = {}): Promise<Incident[]> {
    const { byDay } = TABLE.indexes;
    const values: Record<string, unknown> = { ':day': `DAY#${day}` };
    let range = '';
    if (opts.from && opts.to) {
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

  /** Incidents opened in [from, to), newest first, reading only the days it spans. */
  async listOpenedBetween(from: string, to: string, limit = 1000): Promise<Incident[]> {
    const out: Incident[] = [];
    const firstDay = Date.parse(`${from.slice(0, 10)}T00:00:00Z`);
    for (let t = Date.parse(`${to.slice(0, 10)}T00:00:00Z`); t >= firstDay && out.length < limit; t -= 86_400_000) {
      const day = new Date(t).toISOString().slice(0, 10);
      const items = await this.listByDay(day, { from, limit: limit - out.length, newestFirst: true });
      out.push(...items.filter((i) => i.openedAt < to));
    }
    return out;
  }

  /** Open, unacknowledged incidents whose next escalation step is due at or before `now`. */
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

  async putDeadLetter(d: DeadLetter): Promise<void> {
    const raw = d.raw.length > MAX_DEAD_LETTER ? d.raw.slice(0, MAX_DEAD_LETTER) : d.raw;
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          [TABLE.partitionKey]: `DLQ#${d.at.slice(0, 10)}`,
          [TABLE.sortKey]: `${d.at}#${Math.random().toString(36).slice(2, 10)}`,
          ...d,
          raw,
          truncated: raw.length !== d.raw.length,
          [TABLE.ttlAttribute]: this.expiry(d.at),
        },
      }),
    );
  }

  async listDeadLetters(day: string): Promise<DeadLetter[]> {
    const r = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': TABLE.partitionKey },
        ExpressionAttributeValues: { ':pk': `DLQ#${day}` },
      }),
    );
    return (r.Items ?? []) as DeadLetter[];
  }

  /** Generic conditional update used by the human-side actions (ack, escalate); returns the new incident or null when the condition failed. */
  async updateIncident(
    id: string,
    update: { set: Record<string, unknown>; remove?: string[]; condition: string; conditionValues?: Record<string, unknown>; append?: TimelineEntry[]; status?: IncidentStatus },
  ): Promise<Incident | null> {
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = { ...(update.conditionValues ?? {}) };
    const sets: string[] = [];
    Object.entries(update.set).forEach(([k, v], i) => {
      names[`#u${i}`] = k;
      values[`:u${i}`] = v;
      sets.push(`#u${i} = :u${i}`);
    });
    if (update.append?.length) {
      values[':entries'] = update.append;
      values[':empty'] = [];
      sets.push('timeline = list_append(if_not_exists(timeline, :empty), :entries)');
    }
    const removes = (update.remove ?? []).map((k, i) => {
      names[`#r${i}`] = k;
      return `#r${i}`;
    });
    const conditionNames = update.condition.match(/#[A-Za-z]+/g) ?? [];
    for (const n of conditionNames) names[n] ??= n.slice(1);
    const r = await this.sendIf(
        new UpdateCommand({
          TableName: this.tableName,
          Key: INC(id),
          ConditionExpression: `attribute_exists(${TABLE.partitionKey}) AND (${update.condition})`,
          UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
    );
    return r ? toIncident(r.Attributes) : null;
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
