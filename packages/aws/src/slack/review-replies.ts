/** Slack replies of `/incident review` and `/incident update` (everything a person or an alarm wrote is escaped). */
import { escapeSlack, secondsText, type ReviewModel } from '@alert-router/core';
import type { BroadcastResult } from '../digest/broadcast';
import { ephemeral, incidentRef, type SlackReply } from './replies';

function link(url: string, text: string): string {
  return `<${escapeSlack(url).replace(/\|/g, '%7C')}|${text}>`;
}

export function reviewReply(m: ReviewModel, dashboardUrl: string | null): SlackReply {
  const ack = m.acknowledge;
  const result = ack.lateSeconds === null ? 'not acknowledged yet' : ack.lateSeconds > 0 ? `breached by ${secondsText(ack.lateSeconds)}` : 'within target';
  const path = `/incidents/${encodeURIComponent(m.id)}/review`;
  const lines = [
    `:memo: Post-incident review draft for ${incidentRef(m)}`,
    `*Time to acknowledge* ${ack.actualSeconds === null ? '—' : secondsText(ack.actualSeconds)} (target ${escapeSlack(ack.target)}: ${result})`,
    `*Time to resolve* ${m.resolveSeconds === null ? (m.status === 'resolved' ? '—' : 'still open') : secondsText(m.resolveSeconds)}`,
    `*Escalation* ${m.escalation.stepsRun} step${m.escalation.stepsRun === 1 ? '' : 's'} ran · *Stakeholder updates* ${m.updates.length} · *Timeline* ${m.timeline.length} entries`,
    dashboardUrl
      ? `${link(`${dashboardUrl}${path}`, 'Open the draft')} · ${link(`${dashboardUrl}${path}?format=md`, 'Download Markdown')}`
      : `On the dashboard: \`${escapeSlack(path)}\` (Markdown: \`?format=md\`)`,
  ];
  return ephemeral(lines.join('\n'));
}

function channelText(r: BroadcastResult['slack'], what: string): string {
  switch (r.status) {
    case 'sent':
      return `${what}: sent`;
    case 'failed':
      return `${what}: *not delivered* (${escapeSlack(r.error.slice(0, 200))})`;
    case 'outbox':
      return `${what}: not configured (local outbox)`;
    default:
      return `${what}: not sent (only P0/P1 updates are emailed)`;
  }
}

export function updateReply(i: Pick<ReviewModel, 'id' | 'alarmName' | 'severity'>, sent: BroadcastResult, stakeholders: number): SlackReply {
  return ephemeral(
    [
      `:loudspeaker: Update posted on ${incidentRef(i)}: on its timeline.`,
      `${channelText(sent.slack, 'Incident channel')} · ${channelText(sent.email, `Stakeholder email (${stakeholders} recipient${stakeholders === 1 ? '' : 's'})`)}`,
      'Nobody was paged.',
    ].join('\n'),
  );
}
