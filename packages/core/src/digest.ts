/**
 * Digest maths: what happened in a window (the daily digest, `GET /api/digest?hours=N`, the dashboard's
 * charts). Pure: the caller reads the window's incidents (by-day index), the unresolved ones (status index)
 * and the silences, and passes them in.
 */
import { responseDeadlineMs } from './clock';
import { INCIDENT_STATUSES, type Incident, type IncidentStatus } from './incident';
import { pagedVia, rowOf, type DashboardIncident } from './incident-row';
import type { Policy } from './policy';
import { silenceIsActive, type Silence } from './silence';
import { SEVERITIES, type Severity } from './types';

export interface DurationStats {
  /** Incidents that have the measured end (acknowledged for MTTA, resolved for MTTR). */
  count: number;
  /** Whole seconds (rounded), null when count is 0. */
  meanSeconds: number | null;
  medianSeconds: number | null;
  maxSeconds: number | null;
}

/** An incident that was still unacknowledged when its severity's response time ran out. */
export interface DigestBreach {
  id: string;
  alarmName: string;
  severity: Severity;
  openedAt: string;
  /** openedAt + response time (core/clock.ts responseDeadline). */
  deadline: string;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  /** Seconds past the deadline until it was acknowledged (or resolved unacknowledged, or until `to` when still neither). */
  lateSeconds: number;
  /** Neither acknowledged nor resolved yet. */
  ongoing: boolean;
}

export interface NoisyAlarm {
  incidentKey: string;
  alarmName: string;
  /** Highest severity among its incidents. */
  severity: Severity;
  incidents: number;
  /** Repeat ALARMs folded into those incidents. */
  duplicates: number;
  /** incidents + duplicates: the ranking key. */
  total: number;
}

export interface FlappingAlarm {
  incidentKey: string;
  alarmName: string;
  severity: Severity;
  incidents: number;
  lastOpenedAt: string;
}

export interface OpenItem {
  id: string;
  alarmName: string;
  severity: Severity;
  status: IncidentStatus;
  openedAt: string;
  ageSeconds: number;
  acknowledgedBy: string | null;
}

export interface DigestSilence {
  id: string;
  match: string;
  reason: string;
  author: string;
  startsAt: string;
  endsAt: string;
}

export interface HourBucket {
  /** Start of the bucket (ISO). */
  start: string;
  counts: Record<Severity, number>;
}

/** How many alarms were folded into how many incidents, and how many of those paged (incidents opened in the window). */
export interface DigestFolding {
  /** Alarms across the incidents: a group counts each of its members, an ungrouped incident its one alarm. */
  alarms: number;
  incidents: number;
  /** Incidents of more than one alarm. */
  grouped: number;
  /** Incidents that paged someone through PagerDuty (a trigger or escalation notice there, not skipped). */
  paged: number;
}

export interface DigestReport {
  from: string;
  to: string;
  hours: number;
  /** Nothing opened in the window and nothing open: the digest is one line. */
  empty: boolean;
  /** Incidents opened in the window. */
  total: number;
  bySeverity: Record<Severity, number>;
  /** State now of the incidents opened in the window. */
  byState: Record<IncidentStatus, number>;
  /** Mean time to acknowledge (acknowledgedAt − openedAt), per severity and overall. */
  mtta: Record<Severity | 'all', DurationStats>;
  /** Mean time to resolve (resolvedAt − openedAt), per severity and overall. */
  mttr: Record<Severity | 'all', DurationStats>;
  /** Opened in the window and not acknowledged within the response time, most late first. */
  breaches: DigestBreach[];
  /** The ten alarms with the most incidents + duplicates in the window. */
  noisiest: NoisyAlarm[];
  /** Alarms with an incident marked flapping in the window. */
  flapping: FlappingAlarm[];
  /** Every unresolved incident (whenever it opened), most severe then oldest first. */
  stillOpen: OpenItem[];
  /** Silences in force at `to` (and scheduled ones). */
  silences: DigestSilence[];
  /** Incidents opened per hour of the window, by severity. */
  hourly: HourBucket[];
  /** Alarms folded into incidents and pages (grouping). */
  folding: DigestFolding;
}

/**
 * What the digest reads of an incident: an Incident, or its slim row (digestRow) so that a day of thousands of
 * incidents is held as small records while it is read page by page.
 */
export type DigestIncident = Pick<
  Incident,
  | 'id'
  | 'incidentKey'
  | 'alarmName'
  | 'severity'
  | 'status'
  | 'openedAt'
  | 'acknowledgedAt'
  | 'acknowledgedBy'
  | 'resolvedAt'
  | 'silencedBy'
  | 'flapping'
  | 'duplicates'
> &
  Partial<Pick<Incident, 'releasedAt' | 'members' | 'deliveries'>> & {
    /** How many alarms it holds (digestRow fills it; else members' count, or 1). */
    alarms?: number;
    /** Whether it paged (digestRow fills it; else read from deliveries). */
    paged?: boolean;
  };

const alarmsOf = (i: DigestIncident) => i.alarms ?? (i.members?.length || 1);
const pagedOf = (i: DigestIncident) => i.paged ?? pagedVia(i.deliveries);

/** The slim row of an incident the digest keeps (no alarm snapshot, timeline, deliveries or members). */
export function digestRow(i: Incident): DigestIncident {
  return digestRowOfListing(rowOf(i))!;
}

/** The digest's row of a listing row (the store's row indexes), when the row says whether it paged; else null. */
export function digestRowOfListing(r: DashboardIncident): DigestIncident | null {
  if (r.paged === undefined) return null;
  return {
    id: r.id,
    incidentKey: r.incidentKey,
    alarmName: r.alarmName,
    severity: r.severity,
    status: r.status,
    openedAt: r.openedAt,
    acknowledgedAt: r.acknowledgedAt,
    acknowledgedBy: r.acknowledgedBy,
    resolvedAt: r.resolvedAt,
    silencedBy: r.silencedBy,
    releasedAt: r.releasedAt ?? null,
    flapping: r.flapping,
    duplicates: r.duplicates,
    alarms: r.groupSize?.alarms || 1,
    paged: r.paged,
  };
}

export interface DigestInput {
  /** Incidents opened in [from, to) (others are ignored, so a whole day's partition may be passed). */
  incidents: DigestIncident[];
  /** Unresolved incidents (status index). */
  unresolved: DigestIncident[];
  silences: Silence[];
  policy: Policy;
  from: string;
  to: string;
}

export const NOISIEST_LIMIT = 10;

/** What the response-time maths read of an incident. */
export type IncidentTimes = Pick<Incident, 'openedAt' | 'acknowledgedAt' | 'resolvedAt' | 'status' | 'severity'>;

const HOUR_MS = 3_600_000;

function zero<K extends string>(keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
}

function seconds(fromIso: string, toIso: string): number {
  return Math.round((Date.parse(toIso) - Date.parse(fromIso)) / 1000);
}

/** Mean, median and max of whole-second durations (rounded to the second). */
export function durationStats(values: number[]): DurationStats {
  if (values.length === 0) return { count: 0, meanSeconds: null, medianSeconds: null, maxSeconds: null };
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  const mean = sorted.reduce((s, v) => s + v, 0) / sorted.length;
  return { count: sorted.length, meanSeconds: Math.round(mean), medianSeconds: Math.round(median), maxSeconds: sorted[sorted.length - 1] };
}

/** MTTA and MTTR of a set of incidents, per severity and overall. */
export function responseStats(incidents: IncidentTimes[]): { mtta: DigestReport['mtta']; mttr: DigestReport['mttr'] } {
  const ack: Record<string, number[]> = { all: [] };
  const res: Record<string, number[]> = { all: [] };
  for (const s of SEVERITIES) {
    ack[s] = [];
    res[s] = [];
  }
  for (const i of incidents) {
    if (i.acknowledgedAt) {
      const v = Math.max(0, seconds(i.openedAt, i.acknowledgedAt));
      ack[i.severity].push(v);
      ack.all.push(v);
    }
    if (i.status === 'resolved' && i.resolvedAt) {
      const v = Math.max(0, seconds(i.openedAt, i.resolvedAt));
      res[i.severity].push(v);
      res.all.push(v);
    }
  }
  const map = (m: Record<string, number[]>) =>
    Object.fromEntries(['all', ...SEVERITIES].map((k) => [k, durationStats(m[k])])) as Record<Severity | 'all', DurationStats>;
  return { mtta: map(ack), mttr: map(res) };
}

/**
 * A breach: the incident was still unacknowledged at its response deadline. The moment that ends the wait is
 * the acknowledgement, else the resolution (nobody acknowledged it), else `now`. Silenced incidents were never
 * notified and do not count; one released when its silence ended counts from the release. An alarm that recovered on its own before the deadline is no breach.
 */
export function breachOf(i: DigestIncident, policy: Policy, now: string): DigestBreach | null {
  return breachAt(i, policy, Date.parse(now));
}

/** breachOf with `now` (and, when it is known, the incident's openedAt) already parsed: the digest asks for thousands. */
function breachAt(i: DigestIncident, policy: Policy, nowMs: number, openedMs = Date.parse(i.openedAt)): DigestBreach | null {
  if (i.silencedBy) return null;
  const deadlineMs = i.releasedAt != null ? responseDeadlineMs(i.severity, i.releasedAt, policy) : responseDeadlineMs(i.severity, i.openedAt, policy, openedMs);
  const end = i.acknowledgedAt ?? (i.status === 'resolved' ? i.resolvedAt : null);
  const endMs = end == null ? nowMs : Date.parse(end);
  if (endMs <= deadlineMs) return null;
  return {
    id: i.id,
    alarmName: i.alarmName,
    severity: i.severity,
    openedAt: i.openedAt,
    deadline: new Date(deadlineMs).toISOString(),
    acknowledgedAt: i.acknowledgedAt,
    acknowledgedBy: i.acknowledgedBy,
    lateSeconds: Math.round((endMs - deadlineMs) / 1000),
    ongoing: !i.acknowledgedAt && i.status !== 'resolved',
  };
}

const SEV_RANK: Record<Severity, number> = { P0: 0, P1: 1, P2: 2, P3: 3 };

function higher(a: Severity, b: Severity): Severity {
  return SEV_RANK[a] <= SEV_RANK[b] ? a : b;
}

/** Incidents opened per bucket of `bucketMs` from `start`, by severity (`n` buckets). */
export function countByBucket(incidents: Pick<Incident, 'openedAt' | 'severity'>[], start: string, bucketMs: number, n: number): HourBucket[] {
  return countTimesByBucket(
    incidents,
    incidents.map((i) => Date.parse(i.openedAt)),
    start,
    bucketMs,
    n,
  );
}

/** countByBucket with each incident's openedAt already parsed (`openedMs[k]` is `incidents[k]`'s). */
function countTimesByBucket(incidents: Pick<Incident, 'severity'>[], openedMs: number[], start: string, bucketMs: number, n: number): HourBucket[] {
  const t0 = Date.parse(start);
  const buckets: HourBucket[] = Array.from({ length: n }, (_, k) => ({ start: new Date(t0 + k * bucketMs).toISOString(), counts: zero(SEVERITIES) }));
  for (let k = 0; k < incidents.length; k++) {
    const b = Math.floor((openedMs[k] - t0) / bucketMs);
    if (b >= 0 && b < n) buckets[b].counts[incidents[k].severity]++;
  }
  return buckets;
}

export interface TrendPoint {
  start: string;
  /** Incidents opened in the bucket. */
  count: number;
  mttaSeconds: number | null;
  mttrSeconds: number | null;
}

/** MTTA / MTTR of the incidents opened in each bucket (the dashboard's trend line). */
export function responseTrend(incidents: IncidentTimes[], start: string, bucketMs: number, n: number): TrendPoint[] {
  const t0 = Date.parse(start);
  const groups: IncidentTimes[][] = Array.from({ length: n }, () => []);
  for (const i of incidents) {
    const k = Math.floor((Date.parse(i.openedAt) - t0) / bucketMs);
    if (k >= 0 && k < n) groups[k].push(i);
  }
  return groups.map((g, k) => {
    const { mtta, mttr } = responseStats(g);
    return { start: new Date(t0 + k * bucketMs).toISOString(), count: g.length, mttaSeconds: mtta.all.meanSeconds, mttrSeconds: mttr.all.meanSeconds };
  });
}

export function computeDigest(input: DigestInput): DigestReport {
  const { from, to, policy } = input;
  const fromMs = Date.parse(from);
  const toMs = Date.parse(to);
  const seen = new Set<string>();
  // Each openedAt parsed once (openedMs[n] is inWindow[n]'s): a day of thousands asks for it several times each.
  const inWindow: DigestIncident[] = [];
  const openedMs: number[] = [];
  for (const i of input.incidents) {
    const t = Date.parse(i.openedAt);
    if (t < fromMs || t >= toMs || seen.has(i.id)) continue;
    seen.add(i.id);
    inWindow.push(i);
    openedMs.push(t);
  }

  const bySeverity = zero(SEVERITIES);
  const byState = zero(INCIDENT_STATUSES);
  for (const i of inWindow) {
    bySeverity[i.severity]++;
    byState[i.status]++;
  }

  const { mtta, mttr } = responseStats(inWindow);

  // Oldest first: P3 deadlines are then one calendar walk per business opening (clock.ts).
  const oldestFirst = inWindow
    .map((_, n) => n)
    .sort((a, b) => (inWindow[a].openedAt < inWindow[b].openedAt ? -1 : inWindow[a].openedAt > inWindow[b].openedAt ? 1 : 0));
  const breaches: DigestBreach[] = [];
  for (const n of oldestFirst) {
    const b = breachAt(inWindow[n], policy, toMs, openedMs[n]);
    if (b) breaches.push(b);
  }
  breaches.sort((a, b) => b.lateSeconds - a.lateSeconds || SEV_RANK[a.severity] - SEV_RANK[b.severity] || a.id.localeCompare(b.id));

  const alarms = new Map<string, NoisyAlarm & { flapping: number; lastOpenedAt: string }>();
  for (const i of inWindow) {
    const a = alarms.get(i.incidentKey) ?? {
      incidentKey: i.incidentKey,
      alarmName: i.alarmName,
      severity: i.severity,
      incidents: 0,
      duplicates: 0,
      total: 0,
      flapping: 0,
      lastOpenedAt: i.openedAt,
    };
    a.incidents++;
    a.duplicates += i.duplicates ?? 0;
    a.total = a.incidents + a.duplicates;
    a.severity = higher(a.severity, i.severity);
    if (i.flapping) a.flapping++;
    if (i.openedAt >= a.lastOpenedAt) {
      a.lastOpenedAt = i.openedAt;
      a.alarmName = i.alarmName;
    }
    alarms.set(i.incidentKey, a);
  }
  const all = [...alarms.values()];
  const noisiest = all
    .sort((a, b) => b.total - a.total || b.incidents - a.incidents || SEV_RANK[a.severity] - SEV_RANK[b.severity] || a.alarmName.localeCompare(b.alarmName))
    .slice(0, NOISIEST_LIMIT)
    .map(({ incidentKey, alarmName, severity, incidents, duplicates, total }) => ({ incidentKey, alarmName, severity, incidents, duplicates, total }));
  const flapping = all
    .filter((a) => a.flapping > 0)
    .sort((a, b) => b.incidents - a.incidents || a.alarmName.localeCompare(b.alarmName))
    .map(({ incidentKey, alarmName, severity, incidents, lastOpenedAt }) => ({ incidentKey, alarmName, severity, incidents, lastOpenedAt }));

  const openSeen = new Set<string>();
  const stillOpen: OpenItem[] = [];
  for (const i of input.unresolved) {
    if (i.status === 'resolved' || openSeen.has(i.id)) continue;
    const t = Date.parse(i.openedAt);
    if (!(t < toMs)) continue;
    openSeen.add(i.id);
    const { id, alarmName, severity, status, openedAt, acknowledgedBy } = i;
    stillOpen.push({ id, alarmName, severity, status, openedAt, ageSeconds: Math.round((toMs - t) / 1000), acknowledgedBy });
  }
  stillOpen.sort((a, b) => SEV_RANK[a.severity] - SEV_RANK[b.severity] || b.ageSeconds - a.ageSeconds || a.id.localeCompare(b.id));

  const silences: DigestSilence[] = input.silences
    .filter((s) => silenceIsActive(s, to) || (s.startsAt > to && !s.endedBy))
    .map(({ id, match, reason, author, startsAt, endsAt }) => ({ id, match, reason, author, startsAt, endsAt }))
    .sort((a, b) => a.endsAt.localeCompare(b.endsAt));

  const folding: DigestFolding = { alarms: 0, incidents: inWindow.length, grouped: 0, paged: 0 };
  for (const i of inWindow) {
    const n = alarmsOf(i);
    folding.alarms += n;
    if (n > 1) folding.grouped++;
    if (pagedOf(i)) folding.paged++;
  }

  const hours = Math.round(((toMs - fromMs) / HOUR_MS) * 100) / 100;
  const hourly = countTimesByBucket(inWindow, openedMs, from, HOUR_MS, Math.max(1, Math.ceil((toMs - fromMs) / HOUR_MS)));

  return {
    from,
    to,
    hours,
    empty: inWindow.length === 0 && stillOpen.length === 0,
    total: inWindow.length,
    bySeverity,
    byState,
    mtta,
    mttr,
    breaches,
    noisiest,
    flapping,
    stillOpen,
    silences,
    hourly,
    folding,
  };
}

/** `45 s`, `4 min 30 s`, `2 h 5 min`, `3 d 4 h`: to the second below an hour. */
export function secondsText(total: number | null | undefined): string {
  if (total === null || total === undefined || !Number.isFinite(total)) return '—';
  const s = Math.max(0, Math.round(total));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m} min ${s % 60} s` : `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}
