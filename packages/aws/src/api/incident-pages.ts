/**
 * `GET /api/incidents` one page at a time: newest first (opened, then id), at most `limit` incidents and a `next`
 * cursor when more match. Keyset paging on the indexes' own sort key (`<openedAt>#<id>`): a page reads from
 * where the last one stopped, so every incident is reachable and none comes twice, however many there are.
 * Unresolved incidents come from the store's unresolved listing (any age), history from its by-day listing over the
 * window, both through the store port.
 */
import type { Incident, IncidentStatus, Severity } from '@alert-router/core';
import type { Runtime } from '../runtime';

export const PAGE_LIMIT = { default: 100, max: 500 } as const;

export interface PageFilter {
  status?: IncidentStatus;
  severity?: Severity;
  alarm?: string;
  /** History from (ISO); unresolved incidents are listed whatever their age. */
  since: string;
  /** Exclusive upper bound: the sort key the previous page ended on. */
  before?: string;
  limit: number;
}

export interface IncidentPage {
  incidents: Incident[];
  /** The cursor of the next page; null when this is the last. */
  next: string | null;
}

const CURSOR_PREFIX = 'v1:';
const SORT_KEY = /^\d{4}-\d{2}-\d{2}T[\d:.]+Z#[^\s]{1,200}$/;

export function encodeCursor(sortKey: string): string {
  return Buffer.from(CURSOR_PREFIX + sortKey, 'utf8').toString('base64url');
}

/** The sort key of a cursor, or null when it is not one this API wrote. */
export function decodeCursor(cursor: string): string | null {
  if (!/^[A-Za-z0-9_-]{1,400}$/.test(cursor)) return null;
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!text.startsWith(CURSOR_PREFIX)) return null;
  const key = text.slice(CURSOR_PREFIX.length);
  return SORT_KEY.test(key) ? key : null;
}

const sortKey = (i: Incident) => `${i.openedAt}#${i.id}`;

/** A store listing pulled page by page from `before` on, each page resuming after the last one's sort key. */
async function* paged(page: (before: string) => Promise<Incident[]>, before: string, chunk: number): AsyncGenerator<Incident> {
  for (let cursor = before; ;) {
    const items = await page(cursor);
    yield* items;
    if (items.length < chunk) return;
    cursor = sortKey(items[items.length - 1]);
  }
}

function unresolved(rt: Runtime, before: string, chunk: number): AsyncGenerator<Incident> {
  return paged((b) => rt.store.listUnresolved(chunk, b), before, chunk);
}

/** Day by day from `before`'s day back to `since`'s, stopping at `since`. */
async function* history(rt: Runtime, since: string, before: string, chunk: number): AsyncGenerator<Incident> {
  const first = Date.parse(`${since.slice(0, 10)}T00:00:00Z`);
  for (let t = Date.parse(`${before.slice(0, 10)}T00:00:00Z`); t >= first; t -= 86_400_000) {
    const day = new Date(t).toISOString().slice(0, 10);
    for await (const i of paged((b) => rt.store.listByDay(day, { before: b, newestFirst: true, limit: chunk }), before, chunk)) {
      if (i.openedAt < since) return;
      yield i;
    }
  }
}

/** Two newest-first streams as one, an incident in both (unresolved and in the window) once. */
async function* mergeDescending(a: AsyncGenerator<Incident> | null, b: AsyncGenerator<Incident> | null): AsyncGenerator<Incident> {
  let x = a ? await a.next() : null;
  let y = b ? await b.next() : null;
  while ((x && !x.done) || (y && !y.done)) {
    const xi = x && !x.done ? x.value : null;
    const yi = y && !y.done ? y.value : null;
    const kx = xi ? sortKey(xi) : '';
    const ky = yi ? sortKey(yi) : '';
    if (xi && (!yi || kx > ky)) {
      yield xi;
      x = await a!.next();
    } else if (yi && (!xi || ky > kx)) {
      yield yi;
      y = await b!.next();
    } else {
      yield xi!;
      x = await a!.next();
      y = await b!.next();
    }
  }
}

function matches(i: Incident, f: PageFilter, alarm: string | undefined): boolean {
  if (f.status && i.status !== f.status) return false;
  if (f.severity && i.severity !== f.severity) return false;
  return !alarm || i.alarmName.toLowerCase().includes(alarm);
}

/** One page of the incidents matching `f`, and the cursor of the next when one more matches. */
export async function incidentPage(rt: Runtime, f: PageFilter): Promise<IncidentPage> {
  // Past anything that may be written now (clock skew between writers), "~" sorts after every `#id`.
  const before = f.before ?? `${new Date(rt.now().getTime() + 60_000).toISOString()}~`;
  const chunk = Math.min(f.limit + 1, 1000);
  const wantsUnresolved = f.status !== 'resolved';
  const wantsHistory = f.status !== 'open' && f.status !== 'acknowledged';
  const stream = mergeDescending(wantsUnresolved ? unresolved(rt, before, chunk) : null, wantsHistory ? history(rt, f.since, before, chunk) : null);
  const alarm = f.alarm?.toLowerCase();
  const incidents: Incident[] = [];
  let more = false;
  for await (const i of stream) {
    if (!matches(i, f, alarm)) continue;
    if (incidents.length === f.limit) {
      more = true;
      break;
    }
    incidents.push(i);
  }
  return { incidents, next: more ? encodeCursor(sortKey(incidents[incidents.length - 1])) : null };
}
