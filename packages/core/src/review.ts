/**
 * The post-incident review draft (runbook step 5): an incident's records → a review model → Markdown. Pure and
 * deterministic: the same incident always gives the same text (no clock, no randomness), so a golden file can
 * hold it. The parts only people know (root cause, action items, procedure updates) are left as empty sections.
 *
 * Everything an alarm or a person wrote (alarm name, reason, description, dimensions, notes, user names) is
 * attacker-controllable and goes through `mdText` / `mdCode`, which make it inert Markdown: no raw HTML, no
 * links, no emphasis, no table breaks, one line.
 */
import { responseDeadline } from './clock';
import { isWebhookSource, sourceDisplayName } from './sources/index';
import { secondsText } from './digest';
import type { Incident, TimelineEntry } from './incident';
import type { Policy } from './policy';
import { headerSafe, truncateUnits } from './render/escape';
import { conditionText, dimensionLines, metricName, severityLabel, whereText } from './render/format';
import { runbookFor, runbookUrl } from './render/links';
import type { Severity } from './types';

export interface ReviewEvent {
  at: string;
  /** Who acted, readable: `alice (slack)`, `CloudWatch`, `escalation sweep`, `router`. */
  who: string;
  /** What happened, one line (raw text: renderers escape). */
  what: string;
  /** The alarm the entry belongs to when the review covers several (a group's members). */
  alarm: string | null;
}

export interface ReviewTarget {
  /** `5 min`, `next business day`. */
  target: string;
  deadline: string;
  /** Seconds from open to the measured moment; null when it has not happened. */
  actualSeconds: number | null;
  /** Seconds past the deadline (positive: breached); null when not measurable. */
  lateSeconds: number | null;
}

export interface ReviewMember {
  id: string;
  alarmName: string;
  severity: Severity;
  openedAt: string;
  resolvedAt: string | null;
}

export interface ReviewModel {
  id: string;
  alarmName: string;
  severity: Severity;
  severityLabel: string;
  classifiedBy: string;
  status: Incident['status'];
  openedAt: string;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  resolvedAt: string | null;
  resolvedBy: string | null;
  acknowledge: ReviewTarget;
  /** Time to resolve (no runbook target: shown beside the acknowledgement target). */
  resolveSeconds: number | null;
  escalation: { stepsRun: number; chainLength: number; steps: string[] };
  alarm: {
    metric: string | null;
    condition: string | null;
    threshold: number | null;
    dimensions: string[];
    reason: string | null;
    description: string | null;
    where: string | null;
    arn: string | null;
  };
  runbook: { title: string; url: string | null; steps: string[] } | null;
  members: ReviewMember[];
  timeline: ReviewEvent[];
  /** Everyone and everything that acted, in order of first appearance. */
  actors: string[];
  updates: ReviewEvent[];
  silencedBy: string | null;
  flapping: boolean;
  duplicates: number;
}

/** `slack:U123 (alice)` → `alice (slack)`; the router's own actors by name. */
export function actorName(by: string | undefined): string {
  if (!by) return 'router';
  const m = /^(\w+):(\S+) \((.*)\)$/.exec(by);
  if (m) return `${m[3]} (${m[1]})`;
  if (by === 'cloudwatch') return 'CloudWatch';
  if (by === 'sns') return 'SNS';
  if (by === 'escalation') return 'escalation sweep';
  if (isWebhookSource(by)) return sourceDisplayName({ kind: by });
  return by;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** One line per timeline entry. `resent`: a delivery of a notice whose earlier try on that channel failed. */
function eventText(e: TimelineEntry, resent: boolean): string {
  const detail = e.detail ? headerSafe(truncateUnits(e.detail, 300)) : '';
  switch (e.type) {
    case 'opened':
      return `Incident opened${detail ? `: ${detail}` : ''}`;
    case 'duplicate':
      return `Repeat alarm folded into the incident${detail ? `: ${detail}` : ''}`;
    case 'delivery': {
      const what = `${e.event ?? 'notice'} notice via ${e.channel ?? '?'}`;
      const attempts = e.attempts ? ` after ${plural(e.attempts, 'attempt')}` : '';
      const outcome = resent && e.outcome === 'delivered' ? 'delivered on resend' : (e.outcome ?? 'unknown');
      return `${what}: ${outcome}${attempts}${detail ? ` (${detail})` : ''}`;
    }
    case 'acknowledged':
      return 'Acknowledged';
    case 'resolved':
      return `Resolved${detail ? `: ${detail}` : ''}`;
    case 'escalated':
      return `Escalated${detail ? `: ${detail}` : ''}`;
    case 'silenced':
      return `Silenced${detail ? `: ${detail}` : ''}`;
    case 'flapping':
      return `Flapping${detail ? `: ${detail}` : ''}`;
    case 'update':
      return `Stakeholder update${detail ? `: ${detail}` : ''}`;
    case 'member':
      return `Group${detail ? `: ${detail}` : ''}`;
    case 'note':
      return `Note${detail ? `: ${detail}` : ''}`;
    default:
      return `${e.type}${detail ? `: ${detail}` : ''}`;
  }
}

interface Entry {
  e: TimelineEntry;
  /** The entry's alarm, when the review covers several incidents. */
  alarm: string | null;
}

/** Whether the timeline shows an alarm column: its entries come from several incidents (a group's members name themselves in their lines). */
export function timelineByAlarm(m: Pick<ReviewModel, 'timeline'>): boolean {
  return m.timeline.some((e) => e.alarm);
}

/** Every entry of the incident and its members in time order; entries at the same instant keep their written order. */
function merged(incident: Incident, members: Incident[]): Entry[] {
  const grouped = members.length > 0;
  const all = [incident, ...members].flatMap((i) => (i.timeline ?? []).map((e) => ({ e, alarm: grouped ? i.alarmName : null })));
  return all
    .map((x, i) => ({ x, i }))
    .sort((a, b) => (a.x.e.at < b.x.e.at ? -1 : a.x.e.at > b.x.e.at ? 1 : a.i - b.i))
    .map(({ x }) => x);
}

function describe(entries: Entry[]): ReviewEvent[] {
  const failed = new Set<string>();
  return entries.map(({ e, alarm }) => {
    const key = `${alarm ?? ''}|${e.event}:${e.channel}`;
    const resent = e.type === 'delivery' && failed.has(key);
    if (e.type === 'delivery') {
      if (e.outcome === 'failed') failed.add(key);
      else failed.delete(key);
    }
    return { at: e.at, who: actorName(e.by), what: eventText(e, resent), alarm };
  });
}

function seconds(fromIso: string, toIso: string | null): number | null {
  if (!toIso) return null;
  return Math.max(0, Math.round((Date.parse(toIso) - Date.parse(fromIso)) / 1000));
}

function targetText(severity: Severity, policy: Policy): string {
  const rt = policy.severities[severity].responseTime;
  return rt === 'next-business-day' ? 'next business day' : secondsText(rt * 60);
}

export interface ReviewOptions {
  /** The incidents of a group, when the review covers one (grouping is optional: none means a single incident). */
  members?: Incident[];
}

export function buildReview(incident: Incident, policy: Policy, opts: ReviewOptions = {}): ReviewModel {
  const members = (opts.members ?? []).filter((m) => m.id !== incident.id);
  const deadline = responseDeadline(incident.severity, incident.releasedAt ?? incident.openedAt, policy);
  // As the digest counts breaches: the wait ends at the acknowledgement, else at an unacknowledged resolution.
  const end = incident.acknowledgedAt ?? incident.resolvedAt;
  const late = end ? Math.round((Date.parse(end) - Date.parse(deadline)) / 1000) : null;
  const entries = merged(incident, members);
  const timeline = describe(entries);
  const steps = entries.filter(({ e }) => e.type === 'escalated').map(({ e }) => headerSafe(e.detail ?? 'escalated'));
  const a = incident.alarm;
  const rb = runbookFor(incident, policy);
  const actors: string[] = [];
  for (const ev of timeline) if (!actors.includes(ev.who)) actors.push(ev.who);
  return {
    id: incident.id,
    alarmName: incident.alarmName,
    severity: incident.severity,
    severityLabel: severityLabel(incident.severity, policy),
    classifiedBy: incident.classifiedBy,
    status: incident.status,
    openedAt: incident.openedAt,
    acknowledgedAt: incident.acknowledgedAt,
    acknowledgedBy: incident.acknowledgedBy ? actorName(incident.acknowledgedBy) : null,
    resolvedAt: incident.resolvedAt,
    resolvedBy: incident.resolvedBy ? actorName(incident.resolvedBy) : null,
    acknowledge: {
      target: targetText(incident.severity, policy),
      deadline,
      actualSeconds: seconds(incident.openedAt, incident.acknowledgedAt),
      lateSeconds: late,
    },
    resolveSeconds: incident.status === 'resolved' ? seconds(incident.openedAt, incident.resolvedAt) : null,
    escalation: { stepsRun: steps.length, chainLength: incident.escalation?.chain.length ?? 0, steps },
    alarm: {
      metric: metricName(a),
      condition: conditionText(a),
      threshold: a.threshold ?? null,
      dimensions: dimensionLines(a.dimensions ?? {}),
      reason: a.reason ?? (a.text && a.text !== incident.alarmName ? a.text : null),
      description: a.description,
      where: whereText(a),
      arn: a.alarmArn,
    },
    runbook: rb ? { title: rb.title, url: runbookUrl(incident, policy), steps: rb.steps } : null,
    members: incident.members?.length
      ? incident.members.map((m) => ({ id: m.episodeId, alarmName: m.alarmName, severity: m.severity, openedAt: m.firedAt, resolvedAt: m.recoveredAt }))
      : members.map((m) => ({ id: m.id, alarmName: m.alarmName, severity: m.severity, openedAt: m.openedAt, resolvedAt: m.resolvedAt })),
    timeline,
    actors,
    updates: entries
      .filter(({ e }) => e.type === 'update')
      .map(({ e, alarm }) => ({ at: e.at, who: actorName(e.by), what: headerSafe(e.detail ?? ''), alarm })),
    silencedBy: incident.silencedBy,
    flapping: incident.flapping,
    duplicates: incident.duplicates ?? 0,
  };
}

// ---------------------------------------------------------------- Markdown

/**
 * Inert inline Markdown: one line (controls and line breaks become spaces), and every character that can start
 * markup is backslash-escaped (CommonMark lets any ASCII punctuation be escaped): `<` `>` `&` (HTML and
 * entities), `[` `]` `!` (links, images), `*` `_` `~` (emphasis), `` ` `` (code), `|` (table cells), `\`,
 * and what autolinkers look for: `:` (`https://`), `@` (mail addresses), a dot before a letter (`evil.com`).
 * After this the text is shown as written by any CommonMark/GFM renderer, raw HTML enabled or not.
 */
export function mdText(raw: string, max = 2000): string {
  return headerSafe(truncateUnits(raw, max))
    .replace(/[\\`*_[\]<>|~!&:@]/g, (c) => `\\${c}`)
    .replace(/\.(?=[A-Za-z])/g, '\\.');
}

/**
 * Inline code, outside tables (the draft puts only mdText in table cells): backslashes do not escape inside a code
 * span, so the fence is one backtick longer than the longest run in the text (CommonMark).
 */
export function mdCode(raw: string, max = 2000): string {
  const text = headerSafe(truncateUnits(raw, max));
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((r) => r.length));
  const fence = '`'.repeat(longest + 1);
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}

/** `2021-11-10 02:45:56 UTC` (to the second: a review's timeline needs it). */
export function reviewTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const t = Date.parse(iso);
  return Number.isNaN(t) ? mdText(iso) : `${new Date(t).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

function row(cells: string[]): string {
  return `| ${cells.join(' | ')} |`;
}

function responseLine(m: ReviewModel): string[] {
  const ack = m.acknowledge;
  let result = 'not acknowledged yet';
  if (ack.lateSeconds !== null) {
    const how = m.acknowledgedAt ? 'acknowledged' : 'resolved without acknowledgement';
    result = ack.lateSeconds > 0 ? `**breached** by ${secondsText(ack.lateSeconds)} (${how})` : `within target (${how})`;
  }
  return [
    row(['', 'target', 'actual', 'result']),
    row(['---', '---', '---', '---']),
    row(['Time to acknowledge', `${ack.target} (by ${reviewTime(ack.deadline)})`, ack.actualSeconds === null ? '—' : secondsText(ack.actualSeconds), result]),
    row([
      'Time to resolve',
      '—',
      m.resolveSeconds === null ? '—' : secondsText(m.resolveSeconds),
      m.status === 'resolved' ? `resolved by ${mdText(m.resolvedBy ?? '?')}` : 'still open',
    ]),
  ];
}

export function renderReviewMarkdown(m: ReviewModel): string {
  const out: string[] = [];
  const push = (...lines: string[]) => out.push(...lines);
  push(`# Post-incident review: ${m.id} ${mdText(m.alarmName, 300)}`, '');
  push(
    "> Draft made by the alert router from the incident's records. Review it within 24–48 hours (runbook step 5,",
    '> "Post-Incident Review"): check the timeline, then fill in the root cause, action items and procedure updates.',
    '',
  );

  push('## Summary', '', row(['', '']), row(['---', '---']));
  push(row(['Incident', m.id]));
  push(row(['Alarm', mdText(m.alarmName, 300)]));
  push(row(['Severity', `${m.severity} ${mdText(m.severityLabel)} (classified by ${mdText(m.classifiedBy)})`]));
  push(row(['Status', m.status]));
  push(row(['Opened', reviewTime(m.openedAt)]));
  push(row(['Acknowledged', m.acknowledgedAt ? `${reviewTime(m.acknowledgedAt)} by ${mdText(m.acknowledgedBy ?? '?')}` : '—']));
  push(row(['Resolved', m.resolvedAt ? `${reviewTime(m.resolvedAt)} by ${mdText(m.resolvedBy ?? '?')}` : '—']));
  if (m.silencedBy) push(row(['Silenced', mdText(m.silencedBy)]));
  if (m.flapping) push(row(['Flapping', 'yes']));
  if (m.duplicates) push(row(['Repeat alarms folded in', String(m.duplicates)]));
  push('');

  push('## Response against the runbook', '', ...responseLine(m), '');
  push(
    m.escalation.stepsRun === 0
      ? `Escalation: no step ran${m.escalation.chainLength ? ` (chain of ${plural(m.escalation.chainLength, 'step')})` : ''}.`
      : `Escalation: ${plural(m.escalation.stepsRun, 'step')} ran${m.escalation.chainLength ? ` (chain of ${m.escalation.chainLength})` : ''}:`,
  );
  for (const s of m.escalation.steps) push(`- ${mdText(s)}`);
  push('');

  push('## Alarm', '');
  const fact = (k: string, v: string | null) => (v ? push(`- **${k}:** ${v}`) : undefined);
  fact('Metric', m.alarm.metric ? mdCode(m.alarm.metric) : null);
  fact('Condition', m.alarm.condition ? mdCode(m.alarm.condition) : null);
  fact('Threshold', m.alarm.threshold !== null ? mdCode(String(m.alarm.threshold)) : null);
  fact(
    'Dimensions',
    m.alarm.dimensions.length
      ? m.alarm.dimensions
          .slice(0, 20)
          .map((d) => mdCode(d, 300))
          .join(', ')
      : null,
  );
  fact('Reason', m.alarm.reason ? mdText(m.alarm.reason) : null);
  fact('Description', m.alarm.description ? mdText(m.alarm.description) : null);
  fact('Where', m.alarm.where ? mdText(m.alarm.where) : null);
  fact('Alarm ARN', m.alarm.arn ? mdCode(m.alarm.arn) : null);
  push('');

  if (m.members.length) {
    push('## Member incidents', '', row(['incident', 'alarm', 'severity', 'opened', 'resolved']), row(['---', '---', '---', '---', '---']));
    for (const x of m.members) push(row([x.id, mdText(x.alarmName, 300), x.severity, reviewTime(x.openedAt), reviewTime(x.resolvedAt)]));
    push('');
  }

  push('## Runbook section that applied', '');
  if (!m.runbook) push('No runbook for this incident type.');
  else {
    push(`**${mdText(m.runbook.title)}**${m.runbook.url ? ` (${mdCode(m.runbook.url)})` : ''}`, '');
    m.runbook.steps.forEach((s, k) => push(`${k + 1}. ${mdCode(s)}`));
  }
  push('');

  const grouped = timelineByAlarm(m);
  push('## Timeline', '', row(['time', ...(grouped ? ['alarm'] : []), 'who', 'what']), row(['---', ...(grouped ? ['---'] : []), '---', '---']));
  for (const e of m.timeline) push(row([reviewTime(e.at), ...(grouped ? [mdText(e.alarm ?? '', 200)] : []), mdText(e.who, 200), mdText(e.what, 600)]));
  push('');

  push('## People and systems involved', '');
  for (const a of m.actors) push(`- ${mdText(a, 200)}`);
  push('');

  push('## Stakeholder updates', '');
  if (m.updates.length === 0) push('None posted.');
  for (const u of m.updates) push(`- ${reviewTime(u.at)}, ${mdText(u.who, 200)}: ${mdText(u.what)}`);
  push('');

  push('## Root cause', '', '_To do: what caused it, and why it was not caught earlier._', '');
  push('## Action items', '', row(['action', 'owner', 'due']), row(['---', '---', '---']), row(['', '', '']), '');
  push('## Procedure updates', '', '_To do: runbook sections, alert thresholds, evaluation periods or severities to change._', '');
  return out.join('\n');
}

/** `INC-7F3A9K2M-review.md` */
export function reviewFileName(id: string): string {
  return `${id.replace(/[^A-Za-z0-9-]/g, '')}-review.md`;
}
