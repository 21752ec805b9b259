/**
 * The IncidentStore port on SQLite (libsql, better-sqlite3's API): the embedded default's store. It lives in
 * packages/local so that no Lambda bundle ever pulls in a native module.
 *
 * In memory by default; on a file in WAL mode with `synchronous = NORMAL`: a commit is in the write-ahead log
 * (the OS's page cache) before the call returns, so it survives the process being killed (`kill -9`, a crash);
 * only a power loss or an OS crash may roll back the last commits, which FULL (an fsync per commit, ~1–10 ms
 * on an ordinary disk) would also cover. A local router is one process on one machine; NORMAL is the trade.
 *
 * Under load every call runs at the end of the event-loop turn it was made in, with the other calls of that turn,
 * in call order (`queued`; calls that come alone run at once: `alone`); a turn that writes is one transaction
 * (in memory, one of more than one call: `mayShareFile`). Conditional writes are a read and a write in one
 * synchronous step, or guarded statements (`UPDATE … WHERE id = ? AND rev = ?`, then `changes`). The access
 * patterns of the DynamoDB indexes are columns derived from the incident on every write (never stored separately
 * from it), each with its own index; so is its listing row (`listing`, store/row.ts), which the dashboard's lists
 * and the digest read instead of the body. Records are read back validated.
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
import { rowOf, type IncidentRow } from '@alert-router/aws/store/row';
import { validIncident, validRow } from '@alert-router/aws/store/validate';

/** The database file `--data DIR` keeps incidents in. */
export const SQLITE_FILE = 'alert-router.sqlite';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS latches (slot TEXT PRIMARY KEY, body TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS group_records (group_key TEXT PRIMARY KEY, version INTEGER NOT NULL, body TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS group_pointers (slot TEXT PRIMARY KEY, body TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS incidents (
  id TEXT PRIMARY KEY,
  rev INTEGER NOT NULL,
  listing_rev INTEGER,
  listing TEXT,
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
/**
 * `listing` is null where the row's listing is not the one of its rev (`listing_rev`): a row an older build wrote,
 * which knew no such columns (nor updates them, if it runs on this file again). Its row is made from its body.
 */
type ListingRow = { listing: string | null; body: string | null };
type QueuedCall = { run: () => unknown; resolve: (result: never) => void; reject: (err: unknown) => void };
/** Calls in a turn at most that still count as coming alone (an alarm may make two at once); see `alone`. */
const ALONE_MAX = 2;
/** While calls come alone, one in this many waits for the end of its turn to see whether they still do. */
const PROBE_EVERY = 32;
/** Sorts after every key (keys are ISO time + '#' + id). */
const END = '\uffff';

export class SqliteIncidentStore extends RevisionedIncidentStore {
  /** The database, shared with the silences and replay claims of the same file (sqlite-records.ts). */
  readonly db: Database.Database;
  private readonly q: Record<string, Database.Statement>;
  /**
   * On a file, another connection (another process) may write between two statements: a turn's calls run in one
   * write transaction (BEGIN IMMEDIATE). A database in memory has this one connection, and nothing can run
   * between the statements of one synchronous step; its turns of more than one call that write are one transaction
   * all the same, for speed: SQLite then copies a page into its rollback journal once per turn instead of once per
   * statement (−19 % of the statements' time at c=50, docs/performance-notes.md, "Stop 22"). A call alone keeps
   * its statements' own implicit transactions, which cost less than BEGIN and COMMIT around them.
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
   * The calls of this event-loop turn, run at its end together, in call order (`runQueued`): every call finds the
   * writes of the calls made before it, and a caller's promise settles only once its write is in the database (on
   * a file: committed, the turn's calls in one transaction). Under load a turn holds the calls of many alarms at
   * the same stage: run back to back, SQLite's code and pages stay in the CPU's caches. Run one at a time between
   * each alarm's other work, every statement paid its cache misses anew and cost up to 8× what it costs in a loop
   * (docs/performance-notes.md, "Stop 17").
   */
  private queued: QueuedCall[] = [];
  /**
   * The last turn that waited held at most ALONE_MAX calls: one alarm at a time, where waiting for the end of the
   * turn only adds its latency (~0.1 ms a call at c=1). Its calls then run at once, in call order as ever (only with
   * nothing queued before them); every PROBE_EVERY-th waits for the end of its turn again, and every call made
   * meanwhile queues behind it: a turn that holds more than ALONE_MAX turns the waiting back on.
   */
  private alone = false;
  private sinceProbe = 0;
  /** Some call queued in this turn writes: the turn is then one transaction (`mayShareFile`); reads alone need none. */
  private queuedWrites = false;
  /** Turns that ran more than one call together (the simulation checks that its bursts made some). */
  turnsOfMany = 0;
  /** False: every call waits for the end of its turn (tests of the queue). */
  private readonly callsAtOnce: boolean;

  /** `file`: a database file (WAL); omitted, the database lives in memory. */
  constructor(file?: string, opts: { callsAtOnce?: boolean } = {}) {
    super();
    this.callsAtOnce = opts.callsAtOnce ?? true;
    this.db = new Database(file ?? ':memory:');
    this.mayShareFile = file !== undefined;
    if (file) {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
    }
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
    addListingColumn(this.db);
    const s = (sql: string) => this.db.prepare(sql);
    const cols = 'id, rev, body, day, day_key, open_key, due_key, held, listing, listing_rev';
    // The body only where the listing is missing or stale (ListingRow). `listing` comes before `body` in a record (in
    // a file an older build made, after it): a row's listing is read without the body's overflow pages.
    const listing = 'CASE WHEN listing_rev IS rev THEN listing END AS listing, CASE WHEN listing_rev IS NOT rev THEN body END AS body';
    this.q = {
      getLatch: s('SELECT body FROM latches WHERE slot = ?'),
      putLatch: s('INSERT INTO latches (slot, body) VALUES (?, ?) ON CONFLICT (slot) DO UPDATE SET body = excluded.body'),
      getGroup: s('SELECT body FROM group_records WHERE group_key = ?'),
      getPointer: s('SELECT body FROM group_pointers WHERE slot = ?'),
      putPointer: s('INSERT INTO group_pointers (slot, body) VALUES (?, ?) ON CONFLICT (slot) DO UPDATE SET body = excluded.body'),
      insertGroup: s('INSERT INTO group_records (group_key, version, body) VALUES (?, ?, ?) ON CONFLICT (group_key) DO NOTHING'),
      updateGroup: s('UPDATE group_records SET version = ?, body = ? WHERE group_key = ? AND version = ?'),
      getIncident: s('SELECT body FROM incidents WHERE id = ?'),
      insertIncident: s(`INSERT INTO incidents (${cols}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`),
      replaceIncident: s(
        'UPDATE incidents SET rev = ?1, listing_rev = ?1, body = ?, listing = ?, day = ?, day_key = ?, open_key = ?, due_key = ?, held = ? WHERE id = ? AND rev = ?',
      ),
      replaceBody: s('UPDATE incidents SET rev = ?1, listing_rev = ?1, body = ?, listing = ? WHERE id = ? AND rev = ?'),
      unresolved: s('SELECT body FROM incidents WHERE open_key IS NOT NULL AND open_key < ? ORDER BY open_key DESC LIMIT ?'),
      unresolvedRows: s(`SELECT ${listing} FROM incidents WHERE open_key IS NOT NULL AND open_key < ? ORDER BY open_key DESC LIMIT ?`),
      held: s('SELECT body FROM incidents WHERE open_key IS NOT NULL AND held = 1 ORDER BY open_key DESC LIMIT ?'),
      byDayAsc: s('SELECT body FROM incidents WHERE day = ? AND day_key >= ? AND day_key <= ? AND day_key < ? ORDER BY day_key ASC LIMIT ?'),
      byDayDesc: s('SELECT body FROM incidents WHERE day = ? AND day_key >= ? AND day_key <= ? AND day_key < ? ORDER BY day_key DESC LIMIT ?'),
      rowsByDayAsc: s(`SELECT ${listing} FROM incidents WHERE day = ? AND day_key >= ? AND day_key <= ? AND day_key < ? ORDER BY day_key ASC LIMIT ?`),
      rowsByDayDesc: s(`SELECT ${listing} FROM incidents WHERE day = ? AND day_key >= ? AND day_key <= ? AND day_key < ? ORDER BY day_key DESC LIMIT ?`),
      due: s('SELECT body FROM incidents WHERE due_key IS NOT NULL AND due_key <= ? ORDER BY due_key ASC LIMIT ?'),
      putDeadLetter: s('INSERT INTO dead_letters (day, at, reason, source, raw) VALUES (?, ?, ?, ?, ?)'),
      deadLetters: s('SELECT at, reason, source, raw FROM dead_letters WHERE day = ? ORDER BY at, seq'),
      begin: s('BEGIN IMMEDIATE'),
      commit: s('COMMIT'),
      rollback: s('ROLLBACK'),
      savepoint: s('SAVEPOINT call'),
      release: s('RELEASE call'),
      rollbackToSavepoint: s('ROLLBACK TO call'),
    };
  }

  /** Opens (or creates) the store of a `--data` folder. */
  static inDirectory(dir: string, opts: { callsAtOnce?: boolean } = {}): SqliteIncidentStore {
    return new SqliteIncidentStore(join(dir, SQLITE_FILE), opts);
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
   * `fn` all or nothing: a transaction (BEGIN IMMEDIATE, through prepared statements: `db.transaction(fn)` builds
   * four wrappers and compiles BEGIN and COMMIT on every call), or a savepoint inside the turn's transaction.
   */
  private transaction<T>(fn: () => T): T {
    const nested = this.db.inTransaction;
    (nested ? this.q.savepoint : this.q.begin).run();
    try {
      const result = fn();
      (nested ? this.q.release : this.q.commit).run();
      return result;
    } catch (err) {
      if (this.db.inTransaction) {
        if (nested) {
          this.q.rollbackToSavepoint.run();
          this.q.release.run();
        } else this.q.rollback.run();
      }
      throw err;
    }
  }

  /**
   * The turn's own transaction (BEGIN IMMEDIATE), never a savepoint: one left open by a failed COMMIT and
   * ROLLBACK is rolled back first, or this turn would settle as committed what nobody commits.
   */
  private turnTransaction<T>(fn: () => T): T {
    if (this.db.inTransaction) this.q.rollback.run();
    return this.transaction(fn);
  }

  /** A call that only reads: on a file, a turn of reads takes no write lock. */
  private reading<T>(run: () => T): Promise<T> {
    return this.later(run, false);
  }

  /**
   * `run` at the end of this turn, with the turn's other calls (see `queued`); at once while the calls come alone
   * (`alone`), with nothing queued before it.
   */
  private later<T>(run: () => T, writes = true): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const first = this.queued.length === 0;
      this.queued.push({ run, resolve: resolve as (result: never) => void, reject });
      if (writes) this.queuedWrites = true;
      if (!first) return;
      if (this.callsAtOnce && this.alone && ++this.sinceProbe < PROBE_EVERY) this.runQueued();
      else {
        this.sinceProbe = 0;
        setImmediate(this.endOfTurn);
      }
    });
  }

  /** The turn's calls; how many there were says whether the next ones may run at once (see `alone`). */
  private readonly endOfTurn = (): void => {
    this.alone = this.queued.length <= ALONE_MAX;
    this.runQueued();
  };

  async recordProblem(incidentKey: string, changedAt: string, id: string, f: ProblemFields): Promise<ProblemResult> {
    const slot = storedIncidentKey(incidentKey);
    const fields = { ...f, channels: [...f.channels] };
    const written = await this.later(() => {
      const old = this.latch(slot);
      if (old && !(old.lastChange < changedAt)) return { old, wrote: false };
      this.writeLatch(slot, openedLatch(old, incidentKey, changedAt, id, fields));
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
    const slot = storedIncidentKey(incidentKey);
    const fields = { alarmName: f.alarmName, messageId: f.messageId };
    const written = await this.later(() => {
      const old = this.latch(slot);
      if (old && !(old.lastChange < changedAt)) return { old, wrote: false };
      const next = advancedLatch(old, incidentKey, changedAt, fields);
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
    return this.reading(() => this.latch(storedIncidentKey(incidentKey)) ?? null);
  }

  async trimFlips(incidentKey: string, changedAt: string, keep: string[]): Promise<void> {
    const slot = storedIncidentKey(incidentKey);
    const flips = [...keep];
    return this.later(() => {
      const l = this.latch(slot);
      if (l && l.lastChange === changedAt) this.writeLatch(slot, { ...l, flips });
    });
  }

  async releaseLatch(incidentKey: string, id: string): Promise<boolean> {
    const slot = storedIncidentKey(incidentKey);
    return this.later(() => {
      const l = this.latch(slot);
      if (!l || l.openId !== id) return false;
      this.writeLatch(slot, withoutEpisode(l));
      return true;
    });
  }

  async setLatchGroup(incidentKey: string, openId: string, from: string, to: string): Promise<boolean> {
    const slot = storedIncidentKey(incidentKey);
    return this.later(() => {
      const l = this.latch(slot);
      if (!l || l.openId !== openId || (l.groupId ?? l.openId) !== from) return false;
      this.writeLatch(slot, { ...l, groupId: to });
      return true;
    });
  }

  async lookupGroup(groupKey: string, incidentKey: string, childKeys: string[]): Promise<GroupLookupRead> {
    const slots = [...new Set(childKeys)].slice(0, 20).map(storedIncidentKey);
    return this.reading(() => {
      const row = this.q.getGroup.get(groupKey) as Row | undefined;
      const children = slots.flatMap((k) => this.latch(k) ?? []);
      const pointer = this.q.getPointer.get(storedIncidentKey(incidentKey)) as Row | undefined;
      return {
        record: row ? (JSON.parse(row.body) as GroupRecord) : null,
        latch: this.latch(storedIncidentKey(incidentKey)) ?? null,
        children,
        pointer: pointer ? (JSON.parse(pointer.body) as GroupPointer) : null,
      };
    });
  }

  async pointChildren(childKeys: string[], pointer: GroupPointer): Promise<void> {
    const body = JSON.stringify(pointer);
    const keys = childKeys.slice(0, 20);
    return this.later(() =>
      this.transaction(() => {
        for (const k of keys) this.q.putPointer.run(storedIncidentKey(k), body);
      }),
    );
  }

  async putGroupRecord(next: GroupRecord, expectedVersion: number): Promise<boolean> {
    const body = JSON.stringify(next);
    const { groupKey, version } = next;
    return this.later(() =>
      expectedVersion === 0
        ? this.q.insertGroup.run(groupKey, version, body).changes === 1
        : this.q.updateGroup.run(version, body, groupKey, expectedVersion).changes === 1,
    );
  }

  async createIncident(incident: Incident): Promise<boolean> {
    const stored = { ...incident, rev: incident.rev ?? 1 };
    const c = indexColumns(stored);
    const body = JSON.stringify(stored);
    const listing = JSON.stringify(rowOf(stored));
    return this.later(() => {
      const created = this.q.insertIncident.run(stored.id, stored.rev, body, c.day, c.dayKey, c.openKey, c.dueKey, c.held, listing, stored.rev).changes === 1;
      if (created) this.saw(stored.id, stored.rev, c);
      return created;
    });
  }

  async getIncident(id: string): Promise<Incident | null> {
    return this.reading(() => {
      const row = this.q.getIncident.get(id) as Row | undefined;
      return row ? this.parse(row) : null;
    });
  }

  async replaceIncident(next: Incident, expectedRev: number): Promise<boolean> {
    const stored = { ...next, rev: expectedRev + 1 };
    const body = JSON.stringify(stored);
    const listing = JSON.stringify(rowOf(stored));
    const c = indexColumns(stored);
    return this.later(() => this.replaceNow(stored, body, listing, c, expectedRev));
  }

  /** Runs the calls queued so far (see `queued`). */
  private readonly runQueued = (): void => {
    const batch = this.queued;
    if (batch.length === 0) return;
    if (batch.length > 1) this.turnsOfMany++;
    const writes = this.queuedWrites;
    this.queued = [];
    this.queuedWrites = false;
    const inTurnTransaction = writes && (this.mayShareFile || batch.length > 1);
    const run = () =>
      batch.map((op) => {
        try {
          return { result: op.run() };
        } catch (err) {
          // An error that ended the whole transaction (a full disk, an I/O error) fails the turn: what ran before it
          // is rolled back, and what comes after must not commit one statement at a time.
          if (inTurnTransaction && !this.db.inTransaction) throw err;
          return { err };
        }
      });
    let results: ({ result: unknown } | { err: unknown })[];
    try {
      results = inTurnTransaction ? this.turnTransaction(run) : run();
    } catch (err) {
      // The transaction did not commit: none of its writes is there (nor are the index columns they noted).
      this.columnsSeen.clear();
      for (const op of batch) op.reject(err);
      return;
    }
    batch.forEach((op, i) => {
      const r = results[i];
      if ('err' in r) op.reject(r.err);
      else op.resolve(r.result as never);
    });
  };

  private replaceNow(stored: Incident & { rev: number }, body: string, listing: string, c: IndexColumns, expectedRev: number): boolean {
    const seen = this.columnsSeen.get(stored.id);
    const replaced =
      seen && seen.rev === expectedRev && seen.key === columnsKey(c)
        ? this.q.replaceBody.run(stored.rev, body, listing, stored.id, expectedRev).changes === 1
        : this.q.replaceIncident.run(stored.rev, body, listing, c.day, c.dayKey, c.openKey, c.dueKey, c.held, stored.id, expectedRev).changes === 1;
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
    return this.reading(() => this.rows(this.q.unresolved.all(before ?? END, limit)));
  }

  async listByDay(day: string, opts: DayQuery = {}): Promise<Incident[]> {
    const stmt = opts.newestFirst ? this.q.byDayDesc : this.q.byDayAsc;
    const args = [day, opts.from ?? '', opts.to ? `${opts.to}~` : END, opts.before ?? END, opts.limit ?? 10_000];
    return this.reading(() => this.rows(stmt.all(...args)));
  }

  override async listUnresolvedRows(limit = 500, before?: string): Promise<IncidentRow[]> {
    return this.reading(() => this.listingRows(this.q.unresolvedRows.all(before ?? END, limit)));
  }

  override async listRowsByDay(day: string, opts: DayQuery = {}): Promise<IncidentRow[]> {
    const stmt = opts.newestFirst ? this.q.rowsByDayDesc : this.q.rowsByDayAsc;
    const args = [day, opts.from ?? '', opts.to ? `${opts.to}~` : END, opts.before ?? END, opts.limit ?? 10_000];
    return this.reading(() => this.listingRows(stmt.all(...args)));
  }

  async listDue(now: string, limit = 100): Promise<Incident[]> {
    return this.reading(() => this.rows(this.q.due.all(`${now}~`, limit)));
  }

  async listHeld(limit = 500): Promise<Incident[]> {
    return this.reading(() => this.rows(this.q.held.all(limit)));
  }

  /** One row however long: SQLite keeps up to 1 GB in a TEXT value, no need for the DynamoDB adapter's parts. */
  async putDeadLetter(d: DeadLetter): Promise<void> {
    const row = [d.at.slice(0, 10), d.at, d.reason, d.source, d.raw];
    return this.later(() => {
      this.q.putDeadLetter.run(...row);
    });
  }

  async listDeadLetters(day: string): Promise<DeadLetter[]> {
    return this.reading(() => this.q.deadLetters.all(day) as DeadLetter[]);
  }

  private parse(row: Row): Incident {
    return validIncident(JSON.parse(row.body) as Record<string, unknown>);
  }

  private rows(rows: unknown[]): Incident[] {
    return (rows as Row[]).map((r) => this.parse(r));
  }

  private listingRows(rows: unknown[]): IncidentRow[] {
    return (rows as ListingRow[]).map((r) =>
      r.listing === null ? rowOf(this.parse({ body: r.body ?? '' })) : validRow(JSON.parse(r.listing) as Record<string, unknown>),
    );
  }
}

/** A file an older build created has no listing columns: added, empty (its rows are then made from their bodies). */
export function addListingColumn(db: Database.Database): void {
  const columns = new Set((db.prepare('PRAGMA table_info(incidents)').all() as { name: string }[]).map((c) => c.name));
  for (const [name, type] of [
    ['listing_rev', 'INTEGER'],
    ['listing', 'TEXT'],
  ])
    if (!columns.has(name))
      try {
        db.exec(`ALTER TABLE incidents ADD COLUMN ${name} ${type}`);
      } catch (err) {
        // Another process opening the same older file added it first.
        if (!/duplicate column name/i.test(String((err as Error).message))) throw err;
      }
}
