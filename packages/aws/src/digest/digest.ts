/**
 * The daily digest: read the window's incidents through the by-day index (only the days the window spans),
 * the unresolved ones through the status index and the silences; compute (core/digest.ts); send to Slack
 * (incoming webhook, Block Kit) and email (HTML + plain text + the chart as an inline PNG). Channels that are
 * not configured print to the local outbox instead, as the notifiers do.
 */
import { computeDigest, digestSubject, hourlyChartPng, renderDigestEmail, renderDigestSlack, type DigestReport, type Policy } from '@alert-router/core';
import { silencesInForce } from '../dashboard/data';
import type { Runtime } from '../runtime';
import { broadcast, type BroadcastDeps, type BroadcastResult } from './broadcast';

export * from './broadcast';

/** Most incidents a digest reads from each index (a day with more is cut, and says so in the logs). */
export const DIGEST_READ_LIMIT = 20_000;
export const CHART_CID = 'digest-chart@alert-router';

/** The digest of the `hours` before `to` (default: the last 24 hours until now). */
export async function loadDigest(rt: Runtime, opts: { hours?: number; to?: Date } = {}): Promise<DigestReport> {
  const to = opts.to ?? rt.now();
  const hours = opts.hours ?? 24;
  const toIso = to.toISOString();
  const fromIso = new Date(to.getTime() - hours * 3_600_000).toISOString();
  const [incidents, unresolved, silences] = await Promise.all([
    rt.store.listOpenedBetween(fromIso, toIso, DIGEST_READ_LIMIT),
    rt.store.listUnresolved(DIGEST_READ_LIMIT),
    silencesInForce(rt, toIso),
  ]);
  return computeDigest({ incidents, unresolved, silences, policy: rt.policy, from: fromIso, to: toIso });
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
