/**
 * The daily digest for Slack (Block Kit, incoming webhook payload) and email (subject, plain text, HTML with
 * the chart as an inline `cid:` image). Pure: no I/O. Alarm names, silence patterns and reasons are
 * attacker-controllable text and are escaped for each channel.
 */
import { secondsText, type DigestReport, type DurationStats } from '../digest';
import { INCIDENT_STATUSES } from '../incident';
import type { Policy } from '../policy';
import { SEVERITIES, type Severity } from '../types';
import { escapeHtml, escapeSlack, headerSafe, isHttpUrl, slackText, truncateEscaped, truncateUnits } from './escape';
import { formatTime, SEVERITY_STYLE, severityLabel } from './format';
import type { SlackBlock, SlackTextObject } from './slack';

export interface DigestRenderOptions {
  policy: Policy;
  /** Public dashboard URL (links); null/absent when there is none. */
  dashboardUrl?: string | null;
}

export interface DigestSlackMessage {
  text: string;
  blocks: SlackBlock[];
  unfurl_links: false;
  unfurl_media: false;
}

export interface RenderedDigestEmail {
  subject: string;
  text: string;
  html: string;
}

/** How many rows each list shows before "…and N more". */
export const DIGEST_LIST_LIMIT = { breaches: 10, stillOpen: 15, flapping: 10, silences: 10 } as const;

function windowText(r: DigestReport): string {
  return `${formatTime(r.from)} – ${formatTime(r.to)}`;
}

function hoursText(r: DigestReport): string {
  return r.hours === 24 ? 'last 24 h' : `last ${r.hours} h`;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** The one line an empty window gets (nothing opened, nothing open). */
export function emptyDigestLine(r: DigestReport): string {
  const silences = r.silences.length > 0 ? ` ${plural(r.silences.length, 'silence')} in force.` : '';
  return `Alert digest, ${hoursText(r)} (${windowText(r)}): no incidents, nothing open.${silences}`;
}

/** `12 incidents (P0 3 · P1 4 · P2 5 · P3 0), 2 response-time breaches, 4 still open`. */
export function digestSummary(r: DigestReport): string {
  const sev = SEVERITIES.map((s) => `${s} ${r.bySeverity[s]}`).join(' · ');
  return `${plural(r.total, 'incident')} (${sev}), ${plural(r.breaches.length, 'response-time breach', 'response-time breaches')}, ${r.stillOpen.length} still open`;
}

/** `50 alarms folded into 2 incidents, 1 page` (grouping: alarms across the window's incidents, and those that paged). */
export function foldingText(r: DigestReport): string {
  const f = r.folding;
  return `${plural(f.alarms, 'alarm')} folded into ${plural(f.incidents, 'incident')}, ${plural(f.paged, 'page')}`;
}

export function digestSubject(r: DigestReport): string {
  if (r.empty) return `Alert digest, ${hoursText(r)}: no incidents`;
  return headerSafe(`Alert digest, ${hoursText(r)}: ${digestSummary(r)}`);
}

function statsRow(s: DurationStats): string {
  return s.count ? `${secondsText(s.meanSeconds)} (n=${s.count})` : '—';
}

function lateText(b: DigestReport['breaches'][number]): string {
  return b.ongoing
    ? `unacknowledged, ${secondsText(b.lateSeconds)} past due`
    : b.acknowledgedAt
      ? `acknowledged ${secondsText(b.lateSeconds)} late`
      : `never acknowledged (resolved ${secondsText(b.lateSeconds)} past due)`;
}

function dashboardLink(base: string | null | undefined, path = '/'): string | null {
  if (!isHttpUrl(base ?? null)) return null;
  return `${base!.replace(/\/+$/, '')}${path}`;
}

// ---------------------------------------------------------------- Slack

function mrkdwn(text: string, max = 3000): SlackTextObject {
  return { type: 'mrkdwn', text: truncateEscaped(text, max), verbatim: true };
}

function section(text: string): SlackBlock {
  return { type: 'section', text: mrkdwn(text) };
}

function more<T>(items: T[], limit: number, line: (t: T) => string): string[] {
  const out = items.slice(0, limit).map(line);
  if (items.length > limit) out.push(`…and ${items.length - limit} more`);
  return out;
}

export function renderDigestSlack(r: DigestReport, opts: DigestRenderOptions): DigestSlackMessage {
  const dash = dashboardLink(opts.dashboardUrl);
  const link = dash ? ` <${escapeSlack(dash).replace(/\|/g, '%7C')}|Dashboard>` : '';
  if (r.empty) {
    const line = `:white_check_mark: ${escapeSlack(emptyDigestLine(r))}${link}`;
    return { text: line, blocks: [section(line)], unfurl_links: false, unfurl_media: false };
  }
  const blocks: SlackBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: `Alert digest: ${hoursText(r)}`, emoji: true } },
    { type: 'context', elements: [mrkdwn(escapeSlack(windowText(r)))] },
    {
      type: 'section',
      fields: [
        mrkdwn(`*Incidents*\n${r.total}`),
        mrkdwn(`*By severity*\n${SEVERITIES.map((s) => `${s} ${r.bySeverity[s]}`).join(' · ')}`),
        mrkdwn(`*By state*\n${INCIDENT_STATUSES.map((s) => `${s} ${r.byState[s]}`).join(' · ')}`),
        mrkdwn(`*Response-time breaches*\n${r.breaches.length}`),
        mrkdwn(`*Still open*\n${r.stillOpen.length}`),
        mrkdwn(`*Grouping*\n${foldingText(r)}`),
        mrkdwn(`*Silences in force*\n${r.silences.length}`),
      ],
    },
  ];
  const table = [`${'sev'.padEnd(4)}${'MTTA'.padEnd(22)}MTTR`]
    .concat(['all' as const, ...SEVERITIES].map((s) => `${s.padEnd(4)}${statsRow(r.mtta[s]).padEnd(22)}${statsRow(r.mttr[s])}`))
    .join('\n');
  blocks.push(section(`*Response times* (mean, incidents opened in the window)\n\`\`\`${table}\`\`\``));

  if (r.breaches.length > 0) {
    const lines = more(
      r.breaches,
      DIGEST_LIST_LIMIT.breaches,
      (b) =>
        `• \`${slackText(b.id, 40)}\` [${b.severity}] ${slackText(b.alarmName, 200)}: ${escapeSlack(lateText(b))}${b.acknowledgedBy ? ` by ${slackText(b.acknowledgedBy, 100)}` : ''}`,
    );
    blocks.push(section(`*Not acknowledged within the response time*\n${lines.join('\n')}`));
  }
  if (r.noisiest.length > 0) {
    const lines = r.noisiest.map(
      (a, n) =>
        `${n + 1}. ${slackText(a.alarmName, 200)} [${a.severity}]: ${plural(a.incidents, 'incident')}${a.duplicates ? ` + ${plural(a.duplicates, 'repeat')}` : ''}`,
    );
    blocks.push(section(`*Noisiest alarms*\n${lines.join('\n')}`));
  }
  if (r.flapping.length > 0) {
    const lines = more(
      r.flapping,
      DIGEST_LIST_LIMIT.flapping,
      (a) => `• ${slackText(a.alarmName, 200)} [${a.severity}]: ${plural(a.incidents, 'incident')}, last opened ${formatTime(a.lastOpenedAt)}`,
    );
    blocks.push(section(`*Flapping alarms*\n${lines.join('\n')}`));
  }
  if (r.stillOpen.length > 0) {
    const lines = more(
      r.stillOpen,
      DIGEST_LIST_LIMIT.stillOpen,
      (o) =>
        `• [${o.severity}] \`${slackText(o.id, 40)}\` ${slackText(o.alarmName, 200)}: ${o.status} for ${secondsText(o.ageSeconds)}${o.acknowledgedBy ? ` (${slackText(o.acknowledgedBy, 100)})` : ''}`,
    );
    blocks.push(section(`*Still open*\n${lines.join('\n')}`));
  }
  if (r.silences.length > 0) {
    const lines = more(
      r.silences,
      DIGEST_LIST_LIMIT.silences,
      (s) => `• \`${slackText(s.match, 200)}\` until ${formatTime(s.endsAt)} by ${slackText(s.author, 100)}: ${slackText(s.reason, 300)}`,
    );
    blocks.push(section(`*Silences in force*\n${lines.join('\n')}`));
  }
  if (dash) blocks.push({ type: 'context', elements: [mrkdwn(link.trim())] });
  return {
    text: truncateEscaped(`:bar_chart: ${escapeSlack(`Alert digest, ${hoursText(r)}: ${digestSummary(r)}`)}`, 3000),
    blocks: blocks.slice(0, 50),
    unfurl_links: false,
    unfurl_media: false,
  };
}

// ---------------------------------------------------------------- Email

function textReport(r: DigestReport, opts: DigestRenderOptions): string {
  if (r.empty) return `${emptyDigestLine(r)}\n`;
  const out: string[] = [`Alert digest, ${hoursText(r)}`, windowText(r), '', digestSummary(r), ''];
  out.push(`By state: ${INCIDENT_STATUSES.map((s) => `${s} ${r.byState[s]}`).join(', ')}`, `Grouping: ${foldingText(r)}`, '');
  out.push('Response times (mean, incidents opened in the window):');
  out.push(`  ${'sev'.padEnd(5)}${'MTTA'.padEnd(24)}MTTR`);
  for (const s of ['all' as const, ...SEVERITIES]) out.push(`  ${s.padEnd(5)}${statsRow(r.mtta[s]).padEnd(24)}${statsRow(r.mttr[s])}`);
  const list = (title: string, lines: string[]) => {
    if (lines.length === 0) return;
    out.push('', `${title}:`, ...lines.map((l) => `  ${l}`));
  };
  const t = (s: string, n = 200) => headerSafe(truncateUnits(s, n));
  list(
    'Not acknowledged within the response time',
    more(
      r.breaches,
      DIGEST_LIST_LIMIT.breaches,
      (b) => `- ${b.id} [${b.severity}] ${t(b.alarmName)}: ${lateText(b)}${b.acknowledgedBy ? ` by ${t(b.acknowledgedBy, 100)}` : ''}`,
    ),
  );
  list(
    'Noisiest alarms',
    r.noisiest.map(
      (a, n) => `${n + 1}. ${t(a.alarmName)} [${a.severity}]: ${plural(a.incidents, 'incident')}${a.duplicates ? ` + ${plural(a.duplicates, 'repeat')}` : ''}`,
    ),
  );
  list(
    'Flapping alarms',
    more(r.flapping, DIGEST_LIST_LIMIT.flapping, (a) => `- ${t(a.alarmName)} [${a.severity}]: ${plural(a.incidents, 'incident')}`),
  );
  list(
    'Still open',
    more(r.stillOpen, DIGEST_LIST_LIMIT.stillOpen, (o) => `- [${o.severity}] ${o.id} ${t(o.alarmName)}: ${o.status} for ${secondsText(o.ageSeconds)}`),
  );
  list(
    'Silences in force',
    more(r.silences, DIGEST_LIST_LIMIT.silences, (s) => `- ${t(s.match)} until ${formatTime(s.endsAt)} by ${t(s.author, 100)}: ${t(s.reason, 300)}`),
  );
  const dash = dashboardLink(opts.dashboardUrl);
  if (dash) out.push('', `Dashboard: ${dash}`);
  return `${out.join('\n')}\n`;
}

const CELL = 'padding:4px 10px 4px 0;border-bottom:1px solid #e0e0e0;text-align:left;vertical-align:top';

function htmlTable(head: string[], rows: string[][]): string {
  const th = head.map((h) => `<th style="${CELL};color:#444">${escapeHtml(h)}</th>`).join('');
  const tr = rows.map((r) => `<tr>${r.map((c) => `<td style="${CELL}">${c}</td>`).join('')}</tr>`).join('');
  return `<table cellspacing="0" cellpadding="0" style="border-collapse:collapse;margin:6px 0 12px 0"><thead><tr>${th}</tr></thead><tbody>${tr}</tbody></table>`;
}

function sevBadge(s: Severity): string {
  const bg = SEVERITY_STYLE[s].color;
  const fg = s === 'P1' || s === 'P2' ? '#000000' : '#ffffff';
  return `<span style="background:${bg};color:${fg};padding:1px 6px;border-radius:3px;font-weight:600">${s}</span>`;
}

function htmlReport(r: DigestReport, opts: DigestRenderOptions & { chartCid?: string | null }): string {
  const e = (s: string, n = 300) => escapeHtml(truncateUnits(s, n));
  const dash = dashboardLink(opts.dashboardUrl);
  const head = [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>Alert digest</title></head>',
    '<body style="font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;font-size:14px;color:#1a1a1a;max-width:760px">',
  ];
  if (r.empty) {
    return [...head, `<p>${e(emptyDigestLine(r), 1000)}</p>`, dash ? `<p><a href="${escapeHtml(dash)}">Dashboard</a></p>` : '', '</body></html>'].join('\n');
  }
  const parts: string[] = [
    `<h1 style="font-size:20px;margin:0 0 4px 0">Alert digest: ${e(hoursText(r))}</h1>`,
    `<p style="color:#555;margin:0 0 12px 0">${e(windowText(r))}</p>`,
    `<p style="font-size:15px"><strong>${e(digestSummary(r))}</strong></p>`,
  ];
  if (opts.chartCid) {
    const alt = `Incidents per hour by severity: ${SEVERITIES.map((s) => `${s} ${r.bySeverity[s]}`).join(', ')}`;
    parts.push(
      `<img src="cid:${escapeHtml(opts.chartCid)}" width="720" height="240" alt="${escapeHtml(alt)}" style="max-width:100%;height:auto;display:block;margin:8px 0">`,
    );
  }
  parts.push('<h2 style="font-size:16px;margin:16px 0 0 0">Counts</h2>');
  parts.push(
    htmlTable(
      ['Severity', 'Incidents', 'MTTA (mean)', 'MTTR (mean)'],
      [
        ...SEVERITIES.map((s) => [
          `${sevBadge(s)} ${e(severityLabel(s, opts.policy))}`,
          String(r.bySeverity[s]),
          e(statsRow(r.mtta[s])),
          e(statsRow(r.mttr[s])),
        ]),
        ['<strong>All</strong>', `<strong>${r.total}</strong>`, e(statsRow(r.mtta.all)), e(statsRow(r.mttr.all))],
      ],
    ),
  );
  parts.push(`<p>By state: ${INCIDENT_STATUSES.map((s) => `${s} <strong>${r.byState[s]}</strong>`).join(' · ')}</p>`);
  parts.push(`<p>Grouping: ${e(foldingText(r))}</p>`);
  const list = (title: string, headRow: string[], rows: string[][], total: number, limit: number) => {
    if (rows.length === 0) return;
    parts.push(`<h2 style="font-size:16px;margin:16px 0 0 0">${escapeHtml(title)}</h2>`);
    parts.push(htmlTable(headRow, rows.slice(0, limit)));
    if (total > limit) parts.push(`<p style="color:#555">…and ${total - limit} more</p>`);
  };
  list(
    'Not acknowledged within the response time',
    ['Incident', 'Severity', 'Alarm', 'What happened'],
    r.breaches.map((b) => [e(b.id), sevBadge(b.severity), e(b.alarmName), e(`${lateText(b)}${b.acknowledgedBy ? ` by ${b.acknowledgedBy}` : ''}`)]),
    r.breaches.length,
    DIGEST_LIST_LIMIT.breaches,
  );
  list(
    'Noisiest alarms',
    ['#', 'Alarm', 'Severity', 'Incidents', 'Repeats'],
    r.noisiest.map((a, n) => [String(n + 1), e(a.alarmName), sevBadge(a.severity), String(a.incidents), String(a.duplicates)]),
    r.noisiest.length,
    r.noisiest.length,
  );
  list(
    'Flapping alarms',
    ['Alarm', 'Severity', 'Incidents', 'Last opened'],
    r.flapping.map((a) => [e(a.alarmName), sevBadge(a.severity), String(a.incidents), e(formatTime(a.lastOpenedAt))]),
    r.flapping.length,
    DIGEST_LIST_LIMIT.flapping,
  );
  list(
    'Still open',
    ['Incident', 'Severity', 'Alarm', 'State', 'Age'],
    r.stillOpen.map((o) => {
      const id = dash ? `<a href="${escapeHtml(`${dash.replace(/\/$/, '')}/incidents/${encodeURIComponent(o.id)}`)}">${e(o.id)}</a>` : e(o.id);
      return [id, sevBadge(o.severity), e(o.alarmName), e(o.status), e(secondsText(o.ageSeconds))];
    }),
    r.stillOpen.length,
    DIGEST_LIST_LIMIT.stillOpen,
  );
  list(
    'Silences in force',
    ['Pattern', 'Until', 'By', 'Reason'],
    r.silences.map((s) => [e(s.match), e(formatTime(s.endsAt)), e(s.author, 100), e(s.reason)]),
    r.silences.length,
    DIGEST_LIST_LIMIT.silences,
  );
  if (dash) parts.push(`<p><a href="${escapeHtml(dash)}">Open the dashboard</a></p>`);
  return [...head, ...parts, '</body></html>'].join('\n');
}

export function renderDigestEmail(r: DigestReport, opts: DigestRenderOptions & { chartCid?: string | null }): RenderedDigestEmail {
  return { subject: digestSubject(r), text: textReport(r, opts), html: htmlReport(r, opts) };
}

/** The plain-text digest (email text part, the local outbox). */
export function renderDigestText(r: DigestReport, opts: DigestRenderOptions): string {
  return textReport(r, opts);
}
