/**
 * The embedded default's other records, in the SQLite database of its incidents (sqlite-store.ts): silences and
 * Slack replay claims. Unlike dynalite, SQLite lets expired claims and old silences be deleted for real.
 */
import { createHash } from 'node:crypto';
import type Database from 'libsql';
import { silenceIsActive, type Silence } from '@alert-router/core';
import { newSilence, type NewSilence, type SilenceStore } from '@alert-router/aws/silences';
import { replayClaimExpiry, type ReplayClaims } from '@alert-router/aws/slack/replay-store';

/** Ended or expired silences are kept this long (as the table's TTL does), then deleted. */
const SILENCE_KEEP_MS = 30 * 86_400_000;

export class SqliteSilenceStore implements SilenceStore {
  private readonly q: Record<string, Database.Statement>;

  constructor(db: Database.Database) {
    db.exec(`CREATE TABLE IF NOT EXISTS silences (id TEXT PRIMARY KEY, ends_at TEXT NOT NULL, body TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS silences_by_end ON silences (ends_at);`);
    this.q = {
      insert: db.prepare('INSERT INTO silences (id, ends_at, body) VALUES (?, ?, ?)'),
      get: db.prepare('SELECT body FROM silences WHERE id = ?'),
      end: db.prepare("UPDATE silences SET ends_at = ?, body = ? WHERE id = ? AND ends_at > ? AND json_extract(body, '$.endedBy') IS NULL"),
      active: db.prepare('SELECT body FROM silences WHERE ends_at > ? ORDER BY ends_at'),
      forget: db.prepare('DELETE FROM silences WHERE ends_at < ?'),
    };
  }

  async create(input: NewSilence): Promise<Silence> {
    const s = newSilence(input);
    this.q.forget.run(new Date(Date.parse(input.now) - SILENCE_KEEP_MS).toISOString());
    this.q.insert.run(s.id, s.endsAt, JSON.stringify(s));
    return s;
  }

  async end(id: string, by: string, now: string): Promise<Silence | null> {
    const row = this.q.get.get(id) as { body: string } | undefined;
    if (!row) return null;
    const ended: Silence = { ...(JSON.parse(row.body) as Silence), endedBy: by, endsAt: now };
    return this.q.end.run(now, JSON.stringify(ended), id, now).changes === 1 ? ended : null;
  }

  async listActive(now: string): Promise<Silence[]> {
    return (this.q.active.all(now) as { body: string }[])
      .map((r) => JSON.parse(r.body) as Silence)
      .filter((s) => !s.endedBy && (silenceIsActive(s, now) || s.startsAt > now));
  }
}

/** Slack replay claims: one insert that only the first claim of a signature makes; expired claims are deleted. */
export function sqliteReplayClaims(db: Database.Database): ReplayClaims {
  db.exec('CREATE TABLE IF NOT EXISTS replay_claims (hash TEXT PRIMARY KEY, expires INTEGER NOT NULL) WITHOUT ROWID');
  const forget = db.prepare('DELETE FROM replay_claims WHERE expires < ?');
  const claim = db.prepare('INSERT INTO replay_claims (hash, expires) VALUES (?, ?) ON CONFLICT (hash) DO NOTHING');
  return async (signature, opts) => {
    forget.run(opts.nowSeconds);
    const hash = createHash('sha256').update(signature.trim().toLowerCase(), 'utf8').digest('hex');
    return claim.run(hash, replayClaimExpiry(opts)).changes === 1;
  };
}
