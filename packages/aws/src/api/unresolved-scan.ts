/**
 * A bounded read of unresolved incidents: newest first from a keyset cursor, in chunks through the store's
 * unresolved listing, keeping those that match, until `page` matched or `scan` were read. What the dashboard and
 * Slack's `/incident list` show, so neither reads every open incident however many there are.
 */
import type { Incident } from '@alert-router/core';
import type { IncidentStore } from '../store/port';

export interface UnresolvedScan {
  /** Every matching incident read, newest first (the first `page` of them are the page). */
  matched: Incident[];
  /** Every unresolved incident older than the cursor was read: `matched` is the whole set from there. */
  exhausted: boolean;
  /** Sort key (`<openedAt>#<id>`) the next page starts before; null when nothing is left. */
  next: string | null;
}

export const sortKeyOf = (i: Pick<Incident, 'openedAt' | 'id'>): string => `${i.openedAt}#${i.id}`;

export async function scanUnresolved(
  store: Pick<IncidentStore, 'listUnresolved'>,
  keep: (i: Incident) => boolean,
  opts: { page: number; scan: number; chunk?: number; before?: string | null },
): Promise<UnresolvedScan> {
  const matched: Incident[] = [];
  let cursor = opts.before ?? undefined;
  let scanned = 0;
  let exhausted = false;
  while (scanned < opts.scan) {
    const want = Math.min(opts.chunk ?? 250, opts.scan - scanned);
    const chunk = await store.listUnresolved(want, cursor);
    scanned += chunk.length;
    for (const i of chunk) if (i.status !== 'resolved' && keep(i)) matched.push(i);
    if (chunk.length < want) {
      exhausted = true;
      break;
    }
    cursor = sortKeyOf(chunk[chunk.length - 1]);
  }
  const next = matched.length > opts.page ? sortKeyOf(matched[opts.page - 1]) : exhausted ? null : (cursor ?? null);
  return { matched, exhausted, next };
}
