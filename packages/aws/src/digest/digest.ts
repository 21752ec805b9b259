/**
 * The daily digest: read the listing rows (store/row.ts) of the window's incidents through the by-day index (only
 * the days the window spans, each in pages of DIGEST_PAGE, kept as slim rows), of the unresolved ones opened
 * before the window through the status index (those opened in it are among the window's) and the silences;
 * compute (core/digest.ts); send to Slack (incoming webhook, Block Kit) and email (HTML + plain text + the chart
 * as an inline PNG). Channels that are not configured print to the local outbox instead, as the notifiers do.
 */
import {
  computeDigest,
  digestRow,
  digestRowOfListing,
  digestSubject,
  hourlyChartPng,
  renderDigestEmail,
  renderDigestSlack,
  type DigestIncident,
  type DigestReport,
  type Incident,
  type Policy,
} from '@alert-router/core';
import { silencesInForce } from '../dashboard/data';
import type { Runtime } from '../runtime';
import type { IncidentRow } from '../store/row';
import { broadcast, type BroadcastDeps, type BroadcastResult } from './broadcast';

export * from './broadcast';

/** Most incidents a digest reads from each index (a day with more is cut, and says so in the logs). */
export const DIGEST_READ_LIMIT = 20_000;
export const CHART_CID = 'digest-chart@alert-router';

/** Incidents one store request of the digest reads. */
export const DIGEST_PAGE = 500;
/** How long `GET /api/digest` answers from the report it computed last (per window length). */
export const DIGEST_CACHE_MS = 30_000;

const sortKey = (i: Pick<Incident, 'openedAt' | 'id'>) => `${i.openedAt}#${i.id}`;

/**
 * The digest's rows of listing rows, in their order. A row written before rows said whether they paged has its
 * incident read instead (a store written by an older build: read in batches, never a wrong count).
 */
async function digestRows(rt: Runtime, rows: IncidentRow[]): Promise<DigestIncident[]> {
  const slim = rows.map(digestRowOfListing);
  const missing = rows.filter((_, n) => slim[n] === null).map((r) => r.id);
  if (missing.length === 0) return slim as DigestIncident[];
  const read = new Map((await rt.store.getIncidents(missing)).map((i) => [i.id, digestRow(i)]));
  const out: DigestIncident[] = [];
  for (const [n, s] of slim.entries()) {
    const row = s ?? read.get(rows[n].id);
    if (row) out.push(row);
  }
  return out;
}

/**
 * Up to `limit` slim rows of a listing read in pages (`first`, then `next` before the last row's sort key), newest
 * first, until one sorts before `from`. Rows at or after `to` are skipped.
 */
async function pagedRows(
  rt: Runtime,
  pages: { first: () => Promise<IncidentRow[]>; next: (before: string) => Promise<IncidentRow[]> },
  range: { from: string; to: string },
  limit: number,
): Promise<DigestIncident[]> {
  const out: DigestIncident[] = [];
  for (let rows = await pages.first(); ; rows = await pages.next(sortKey(rows[rows.length - 1]))) {
    const kept: IncidentRow[] = [];
    let done = false;
    for (const r of rows) {
      if (r.openedAt < range.from || out.length + kept.length === limit) {
        done = true;
        break;
      }
      if (r.openedAt < range.to) kept.push(r);
    }
    out.push(...(await digestRows(rt, kept)));
    if (done || rows.length < DIGEST_PAGE) return out;
  }
}

/** Incidents opened in [from, to), newest first: the by-day index day by day from `to`'s back to `from`'s. */
async function windowRows(rt: Runtime, from: string, to: string): Promise<DigestIncident[]> {
  const out: DigestIncident[] = [];
  const firstDay = Date.parse(`${from.slice(0, 10)}T00:00:00Z`);
  for (let t = Date.parse(`${to.slice(0, 10)}T00:00:00Z`); t >= firstDay && out.length < DIGEST_READ_LIMIT; t -= 86_400_000) {
    const day = new Date(t).toISOString().slice(0, 10);
    // The first page is bounded by the window; a day with more than a page goes on before the last row read.
    const rows = await pagedRows(
      rt,
      {
        first: () => rt.store.listRowsByDay(day, { from, to, newestFirst: true, limit: DIGEST_PAGE }),
        next: (before) => rt.store.listRowsByDay(day, { before, newestFirst: true, limit: DIGEST_PAGE }),
      },
      { from, to },
      DIGEST_READ_LIMIT - out.length,
    );
    out.push(...rows);
  }
  return out;
}

/** The digest of the `hours` before `to` (default: the last 24 hours until now). */
export async function loadDigest(rt: Runtime, opts: { hours?: number; to?: Date } = {}): Promise<DigestReport> {
  const to = opts.to ?? rt.now();
  const hours = opts.hours ?? 24;
  const toIso = to.toISOString();
  const fromIso = new Date(to.getTime() - hours * 3_600_000).toISOString();
  const [incidents, olderOpen, silences] = await Promise.all([
    windowRows(rt, fromIso, toIso),
    // Unresolved and opened before the window (`from` sorts before every `<from>#<id>`); the window's are read above.
    pagedRows(
      rt,
      { first: () => rt.store.listUnresolvedRows(DIGEST_PAGE, fromIso), next: (before) => rt.store.listUnresolvedRows(DIGEST_PAGE, before) },
      { from: '', to: fromIso },
      DIGEST_READ_LIMIT,
    ),
    silencesInForce(rt, toIso),
  ]);
  const unresolved = [...incidents.filter((i) => i.status !== 'resolved'), ...olderOpen];
  return computeDigest({ incidents, unresolved, silences, policy: rt.policy, from: fromIso, to: toIso });
}

const cached = new WeakMap<Runtime, Map<number, { at: number; report: Promise<DigestReport> }>>();

/**
 * `GET /api/digest`: the report of the last `hours`, computed at most once per DIGEST_CACHE_MS per runtime (callers
 * within that time, and concurrent ones, share it), so a page that polls does not read the day again each time.
 */
export function loadDigestCached(rt: Runtime, hours: number): Promise<DigestReport> {
  const now = rt.now().getTime();
  let perHours = cached.get(rt);
  if (!perHours) cached.set(rt, (perHours = new Map()));
  const hit = perHours.get(hours);
  if (hit && now - hit.at < DIGEST_CACHE_MS && now >= hit.at) return hit.report;
  const report = loadDigest(rt, { hours });
  const entry = { at: now, report };
  perHours.set(hours, entry);
  report.catch(() => {
    if (perHours.get(hours) === entry) perHours.delete(hours);
  });
  return report;
}

export interface DigestEmailOptions {
  from: string;
  to: string[];
  policy: Policy;
  dashboardUrl?: string | null;
  /** Hour labels of the chart (default: the policy's time zone). */
  timeZone?: string;
}

/** The email as nodemailer mail options: HTML with the chart inline (cid), plain text, no chart on empty days. */
export function digestMail(report: DigestReport, o: DigestEmailOptions) {
  const png = report.empty ? null : hourlyChartPng(report.hourly, { timeZone: o.timeZone ?? o.policy.timezone });
  const { subject, text, html } = renderDigestEmail(report, { policy: o.policy, dashboardUrl: o.dashboardUrl, chartCid: png ? CHART_CID : null });
  return {
    from: o.from,
    to: o.to,
    subject,
    text,
    html,
    attachments: png
      ? [{ filename: 'incidents-per-hour.png', content: png, contentType: 'image/png', cid: CHART_CID, contentDisposition: 'inline' as const }]
      : [],
    headers: { 'Auto-Submitted': 'auto-generated', 'X-Auto-Response-Suppress': 'All', 'X-Alert-Router-Event': 'digest' },
    disableFileAccess: true,
    disableUrlAccess: true,
  };
}

export interface DigestRun extends BroadcastResult {
  report: DigestReport;
}

/** Sends a computed digest to Slack and email (each independently; one failing does not stop the other). */
export async function sendDigest(rt: Runtime, report: DigestReport, deps: BroadcastDeps = {}): Promise<BroadcastResult> {
  return broadcast(
    rt,
    {
      headline: digestSubject(report),
      slack: () => renderDigestSlack(report, { policy: rt.policy, dashboardUrl: rt.config.dashboardUrl }),
      email: (from, to) => digestMail(report, { from, to, policy: rt.policy, dashboardUrl: rt.config.dashboardUrl, timeZone: deps.timeZone }),
    },
    deps,
  );
}

/** Load and send: what the scheduled handler runs. */
export async function runDigest(rt: Runtime, opts: { hours?: number; to?: Date } & BroadcastDeps = {}): Promise<DigestRun> {
  const report = await loadDigest(rt, opts);
  const sent = await sendDigest(rt, report, opts);
  rt.metrics.count('DigestsSent', 1);
  return { report, ...sent };
}
