/**
 * Slack Block Kit message for a notice (incoming webhook payload). Pure: no I/O.
 *
 * Layout: a header block (severity emoji, label, alarm name) at the top level, then one attachment
 * whose `color` is the severity colour and whose blocks hold the facts, runbook, links and the
 * Acknowledge / Resolve buttons. Acknowledge/resolve/update notices are a short follow-up. A group (several
 * alarms in one incident) adds its summary and a bounded list of its members. `renderSlackParent` is the
 * trigger message as it should read now (status, members), for the Web API's in-place update.
 *
 * Everything the alarm controls is escaped (`& < >`) and every text is cut to Slack's limits.
 */
import type { Notice } from '../notifier';
import { escapeSlack, headerSafe, isHttpUrl, joinWithin, slackText, truncateEscaped, truncateUnits } from './escape';
import {
  ACK_COLOR,
  actorAndTime,
  conditionText,
  dimensionLines,
  durationText,
  formatTime,
  groupMembers,
  groupSummary,
  headline,
  memberStateText,
  personText,
  metricName,
  RESOLVED_COLOR,
  SEVERITY_STYLE,
  severityLabel,
  tierText,
  transitionText,
  whereText,
} from './format';
import { runbookFor } from './links';

/** Slack's documented limits (Block Kit reference, chat.postMessage). */
export const SLACK_LIMITS = {
  headerText: 150,
  sectionText: 3000,
  fieldText: 2000,
  fields: 10,
  contextElements: 10,
  blocks: 50,
  buttonText: 75,
  buttonValue: 2000,
  actionId: 255,
  blockId: 255,
  /** chat.postMessage truncates `text` past 40,000; we keep the fallback much shorter. */
  text: 40000,
  fallbackText: 3000,
  confirmTitle: 100,
  confirmText: 300,
} as const;

export const ACK_ACTION_ID = 'incident_ack';
export const RESOLVE_ACTION_ID = 'incident_resolve';

export interface SlackTextObject {
  type: 'plain_text' | 'mrkdwn';
  text: string;
  emoji?: boolean;
  verbatim?: boolean;
}

export interface SlackButton {
  type: 'button';
  action_id: string;
  text: SlackTextObject;
  value?: string;
  url?: string;
  style?: 'primary' | 'danger';
  confirm?: { title: SlackTextObject; text: SlackTextObject; confirm: SlackTextObject; deny: SlackTextObject; style?: 'primary' | 'danger' };
}

export type SlackBlock =
  | { type: 'header'; block_id?: string; text: SlackTextObject }
  | { type: 'section'; block_id?: string; text?: SlackTextObject; fields?: SlackTextObject[] }
  | { type: 'context'; block_id?: string; elements: SlackTextObject[] }
  | { type: 'actions'; block_id?: string; elements: SlackButton[] }
  | { type: 'divider'; block_id?: string };

export interface SlackAttachment {
  color: string;
  fallback: string;
  blocks: SlackBlock[];
}

export interface SlackMessage {
  /** Notification / fallback text (mrkdwn, escaped). */
  text: string;
  blocks: SlackBlock[];
  attachments: SlackAttachment[];
  unfurl_links: false;
  unfurl_media: false;
}

const MAX_DIMENSIONS = 10;
const MAX_STEPS = 10;
const MAX_CHILDREN = 5;
/** Members listed in one message (the rest are counted; all of them are on the dashboard). */
const MAX_MEMBER_LINES = 15;
/** The group summary's share of a section or a fallback text. */
const SUMMARY_MAX = 600;

function mrkdwn(text: string, max: number = SLACK_LIMITS.sectionText): SlackTextObject {
  // verbatim: Slack does not auto-link URLs or #channel names in alarm text.
  return { type: 'mrkdwn', text: truncateEscaped(text, max), verbatim: true };
}

function plain(text: string, max: number): SlackTextObject {
  return { type: 'plain_text', text: truncateEscaped(text, max), emoji: true };
}

function section(text: string): SlackBlock {
  return { type: 'section', text: mrkdwn(text) };
}

/** `<url|label>` for a link we build; the URL is escaped and `|` encoded so it cannot break out. */
function link(url: string | null, label: string): string | null {
  if (!isHttpUrl(url)) return null;
  const safe = escapeSlack(url).replace(/\|/g, '%7C');
  return `<${safe}|${escapeSlack(label)}>`;
}

/** The context line of links: whole links only (the URLs are never cut), the most useful first. */
function linksContext(links: (string | null)[]): SlackBlock | null {
  const whole = links.filter((l): l is string => l !== null);
  const { text, kept } = joinWithin(whole, '  ·  ', SLACK_LIMITS.sectionText);
  return kept > 0 ? { type: 'context', elements: [{ type: 'mrkdwn', text, verbatim: true }] } : null;
}

/** Policy contacts may name a Slack user (`U…`/`W…`) or user group (`S…`): a deliberate mention. */
function contactMention(slack: string | undefined): string | null {
  if (!slack) return null;
  const id = slack
    .trim()
    .replace(/^<[@!]?(subteam\^)?/, '')
    .replace(/>$/, '');
  if (/^[UW][A-Z0-9]{2,}$/.test(id)) return `<@${id}>`;
  if (/^S[A-Z0-9]{2,}$/.test(id)) return `<!subteam^${id}>`;
  return escapeSlack(slack);
}

/** The one-line headline as escaped mrkdwn. */
function fallbackText(notice: Notice): string {
  const style = SEVERITY_STYLE[notice.incident.severity];
  const summary = summaryText(notice);
  return truncateEscaped(`${style.emoji} ${escapeSlack(headerSafe(headline(notice)))}${summary ? ` — ${summary}` : ''}`, SLACK_LIMITS.fallbackText);
}

/** The group summary as escaped mrkdwn, or null for an ungrouped incident. */
function summaryText(notice: Notice): string | null {
  return groupSummary(notice.incident, { escape: escapeSlack, max: SUMMARY_MAX });
}

/** The group's summary and its first members, one line each, within one section. */
function groupBlock(notice: Notice): SlackBlock | null {
  const members = groupMembers(notice.incident);
  const summary = summaryText(notice);
  if (!members || !summary) return null;
  const head = `*Alarms:* ${summary}`;
  const lines = members.slice(0, MAX_MEMBER_LINES).map((m) => {
    const emoji = m.state === 'recovered' ? ':white_check_mark:' : ':red_circle:';
    return `${emoji} ${slackText(headerSafe(m.alarmName), 200)} (${m.severity}, ${memberStateText(m)})`;
  });
  const reserve = `\n…and ${members.length} more on the dashboard`.length;
  const { text, kept } = joinWithin(lines, '\n', SLACK_LIMITS.sectionText - head.length - 1 - reserve);
  const rest = members.length - kept;
  return section(`${head}${kept > 0 ? `\n${text}` : ''}${rest > 0 ? `\n…and ${rest} more on the dashboard` : ''}`);
}

function headerBlock(notice: Notice): SlackBlock {
  const i = notice.incident;
  const style = SEVERITY_STYLE[i.severity];
  const prefix = notice.event === 'escalate' ? ':arrow_double_up: Escalated ' : '';
  const label = `${prefix}${style.emoji} ${i.severity} ${severityLabel(i.severity, notice.policy)}: `;
  return {
    type: 'header',
    text: plain(escapeSlack(label) + escapeSlack(headerSafe(i.alarmName)), SLACK_LIMITS.headerText),
  };
}

function factsBlock(notice: Notice): SlackBlock {
  const i = notice.incident;
  const a = i.alarm;
  const facts: [string, string | null][] = [
    ['Incident', i.id],
    ['Severity', `${i.severity} ${severityLabel(i.severity, notice.policy)}`],
    ['State', transitionText(a)],
    ['Since', formatTime(a.changedAt || i.openedAt)],
    ['Where', whereText(a)],
    ['Metric', metricName(a)],
  ];
  if (i.status === 'acknowledged' && i.acknowledgedBy) facts.push(['Acknowledged by', i.acknowledgedBy]);
  if (i.flapping) facts.push(['Flapping', 'yes: the alarm keeps changing state']);
  if (i.duplicates > 0) facts.push(['Repeats', String(i.duplicates)]);
  const fields = facts
    .filter((f): f is [string, string] => !!f[1])
    .slice(0, SLACK_LIMITS.fields)
    .map(([k, v]) => mrkdwn(`*${k}*\n${slackText(v, SLACK_LIMITS.fieldText - k.length - 4)}`, SLACK_LIMITS.fieldText));
  return { type: 'section', fields };
}

function detailBlocks(notice: Notice): SlackBlock[] {
  const i = notice.incident;
  const a = i.alarm;
  const blocks: SlackBlock[] = [];
  const group = groupBlock(notice);
  if (group) blocks.push(group);
  const reason = a.reason ?? (a.text && a.text !== i.alarmName ? a.text : null);
  if (reason) blocks.push(section(`*Reason*\n${slackText(reason, 2900)}`));
  if (a.description) blocks.push(section(`*Description*\n${slackText(a.description, 2900)}`));

  const what: string[] = [];
  const condition = conditionText(a);
  if (condition) what.push(`*Condition*\n${slackText(condition, 1000)}`);
  const dims = dimensionLines(a.dimensions);
  if (dims.length > 0) {
    const shown = dims.slice(0, MAX_DIMENSIONS).map((d) => `• ${slackText(d, 200)}`);
    if (dims.length > MAX_DIMENSIONS) shown.push(`…and ${dims.length - MAX_DIMENSIONS} more`);
    what.push(`*Dimensions*\n${shown.join('\n')}`);
  }
  if (a.triggeringChildren.length > 0) {
    const shown = a.triggeringChildren
      .slice(0, MAX_CHILDREN)
      .map((c) => `• ${slackText(c.arn.split(':alarm:').pop() ?? c.arn, 200)}${c.state ? ` (${slackText(c.state, 40)})` : ''}`);
    if (a.triggeringChildren.length > MAX_CHILDREN) shown.push(`…and ${a.triggeringChildren.length - MAX_CHILDREN} more`);
    what.push(`*Triggered by*\n${shown.join('\n')}`);
  }
  if (what.length > 0) blocks.push(section(what.join('\n')));

  if (notice.event === 'escalate') {
    const contact = notice.tier ? notice.policy.contacts[notice.tier] : undefined;
    const who = contact ? `${escapeSlack(contact.name)} (${escapeSlack(notice.tier ?? '')})` : escapeSlack(notice.tier ?? 'next tier');
    const mention = contactMention(contact?.slack);
    const waited = durationText(i.openedAt, i.updatedAt);
    blocks.push(section(`*Escalated to* ${who}${mention ? ` ${mention}` : ''}${waited ? `\nUnacknowledged for ${waited}.` : ''}`));
  }
  if (notice.note) blocks.push(section(`*Note*\n${slackText(notice.note, 2900)}`));

  const rb = runbookFor(i, notice.policy);
  if (rb) {
    const steps = rb.steps.slice(0, MAX_STEPS).map((s, n) => `${n + 1}. ${slackText(s, 400)}`);
    if (rb.steps.length > MAX_STEPS) steps.push(`…${rb.steps.length - MAX_STEPS} more in the runbook`);
    blocks.push(section(`*Runbook: ${slackText(rb.title, 150)}*\n${steps.join('\n')}`));
  }

  const context = linksContext([
    link(notice.links.runbook, 'Runbook'),
    link(notice.links.dashboard, 'Dashboard'),
    link(notice.links.console, notice.links.consoleLabel ?? 'CloudWatch alarm'),
  ]);
  if (context) blocks.push(context);
  return blocks;
}

function actionsBlock(notice: Notice): SlackBlock | null {
  const i = notice.incident;
  if (i.status === 'resolved') return null;
  const value = truncateUnits(i.id, SLACK_LIMITS.buttonValue, '');
  const buttons: SlackButton[] = [];
  if (i.status !== 'acknowledged') {
    buttons.push({ type: 'button', action_id: ACK_ACTION_ID, text: plain('Acknowledge', SLACK_LIMITS.buttonText), style: 'primary', value });
  }
  buttons.push({
    type: 'button',
    action_id: RESOLVE_ACTION_ID,
    text: plain('Resolve', SLACK_LIMITS.buttonText),
    style: 'danger',
    value,
    confirm: {
      title: plain('Resolve this incident?', SLACK_LIMITS.confirmTitle),
      text: plain(`${escapeSlack(i.id)}: ${escapeSlack(headerSafe(i.alarmName))}`, SLACK_LIMITS.confirmText),
      confirm: plain('Resolve', 30),
      deny: plain('Cancel', 30),
    },
  });
  return { type: 'actions', block_id: truncateUnits(`incident:${i.id}`, SLACK_LIMITS.blockId, ''), elements: buttons };
}

const FOLLOW_UP = {
  resolve: { emoji: ':white_check_mark:', verb: 'Resolved' },
  acknowledge: { emoji: ':eyes:', verb: 'Acknowledged' },
  update: { emoji: ':arrows_counterclockwise:', verb: 'Updated' },
} as const;

function followUp(notice: Notice & { event: keyof typeof FOLLOW_UP }): SlackMessage {
  const i = notice.incident;
  const { by, at } = actorAndTime(notice);
  const resolved = notice.event === 'resolve';
  const update = notice.event === 'update';
  const { emoji, verb } = FOLLOW_UP[notice.event];
  let line = `${emoji} *${verb}:* ${slackText(headerSafe(i.alarmName), 500)} (${slackText(i.id, 64)}, ${i.severity})`;
  if (by && !update) line += ` by ${slackText(headerSafe(by), 200)}`;
  if (at && !update) line += ` at ${formatTime(at)}`;
  const took = update ? null : durationText(i.openedAt, resolved ? i.resolvedAt : i.acknowledgedAt);
  if (took) line += ` — ${resolved ? 'open' : 'unacknowledged'} for ${took}`;
  const blocks: SlackBlock[] = [section(line)];
  if (resolved && i.alarm.reason && i.alarm.state === 'OK') blocks.push(section(`*Reason*\n${slackText(i.alarm.reason, 2000)}`));
  if (notice.note) blocks.push(section(`*${update ? 'Changes' : 'Note'}*\n${slackText(notice.note, 2000)}`));
  const summary = summaryText(notice);
  if (summary) blocks.push(section(`*Alarms:* ${summary}`));
  const context = linksContext([link(notice.links.dashboard, 'Dashboard'), link(notice.links.console, notice.links.consoleLabel ?? 'CloudWatch alarm')]);
  if (context) blocks.push(context);
  const action = !resolved ? actionsBlock(notice) : null;
  if (action) blocks.push(action);
  const color = resolved ? RESOLVED_COLOR : update ? SEVERITY_STYLE[i.severity].color : ACK_COLOR;
  return {
    text: truncateEscaped(summary ? `${line} — ${summary}` : line, SLACK_LIMITS.fallbackText),
    blocks: [],
    attachments: [{ color, fallback: truncateEscaped(escapeSlack(headerSafe(headline(notice))), 300), blocks }],
    unfurl_links: false,
    unfurl_media: false,
  };
}

function isFollowUp(notice: Notice): notice is Notice & { event: keyof typeof FOLLOW_UP } {
  return Object.hasOwn(FOLLOW_UP, notice.event);
}

/** The incoming-webhook payload for a notice. */
export function renderSlack(notice: Notice): SlackMessage {
  if (isFollowUp(notice)) return followUp(notice);
  return fullMessage(notice, null);
}

/** The full message: header, then the facts, details and buttons; `status` (escaped mrkdwn) leads them. */
function fullMessage(notice: Notice, status: string | null): SlackMessage {
  const details = [...(status ? [section(status)] : []), factsBlock(notice), ...detailBlocks(notice)];
  const actions = actionsBlock(notice);
  if (actions) details.push(actions);
  // Never more than 50 blocks in all (header + attachment blocks); we build far fewer.
  const attachmentBlocks = details.slice(0, SLACK_LIMITS.blocks - 1);
  return {
    text: fallbackText(notice),
    blocks: [headerBlock(notice)],
    attachments: [
      {
        color: notice.incident.status === 'resolved' ? RESOLVED_COLOR : SEVERITY_STYLE[notice.incident.severity].color,
        fallback: truncateEscaped(escapeSlack(headerSafe(headline(notice))), 300),
        blocks: attachmentBlocks,
      },
    ],
    unfurl_links: false,
    unfurl_media: false,
  };
}

/** The tier the incident was last escalated to: this notice's, or the last step its escalation ran; undefined when none ran. */
function escalatedTo(notice: Notice): string | undefined {
  if (notice.event === 'escalate') return notice.tier ?? 'the next tier';
  const e = notice.incident.escalation;
  const ran = e ? (e.count > 0 ? e.chain[e.step] : e.step > 0 ? e.chain[e.step - 1] : undefined) : undefined;
  return ran?.tier;
}

/**
 * Where the incident stands, for the top of its parent message: `Acknowledged by @alice at 10:42`, `Resolved: all
 * alarms recovered`, `Escalated to Team lead (teamLead)`. Null while it is open and nothing happened to it.
 */
export function slackStatusLine(notice: Notice): string | null {
  const i = notice.incident;
  const who = (by: string | null | undefined) => (by ? ` by ${slackText(personText(headerSafe(by)), 200)}` : '');
  const when = (at: string | null | undefined) => (at ? ` at ${formatTime(at)}` : '');
  if (i.status === 'resolved') {
    const recovered = i.resolvedBy === 'cloudwatch' ? `: ${groupMembers(i) ? 'all alarms recovered' : 'the alarm recovered'}` : who(i.resolvedBy);
    return `:white_check_mark: *Resolved*${recovered}${when(i.resolvedAt)}`;
  }
  if (i.status === 'acknowledged') return `:eyes: *Acknowledged*${who(i.acknowledgedBy)}${when(i.acknowledgedAt)}`;
  const tier = escalatedTo(notice);
  if (tier !== undefined) {
    return `:arrow_double_up: *Escalated* to ${slackText(tierText(tier, notice.policy) ?? tier, 200)}${notice.event === 'escalate' ? when(i.updatedAt) : ''}`;
  }
  return null;
}

/**
 * The incident's first message as it should read now (chat.update of the parent): the trigger layout with the
 * current severity, members and buttons, led by its status line.
 */
export function renderSlackParent(notice: Notice): SlackMessage {
  const status = slackStatusLine(notice);
  const message = fullMessage({ ...notice, event: 'trigger', note: undefined }, status);
  return status ? { ...message, text: truncateEscaped(`${status} — ${message.text}`, SLACK_LIMITS.fallbackText) } : message;
}
