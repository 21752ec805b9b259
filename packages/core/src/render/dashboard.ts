/**
 * The dashboard's HTML, rendered on the server. Pure: a model in, a string out.
 *
 * - Every interpolation goes through the `html` template tag, which escapes by default (alarm names,
 *   descriptions, reasons and dimensions are attacker-controllable); only `raw()` values — markup we built —
 *   pass through.
 * - No inline script or style (the page is served with `script-src 'self'; style-src 'self'`): behaviour is in
 *   /assets/app.js, looks in /assets/app.css; SVG uses presentation attributes.
 * - Works without JavaScript: filters are a GET form, actions are POST forms that redirect back.
 */
import { responseDeadline } from '../clock';
import { GLOB_RULES } from '../glob';
import { responseTrend, countByBucket, secondsText, type HourBucket, type TrendPoint } from '../digest';
import type { DeliveryRecord, Incident, IncidentStatus, TimelineEntry } from '../incident';
import { DASHBOARD_INCIDENT_FIELDS, type DashboardIncident } from '../incident-row';
import type { Policy } from '../policy';
import type { Silence } from '../silence';
import { SEVERITIES, type Severity } from '../types';
import { sourceDisplayName } from '../sources/common';
import { escapeHtml, isHttpUrl, truncateUnits } from './escape';
import { conditionText, dimensionLines, formatTime, metricName, severityLabel, stateText, transitionText, whereText } from './format';
import { cloudWatchAlarmUrl, runbookFor, runbookUrl } from './links';
import { hourlyChartSvg, trendChartSvg } from './dashboard-chart';

// ---------------------------------------------------------------- escaping template

/** Markup that is already safe (built here). */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export function raw(markup: string): SafeHtml {
  return new SafeHtml(markup);
}

function piece(v: unknown): string {
  if (v instanceof SafeHtml) return v.value;
  if (Array.isArray(v)) return v.map(piece).join('');
  if (v === null || v === undefined || v === false) return '';
  return escapeHtml(String(v));
}

/** Template tag: interpolations are escaped unless they are SafeHtml (or arrays of it). */
export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += piece(values[i]) + strings[i + 1];
  return new SafeHtml(out);
}

// ---------------------------------------------------------------- model

export const RANGE_HOURS = [1, 6, 24, 72, 168] as const;

export interface DashboardFilters {
  severity: Severity | null;
  /** null: unresolved plus recently resolved. */
  status: IncidentStatus | null;
  /** Substring of the alarm name (case-insensitive). */
  alarm: string | null;
  /** Time range of the history (resolved list, charts). */
  hours: number;
  /** Older page of the unresolved list: only those whose `<openedAt>#<id>` sorts before this. */
  before?: string | null;
}

/** How the dashboard's reads were bounded (the unresolved list is one page of a bounded read). */
export interface ActiveRead {
  /** Unresolved incidents read that match the filters, by severity and state (the cards). */
  counts: Record<Severity, { open: number; acknowledged: number }>;
  /** The counts are every unresolved incident (else: "N+", the newest ones read). */
  complete: boolean;
  /** Link (path and query) to the next, older page of unresolved incidents; null: none. */
  older: string | null;
  /** On an older page: link back to the newest (the list and counts start before the newest); else null. */
  newest: string | null;
  /** The charts and the resolved list hold every incident opened in the range (else: the newest ones read). */
  historyComplete: boolean;
}

export interface OutboxLine {
  at: string;
  channel: string;
  event: string;
  incidentId: string;
  summary: string;
}

export interface DashboardSession {
  /** Hidden-field value for POST forms (null: forms are not offered). */
  csrf: string | null;
  /** Who is signed in (shown in the header); null for anonymous local use. */
  user: string | null;
  /** True when DASHBOARD_TOKEN is set: the header shows a sign-out button. */
  authEnabled: boolean;
}

export interface Flash {
  kind: 'ok' | 'error';
  text: string;
}

export { DASHBOARD_INCIDENT_FIELDS, type DashboardIncident };

export interface DashboardModel {
  now: string;
  policy: Policy;
  filters: DashboardFilters;
  /** Unresolved incidents matching the filters (one page). */
  active: DashboardIncident[];
  /** How `active` was read; absent: `active` is every unresolved incident. */
  activeRead?: ActiveRead;
  /** Resolved in the range, matching the filters, newest first. */
  resolved: DashboardIncident[];
  /** Every incident opened in the range (charts), severity/alarm filters applied. */
  history: DashboardIncident[];
  silences: Silence[];
  /** Local mode: what unconfigured channels would have sent (null when every channel is live). */
  outbox: { channels: Record<string, boolean>; entries: OutboxLine[] } | null;
  session: DashboardSession;
  flash?: Flash | null;
}

export const RESOLVED_SHOWN = 50;

// ---------------------------------------------------------------- small pieces

function ageText(fromIso: string, nowIso: string): string {
  return secondsText((Date.parse(nowIso) - Date.parse(fromIso)) / 1000);
}

/** `<time>` that /assets/app.js keeps current (age, or time left until). */
function relTime(iso: string, nowIso: string, kind: 'age' | 'until'): SafeHtml {
  const diff = (Date.parse(iso) - Date.parse(nowIso)) / 1000;
  const text = kind === 'age' ? ageText(iso, nowIso) : diff >= 0 ? `in ${secondsText(diff)}` : `overdue ${secondsText(-diff)}`;
  return html`<time datetime="${iso}" data-rel="${kind}" title="${formatTime(iso)}">${text}</time>`;
}

function sevBadge(s: Severity, policy: Policy): SafeHtml {
  return html`<span class="sev sev-${s}" title="${severityLabel(s, policy)}">${s}</span>`;
}

function stateBadge(status: IncidentStatus): SafeHtml {
  return html`<span class="state state-${status}">${status}</span>`;
}

function csrfField(session: DashboardSession): SafeHtml {
  return session.csrf ? html`<input type="hidden" name="_csrf" value="${session.csrf}" />` : raw('');
}

function incidentHref(id: string): string {
  return `/incidents/${encodeURIComponent(id)}`;
}

function shortName(name: string): string {
  return truncateUnits(name, 160);
}

/** What the escalation column says: time left and the next tier, or why nothing will happen. */
function escalationCell(i: DashboardIncident, now: string): SafeHtml {
  if (i.status === 'acknowledged') return html`<span class="muted">stopped (acknowledged)</span>`;
  if (i.silencedBy) return html`<span class="muted">silenced</span>`;
  const e = i.escalation;
  if (!e || !e.nextAt || e.step >= e.chain.length) return html`<span class="muted">none</span>`;
  const tier = e.chain[e.step]?.tier;
  return html`${relTime(e.nextAt, now, 'until')}${tier ? html` <span class="muted">→ ${tier}</span>` : ''}`;
}

function statusOrder(a: DashboardIncident, b: DashboardIncident): number {
  if (a.status !== b.status) return a.status === 'open' ? -1 : 1;
  const an = a.status === 'open' ? (a.escalation?.nextAt ?? '~') : '~';
  const bn = b.status === 'open' ? (b.escalation?.nextAt ?? '~') : '~';
  if (an !== bn) return an < bn ? -1 : 1;
  return a.openedAt < b.openedAt ? 1 : a.openedAt > b.openedAt ? -1 : 0;
}

// ---------------------------------------------------------------- layout

export interface LayoutOptions {
  title: string;
  session?: DashboardSession | null;
  /** Polling endpoint for /assets/app.js (null: the page does not update itself). */
  poll?: string | null;
  flash?: Flash | null;
  /** Current path for the sign-out redirect and nav highlighting. */
  path?: string;
  /** Version of the live regions as rendered (the poller sends it back; unchanged → nothing to swap). */
  etag?: string | null;
  /** Poll interval in ms (default 15 s). */
  pollMs?: number;
}

function header(opts: LayoutOptions): SafeHtml {
  const s = opts.session;
  const signOut =
    s?.authEnabled && s.csrf
      ? html`<form method="post" action="/logout" class="inline">
          ${csrfField(s)}<button type="submit" class="link">Sign out${s.user ? html` (${s.user})` : ''}</button>
        </form>`
      : '';
  return html`<header class="top" role="banner">
    <a class="skip" href="#main">Skip to content</a>
    <div class="brand"><a href="/" aria-label="Alert router: all incidents">Alert router</a></div>
    <nav aria-label="Main">
      <ul>
        <li><a href="/" ${opts.path === '/' ? raw(' aria-current="page"') : ''}>Incidents</a></li>
        <li><a href="/#charts">Charts</a></li>
        <li><a href="/#silences">Silences</a></li>
        <li><a href="/api/digest?hours=24">Digest (JSON)</a></li>
      </ul>
    </nav>
    <div class="who">${signOut}</div>
  </header>`;
}

function flashBox(f: Flash | null | undefined): SafeHtml {
  if (!f) return raw('');
  return html`<div class="flash flash-${f.kind}" role="${f.kind === 'error' ? 'alert' : 'status'}">${f.text}</div>`;
}

export function layout(opts: LayoutOptions, body: SafeHtml): string {
  const poll = opts.poll
    ? html` data-poll="${opts.poll}"${opts.etag ? html` data-etag="${opts.etag}"` : ''}${opts.pollMs ? html` data-poll-ms="${String(opts.pollMs)}"` : ''}`
    : '';
  const every = Math.round((opts.pollMs ?? 15_000) / 1000);
  return `<!doctype html>
${
  html`<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${opts.title} · Alert router</title>
<link rel="stylesheet" href="/assets/app.css">
<script src="/assets/app.js" defer></script>
${opts.poll ? raw('<noscript><meta http-equiv="refresh" content="60"></noscript>') : ''}
</head>
<body${poll}>
${header(opts)}
<main id="main" tabindex="-1">
${flashBox(opts.flash)}
${body}
</main>
<footer class="foot" role="contentinfo"><p>Alert router · <span id="live-status" role="status" aria-live="polite">${opts.poll ? `Updates every ${every} s.` : ''}</span></p></footer>
</body>
</html>`.value
}
`;
}

// ---------------------------------------------------------------- dashboard page

function filtersForm(f: DashboardFilters): SafeHtml {
  const opt = (value: string, label: string, current: string) => html`<option value="${value}" ${value === current ? raw(' selected') : ''}>${label}</option>`;
  return html`<form method="get" action="/" class="filters" role="search" aria-label="Filter incidents">
    <div class="field">
      <label for="f-severity">Severity</label>
      <select id="f-severity" name="severity">
        ${opt('', 'All', f.severity ?? '')}${SEVERITIES.map((s) => opt(s, s, f.severity ?? ''))}
      </select>
    </div>
    <div class="field">
      <label for="f-status">State</label>
      <select id="f-status" name="status">
        ${opt('', 'Unresolved + recent', f.status ?? '')}${opt('open', 'Open', f.status ?? '')}${opt('acknowledged', 'Acknowledged', f.status ?? '')}${opt('resolved', 'Resolved', f.status ?? '')}
      </select>
    </div>
    <div class="field">
      <label for="f-alarm">Alarm name contains</label>
      <input id="f-alarm" name="alarm" type="search" value="${f.alarm ?? ''}" maxlength="200" autocomplete="off" />
    </div>
    <div class="field">
      <label for="f-hours">Time range</label>
      <select id="f-hours" name="hours">
        ${RANGE_HOURS.map((h) => opt(String(h), h < 24 ? `Last ${h} h` : h === 24 ? 'Last 24 h' : `Last ${h / 24} days`, String(f.hours)))}
      </select>
    </div>
    <div class="field buttons"><button type="submit">Apply</button> <a href="/" class="button secondary">Reset</a></div>
  </form>`;
}

function summary(m: DashboardModel): SafeHtml {
  const read = m.activeRead;
  const plus = read && !read.complete ? '+' : '';
  const cards = SEVERITIES.map((s) => {
    const open = read ? read.counts[s].open : m.active.filter((i) => i.severity === s && i.status === 'open').length;
    const acked = read ? read.counts[s].acknowledged : m.active.filter((i) => i.severity === s && i.status === 'acknowledged').length;
    return html`<li class="card card-${s}">
      <span class="sev sev-${s}">${s}</span> <span class="card-label">${severityLabel(s, m.policy)}</span>
      <span class="card-num">${open}${open ? plus : ''}</span>
      <span class="card-sub">open</span>${acked ? html` <span class="card-sub">· ${acked}${plus} acknowledged</span>` : ''}
    </li>`;
  });
  const scope = read?.newest
    ? html`<p class="muted" id="older-note">Older unresolved incidents (counts from here on). <a href="${read.newest}" id="newest-link">← Newest</a></p>`
    : plus
      ? html`<p class="muted small">Counts of the newest unresolved incidents read; there are more.</p>`
      : '';
  return html`${scope}
    <ul class="cards" aria-label="Unresolved incidents by severity">
      ${cards}
    </ul>`;
}

/** "Older" link under the unresolved list, when there are more. */
function pager(m: DashboardModel): SafeHtml {
  const older = m.activeRead?.older;
  if (!older) return raw('');
  return html`<p class="pager">
    Showing ${m.activeRead?.newest ? m.active.length : `the newest ${m.active.length}`} unresolved incidents${m.activeRead?.newest ? ' from this point' : ''}.
    <a href="${older}" id="older-link" rel="next">Older unresolved incidents →</a>
  </p>`;
}

/** "5 alarms · 2 recovered" for a group (nothing for a single alarm). */
function groupTag(i: Pick<DashboardIncident, 'groupSize'>): SafeHtml | '' {
  const size = i.groupSize;
  if (!size || size.alarms < 2) return '';
  return html` <span class="tag tag-group" title="alarms grouped into this incident"
    >${size.alarms} alarms${size.recovered ? ` · ${size.recovered} recovered` : ''}</span
  >`;
}

/** Row buttons submit this one form (`form=` / `formaction=`): one CSRF field per page, not per row. */
function rowActionsForm(m: DashboardModel, redirect: string): SafeHtml {
  if (!m.session.csrf) return raw('');
  return html`<form id="row-actions" method="post" action="/">${csrfField(m.session)}<input type="hidden" name="redirect" value="${redirect}" /></form>`;
}

function activeRow(i: DashboardIncident, m: DashboardModel): SafeHtml {
  const canAck = i.status === 'open' && m.session.csrf !== null;
  const tags = [
    groupTag(i),
    i.flapping ? html` <span class="tag">flapping</span>` : '',
    i.silencedBy ? html` <span class="tag">silenced</span>` : '',
    i.duplicates > 0 ? html` <span class="tag" title="repeat ALARMs folded into this incident">×${i.duplicates + 1}</span>` : '',
  ];
  return html`<tr class="row-${i.status}" data-id="${i.id}">
    <td><a href="${incidentHref(i.id)}" id="link-${i.id}">${i.id}</a></td>
    <td class="alarm"><span class="alarm-name">${shortName(i.alarmName)}</span>${tags}</td>
    <td>${stateBadge(i.status)}${i.acknowledgedBy ? html`<br /><span class="muted small">${i.acknowledgedBy}</span>` : ''}</td>
    <td>${relTime(i.openedAt, m.now, 'age')}</td>
    <td>${escalationCell(i, m.now)}</td>
    <td class="actions">
      ${
        canAck
          ? html`<button
              type="submit"
              form="row-actions"
              formaction="/api/incidents/${encodeURIComponent(i.id)}/ack"
              id="ack-${i.id}"
              aria-label="Acknowledge ${i.id} ${shortName(i.alarmName)}"
            >
              Ack
            </button>`
          : ''
      }
    </td>
  </tr>`;
}

function activeSection(m: DashboardModel): SafeHtml {
  if (m.filters.status === 'resolved') return raw('');
  const groups = SEVERITIES.map((s) => {
    const rows = m.active.filter((i) => i.severity === s).sort(statusOrder);
    if (rows.length === 0) return '';
    const open = rows.filter((i) => i.status === 'open').length;
    return html`<section class="group group-${s}" aria-labelledby="g-${s}">
      <h3 id="g-${s}">${sevBadge(s, m.policy)} ${severityLabel(s, m.policy)} <span class="count">${open} open, ${rows.length - open} acknowledged</span></h3>
      <table class="incidents">
        <caption class="visually-hidden">
          ${s} ${severityLabel(s, m.policy)} unresolved incidents
        </caption>
        <thead>
          <tr>
            <th scope="col">Incident</th>
            <th scope="col">Alarm</th>
            <th scope="col">State</th>
            <th scope="col">Age</th>
            <th scope="col">Escalates</th>
            <th scope="col"><span class="visually-hidden">Actions</span></th>
          </tr>
        </thead>
        <tbody>
          ${rows.map((i) => activeRow(i, m))}
        </tbody>
      </table>
    </section>`;
  });
  const none =
    m.active.length === 0
      ? html`<p class="empty">No open or acknowledged incidents${m.filters.severity || m.filters.alarm || m.filters.status ? ' matching the filters' : ''}.</p>`
      : '';
  return html`${summary(m)}${none}${groups}${pager(m)}`;
}

function resolvedSection(m: DashboardModel): SafeHtml {
  if (m.filters.status === 'open' || m.filters.status === 'acknowledged') return raw('');
  const shown = m.resolved.slice(0, RESOLVED_SHOWN);
  if (shown.length === 0) return html`<p class="empty">Nothing resolved in this range.</p>`;
  return html`<table class="incidents">
      <caption class="visually-hidden">
        Recently resolved incidents
      </caption>
      <thead>
        <tr>
          <th scope="col">Incident</th>
          <th scope="col">Severity</th>
          <th scope="col">Alarm</th>
          <th scope="col">Resolved</th>
          <th scope="col">By</th>
          <th scope="col">Open for</th>
        </tr>
      </thead>
      <tbody>
        ${shown.map(
          (i) =>
            html`<tr data-id="${i.id}">
              <td><a href="${incidentHref(i.id)}">${i.id}</a></td>
              <td>${sevBadge(i.severity, m.policy)}</td>
              <td class="alarm"><span class="alarm-name">${shortName(i.alarmName)}</span>${groupTag(i)}</td>
              <td>${i.resolvedAt ? relTime(i.resolvedAt, m.now, 'age') : '—'}${i.resolvedAt ? ' ago' : ''}</td>
              <td>${i.resolvedBy ?? '—'}</td>
              <td>${i.resolvedAt ? secondsText((Date.parse(i.resolvedAt) - Date.parse(i.openedAt)) / 1000) : '—'}</td>
            </tr>`,
        )}
      </tbody>
    </table>
    ${m.resolved.length > RESOLVED_SHOWN ? html`<p class="muted">Showing the newest ${RESOLVED_SHOWN} of ${m.resolved.length}; narrow the filters to see others.</p>` : ''}`;
}

export interface ChartData {
  hourly: HourBucket[];
  trend: TrendPoint[];
  trendBucketHours: number;
}

/** Hour buckets ending with the current hour, and the trend buckets, for a range. */
export function chartData(history: DashboardIncident[], now: string, hours: number): ChartData {
  const HOUR = 3_600_000;
  const end = Math.floor(Date.parse(now) / HOUR) * HOUR + HOUR;
  const start = new Date(end - hours * HOUR).toISOString();
  const hourly = countByBucket(history, start, HOUR, hours);
  const trendBucketHours = hours <= 6 ? 1 : hours <= 24 ? 4 : hours <= 72 ? 12 : 24;
  const n = Math.ceil(hours / trendBucketHours);
  const tStart = new Date(end - n * trendBucketHours * HOUR).toISOString();
  return { hourly, trend: responseTrend(history, tStart, trendBucketHours * HOUR, n), trendBucketHours };
}

function chartsSection(m: DashboardModel): SafeHtml {
  const tz = m.policy.timezone;
  const c = chartData(m.history, m.now, m.filters.hours);
  const range = m.filters.hours < 24 ? `last ${m.filters.hours} h` : m.filters.hours === 24 ? 'last 24 h' : `last ${m.filters.hours / 24} days`;
  const legend = html`<ul class="legend" aria-hidden="true">
    ${SEVERITIES.map((s) => html`<li><span class="swatch sev-${s}"></span>${s} ${severityLabel(s, m.policy)}</li>`)}
  </ul>`;
  const table = html`<details>
    <summary>Incidents per hour as a table</summary>
    <table class="data">
      <thead>
        <tr>
          <th scope="col">Hour (${tz})</th>
          ${SEVERITIES.map((s) => html`<th scope="col">${s}</th>`)}
        </tr>
      </thead>
      <tbody>
        ${c.hourly
          .filter((b) => SEVERITIES.some((s) => b.counts[s] > 0))
          .map(
            (b) =>
              html`<tr>
                <th scope="row">${formatTime(b.start)}</th>
                ${SEVERITIES.map((s) => html`<td>${b.counts[s]}</td>`)}
              </tr>`,
          )}
      </tbody>
    </table>
  </details>`;
  const trendTable = html`<details>
    <summary>MTTA and MTTR as a table</summary>
    <table class="data">
      <thead>
        <tr>
          <th scope="col">From</th>
          <th scope="col">Incidents</th>
          <th scope="col">MTTA</th>
          <th scope="col">MTTR</th>
        </tr>
      </thead>
      <tbody>
        ${c.trend.map(
          (p) =>
            html`<tr>
              <th scope="row">${formatTime(p.start)}</th>
              <td>${p.count}</td>
              <td>${secondsText(p.mttaSeconds)}</td>
              <td>${secondsText(p.mttrSeconds)}</td>
            </tr>`,
        )}
      </tbody>
    </table>
  </details>`;
  const bounded =
    m.activeRead && !m.activeRead.historyComplete ? html`<p class="muted small">The newest ${m.history.length} incidents opened in the range.</p>` : '';
  return html`${bounded}
    <div class="charts">
      <figure>
        <figcaption>Incidents opened per hour, by severity (${range})</figcaption>
        ${legend}${raw(hourlyChartSvg(c.hourly, { id: 'ch-hourly', title: `Incidents opened per hour by severity, ${range}`, timeZone: tz }))}${table}
      </figure>
      <figure>
        <figcaption>
          Mean time to acknowledge <span class="key key-mtta" aria-hidden="true"></span> MTTA and to resolve
          <span class="key key-mttr" aria-hidden="true"></span> MTTR, per ${c.trendBucketHours === 24 ? 'day' : `${c.trendBucketHours} h`} (${range})
        </figcaption>
        ${raw(trendChartSvg(c.trend, { id: 'ch-trend', title: `MTTA and MTTR trend, ${range}`, timeZone: tz, bucketHours: c.trendBucketHours }))}${trendTable}
      </figure>
    </div>`;
}

function silencesList(m: DashboardModel): SafeHtml {
  return m.silences.length
    ? html`<table class="incidents">
        <caption class="visually-hidden">
          Silences in force
        </caption>
        <thead>
          <tr>
            <th scope="col">Pattern</th>
            <th scope="col">Ends</th>
            <th scope="col">By</th>
            <th scope="col">Reason</th>
          </tr>
        </thead>
        <tbody>
          ${m.silences.map(
            (s) =>
              html`<tr>
                <td><code>${s.match}</code></td>
                <td>${relTime(s.endsAt, m.now, 'until')}</td>
                <td>${s.author}</td>
                <td>${truncateUnits(s.reason, 300)}</td>
              </tr>`,
          )}
        </tbody>
      </table>`
    : html`<p class="empty">No silences in force.</p>`;
}

/** Silence form (pattern prefilled with the alarm name on an incident page). */
function silenceForm(session: DashboardSession, redirect: string, alarmName: string | null): SafeHtml {
  const id = alarmName ? 'sil-i' : 'sil';
  return html`<form method="post" action="/api/silences" class="silence-form">
    ${csrfField(session)}<input type="hidden" name="redirect" value="${redirect}" />
    <fieldset>
      <legend>${alarmName ? 'Silence this alarm' : 'Add a silence'}</legend>
      <div class="field">
        <label for="${id}-match">Alarm name pattern <span class="muted small">(* any text, ? one character)</span></label>
        <input id="${id}-match" name="match" required maxlength="${GLOB_RULES.maxLength}" value="${alarmName ?? ''}" />
      </div>
      <div class="field">
        <label for="${id}-duration">For</label>
        <select id="${id}-duration" name="duration">
          ${['30m', '1h', '2h', '4h', '8h', '1d', '3d', '7d'].map((d) => html`<option value="${d}" ${d === '1h' ? raw(' selected') : ''}>${d}</option>`)}
        </select>
      </div>
      <div class="field grow"><label for="${id}-reason">Reason</label> <input id="${id}-reason" name="reason" required maxlength="500" /></div>
      <div class="field buttons"><button type="submit">Silence</button></div>
    </fieldset>
  </form>`;
}

function outboxSection(m: DashboardModel): SafeHtml {
  if (!m.outbox) return raw('');
  const off = Object.entries(m.outbox.channels)
    .filter(([, live]) => !live)
    .map(([c]) => c);
  const rows = m.outbox.entries.slice(0, 50);
  return html`<p class="muted">Not configured: ${off.join(', ')}. These channels write to the local outbox instead of sending; the newest entries:</p>
    ${
      rows.length
        ? html`<table class="incidents outbox">
            <caption class="visually-hidden">
              Local outbox
            </caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Channel</th>
                <th scope="col">Event</th>
                <th scope="col">Would have sent</th>
              </tr>
            </thead>
            <tbody>
              ${rows.map(
                (e) =>
                  html`<tr>
                    <td>${relTime(e.at, m.now, 'age')} ago</td>
                    <td>${e.channel}</td>
                    <td>${e.event}</td>
                    <td><a href="${incidentHref(e.incidentId)}">${truncateUnits(e.summary, 300)}</a></td>
                  </tr>`,
              )}
            </tbody>
          </table>`
        : html`<p class="empty">Nothing yet.</p>`
    }`;
}

/** The parts of the dashboard that update themselves (by `data-live` name). */
export function renderDashboardSections(m: DashboardModel): Record<string, string> {
  const out: Record<string, string> = {
    active: activeSection(m).value,
    resolved: resolvedSection(m).value,
    charts: chartsSection(m).value,
    silences: silencesList(m).value,
  };
  if (m.outbox) out.outbox = outboxSection(m).value;
  return out;
}

export function renderDashboardPage(m: DashboardModel, opts: { path: string; poll: string; etag?: string | null; pollMs?: number }): string {
  const redirect = opts.path;
  const s = renderDashboardSections(m);
  const showActive = m.filters.status !== 'resolved';
  const showResolved = m.filters.status !== 'open' && m.filters.status !== 'acknowledged';
  const range = m.filters.hours < 24 ? `last ${m.filters.hours} h` : m.filters.hours === 24 ? 'last 24 h' : `last ${m.filters.hours / 24} days`;
  const body = html`<h1>Incidents</h1>
    <section aria-labelledby="filters-h" class="panel">
      <h2 id="filters-h" class="visually-hidden">Filters</h2>
      ${filtersForm(m.filters)}
    </section>
    ${rowActionsForm(m, redirect)}
    ${
      showActive
        ? html`<section aria-labelledby="active-h" id="active">
            <h2 id="active-h">Open and acknowledged</h2>
            <div data-live="active">${raw(s.active)}</div>
          </section>`
        : ''
    }
    <section aria-labelledby="charts-h" id="charts">
      <h2 id="charts-h">Activity</h2>
      <div data-live="charts">${raw(s.charts)}</div>
    </section>
    ${
      showResolved
        ? html`<section aria-labelledby="resolved-h" id="resolved">
            <h2 id="resolved-h">Recently resolved <span class="count">(${range})</span></h2>
            <div data-live="resolved">${raw(s.resolved)}</div>
          </section>`
        : ''
    }
    <section aria-labelledby="silences-h" id="silences">
      <h2 id="silences-h">Silences in force</h2>
      <div data-live="silences">${raw(s.silences)}</div>
      ${m.session.csrf ? silenceForm(m.session, redirect, null) : ''}
    </section>
    ${
      m.outbox
        ? html`<section aria-labelledby="outbox-h" id="outbox">
            <h2 id="outbox-h">Local outbox</h2>
            <div data-live="outbox">${raw(s.outbox)}</div>
          </section>`
        : ''
    }`;
  return layout({ title: 'Incidents', session: m.session, poll: opts.poll, etag: opts.etag, pollMs: opts.pollMs, flash: m.flash, path: '/' }, body);
}

// ---------------------------------------------------------------- incident page

export interface IncidentPageModel {
  incident: Incident;
  now: string;
  policy: Policy;
  session: DashboardSession;
  flash?: Flash | null;
}

function timelineWhat(e: TimelineEntry): string {
  switch (e.type) {
    case 'delivery':
      return `${e.event ?? 'notice'} via ${e.channel ?? '?'}: ${e.outcome ?? '?'}${e.attempts ? ` after ${e.attempts} attempt${e.attempts === 1 ? '' : 's'}` : ''}`;
    case 'escalated':
      return `escalated${e.channel ? ` via ${e.channel}` : ''}`;
    default:
      return e.type;
  }
}

function factsList(i: Incident, m: IncidentPageModel): SafeHtml {
  const row = (k: string, v: unknown) =>
    v === null || v === undefined || v === ''
      ? ''
      : html`<div>
          <dt>${k}</dt>
          <dd>${v}</dd>
        </div>`;
  const deadline = responseDeadline(i.severity, i.releasedAt ?? i.openedAt, m.policy);
  return html`<dl class="facts">
    ${row('State', html`${stateBadge(i.status)}`)}
    ${row('Severity', html`${sevBadge(i.severity, m.policy)} ${severityLabel(i.severity, m.policy)} (classified by ${i.classifiedBy})`)}
    ${row('Opened', html`${formatTime(i.openedAt)} (${relTime(i.openedAt, m.now, 'age')} ago)`)}
    ${row('Respond by', html`${formatTime(deadline)}${!i.acknowledgedAt && i.status !== 'resolved' ? html` (${relTime(deadline, m.now, 'until')})` : ''}`)}
    ${row('Acknowledged', i.acknowledgedAt ? html`${formatTime(i.acknowledgedAt)} by ${i.acknowledgedBy ?? '?'}` : null)}
    ${row('Resolved', i.resolvedAt ? html`${formatTime(i.resolvedAt)} by ${i.resolvedBy ?? '?'}` : null)}
    ${row('Escalation', i.status === 'resolved' ? null : escalationCell(i, m.now))} ${row('Silenced', i.silencedBy)}
    ${row('Flapping', i.flapping ? 'yes: the alarm keeps changing state' : null)} ${row('Repeats', i.duplicates > 0 ? String(i.duplicates) : null)}
    ${row('Channels', i.channels.join(', '))}
  </dl>`;
}

function alarmSection(i: Incident): SafeHtml {
  const a = i.alarm;
  const row = (k: string, v: unknown) =>
    v === null || v === undefined || v === ''
      ? ''
      : html`<div>
          <dt>${k}</dt>
          <dd>${v}</dd>
        </div>`;
  const dims = dimensionLines(a.dimensions ?? {});
  const consoleUrl = cloudWatchAlarmUrl(a.region, i.alarmName);
  const reason = a.reason ?? (a.text && a.text !== i.alarmName ? a.text : null);
  return html`<dl class="facts wide">
      ${row('Alarm', html`<span class="alarm-name">${i.alarmName}</span>`)} ${row('State', `${transitionText(a)} at ${formatTime(a.changedAt)}`)}
      ${row('Reason', reason ? html`<span class="pre">${truncateUnits(reason, 8000)}</span>` : null)}
      ${row('Description', a.description ? html`<span class="pre">${truncateUnits(a.description, 8000)}</span>` : null)} ${row('Metric', metricName(a))}
      ${row('Threshold', a.threshold !== null && a.threshold !== undefined ? String(a.threshold) : null)} ${row('Condition', conditionText(a))}
      ${row(
        'Dimensions',
        dims.length
          ? html`<ul class="plain">
              ${dims.slice(0, 50).map((d) => html`<li><code>${truncateUnits(d, 400)}</code></li>`)}
            </ul>`
          : null,
      )}
      ${row(
        'Triggered by',
        a.triggeringChildren?.length
          ? html`<ul class="plain">
              ${a.triggeringChildren.slice(0, 20).map((c) => html`<li><code>${c.arn}</code>${c.state ? ` (${c.state})` : ''}</li>`)}
            </ul>`
          : null,
      )}
      ${row('Where', whereText(a))} ${row('Alarm ARN', a.alarmArn ? html`<code>${a.alarmArn}</code>` : null)}
      ${row('Topic', a.topicArn ? html`<code>${a.topicArn}</code>` : null)}
      ${row('Kind', `${sourceDisplayName(a)} (${a.alarmKind}); current alarm state ${stateText(a)}`)}
      ${row(
        'Source',
        a.source
          ? html`<code>${a.source.name}</code>${a.source.severityLabel ? ` (${a.source.severityLabel})` : ''}
              <ul class="plain">
                ${Object.entries(a.source.fields)
                  .slice(0, 20)
                  .map(([k, v]) => html`<li><code>${k}</code> ${truncateUnits(v, 400)}</li>`)}
              </ul>`
          : null,
      )}
    </dl>
    ${
      a.source && isHttpUrl(a.source.url)
        ? html`<p>
            <a href="${a.source.url}" rel="noreferrer noopener" target="_blank"
              >Open it in ${sourceDisplayName(a)}<span class="visually-hidden"> (opens in a new tab)</span></a
            >
          </p>`
        : ''
    }
    ${
      isHttpUrl(consoleUrl)
        ? html`<p>
            <a href="${consoleUrl}" rel="noreferrer noopener" target="_blank"
              >Open the alarm in the CloudWatch console<span class="visually-hidden"> (opens in a new tab)</span></a
            >
          </p>`
        : ''
    }`;
}

function runbookSection(i: Incident, policy: Policy): SafeHtml {
  const rb = runbookFor(i, policy);
  if (!rb) return html`<p class="empty">No runbook for this incident type.</p>`;
  const url = runbookUrl(i, policy);
  return html`<h3>${rb.title}</h3>
    <ol class="steps">
      ${rb.steps.map((s) => html`<li><code class="step">${s}</code></li>`)}
    </ol>
    ${isHttpUrl(url) ? html`<p><a href="${url}" rel="noreferrer noopener">Full runbook section</a></p>` : ''}`;
}

function timelineTable(i: Incident): SafeHtml {
  const entries = [...(i.timeline ?? [])].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  return html`<table class="incidents timeline">
    <caption class="visually-hidden">
      Timeline
    </caption>
    <thead>
      <tr>
        <th scope="col">When</th>
        <th scope="col">What</th>
        <th scope="col">Who</th>
        <th scope="col">Detail</th>
      </tr>
    </thead>
    <tbody>
      ${entries.map(
        (e) =>
          html`<tr class="tl-${e.type}${e.outcome ? ` tl-${e.outcome}` : ''}">
            <td><time datetime="${e.at}">${formatTime(e.at)}</time></td>
            <td>${timelineWhat(e)}</td>
            <td>${e.by ?? ''}</td>
            <td class="pre">${e.detail ? truncateUnits(e.detail, 1000) : ''}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

/** A delivery's status; a scheduled one says when it goes out (it is waiting, not failing). */
function outcomeCell(d: DeliveryRecord): SafeHtml {
  if (d.status !== 'scheduled') return html`<span class="outcome outcome-${d.status}">${d.status}</span>`;
  const when = d.retryAt ? html` for <time datetime="${d.retryAt}" title="${formatTime(d.retryAt)}">${clockTime(d.retryAt)}</time>` : '';
  return html`<span class="outcome outcome-scheduled">scheduled${when}</span>`;
}

/** `10:42 UTC`: a time later today, as deliveries show when they are due. */
function clockTime(iso: string): string {
  return formatTime(iso).slice(11);
}

function deliveriesTable(i: Incident): SafeHtml {
  const rows = Object.entries(i.deliveries ?? {}).sort(([a], [b]) => a.localeCompare(b));
  if (rows.length === 0) return html`<p class="empty">No channel deliveries (dashboard only).</p>`;
  return html`<table class="incidents">
    <caption class="visually-hidden">
      Deliveries per channel
    </caption>
    <thead>
      <tr>
        <th scope="col">Notice</th>
        <th scope="col">Channel</th>
        <th scope="col">Outcome</th>
        <th scope="col">Attempts</th>
        <th scope="col">When</th>
        <th scope="col">Error</th>
      </tr>
    </thead>
    <tbody>
      ${rows.map(([key, d]) => {
        const [event, channel] = key.split(':');
        return html`<tr>
          <td>${event}</td>
          <td>${channel}</td>
          <td>${outcomeCell(d)}</td>
          <td>${d.attempts}</td>
          <td>${formatTime(d.at)}</td>
          <td class="pre">${d.error ? truncateUnits(d.error, 500) : ''}</td>
        </tr>`;
      })}
    </tbody>
  </table>`;
}

function columnHeads(names: string[]): SafeHtml {
  return html`<thead>
    <tr>
      ${names.map((n) => html`<th scope="col">${n}</th>`)}
    </tr>
  </thead>`;
}

/** A group's alarms, each with its own state (only grouped incidents have a members list). */
function membersTable(i: Incident, m: IncidentPageModel): SafeHtml {
  const members = i.members ?? [];
  if (members.length === 0) return raw('');
  const recovered = members.filter((x) => x.state === 'recovered').length;
  // A firing member can be split out into an incident of its own (not the last one, not once resolved).
  const canSplit = (x: (typeof members)[number]) => m.session.csrf !== null && i.status !== 'resolved' && x.state === 'firing' && members.length > 1;
  const splitForm = (x: (typeof members)[number]) =>
    canSplit(x)
      ? html`<form method="post" action="/api${incidentHref(i.id)}/split">
          ${csrfField(m.session)}<input type="hidden" name="incidentKey" value="${x.incidentKey}" /><button type="submit" class="link">Split out</button>
        </form>`
      : '';
  return html`<p>${members.length} alarm${members.length === 1 ? '' : 's'} in this incident${recovered ? `, ${recovered} recovered` : ''}.</p>
    <table class="incidents members">
      <caption class="visually-hidden">
        Alarms grouped into this incident
      </caption>
      ${columnHeads(['Alarm', 'Severity', 'State', 'Fired at', 'Recovered at', 'Fired', 'Split'])}
      <tbody>
        ${members.map(
          (x) =>
            html`<tr class="member-${x.state}">
              <td class="alarm">
                <span class="alarm-name">${shortName(x.alarmName)}</span
                >${x.reason ? html`<br /><span class="muted small">${truncateUnits(x.reason, 300)}</span>` : ''}
              </td>
              <td>${sevBadge(x.severity, m.policy)}</td>
              <td><span class="state state-member-${x.state}">${x.state}</span></td>
              <td><time datetime="${x.firedAt}">${formatTime(x.firedAt)}</time></td>
              <td>${x.recoveredAt ? html`<time datetime="${x.recoveredAt}">${formatTime(x.recoveredAt)}</time>` : '—'}</td>
              <td>${x.fired === 1 ? 'once' : `${x.fired} times`}</td>
              <td>${splitForm(x)}</td>
            </tr>`,
        )}
      </tbody>
    </table>`;
}

function actionsSection(i: Incident, m: IncidentPageModel): SafeHtml {
  if (!m.session.csrf) return raw('');
  const path = incidentHref(i.id);
  if (i.status === 'resolved')
    return html`<p class="muted">This incident is resolved.</p>
      ${silenceForm(m.session, path, i.alarmName)}`;
  const id = encodeURIComponent(i.id);
  return html`<div class="action-row">
      ${i.status === 'open' ? html`<form method="post" action="/api/incidents/${id}/ack" class="inline">${csrfField(m.session)}<input type="hidden" name="redirect" value="${path}" /><button type="submit" id="ack-${i.id}">Acknowledge</button></form>` : ''}
      <form method="post" action="/api/incidents/${id}/resolve" class="inline resolve-form">
        ${csrfField(m.session)}<input type="hidden" name="redirect" value="${path}" />
        <label for="resolve-note">Note <span class="muted small">(optional)</span></label> <input id="resolve-note" name="note" maxlength="1000" />
        <button type="submit" class="danger" id="resolve-${i.id}">Resolve</button>
      </form>
    </div>
    ${silenceForm(m.session, path, i.alarmName)}`;
}

/** Runbook steps 3 and 5: a stakeholder update form, and the review draft. */
function reviewAndUpdates(i: Incident, m: IncidentPageModel): SafeHtml {
  const id = encodeURIComponent(i.id);
  const form = m.session.csrf
    ? html`<form method="post" action="/api/incidents/${id}/updates" class="update-form">
        ${csrfField(m.session)}<input type="hidden" name="redirect" value="${incidentHref(i.id)}" />
        <label for="update-text"
          >Stakeholder update <span class="muted small">(timeline and Slack; P0/P1 also emailed to stakeholders; pages nobody)</span></label
        >
        <textarea id="update-text" name="text" maxlength="1000" rows="2" required></textarea> <button type="submit" id="update-${i.id}">Post update</button>
      </form>`
    : '';
  return html`${form}
    <p>
      <a href="/incidents/${id}/review" id="review-link">Post-incident review draft</a> · <a href="/incidents/${id}/review?format=md" download>Markdown</a>
    </p>`;
}

/** The live parts of the incident page. */
export function renderIncidentSections(m: IncidentPageModel): Record<string, string> {
  const i = m.incident;
  const sections: Record<string, string> = { facts: factsList(i, m).value, timeline: timelineTable(i).value, deliveries: deliveriesTable(i).value };
  if (i.members?.length) sections.members = membersTable(i, m).value;
  return sections;
}

export function renderIncidentPage(m: IncidentPageModel, opts: { poll: string; etag?: string | null; pollMs?: number }): string {
  const i = m.incident;
  const s = renderIncidentSections(m);
  const body = html`<p class="crumbs"><a href="/">← All incidents</a></p>
    <h1>${sevBadge(i.severity, m.policy)} <span class="alarm-name">${i.alarmName}</span> <span class="muted id">${i.id}</span></h1>
    <section aria-labelledby="status-h" class="panel">
      <h2 id="status-h">Status</h2>
      <div data-live="facts">${raw(s.facts)}</div>
      <h3 class="visually-hidden">Actions</h3>
      ${actionsSection(i, m)}
    </section>
    ${
      i.members?.length
        ? html`<section aria-labelledby="members-h" id="members">
            <h2 id="members-h">Alarms</h2>
            <div data-live="members">${raw(s.members)}</div>
          </section>`
        : ''
    }
    <section aria-labelledby="updates-h">
      <h2 id="updates-h">Updates and review</h2>
      ${reviewAndUpdates(i, m)}
    </section>
    <section aria-labelledby="alarm-h">
      <h2 id="alarm-h">Alarm</h2>
      ${alarmSection(i)}
    </section>
    <section aria-labelledby="runbook-h">
      <h2 id="runbook-h">Runbook</h2>
      ${runbookSection(i, m.policy)}
    </section>
    <section aria-labelledby="timeline-h">
      <h2 id="timeline-h">Timeline</h2>
      <div data-live="timeline">${raw(s.timeline)}</div>
    </section>
    <section aria-labelledby="deliveries-h">
      <h2 id="deliveries-h">Deliveries per channel</h2>
      <div data-live="deliveries">${raw(s.deliveries)}</div>
    </section>`;
  return layout(
    {
      title: `${i.id} ${truncateUnits(i.alarmName, 80)}`,
      session: m.session,
      poll: opts.poll,
      etag: opts.etag,
      pollMs: opts.pollMs,
      flash: m.flash,
      path: incidentHref(i.id),
    },
    body,
  );
}

// ---------------------------------------------------------------- login and errors

export function renderLoginPage(opts: { next: string; error?: string | null }): string {
  const body = html`<h1>Sign in</h1>
    <section class="panel narrow" aria-labelledby="login-h">
      <h2 id="login-h" class="visually-hidden">Sign in form</h2>
      ${opts.error ? html`<div class="flash flash-error" role="alert">${opts.error}</div>` : ''}
      <form method="post" action="/login">
        <input type="hidden" name="next" value="${opts.next}" />
        <div class="field">
          <label for="login-token">Dashboard token</label>
          <input id="login-token" name="token" type="password" required autocomplete="current-password" autofocus />
        </div>
        <div class="field">
          <label for="login-name">Your name <span class="muted small">(shown on acknowledgements)</span></label>
          <input id="login-name" name="name" maxlength="64" autocomplete="name" />
        </div>
        <div class="field buttons"><button type="submit">Sign in</button></div>
      </form>
    </section>`;
  return layout({ title: 'Sign in', session: null }, body);
}

export function renderErrorPage(status: number, title: string, message: string, session: DashboardSession | null = null): string {
  return layout(
    { title, session },
    html`<h1>${title}</h1>
      <p>${message}</p>
      <p><a href="/">Back to the incidents</a></p>
      <p class="muted small">HTTP ${status}</p>`,
  );
}
