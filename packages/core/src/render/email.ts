/**
 * Email for a notice: `{subject, text, html}`. Pure: no I/O.
 * The subject is one header-safe line (no CR/LF or other controls) of at most 250 characters;
 * the HTML part escapes everything; the text part carries the same facts.
 */
import type { Notice } from '../notifier';
import { escapeHtml, headerSafe, isHttpUrl, shrinkToFit, stripControls, truncateUnits } from './escape';
import {
  actorAndTime,
  conditionText,
  dimensionLines,
  durationText,
  eventWord,
  formatTime,
  groupMembers,
  groupSummary,
  memberStateText,
  metricName,
  RESOLVED_COLOR,
  ACK_COLOR,
  SEVERITY_STYLE,
  severityLabel,
  tierText,
  transitionText,
  whereText,
} from './format';
import { runbookFor } from './links';

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

export const EMAIL_SUBJECT_MAX = 250;
/** Each of the text and HTML parts stays within this many bytes (UTF-8); the full text stays on the dashboard. */
export const EMAIL_BODY_MAX_BYTES = 100 * 1024;
const MAX_DIMENSIONS = 30;
/** Members listed in one email (the rest are counted; all of them are on the dashboard). */
const MAX_MEMBERS = 100;

/** Field limits (characters) at full size; halved until both parts fit EMAIL_BODY_MAX_BYTES (shrinkToFit). */
const FULL: Limits = { name: 500, long: 8000, fact: 1000, line: 300, steps: 1000 };
interface Limits {
  /** The alarm name in the title. */
  name: number;
  /** Reason, description, note. */
  long: number;
  fact: number;
  /** Dimensions, triggering children. */
  line: number;
  /** Runbook steps. */
  steps: number;
}

/**
 * `[P0] ALARM: HighErrorRate (INC-7F3A9K2M)`; a group's update (one batch email):
 * `[P1] UPDATED: 5 alarms in INC-7F3A9K2M HighErrorRate`. The alarm name is what gets cut when too long.
 */
export function emailSubject(notice: Notice): string {
  const i = notice.incident;
  const members = groupMembers(i);
  if (notice.event === 'update' && members) {
    const head = `[${i.severity}] UPDATED: ${members.length} alarms in ${truncateUnits(headerSafe(i.id), 40)} `;
    return truncateUnits(`${head}${headerSafe(i.alarmName) || '(unnamed alarm)'}`, EMAIL_SUBJECT_MAX);
  }
  const prefix = `[${i.severity}] ${headerSafe(eventWord(notice))}: `;
  const suffix = ` (${truncateUnits(headerSafe(i.id), 40)})`;
  const room = EMAIL_SUBJECT_MAX - prefix.length - suffix.length;
  const name = truncateUnits(headerSafe(i.alarmName) || '(unnamed alarm)', Math.max(room, 1));
  return truncateUnits(`${prefix}${name}${suffix}`, EMAIL_SUBJECT_MAX);
}

interface Fact {
  label: string;
  value: string;
}

interface Section {
  title: string;
  lines: string[];
  /** Numbered list (runbook steps). */
  ordered?: boolean;
}

interface Model {
  title: string;
  intro: string | null;
  facts: Fact[];
  sections: Section[];
  links: { label: string; url: string }[];
  color: string;
  footer: string | null;
}

function model(notice: Notice, limits: Limits): Model & { cut: boolean } {
  const i = notice.incident;
  const a = i.alarm;
  const policy = notice.policy;
  let cut = false;
  /** Neutralised first, then cut (never inside an escape), so the limit holds for what is shown. */
  const bounded = (text: string, max: number, multiLine = false) => {
    const safe = multiLine ? stripControls(text).trim() : headerSafe(text);
    const out = truncateUnits(safe, max);
    if (out !== safe) cut = true;
    return out;
  };
  const long = (text: string) => bounded(text, limits.long, true);
  const facts: Fact[] = [];
  const push = (label: string, value: string | null | undefined) => {
    if (value) facts.push({ label, value: bounded(value, limits.fact) });
  };
  const sections: Section[] = [];
  const followUp = notice.event === 'resolve' || notice.event === 'acknowledge';
  let intro: string | null = null;
  let color = SEVERITY_STYLE[i.severity].color;
  const summary = groupSummary(i, { max: limits.fact });

  if (notice.event === 'update') {
    intro = summary ? `The group changed: ${summary}.` : 'The incident changed.';
    push('Incident', i.id);
    push('Severity', `${i.severity} ${severityLabel(i.severity, policy)}`);
    push('Opened', formatTime(i.openedAt));
    if (i.acknowledgedBy) push('Acknowledged by', i.acknowledgedBy);
  } else if (followUp) {
    const { by, at } = actorAndTime(notice);
    const resolved = notice.event === 'resolve';
    color = resolved ? RESOLVED_COLOR : ACK_COLOR;
    const took = durationText(i.openedAt, resolved ? i.resolvedAt : i.acknowledgedAt);
    intro =
      `${resolved ? 'Resolved' : 'Acknowledged'}${by ? ` by ${bounded(by, limits.line)}` : ''}${at ? ` at ${formatTime(at)}` : ''}` +
      `${took ? ` (${resolved ? 'open' : 'unacknowledged'} for ${took})` : ''}.`;
    push('Incident', i.id);
    push('Severity', `${i.severity} ${severityLabel(i.severity, policy)}`);
    push('Opened', formatTime(i.openedAt));
    if (resolved && a.state === 'OK' && a.reason) sections.push({ title: 'Reason', lines: [long(a.reason)] });
    if (summary) push('Alarms', summary);
  } else {
    if (notice.event === 'escalate') {
      const waited = durationText(i.openedAt, i.updatedAt);
      intro = `Escalated to ${tierText(notice.tier, policy) ?? 'the next tier'}${waited ? `: unacknowledged for ${waited}` : ''}.`;
    }
    push('Incident', i.id);
    push('Severity', `${i.severity} ${severityLabel(i.severity, policy)}`);
    push('State', `${transitionText(a)} at ${formatTime(a.changedAt || i.openedAt)}`);
    push('Where', whereText(a));
    push('Metric', metricName(a));
    push('Condition', conditionText(a));
    if (summary) push('Alarms', summary);
    if (i.acknowledgedBy) push('Acknowledged by', i.acknowledgedBy);
    if (i.flapping) push('Flapping', 'yes: the alarm keeps changing state');
    const dims = dimensionLines(a.dimensions);
    if (dims.length > 0) {
      const shown = dims.slice(0, MAX_DIMENSIONS).map((d) => bounded(d, limits.line));
      if (dims.length > MAX_DIMENSIONS) shown.push(`…and ${dims.length - MAX_DIMENSIONS} more`);
      sections.push({ title: 'Dimensions', lines: shown });
    }
    const reason = a.reason ?? (a.text && a.text !== i.alarmName ? a.text : null);
    if (reason) sections.push({ title: 'Reason', lines: [long(reason)] });
    if (a.description) sections.push({ title: 'Description', lines: [long(a.description)] });
    if (a.triggeringChildren.length > 0) {
      sections.push({
        title: 'Triggered by',
        lines: a.triggeringChildren.slice(0, 20).map((c) => bounded(`${c.arn}${c.state ? ` (${c.state})` : ''}`, limits.line)),
      });
    }
    const rb = runbookFor(i, policy);
    if (rb)
      sections.push({ title: `Runbook: ${bounded(rb.title, limits.line)}`, lines: rb.steps.slice(0, 50).map((s) => bounded(s, limits.steps)), ordered: true });
  }
  if (notice.note) sections.push({ title: notice.event === 'update' ? 'Changes' : 'Note', lines: [long(notice.note)] });
  const members = groupMembers(i);
  if (members) {
    const lines = members.slice(0, MAX_MEMBERS).map((m) => bounded(`${m.alarmName} (${m.severity}): ${memberStateText(m)}`, limits.line));
    if (members.length > MAX_MEMBERS) lines.push(`…and ${members.length - MAX_MEMBERS} more on the dashboard`);
    sections.push({ title: 'Alarms in this incident', lines });
  }

  const links = [
    { label: notice.links.consoleLabel ?? 'CloudWatch alarm', url: notice.links.console },
    { label: 'Runbook', url: notice.links.runbook },
    { label: 'Dashboard', url: notice.links.dashboard },
  ].filter((l): l is { label: string; url: string } => isHttpUrl(l.url));

  const title = `[${i.severity}] ${bounded(eventWord(notice), 40)}: ${bounded(i.alarmName, limits.name)}`;
  const ack = followUp ? null : `Acknowledge with the Slack button, "/incident ack ${i.id}" or on the dashboard.`;
  const full = cut ? 'Some text was cut to fit an email; the full incident is on the dashboard.' : null;
  const footer = [full, ack].filter(Boolean).join(' ') || null;
  return { title, intro, facts, sections, links, color, footer, cut };
}

function renderText(m: Model): string {
  const out: string[] = [m.title, ''];
  if (m.intro) out.push(m.intro, '');
  const width = Math.max(0, ...m.facts.map((f) => f.label.length)) + 2;
  for (const f of m.facts) out.push(`${`${f.label}:`.padEnd(width)}${f.value}`);
  for (const s of m.sections) {
    out.push('', s.title.includes(':') ? s.title : `${s.title}:`);
    s.lines.forEach((l, n) => out.push(s.ordered ? `  ${n + 1}. ${l}` : s.lines.length > 1 ? `  - ${l}` : l));
  }
  if (m.links.length > 0) {
    out.push('', 'Links:');
    for (const l of m.links) out.push(`  ${l.label}: ${l.url}`);
  }
  if (m.footer) out.push('', m.footer);
  return `${out.join('\n')}\n`;
}

function renderHtml(m: Model): string {
  const e = escapeHtml;
  const facts = m.facts
    .map(
      (f) =>
        `<tr><th align="left" style="padding:2px 12px 2px 0;color:#555;font-weight:600;vertical-align:top">${e(f.label)}</th>` +
        `<td style="padding:2px 0">${e(f.value)}</td></tr>`,
    )
    .join('');
  const sections = m.sections
    .map((s) => {
      const body =
        s.ordered || s.lines.length > 1
          ? `<${s.ordered ? 'ol' : 'ul'} style="margin:4px 0 0 0;padding-left:20px">${s.lines.map((l) => `<li>${e(l)}</li>`).join('')}</${s.ordered ? 'ol' : 'ul'}>`
          : `<div style="white-space:pre-wrap;margin-top:4px">${e(s.lines[0] ?? '')}</div>`;
      return `<h3 style="font-size:14px;margin:16px 0 0 0">${e(s.title)}</h3>${body}`;
    })
    .join('');
  const links = m.links.length > 0 ? `<p style="margin-top:16px">${m.links.map((l) => `<a href="${e(l.url)}">${e(l.label)}</a>`).join(' &middot; ')}</p>` : '';
  return [
    '<!doctype html>',
    '<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"></head>',
    '<body style="font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;font-size:14px;color:#222">',
    `<div style="border-left:6px solid ${e(m.color)};padding:8px 16px">`,
    `<h2 style="font-size:18px;margin:0 0 8px 0">${e(m.title)}</h2>`,
    m.intro ? `<p>${e(m.intro)}</p>` : '',
    facts ? `<table cellspacing="0" cellpadding="0">${facts}</table>` : '',
    sections,
    links,
    m.footer ? `<p style="color:#666;font-size:12px;margin-top:16px">${e(m.footer)}</p>` : '',
    '</div></body></html>',
  ].join('\n');
}

/** Both parts within EMAIL_BODY_MAX_BYTES whatever the alarm holds: the field limits halve until they fit. */
export function renderEmail(notice: Notice): RenderedEmail {
  const scaled = (scale: number) => Object.fromEntries(Object.entries(FULL).map(([k, v]) => [k, Math.max(16, Math.floor(v * scale))])) as unknown as Limits;
  const { text, html } = shrinkToFit(
    (scale) => {
      const m = model(notice, scaled(scale));
      return { text: renderText(m), html: renderHtml(m) };
    },
    (r) => [r.text, r.html],
    EMAIL_BODY_MAX_BYTES,
  );
  return { subject: emailSubject(notice), text, html };
}
