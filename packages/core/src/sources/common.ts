import { truncateUnits } from '../render/escape';
import type { AlarmState, Notification, Severity, SourceFacts, WebhookSource } from '../types';

/** Who reported a notification, for timelines: `cloudwatch`, `sns`, or the webhook source (`sentry`, ...). */
export function originOf(n: Pick<Notification, 'kind'>): string {
  if (n.kind === 'alarm') return 'cloudwatch';
  if (n.kind === 'message') return 'sns';
  return n.kind;
}

const SOURCE_NAMES: Record<WebhookSource, string> = {
  sentry: 'Sentry',
  gcp: 'Google Cloud Monitoring',
  azure: 'Azure Monitor',
  alertmanager: 'Alertmanager',
  generic: 'webhook',
};

/** Who resolved an incident when its source said it is over (`CloudWatch (alarm OK)`, `Sentry (resolved)`). */
export function resolutionActor(n: Pick<Notification, 'kind'>): string {
  if (n.kind === 'alarm' || n.kind === 'message') return 'CloudWatch (alarm OK)';
  return `${SOURCE_NAMES[n.kind]} (resolved)`;
}

/** A person-readable name of where a notification came from. */
export function sourceDisplayName(n: Pick<Notification, 'kind'>): string {
  if (n.kind === 'alarm') return 'CloudWatch alarm';
  if (n.kind === 'message') return 'SNS message';
  return SOURCE_NAMES[n.kind];
}

/**
 * The words sources use for severity, on one scale: Azure's Sev0–Sev4 names, Sentry levels, Prometheus
 * `severity` labels, and the router's own P0–P3. Unknown words map to nothing (the policy decides).
 */
const SEVERITY_WORDS: Record<string, Severity> = {
  p0: 'P0',
  critical: 'P0',
  fatal: 'P0',
  sev0: 'P0',
  emergency: 'P0',
  page: 'P0',
  p1: 'P1',
  error: 'P1',
  high: 'P1',
  major: 'P1',
  sev1: 'P1',
  p2: 'P2',
  warning: 'P2',
  warn: 'P2',
  medium: 'P2',
  minor: 'P2',
  sev2: 'P2',
  p3: 'P3',
  info: 'P3',
  informational: 'P3',
  low: 'P3',
  debug: 'P3',
  verbose: 'P3',
  none: 'P3',
  sev3: 'P3',
  sev4: 'P3',
};

export function severityFromWord(word: string | null | undefined): Severity | null {
  if (!word) return null;
  const key = word.trim().toLowerCase();
  // own keys only: `constructor` or `__proto__` in a payload must not reach Object.prototype
  return Object.hasOwn(SEVERITY_WORDS, key) ? SEVERITY_WORDS[key] : null;
}

/** Only http(s) URLs are kept as links: a `javascript:` link in a payload must never become clickable. */
export function safeUrl(value: unknown): string | null {
  if (typeof value !== 'string' || value.length > 2048) return null;
  try {
    const u = new URL(value);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.href : null;
  } catch {
    return null;
  }
}

/** A field value as a short single string (objects are not flattened: they are not key facts). */
export function text(value: unknown, max = 300): string | null {
  if (typeof value === 'string') return value.trim() ? truncateUnits(value.trim(), max) : null;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return null;
}

/** Drops empty values; fromEntries keeps a key named `__proto__` as data. */
export function fieldsOf(entries: [string, unknown][]): Record<string, string> {
  return Object.fromEntries(
    entries.flatMap(([k, v]) => {
      const t = text(v);
      return t === null ? [] : [[k, t]];
    }),
  );
}

/** A time that says its zone (`Z`, `+0000`, `-05:00`, `GMT`, `UTC`), or a date alone (UTC by ECMAScript's rule). */
const ZONED = /(?:Z|[+-]\d{2}(?::?\d{2})?|\b(?:GMT|UTC|UT))$/i;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const ISO_WITHOUT_ZONE = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/;

/**
 * Unix seconds, milliseconds or a time string → ISO 8601 (Z), null when unreadable. A string without a zone
 * (Inspector's `Dec 1, 2026, 6:15:40 AM`, an ISO time without `Z`) is UTC: `Date.parse` would read it in the
 * machine's own zone, and the same message would then open at another time on a laptop than on Lambda.
 */
export function isoTime(value: unknown): string | null {
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) {
    const ms = value < 1e12 ? value * 1000 : value;
    const d = new Date(ms);
    return Number.isNaN(d.getTime()) ? null : d.toISOString();
  }
  if (typeof value === 'string' && value.trim()) {
    const t = value.trim();
    const utc = ZONED.test(t) || DATE_ONLY.test(t) ? t : ISO_WITHOUT_ZONE.test(t) ? `${t.replace(' ', 'T')}Z` : `${t} UTC`;
    const ms = Date.parse(utc);
    if (Number.isNaN(ms) || t.startsWith('0001-')) return null;
    return new Date(ms).toISOString();
  }
  return null;
}

export interface WebhookAlert {
  source: WebhookSource;
  /** The source's own id of the alert: the same for its firing and its resolution. */
  key: string;
  title: string;
  state: Extract<AlarmState, 'ALARM' | 'OK'>;
  /** When this state began (stable across redeliveries whenever the source says it). */
  changedAt: string;
  severity: Severity | null;
  severityLabel: string | null;
  reason?: string | null;
  description?: string | null;
  account?: string | null;
  namespace?: string | null;
  metric?: string | null;
  dimensions?: Record<string, string>;
  fields: Record<string, string>;
  url: string | null;
}

const MAX_NAME = 256;

/** The CloudWatch alarm facts a notification that is not an alarm does not have. */
export function noAlarmDetails(): Pick<
  Notification,
  'threshold' | 'comparison' | 'evaluationPeriods' | 'period' | 'statistic' | 'treatMissingData' | 'expression' | 'alarmRule' | 'triggeringChildren'
> {
  return {
    threshold: null,
    comparison: null,
    evaluationPeriods: null,
    period: null,
    statistic: null,
    treatMissingData: null,
    expression: null,
    alarmRule: null,
    triggeringChildren: [],
  };
}

/** The first line of a text that holds any (trimmed; `\r`, `\n` and Unicode's line breaks end one), else ''. */
export function firstLine(text: string): string {
  return (
    text
      .split(/\r\n?|[\n\v\f\u0085\u2028\u2029]/)
      .map((l) => l.trim())
      .find(Boolean) ?? ''
  );
}

/** One alert of a webhook, in the model the alarm pipeline handles (dedupe key, firing/resolved, severity, link). */
export function webhookNotification(a: WebhookAlert): Notification {
  const source: SourceFacts = { name: a.source, severity: a.severity, severityLabel: a.severityLabel, fields: a.fields, url: a.url };
  // A name is one line (an Alertmanager summary may hold a list); the whole title stays the reason if none is given.
  const name = firstLine(a.title);
  const multiLine = name !== a.title.trim();
  return {
    kind: a.source,
    alarmKind: 'webhook',
    alarmName: truncateUnits(name || `${a.source} alert ${a.key}`, MAX_NAME),
    description: a.description ?? null,
    state: a.state,
    previousState: a.state === 'OK' ? 'ALARM' : null,
    rawState: a.state,
    reason: a.reason ?? (multiLine ? a.title.trim() : null),
    changedAt: a.changedAt,
    account: a.account ?? null,
    region: null,
    regionName: null,
    alarmArn: null,
    incidentKey: `${a.source}:${truncateUnits(a.key, 400)}`,
    namespace: a.namespace ?? null,
    metric: a.metric ?? null,
    dimensions: a.dimensions ?? {},
    metrics: a.metric ? [{ namespace: a.namespace ?? null, metric: a.metric, dimensions: a.dimensions ?? {} }] : [],
    ...noAlarmDetails(),
    sns: null,
    text: null,
    warnings: [],
    source,
  };
}
