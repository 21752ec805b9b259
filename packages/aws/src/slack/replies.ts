/**
 * What the Slack side says back: slash-command replies and the update of a pipeline message after a button.
 * Everything an alarm or a person controls (alarm names, notes, reasons, patterns, user names) is escaped
 * with escapeSlack/slackText: alarm names are attacker-controlled and must never ping or link.
 */
import {
  channelLabel,
  durationText,
  escapeSlack,
  formatTime,
  headerSafe,
  incidentCommandHelp,
  joinWithin,
  SEVERITY_STYLE,
  slackText,
  SLACK_LIMITS,
  truncateEscaped,
  type Incident,
  type Silence,
  type SlackBlock,
  type TimelineEntry,
} from '@alert-router/core';
import type { Actor } from '../actions';

export interface SlackReply {
  response_type: 'ephemeral' | 'in_channel';
  text: string;
  /** Message responses (response_url) may replace the message the command or button came from. */
  replace_original?: boolean;
  blocks?: SlackBlock[];
  attachments?: unknown[];
}

/** Slack shows at most ~40k characters; we stay far below (and below a section's 3000 where it matters). */
const REPLY_MAX = 3900;
export const LIST_MAX_LINES = 20;
const TIMELINE_LINES = 8;

export const ephemeral = (text: string): SlackReply => ({ response_type: 'ephemeral', text: truncateEscaped(text, REPLY_MAX) });
export const inChannel = (text: string): SlackReply => ({ response_type: 'in_channel', text: truncateEscaped(text, REPLY_MAX) });

/** `slack:U123 (alice)` → `alice (slack)`, escaped; other labels (`cloudwatch`, `dashboard`) as they are. */
export function whoText(label: string | null | undefined): string {
  if (!label) return 'someone';
  const m = /^(\w+):(\S+) \((.*)\)$/.exec(label);
  return m ? `${slackText(headerSafe(m[3]), 80)} (${slackText(m[1], 20)})` : slackText(headerSafe(label), 120);
}

/** `@alice`, escaped: a plain name, never a mention (no ping from a message update). */
export function actorText(actor: Actor): string {
  return `@${slackText(headerSafe(actor.name || actor.id), 80)}`;
}

export function alarmText(i: Pick<Incident, 'alarmName'>, max = 150): string {
  return slackText(headerSafe(i.alarmName), max);
}

/** `*INC-7F3A9K2M* HighErrorRate (P0)` */
export function incidentRef(i: Pick<Incident, 'id' | 'alarmName' | 'severity'>): string {
  return `*${escapeSlack(i.id)}* ${alarmText(i)} (${i.severity})`;
}

export function helpReply(problem: string | null, command = '/incident'): SlackReply {
  const head = problem ? `:warning: ${slackText(headerSafe(problem), 300)}\n\n` : '';
  return ephemeral(head + incidentCommandHelp(escapeSlack(command)));
}

export function notFoundReply(id: string): SlackReply {
  return ephemeral(`:mag: No incident *${escapeSlack(id)}*. \`/incident list\` shows the open ones.`);
}

export function alreadyAcknowledgedText(i: Incident): string {
  return `${incidentRef(i)} was already acknowledged by ${whoText(i.acknowledgedBy)}${i.acknowledgedAt ? ` at ${formatTime(i.acknowledgedAt)}` : ''}.`;
}

export function alreadyResolvedText(i: Incident): string {
  const by = i.resolvedBy ? ` by ${whoText(i.resolvedBy)}` : '';
  const at = i.resolvedAt ? ` at ${formatTime(i.resolvedAt)}` : '';
  return `${incidentRef(i)} is already resolved${by}${at}.`;
}

export function acknowledgedText(i: Incident, actor: Actor): string {
  const waited = durationText(i.openedAt, i.acknowledgedAt);
  return `:eyes: ${actorText(actor)} acknowledged ${incidentRef(i)}${waited ? ` after ${waited}` : ''}. Escalation stopped.`;
}

export function resolvedText(i: Incident, actor: Actor, note: string | null | undefined): string {
  const open = durationText(i.openedAt, i.resolvedAt);
  let text = `:white_check_mark: ${actorText(actor)} resolved ${incidentRef(i)}${open ? ` after ${open}` : ''}.`;
  if (note) text += `\n>${slackText(headerSafe(note), 1000)}`;
  return text;
}

/**
 * Channels that were not told of this ack/resolve (their delivery failed within the Slack path's budget).
 * The escalation sweep resends a retryable one within minutes, but the person is told now, to finish the job there
 * if it is urgent; empty string when all went out.
 */
export function deliveryWarning(i: Incident, event: 'acknowledge' | 'resolve'): string {
  const failed = Object.entries(i.deliveries ?? {})
    .filter(([key, d]) => key.startsWith(`${event}:`) && d.status === 'failed')
    .map(([key]) => channelLabel(key.slice(event.length + 1)));
  if (failed.length === 0) return '';
  const verb = event === 'acknowledge' ? 'acknowledge' : 'resolve';
  return `\n:warning: ${failed.join(' and ')} did not confirm in time and was not updated: ${verb} it there too.`;
}

function statusText(i: Incident): string {
  if (i.status === 'acknowledged') return `acknowledged by ${whoText(i.acknowledgedBy)}`;
  if (i.status === 'resolved') return `resolved by ${whoText(i.resolvedBy)}`;
  return '*open*';
}

const SEVERITY_ORDER: Record<string, number> = { P0: 0, P1: 1, P2: 2, P3: 3 };

/**
 * Unresolved incidents, most severe then oldest first, at most LIST_MAX_LINES lines. `truncated`: these are the newest
 * read of a larger set (the count says "N+", and older ones may be missing from the lines).
 */
export function listReply(incidents: Incident[], severity: string | null, now: Date, dashboardUrl: string | null, truncated = false): SlackReply {
  const scope = severity ? `${severity} ` : '';
  if (incidents.length === 0) return ephemeral(`:white_check_mark: No unresolved ${scope}incidents.`);
  const sorted = [...incidents].sort(
    (a, b) => (SEVERITY_ORDER[a.severity] ?? 9) - (SEVERITY_ORDER[b.severity] ?? 9) || (a.openedAt < b.openedAt ? -1 : a.openedAt > b.openedAt ? 1 : 0),
  );
  const nowIso = now.toISOString();
  const lines = sorted.slice(0, LIST_MAX_LINES).map((i) => {
    const age = durationText(i.openedAt, nowIso) ?? '?';
    const silenced = i.silencedBy ? ' :no_bell:' : '';
    const alarms = i.members && i.members.length > 1 ? ` (${i.members.length} alarms)` : '';
    return `${SEVERITY_STYLE[i.severity]?.emoji ?? ''} \`${escapeSlack(i.id)}\` ${i.severity} ${alarmText(i, 80)}${alarms} — ${statusText(i)}, ${age} old${silenced}`;
  });
  const head = `*${sorted.length}${truncated ? '+' : ''} unresolved ${scope}incident${sorted.length === 1 && !truncated ? '' : 's'}*${truncated ? ` (the newest ${sorted.length})` : ''}`;
  const tailFor = (more: number) =>
    more > 0 ? `\n…and ${more} more${dashboardUrl ? ` on the dashboard: ${escapeSlack(dashboardUrl)}` : ` (\`/incident list P0\` narrows it)`}` : '';
  // Whole lines only, and room kept for the "…and N more" line (its longest form: every incident left out).
  const { text, kept } = joinWithin(lines, '\n', REPLY_MAX - head.length - 1 - tailFor(sorted.length).length);
  return ephemeral(`${head}\n${text}${tailFor(sorted.length - kept)}`);
}

function timelineLine(e: TimelineEntry): string {
  const parts = [formatTime(e.at).replace(/^\d{4}-/, ''), e.type];
  if (e.channel) parts.push(e.channel);
  if (e.event && e.type === 'delivery') parts.push(e.event);
  if (e.outcome) parts.push(e.outcome);
  if (e.by) parts.push(`by ${whoText(e.by)}`);
  let line = `• ${parts.map((p, n) => (n === 0 || p.startsWith('by ') ? p : escapeSlack(p))).join(' · ')}`;
  if (e.detail) line += ` — ${slackText(headerSafe(e.detail), 200)}`;
  return line;
}

export function showReply(i: Incident, now: Date, links: { dashboard: string | null; console: string | null; consoleLabel?: string }): SlackReply {
  const lines = [
    `${SEVERITY_STYLE[i.severity]?.emoji ?? ''} ${incidentRef(i)} — ${statusText(i)}`,
    `*Opened* ${formatTime(i.openedAt)} (${durationText(i.openedAt, i.resolvedAt ?? now.toISOString()) ?? '?'}${i.resolvedAt ? ' open' : ' ago'})`,
  ];
  if (i.acknowledgedAt) lines.push(`*Acknowledged* ${formatTime(i.acknowledgedAt)} by ${whoText(i.acknowledgedBy)}`);
  if (i.resolvedAt) lines.push(`*Resolved* ${formatTime(i.resolvedAt)} by ${whoText(i.resolvedBy)}`);
  if (i.alarm?.reason) lines.push(`*Reason* ${slackText(headerSafe(i.alarm.reason), 500)}`);
  lines.push(`*Channels* ${escapeSlack(i.channels.join(', ')) || 'none'}`);
  if (i.silencedBy) lines.push(`*Silenced* ${slackText(headerSafe(i.silencedBy), 300)}`);
  if (i.duplicates > 0) lines.push(`*Repeats* ${i.duplicates}`);
  const entries = i.timeline.slice(-TIMELINE_LINES);
  lines.push(`*Timeline*${i.timeline.length > entries.length ? ` (last ${entries.length} of ${i.timeline.length})` : ''}`);
  lines.push(...entries.map(timelineLine));
  const linkLines = [
    links.dashboard ? `<${escapeSlack(links.dashboard).replace(/\|/g, '%7C')}|Dashboard>` : null,
    links.console ? `<${escapeSlack(links.console).replace(/\|/g, '%7C')}|${escapeSlack(links.consoleLabel ?? 'CloudWatch alarm')}>` : null,
  ].filter(Boolean);
  // The links close the reply whatever the rest holds: the text before them is what gets cut.
  const linkLine = linkLines.length ? `\n${linkLines.join(' · ')}` : '';
  return ephemeral(truncateEscaped(lines.join('\n'), REPLY_MAX - linkLine.length) + linkLine);
}

export function silencedText(s: Silence, actor: Actor): string {
  const minutes = Math.round((Date.parse(s.endsAt) - Date.parse(s.startsAt)) / 60_000);
  const forText = durationText(s.startsAt, s.endsAt) ?? `${minutes} min`;
  return (
    `:no_bell: ${actorText(actor)} silenced alarms matching \`${slackText(s.match, 255)}\` for ${forText} (until ${formatTime(s.endsAt)}): ` +
    `${slackText(headerSafe(s.reason), 500)}\nThey are still recorded and shown on the dashboard, not notified. ` +
    `Silence *${escapeSlack(s.id)}*; \`/incident unsilence ${escapeSlack(s.id)}\` ends it early.`
  );
}

export function unsilencedText(s: Silence, actor: Actor): string {
  return `:bell: ${actorText(actor)} ended silence *${escapeSlack(s.id)}* (\`${slackText(s.match, 255)}\`: ${slackText(headerSafe(s.reason), 300)}).`;
}

// ---- the pipeline message, after a button ----

interface MessageLike {
  text?: unknown;
  blocks?: unknown;
  attachments?: unknown;
}

function withoutActions(blocks: unknown): SlackBlock[] {
  if (!Array.isArray(blocks)) return [];
  return blocks.filter((b) => b && typeof b === 'object' && (b as { type?: unknown }).type !== 'actions') as SlackBlock[];
}

/**
 * The original message with every actions block (and legacy attachment actions) removed and a context line
 * ("Acknowledged by @alice at 2026-11-20 10:05 UTC") added under the header: the payload for
 * `response_url` with `replace_original: true`. `line` is mrkdwn we built (already escaped).
 */
export function updatedMessage(original: MessageLike | null | undefined, line: string, fallback: string): SlackReply & { replace_original: true } {
  const context: SlackBlock = { type: 'context', elements: [{ type: 'mrkdwn', text: truncateEscaped(line, SLACK_LIMITS.sectionText) }] };
  const top = withoutActions(original?.blocks);
  const attachments = Array.isArray(original?.attachments)
    ? (original!.attachments as unknown[])
        .filter((a): a is Record<string, unknown> => !!a && typeof a === 'object')
        .map((a) => {
          const { actions: _legacy, ...rest } = a;
          return Array.isArray(rest.blocks) ? { ...rest, blocks: withoutActions(rest.blocks) } : rest;
        })
    : undefined;
  let blocks: SlackBlock[];
  if (top.length > 0) {
    // Under the header when there is one, else first.
    const at = top[0].type === 'header' ? 1 : 0;
    blocks = [...top.slice(0, at), context, ...top.slice(at)].slice(0, SLACK_LIMITS.blocks);
  } else {
    blocks = [{ type: 'section', text: { type: 'mrkdwn', text: truncateEscaped(fallback, SLACK_LIMITS.sectionText) } }, context];
  }
  const text = typeof original?.text === 'string' && original.text ? original.text : fallback;
  return {
    response_type: 'in_channel',
    replace_original: true,
    text: truncateEscaped(text, SLACK_LIMITS.fallbackText),
    blocks,
    ...(attachments ? { attachments } : {}),
  };
}

/** The context line after an ack/resolve button (or the state someone else left it in). */
export function buttonOutcomeLine(i: Incident): string {
  if (i.status === 'resolved') return `:white_check_mark: Resolved by ${whoText(i.resolvedBy)}${i.resolvedAt ? ` at ${formatTime(i.resolvedAt)}` : ''}`;
  if (i.status === 'acknowledged') return `:eyes: Acknowledged by ${whoText(i.acknowledgedBy)}${i.acknowledgedAt ? ` at ${formatTime(i.acknowledgedAt)}` : ''}`;
  return `${incidentRef(i)} is open`;
}

/** Acknowledged/Resolved by the person who pressed: `Acknowledged by @alice at …`. */
export function pressedLine(kind: 'ack' | 'resolve', i: Incident, actor: Actor): string {
  return kind === 'ack'
    ? `:eyes: Acknowledged by ${actorText(actor)} at ${formatTime(i.acknowledgedAt ?? i.updatedAt)}`
    : `:white_check_mark: Resolved by ${actorText(actor)} at ${formatTime(i.resolvedAt ?? i.updatedAt)}`;
}
