/**
 * The IncidentStore port on SQLite (libsql, better-sqlite3's API): the embedded default's store. It lives in
 * packages/local so that no Lambda bundle ever pulls in a native module.
 *
 * In memory by default; on a file in WAL mode with `synchronous = NORMAL`: a commit is in the write-ahead log
 * (the OS's page cache) before the call returns, so it survives the process being killed (`kill -9`, a crash);
 * only a power loss or an OS crash may roll back the last commits, which FULL (an fsync per commit, ~1–10 ms
 * on an ordinary disk) would also cover. A local router is one process on one machine; NORMAL is the trade.
 *
 * Conditional writes are transactions or guarded statements (`UPDATE … WHERE id = ? AND rev = ?`, then
 * `changes`); the revision-guarded replaces of one event-loop turn run together at its end (`queued`). The
 * access patterns of the DynamoDB indexes are columns derived from the incident on every write (never stored
 * separately from it), each with its own index. Records are read back validated.
 */
import { join } from 'node:path';
import Database from 'libsql';
import { incidentDueAt, storedIncidentKey, type GroupPointer, type GroupRecord, type Incident } from '@alert-router/core';
import {
  advancedLatch,
  openedLatch,
  RevisionedIncidentStore,
  type DayQuery,
  type DeadLetter,
  type GroupLookupRead,
  type Latch,
  type ProblemFields,
  type ProblemResult,
  type RecoveryResult,
} from '@alert-router/aws/store/port';
import { validIncident } from '@alert-router/aws/store/validate';

/** The database file `--data DIR` keeps incidents in. */
export const SQLITE_FILE = 'alert-router.sqlite';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS latches (slot TEXT PRIMARY KEY, body TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS group_records (group_key TEXT PRIMARY KEY, version INTEGER NOT NULL, body TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS group_pointers (slot TEXT PRIMARY KEY, body TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS incidents (
  id TEXT PRIMARY KEY,
  rev INTEGER NOT NULL,
  body TEXT NOT NULL,
  day TEXT NOT NULL,
  day_key TEXT NOT NULL,
  open_key TEXT,
  due_key TEXT,
  held INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS incidents_by_day ON incidents (day, day_key);
CREATE INDEX IF NOT EXISTS incidents_unresolved ON incidents (open_key) WHERE open_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS incidents_due ON incidents (due_key) WHERE due_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS incidents_held ON incidents (open_key) WHERE open_key IS NOT NULL AND held = 1;
CREATE TABLE IF NOT EXISTS dead_letters (seq INTEGER PRIMARY KEY AUTOINCREMENT, day TEXT NOT NULL, at TEXT NOT NULL, reason TEXT NOT NULL, source TEXT NOT NULL, raw TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS dead_letters_by_day ON dead_letters (day, at, seq);
`;

type IndexColumns = { day: string; dayKey: string; openKey: string | null; dueKey: string | null; held: number };

/** The columns an incident row carries beside its body, derived from its fields on every write. */
function indexColumns(i: Incident): IndexColumns {
  const key = `${i.openedAt}#${i.id}`;
  const due = incidentDueAt(i);
  return {
    day: i.openedAt.slice(0, 10),
    dayKey: key,
    openKey: i.status === 'resolved' ? null : key,
    dueKey: due ? `${due}#${i.id}` : null,
    held: i.silencedBy ? 1 : 0,
  };
}

function columnsKey(c: IndexColumns): string {
  return `${c.day}|${c.dayKey}|${c.openKey ?? ''}|${c.dueKey ?? ''}|${c.held}`;
}

/** Rows whose index columns are remembered (the open ones an alarm storm updates; older ones are read again). */
const COLUMNS_SEEN_MAX = 4096;

function withoutEpisode(l: Latch): Latch {
  const { openId: _id, groupId: _g, solo: _s, openedAt: _at, severity: _sev, channels: _ch, ...rest } = l;
  return rest;
}

type Row = { body: string };
type QueuedReplace = { next: Incident; expectedRev: number; resolve: (written: boolean) => void; reject: (err: unknown) => void };
/** Sorts after every key (keys are ISO time + '#' + id). */
const END = '\uffff';

export class SqliteIncidentStore extends RevisionedIncidentStore {
  /** The database, shared with the silences and replay claims of the same file (sqlite-records.ts). */
  readonly db: Database.Database;
  private readonly q: Record<string, Database.Statement>;
  /**
   * A database in memory has this one connection: nothing can run between a read and a write of the same
   * synchronous callback, so its conditional writes need no BEGIN/COMMIT (two statements fewer each).
   */
  private readonly mayShareFile: boolean;
  /**
   * The index columns of the rows this connection last wrote, by id with their rev: an update whose columns did
   * not change writes the body alone (SQLite rewrites an index entry for every SET column otherwise). The rev check
   * makes it exact: the row is the one this connection wrote only while its rev is the one expected. Never filled
   * from a read, whose stored columns may be an older build's (the next full update corrects them).
   */
  private readonly columnsSeen = new Map<string, { rev: number; key: string }>();
  /**
   * Conditional replaces (outcome updates, claims) wait for the end of the event loop's turn and run there
   * together, in call order; any other call on this store runs them first, so every call still finds every write
   * made before it, and a caller's promise settles only once its write is in the database (on a file: committed,
   * the turn's replaces in one transaction). The send thread's replies come in batches: their outcome updates ran
   * one at a time between each alarm's other work, each paying SQLite's cache misses anew
   * (docs/performance-notes.md, "Stop 15").
   */
  private queued: QueuedReplace[] = [];

  /** `file`: a database file (WAL); omitted, the database lives in memory. */
  constructor(file?: string) {
    super();
    this.db = new Database(file ?? ':memory:');
    this.mayShareFile = file !== undefined;
    if (file) {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
    }
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
    const s = (sql: string) => this.db.prepare(sql);
    const cols = 'id, rev, body, day, day_key, open_key, due_key, held';
    this.q = {
      getLatch: s('SELECT body FROM latches WHERE slot = ?'),
      putLatch: s('INSERT INTO latches (slot, body) VALUES (?, ?) ON CONFLICT (slot) DO UPDATE SET body = excluded.body'),
      getGroup: s('SELECT body FROM group_records WHERE group_key = ?'),
      getPointer: s('SELECT body FROM group_pointers WHERE slot = ?'),
      putPointer: s('INSERT INTO group_pointers (slot, body) VALUES (?, ?) ON CONFLICT (slot) DO UPDATE SET body = excluded.body'),
      insertGroup: s('INSERT INTO group_records (group_key, version, body) VALUES (?, ?, ?) ON CONFLICT (group_key) DO NOTHING'),
      updateGroup: s('UPDATE group_records SET version = ?, body = ? WHERE group_key = ? AND version = ?'),
      getIncident: s('SELECT body FROM incidents WHERE id = ?'),
      insertIncident: s(`INSERT INTO incidents (${cols}) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`),
      replaceIncident: s('UPDATE incidents SET rev = ?, body = ?, day = ?, day_key = ?, open_key = ?, due_key = ?, held = ? WHERE id = ? AND rev = ?'),
      replaceBody: s('UPDATE incidents SET rev = ?, body = ? WHERE id = ? AND rev = ?'),
      unresolved: s('SELECT body FROM incidents WHERE open_key IS NOT NULL AND open_key < ? ORDER BY open_key DESC LIMIT ?'),
      held: s('SELECT body FROM incidents WHERE open_key IS NOT NULL AND held = 1 ORDER BY open_key DESC LIMIT ?'),
      byDayAsc: s('SELECT body FROM incidents WHERE day = ? AND day_key >= ? AND day_key <= ? AND day_key < ? ORDER BY day_key ASC LIMIT ?'),
      byDayDesc: s('SELECT body FROM incidents WHERE day = ? AND day_key >= ? AND day_key <= ? AND day_key < ? ORDER BY day_key DESC LIMIT ?'),
      due: s('SELECT body FROM incidents WHERE due_key IS NOT NULL AND due_key <= ? ORDER BY due_key ASC LIMIT ?'),
      putDeadLetter: s('INSERT INTO dead_letters (day, at, reason, source, raw) VALUES (?, ?, ?, ?, ?)'),
      deadLetters: s('SELECT at, reason, source, raw FROM dead_letters WHERE day = ? ORDER BY at, seq'),
      begin: s('BEGIN IMMEDIATE'),
      commit: s('COMMIT'),
      rollback: s('ROLLBACK'),
    };
  }

  /** Opens (or creates) the store of a `--data` folder. */
  static inDirectory(dir: string): SqliteIncidentStore {
    return new SqliteIncidentStore(join(dir, SQLITE_FILE));
  }

  close(): void {
    if (!this.db.open) return;
    this.runQueued();
    this.db.close();
  }

  private latch(slot: string): Latch | undefined {
    const row = this.q.getLatch.get(slot) as Row | undefined;
    return row ? (JSON.parse(row.body) as Latch) : undefined;
  }

  private writeLatch(slot: string, l: Latch): void {
    this.q.putLatch.run(slot, JSON.stringify(l));
  }

  /**
   * Runs `fn` (a read, then at most one write) with no other writer between its read and its write: in one write
   * transaction on a file (BEGIN IMMEDIATE, through prepared statements: `db.transaction(fn)` builds four wrappers
   * and compiles BEGIN and COMMIT on every call), as it is in memory (see `mayShareFile`).
   */
  private atomically<T>(fn: () => T): T {
    return this.mayShareFile ? this.transaction(fn) : fn();
  }

  /** `fn` in a transaction whatever the database: for the callbacks that write more than one row. */
  private transaction<T>(fn: () => T): T {
    this.q.begin.run();
    try {
      const result = fn();
      this.q.commit.run();
      return result;
    } catch (err) {
      if (this.db.inTransaction) this.q.rollback.run();
      throw err;
    }
  }

  async recordProblem(incidentKey: string, changedAt: string, id: string, f: ProblemFields): Promise<ProblemResult> {
    this.runQueued();
    const slot = storedIncidentKey(incidentKey);
    const written = this.atomically(() => {
      const old = this.latch(slot);
      if (old && !(old.lastChange < changedAt)) return { old, wrote: false };
      this.writeLatch(slot, openedLatch(old, incidentKey, changedAt, id, f));
      return { old, wrote: true };
    });
    const { old } = written;
    if (!written.wrote) {
      const latch = old!;
      const target = latch.groupId ?? latch.openId;
      const incident = (await this.getIncident(id)) ?? (target && target !== id ? await this.getIncident(target) : null);
      return { kind: 'conflict', latch, incident };
    }
    const flips = old?.flips ?? [];
    return old?.openId
      ? { kind: 'duplicate', openId: old.openId, groupId: old.groupId ?? old.openId, openedAt: old.openedAt ?? null, flips }
      : { kind: 'opened', flips };
  }

  async recordRecovery(incidentKey: string, changedAt: string, f: { alarmName: string; messageId: string | null }): Promise<RecoveryResult> {
    this.runQueued();
    const slot = storedIncidentKey(incidentKey);
    const written = this.atomically(() => {
      const old = this.latch(slot);
      if (old && !(old.lastChange < changedAt)) return { old, wrote: false };
      const next = advancedLatch(old, incidentKey, changedAt, f);
      this.writeLatch(
        slot,
        old?.openId ? { ...withoutEpisode(next), closedId: old.openId, closedChange: changedAt, closedGroupId: old.groupId ?? old.openId } : next,
      );
      return { old, wrote: true };
    });
    const { old } = written;
    if (!written.wrote) {
      const latch = old!;
      const id = latch.closedChange === changedAt ? (latch.closedGroupId ?? latch.closedId) : (latch.groupId ?? latch.openId);
      return { kind: 'conflict', latch, incident: id ? await this.getIncident(id) : null };
    }
    return old?.openId ? { kind: 'resolved', previous: old, flips: old.flips ?? [] } : { kind: 'no-episode', flips: old?.flips ?? [] };
  }

  async getLatch(incidentKey: string): Promise<Latch | null> {
    this.runQueued();
    return this.latch(storedIncidentKey(incidentKey)) ?? null;
  }

  async trimFlips(incidentKey: string, changedAt: string, keep: string[]): Promise<void> {
    this.runQueued();
    const slot = storedIncidentKey(incidentKey);
    this.atomically(() => {
      const l = this.latch(slot);
      if (l && l.lastChange === changedAt) this.writeLatch(slot, { ...l, flips: [...keep] });
    });
  }

  async releaseLatch(incidentKey: string, id: string): Promise<boolean> {
    this.runQueued();
    const slot = storedIncidentKey(incidentKey);
    return this.atomically(() => {
      const l = this.latch(slot);
      if (!l || l.openId !== id) return false;
      this.writeLatch(slot, withoutEpisode(l));
      return true;
    });
  }

  async setLatchGroup(incidentKey: string, openId: string, from: string, to: string): Promise<boolean> {
    this.runQueued();
    const slot = storedIncidentKey(incidentKey);
    return this.atomically(() => {
      const l = this.latch(slot);
      if (!l || l.openId !== openId || (l.groupId ?? l.openId) !== from) return false;
      this.writeLatch(slot, { ...l, groupId: to });
      return true;
    });
  }

  async lookupGroup(groupKey: string, incidentKey: string, childKeys: string[]): Promise<GroupLookupRead> {
    this.runQueued();
    const row = this.q.getGroup.get(groupKey) as Row | undefined;
    const children = [...new Set(childKeys)].slice(0, 20).flatMap((k) => this.latch(storedIncidentKey(k)) ?? []);
    const pointer = this.q.getPointer.get(storedIncidentKey(incidentKey)) as Row | undefined;
    return {
      record: row ? (JSON.parse(row.body) as GroupRecord) : null,
      latch: this.latch(storedIncidentKey(incidentKey)) ?? null,
      children,
      pointer: pointer ? (JSON.parse(pointer.body) as GroupPointer) : null,
    };
  }

  async pointChildren(childKeys: string[], pointer: GroupPointer): Promise<void> {
    this.runQueued();
    this.transaction(() => {
      for (const k of childKeys.slice(0, 20)) this.q.putPointer.run(storedIncidentKey(k), JSON.stringify(pointer));
    });
  }

  async putGroupRecord(next: GroupRecord, expectedVersion: number): Promise<boolean> {
    this.runQueued();
    const body = JSON.stringify(next);
    if (expectedVersion === 0) return this.q.insertGroup.run(next.groupKey, next.version, body).changes === 1;
    return this.q.updateGroup.run(next.version, body, next.groupKey, expectedVersion).changes === 1;
  }

  async createIncident(incident: Incident): Promise<boolean> {
    this.runQueued();
    const stored = { ...incident, rev: incident.rev ?? 1 };
    const c = indexColumns(stored);
    const created = this.q.insertIncident.run(stored.id, stored.rev, JSON.stringify(stored), c.day, c.dayKey, c.openKey, c.dueKey, c.held).changes === 1;
    if (created) this.saw(stored.id, stored.rev, c);
    return created;
  }

  async getIncident(id: string): Promise<Incident | null> {
    this.runQueued();
    const row = this.q.getIncident.get(id) as Row | undefined;
    return row ? this.parse(row) : null;
  }

  replaceIncident(next: Incident, expectedRev: number): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      if (this.queued.length === 0) setImmediate(this.runQueued);
      this.queued.push({ next, expectedRev, resolve, reject });
    });
  }

  /** Runs the replaces queued so far (see `queued`); every other method calls it first. */
  private readonly runQueued = (): void => {
    const batch = this.queued;
    if (batch.length === 0) return;
    this.queued = [];
    const run = () =>
      batch.map((op) => {
        try {
          return { written: this.replaceNow(op.next, op.expectedRev) };
        } catch (err) {
          // An error that ended the whole transaction (a full disk, an I/O error) fails the turn: what ran before it
          // is rolled back, and what comes after must not commit one statement at a time.
          if (this.mayShareFile && !this.db.inTransaction) throw err;
          return { err };
        }
      });
    let results: ({ written: boolean } | { err: unknown })[];
    try {
      results = this.mayShareFile ? this.transaction(run) : run();
    } catch (err) {
      // The transaction did not commit: none of its writes is there (nor are the index columns they noted).
      this.columnsSeen.clear();
      for (const op of batch) op.reject(err);
      return;
    }
    batch.forEach((op, i) => {
      const r = results[i];
      if ('err' in r) op.reject(r.err);
      else op.resolve(r.written);
    });
  };

  private replaceNow(next: Incident, expectedRev: number): boolean {
    const stored = { ...next, rev: expectedRev + 1 };
    const c = indexColumns(stored);
    const body = JSON.stringify(stored);
    const seen = this.columnsSeen.get(stored.id);
    const replaced =
      seen && seen.rev === expectedRev && seen.key === columnsKey(c)
        ? this.q.replaceBody.run(stored.rev, body, stored.id, expectedRev).changes === 1
        : this.q.replaceIncident.run(stored.rev, body, c.day, c.dayKey, c.openKey, c.dueKey, c.held, stored.id, expectedRev).changes === 1;
    if (replaced) this.saw(stored.id, stored.rev, c);
    return replaced;
  }

  private saw(id: string, rev: number, c: IndexColumns): void {
    const cache = this.columnsSeen;
    cache.delete(id);
    cache.set(id, { rev, key: columnsKey(c) });
    if (cache.size > COLUMNS_SEEN_MAX) cache.delete(cache.keys().next().value!);
  }

  async listUnresolved(limit = 500, before?: string): Promise<Incident[]> {
    this.runQueued();
    return this.rows(this.q.unresolved.all(before ?? END, limit));
  }

  async listByDay(day: string, opts: DayQuery = {}): Promise<Incident[]> {
    this.runQueued();
    const stmt = opts.newestFirst ? this.q.byDayDesc : this.q.byDayAsc;
    return this.rows(stmt.all(day, opts.from ?? '', opts.to ? `${opts.to}~` : END, opts.before ?? END, opts.limit ?? 10_000));
  }

  async listDue(now: string, limit = 100): Promise<Incident[]> {
    this.runQueued();
    return this.rows(this.q.due.all(`${now}~`, limit));
  }

  async listHeld(limit = 500): Promise<Incident[]> {
    this.runQueued();
    return this.rows(this.q.held.all(limit));
  }

  /** One row however long: SQLite keeps up to 1 GB in a TEXT value, no need for the DynamoDB adapter's parts. */
  async putDeadLetter(d: DeadLetter): Promise<void> {
    this.runQueued();
    this.q.putDeadLetter.run(d.at.slice(0, 10), d.at, d.reason, d.source, d.raw);
  }

  async listDeadLetters(day: string): Promise<DeadLetter[]> {
    this.runQueued();
    return this.q.deadLetters.all(day) as DeadLetter[];
  }

  private parse(row: Row): Incident {
    return validIncident(JSON.parse(row.body) as Record<string, unknown>);
  }

  private rows(rows: unknown[]): Incident[] {
    return (rows as Row[]).map((r) => this.parse(r));
  }
}
