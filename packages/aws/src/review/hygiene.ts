/**
 * The alert-hygiene report: the window's incidents through the by-day index (only the days it spans), the maths
 * in core/hygiene.ts, sent like the digest (Slack + EMAIL_TO) by the weekly schedule.
 */
import { computeHygiene, hygieneBulletin, renderBulletinEmail, renderBulletinSlack, type HygieneReport } from '@alert-router/core';
import { DIGEST_READ_LIMIT } from '../digest/digest';
import { broadcast, bulletinMail, type BroadcastDeps, type BroadcastResult } from '../digest/broadcast';
import type { Runtime } from '../runtime';

/** The windows the report and `GET /api/hygiene?days=` offer: weekly and monthly. */
export const HYGIENE_DAYS = [7, 30] as const;

export async function loadHygiene(rt: Runtime, opts: { days?: number; to?: Date } = {}): Promise<HygieneReport> {
  const to = opts.to ?? rt.now();
  const days = opts.days ?? 7;
  const toIso = to.toISOString();
  const fromIso = new Date(to.getTime() - days * 86_400_000).toISOString();
  const incidents = await rt.store.listOpenedBetween(fromIso, toIso, DIGEST_READ_LIMIT);
  return computeHygiene({ incidents, policy: rt.policy, from: fromIso, to: toIso });
}

export interface HygieneRun extends BroadcastResult {
  report: HygieneReport;
}

export async function runHygiene(rt: Runtime, opts: { days?: number; to?: Date } & BroadcastDeps = {}): Promise<HygieneRun> {
  const report = await loadHygiene(rt, opts);
  const bulletin = hygieneBulletin(report, rt.config.dashboardUrl);
  const sent = await broadcast(
    rt,
    {
      headline: bulletin.subject,
      slack: () => renderBulletinSlack(bulletin),
      email: (from, to) => bulletinMail(from, to, renderBulletinEmail(bulletin), 'hygiene'),
    },
    opts,
  );
  rt.metrics.count('HygieneReportsSent', 1);
  return { report, ...sent };
}
