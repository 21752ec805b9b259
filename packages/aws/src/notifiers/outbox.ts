/** Local mode: a channel with no configuration records and prints what it would have sent. */
import type { NoticeEvent } from '@alert-router/core/incident';
import type { Notice, Notifier, SendResult } from '@alert-router/core/notifier';
import { headerSafe } from '@alert-router/core/render/escape';
import { groupSummary, headline } from '@alert-router/core/render/format';
import type { SendChannel } from '@alert-router/core/types';

export interface OutboxEntry {
  at: string;
  channel: SendChannel;
  event: NoticeEvent;
  incidentId: string;
  /** `[P0] ALARM: HighErrorRate (INC-…) - reason` */
  summary: string;
}

/** Fixed-capacity ring buffer: keeps the newest `capacity` entries (default 500). */
export class OutboxBuffer<T = OutboxEntry> {
  static readonly DEFAULT_CAPACITY = 500;
  readonly capacity: number;
  private readonly items: T[] = [];
  private start = 0;
  private total = 0;

  constructor(capacity: number = OutboxBuffer.DEFAULT_CAPACITY) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`OutboxBuffer: capacity must be a positive integer, got ${capacity}`);
    this.capacity = capacity;
  }

  push(item: T): void {
    this.total++;
    if (this.items.length < this.capacity) {
      this.items.push(item);
      return;
    }
    this.items[this.start] = item;
    this.start = (this.start + 1) % this.capacity;
  }

  /** Oldest first. */
  toArray(): T[] {
    return [...this.items.slice(this.start), ...this.items.slice(0, this.start)];
  }

  /** Newest first, at most `limit`. */
  latest(limit = this.capacity): T[] {
    return this.toArray().reverse().slice(0, Math.max(0, limit));
  }

  get size(): number {
    return this.items.length;
  }

  /** Entries ever pushed (including those the ring dropped). */
  get pushed(): number {
    return this.total;
  }

  clear(): void {
    this.items.length = 0;
    this.start = 0;
  }
}

/** The process-wide outbox the local server shows (one per process). */
export const defaultOutbox = new OutboxBuffer<OutboxEntry>();

export interface OutboxNotifierOptions {
  channel: SendChannel;
  buffer?: OutboxBuffer<OutboxEntry>;
  /** Default: one line on stdout. */
  print?: (line: string) => void;
  now?: () => Date;
}

const SUMMARY_MAX = 300;

/** What follows the headline: the escalation tier, the group's change and summary, the alarm's reason, or who acted. */
function outboxDetail(notice: Notice): string | null | undefined {
  const group = groupSummary(notice.incident, { max: 200 });
  switch (notice.event) {
    case 'escalate':
      return notice.tier ? `to ${notice.tier}` : null;
    case 'update':
      return [notice.note, group].filter(Boolean).join(' — ') || null;
    case 'trigger':
      return group ?? notice.incident.alarm.reason;
    default:
      return notice.actor;
  }
}

export class OutboxNotifier implements Notifier {
  readonly channel: SendChannel;
  readonly buffer: OutboxBuffer<OutboxEntry>;
  private readonly print: (line: string) => void;
  private readonly now: () => Date;

  constructor(options: OutboxNotifierOptions) {
    this.channel = options.channel;
    this.buffer = options.buffer ?? defaultOutbox;
    this.print = options.print ?? ((line) => process.stdout.write(`${line}\n`));
    this.now = options.now ?? (() => new Date());
  }

  async send(notice: Notice, signal: AbortSignal): Promise<SendResult> {
    signal.throwIfAborted();
    const i = notice.incident;
    const detail = outboxDetail(notice);
    // headerSafe strips control characters: alarm text cannot move the cursor or recolour the terminal.
    let summary = headerSafe(headline(notice) + (detail ? ` - ${detail}` : ''));
    if (summary.length > SUMMARY_MAX) summary = `${summary.slice(0, SUMMARY_MAX - 1)}…`;
    const entry: OutboxEntry = { at: this.now().toISOString(), channel: this.channel, event: notice.event, incidentId: i.id, summary };
    this.buffer.push(entry);
    this.print(`[outbox] ${entry.at} ${this.channel.padEnd(9)} ${summary}`);
    return { ref: `outbox:${this.buffer.pushed}` };
  }
}
