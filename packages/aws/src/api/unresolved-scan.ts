/**
 * A bounded read of unresolved incidents: newest first from a keyset cursor, in chunks through the store's
 * unresolved listing, keeping those that match, until `page` matched or `scan` were read. What the dashboard and
 * Slack's `/incident list` show, so neither reads every open incident however many there are (at most `scan` + 1:
 * the one past the budget only says whether there are more).
 */
import type { Incident } from '@alert-router/core';
import type { IncidentStore } from '../store/port';

/** What a scan reads: whole incidents, or the dashboard's listing rows (on DynamoDB read from the index alone). */
type Scanned = Pick<Incident, 'openedAt' | 'id' | 'status'>;

export interface UnresolvedScan<T extends Scanned = Incident> {
  /** Every matching incident read, newest first (the first `page` of them are the page). */
  matched: T[];
  /** Every unresolved incident older than the cursor was read: `matched` is the whole set from there. */
  exhausted: boolean;
  /** Sort key (`<openedAt>#<id>`) the next page starts before; null when nothing is left. */
  next: string | null;
}

export const sortKeyOf = (i: Pick<Incident, 'openedAt' | 'id'>): string => `${i.openedAt}#${i.id}`;

export async function scanUnresolved<T extends Scanned = Incident>(
  source: Pick<IncidentStore, 'listUnresolved'> | ((limit: number, before?: string) => Promise<T[]>),
  keep: (i: T) => boolean,
  opts: { page: number; scan: number; chunk?: number; before?: string | null },
): Promise<UnresolvedScan<T>> {
  const list = typeof source === 'function' ? source : (limit: number, before?: string) => source.listUnresolved(limit, before) as unknown as Promise<T[]>;
  const matched: T[] = [];
  let cursor = opts.before ?? undefined;
  let scanned = 0;
  let exhausted = false;
  for (;;) {
    const left = opts.scan - scanned;
    const want = Math.min(opts.chunk ?? 250, left);
    // The last chunk asks for one more, only to learn whether anything is left beyond the budget.
    const ask = want === left ? want + 1 : want;
    const chunk = await list(ask, cursor);
    const used = chunk.slice(0, want);
    scanned += used.length;
    for (const i of used) if (i.status !== 'resolved' && keep(i)) matched.push(i);
    if (chunk.length < ask) {
      exhausted = true;
      break;
    }
    cursor = sortKeyOf(used[used.length - 1]);
    if (scanned >= opts.scan) break;
  }
  const next = matched.length > opts.page ? sortKeyOf(matched[opts.page - 1]) : exhausted ? null : (cursor ?? null);
  return { matched, exhausted, next };
}
