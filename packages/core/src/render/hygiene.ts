/** The alert-hygiene report as a bulletin (Slack and email), from core/hygiene.ts's numbers. */
import { secondsText } from '../digest';
import type { HygieneReport } from '../hygiene';
import type { Bulletin } from './bulletin';
import { formatTime } from './format';

function pct(share: number | null): string {
  return share === null ? '—' : `${Math.round(share * 1000) / 10} %`;
}

export function hygieneBulletin(r: HygieneReport, dashboardUrl: string | null): Bulletin {
  const kind = r.days <= 7 ? 'Weekly' : 'Monthly';
  const sev = Object.entries(r.bySeverity)
    .map(([s, n]) => `${s} ${n}`)
    .join(' · ');
  return {
    subject: `${kind} alert hygiene: ${r.total} incidents, ${r.suggestions.length} suggested change${r.suggestions.length === 1 ? '' : 's'}`,
    intro: `${formatTime(r.from)} – ${formatTime(r.to)} (${r.days} days). ${sev}. MTTA ${secondsText(r.mtta.all.meanSeconds)}, MTTR ${secondsText(r.mttr.all.meanSeconds)}. Pages grouped or silenced: ${pct(r.pages.share)} (${r.pages.grouped} grouped, ${r.pages.silenced} silenced of ${r.pages.received}).`,
    sections: [
      { title: 'Suggested changes', lines: r.suggestions.map((s) => `${s.alarmName} [${s.class}, ${s.change}]: ${s.text}`) },
      { title: 'Fire most', lines: r.mostFiring.map((a) => `${a.alarmName} (${a.severity}): ${a.fired} (${a.incidents} incidents, ${a.duplicates} repeats)`) },
      {
        title: 'Resolve by themselves',
        lines: r.selfResolving.map(
          (a) => `${a.alarmName}: ${a.selfResolved} of ${a.incidents}; threshold ${a.threshold ?? '?'}; values seen ${a.valuesSeen.join(', ') || '—'}`,
        ),
      },
      { title: 'Flap', lines: r.flapping.map((a) => `${a.alarmName}: ${a.flapping} of ${a.incidents} incidents`) },
      { title: 'Missed their response time', lines: r.breached.map((a) => `${a.alarmName} (${a.severity}): ${a.breaches} of ${a.incidents}`) },
      {
        title: 'Stayed open longest',
        lines: r.longestOpen.map((o) => `${o.id} ${o.alarmName} (${o.severity}): ${secondsText(o.openSeconds)}${o.resolvedAt ? '' : ', still open'}`),
      },
      {
        title: `MTTA / MTTR per ${r.trendBucket}`,
        lines:
          r.days > 7
            ? r.trend.map((t) => `${formatTime(t.start)}: ${t.count} incidents, MTTA ${secondsText(t.mttaSeconds)}, MTTR ${secondsText(t.mttrSeconds)}`)
            : [],
      },
    ],
    link: dashboardUrl ? { text: 'The numbers as JSON', url: `${dashboardUrl.replace(/\/+$/, '')}/api/hygiene?days=${r.days}` } : null,
  };
}
