// zod/mini, as alarm-schema.ts: functions instead of methods, so a bundle keeps only the validators used here.
import {
  _default,
  array,
  config,
  enum as zEnum,
  int,
  iso,
  literal,
  minLength,
  NEVER,
  number,
  optional,
  partialRecord,
  pipe,
  positive,
  record,
  refine,
  regex,
  string,
  strictObject,
  superRefine,
  transform,
  union,
  url,
  gte,
  lte,
  type output,
} from 'zod/mini';
import { en } from 'zod/locales';
import { calendarDateExists, minutesOfDay, WEEKDAY_KEYS, type WeekdayKey } from './business-calendar';
import { PolicyError } from './errors';
import { GLOB_PROBLEMS, globProblem } from './glob';
import { formatPath } from './parse';
import { GROUPING_DEFAULTS } from './grouping-defaults';
import { CHANNELS, SEND_CHANNELS } from './channels';
import { SEVERITIES, type Severity } from './types';

config(en());

const severity = zEnum(SEVERITIES);
const channel = zEnum(CHANNELS);
const sendChannel = zEnum(SEND_CHANNELS);

/** `5m`, `15m`, `2h`, `1d`, `90s` → minutes; `next-business-day` is kept as a marker. */
const responseTime = pipe(
  string(),
  transform((v: string, ctx): number | 'next-business-day' => {
    if (v === 'next-business-day') return v;
    const m = /^(\d+(?:\.\d+)?)\s*(s|m|h|d)$/.exec(v.trim());
    if (!m) {
      ctx.issues.push({ code: 'custom', input: v, message: `expected a duration like 5m, 2h or 1d, or next-business-day, got "${v}"` });
      return NEVER;
    }
    return Number.parseFloat(m[1]) * ({ s: 1 / 60, m: 1, h: 60, d: 1440 } as Record<string, number>)[m[2]];
  }),
);

const optStr = optional(string());
const nonEmpty = string().check(minLength(1));

const contact = strictObject({ name: string(), phone: optStr, email: optStr, slack: optStr });

const escalationStep = strictObject({
  notify: array(sendChannel).check(minLength(1)),
  tier: nonEmpty,
  /** How many times this step runs (each after the response time) before the next tier. */
  repeat: _default(int().check(gte(1), lte(20)), 1),
  /** Minutes to wait before this step; defaults to the severity's response time. */
  after: optional(responseTime),
});

const severityPolicy = strictObject({
  label: string(),
  meaning: optStr,
  channels: array(channel).check(minLength(1)),
  responseTime,
  escalation: _default(array(escalationStep), []),
});

const hhmm = string().check(regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected HH:MM (24 h)'));

/** `0m`, `30m`, `1h` → minutes (no `next-business-day`): the grace after the business morning. */
const duration = pipe(
  string(),
  transform((v: string, ctx): number => {
    const m = /^(\d+(?:\.\d+)?)\s*(s|m|h)$/.exec(v.trim());
    if (!m) {
      ctx.issues.push({ code: 'custom', input: v, message: `expected a duration like 0m, 30m or 1h, got "${v}"` });
      return NEVER;
    }
    return Number.parseFloat(m[1]) * ({ s: 1 / 60, m: 1, h: 60 } as Record<string, number>)[m[2]];
  }),
);

const dayHours = strictObject({ start: hhmm, end: hhmm });

/** A calendar date `YYYY-MM-DD` that exists (2026-02-30 does not). */
const isoDate = string().check(refine((v: string) => /^\d{4}-\d{2}-\d{2}$/.test(v) && calendarDateExists(v), { message: 'expected a date YYYY-MM-DD' }));

const businessHours = strictObject({
  /** ISO weekdays, Monday = 1. */
  days: array(int().check(gte(1), lte(7))).check(minLength(1)),
  start: hhmm,
  end: hhmm,
  /** Other hours on some weekdays: `perDay: { fri: { start: "09:00", end: "15:00" } }`. */
  perDay: _default(partialRecord(zEnum(WEEKDAY_KEYS), dayHours), {}),
  /** Business time after the opening that "next business day" still allows (documented: 1h by default). */
  grace: _default(duration, 60),
});

/** An alarm-name glob, held to the same rule as silences from Slack and the dashboard. */
const alarmGlob = string().check(
  superRefine((v: string, ctx) => {
    const problem = globProblem(v);
    if (problem) ctx.addIssue({ code: 'custom', message: GLOB_PROBLEMS[problem] });
  }),
);

const rule = strictObject({
  name: optStr,
  alarmName: optional(alarmGlob),
  namespace: optStr,
  metric: optStr,
  /** Where it came from (glob): `sentry`, `gcp`, `azure`, `alertmanager`, `generic`, `aws.guardduty`, `aws.health`... */
  source: optStr,
  /** Key facts of the source (glob per field), e.g. `{type: "Recon:*"}`, `{category: issue}`; see docs/sources.md. */
  fields: optional(record(string(), string())),
  severity,
  runbook: optStr,
}).check(
  refine(
    (r) => Boolean(r.alarmName || r.namespace || r.metric || r.source || r.fields),
    'a rule needs at least one of alarmName, namespace, metric, source, fields',
  ),
);

const silence = strictObject({
  id: optStr,
  match: alarmGlob,
  reason: nonEmpty,
  author: nonEmpty,
  startsAt: optional(iso.datetime({ offset: true })),
  endsAt: iso.datetime({ offset: true }),
});

const runbook = strictObject({ title: string(), anchor: optStr, steps: array(string()).check(minLength(1)) });

/** What a group key may be built from (grouping.ts): a notification field, `dimension:<Name>` or `field:<name>`. */
export const GROUP_BY_FIELDS = ['account', 'region', 'topic', 'namespace', 'metric', 'source', 'alarmName', 'severity'] as const;
const groupByField = string().check(
  refine((v: string) => (GROUP_BY_FIELDS as readonly string[]).includes(v) || /^(dimension|field):[^\s]{1,255}$/.test(v), {
    message: `expected one of ${GROUP_BY_FIELDS.join(', ')}, dimension:<Name> or field:<name>`,
  }),
);

/** `10m`, `4h`, `30s` → minutes, at most a day (a group window, a wait). */
const shortDuration = pipe(
  duration,
  transform((v: number, ctx): number => {
    if (v > 24 * 60) {
      ctx.issues.push({ code: 'custom', input: v, message: 'expected at most 24h' });
      return NEVER;
    }
    return v;
  }),
);

const groupingSettings = {
  /** Alarms whose key fields agree belong together. */
  by: optional(array(groupByField).check(minLength(1))),
  /** A new member joins while the newest member is younger than this... */
  window: optional(shortDuration),
  /** ...and the group younger than this. */
  maxAge: optional(shortDuration),
  /** P1–P3: the first notice waits this long so that it names the alarms that fire together (P0 pages at once). */
  groupWait: optional(shortDuration),
  /** Later members: an email batch (and a Slack webhook follow-up) at most this often. */
  groupInterval: optional(shortDuration),
};

const groupingRule = strictObject({
  name: optStr,
  alarmName: optional(alarmGlob),
  namespace: optStr,
  source: optStr,
  /** `off`: alarms this rule matches are never grouped. */
  grouping: optional(literal('off')),
  ...groupingSettings,
}).check(refine((r) => Boolean(r.alarmName || r.namespace || r.source), 'a grouping rule needs at least one of alarmName, namespace, source'));

const groupingOn = strictObject({
  by: _default(array(groupByField).check(minLength(1)), GROUPING_DEFAULTS.by),
  window: _default(shortDuration, GROUPING_DEFAULTS.window),
  maxAge: _default(shortDuration, GROUPING_DEFAULTS.maxAge),
  groupWait: _default(shortDuration, GROUPING_DEFAULTS.groupWait),
  groupInterval: _default(shortDuration, GROUPING_DEFAULTS.groupInterval),
  maxMembers: _default(int().check(gte(2), lte(200)), GROUPING_DEFAULTS.maxMembers),
  rules: _default(array(groupingRule), []),
});

export const policySchema = strictObject({
  version: literal(1),
  timezone: _default(string(), 'UTC'),
  businessHours: _default(businessHours, { days: [1, 2, 3, 4, 5], start: '09:00', end: '17:00', perDay: {}, grace: 60 }),
  /** Local dates (in `timezone`) that are not business days; `holidaysFile` (iCalendar) adds more. */
  holidays: _default(array(isoDate), []),
  holidaysFile: optional(nonEmpty),
  defaultSeverity: _default(severity, 'P2'),
  runbookUrl: optional(url()),
  severities: strictObject({ P0: severityPolicy, P1: severityPolicy, P2: severityPolicy, P3: severityPolicy }),
  topics: _default(array(strictObject({ match: nonEmpty, severity })), []),
  rules: _default(array(rule), []),
  contacts: _default(record(string(), contact), {}),
  flapping: _default(strictObject({ transitions: int().check(gte(2)), windowMinutes: number().check(positive()) }), { transitions: 4, windowMinutes: 30 }),
  silences: _default(array(silence), []),
  runbooks: _default(record(string(), runbook), {}),
  /** Alarms that fire together are one incident (grouping.ts); `off`: every alarm is its own incident. */
  grouping: _default(union([literal('off'), groupingOn]), GROUPING_DEFAULTS),
}).check(
  superRefine((p, ctx) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: p.timezone });
    } catch {
      ctx.addIssue({ code: 'custom', path: ['timezone'], message: `unknown time zone "${p.timezone}"` });
    }
    businessHoursIssues(p.businessHours).forEach((issue) => ctx.addIssue({ code: 'custom', ...issue }));
    p.rules.forEach((r, i) => {
      if (r.runbook && !p.runbooks[r.runbook]) {
        ctx.addIssue({ code: 'custom', path: ['rules', i, 'runbook'], message: `no runbook named "${r.runbook}" under runbooks` });
      }
    });
    if (p.grouping !== 'off' && p.grouping.window > p.grouping.maxAge) {
      ctx.addIssue({ code: 'custom', path: ['grouping', 'window'], message: `expected at most maxAge (${p.grouping.maxAge} min)` });
    }
    for (const s of SEVERITIES) {
      p.severities[s].escalation.forEach((step, i) => {
        if (!p.contacts[step.tier]) {
          ctx.addIssue({ code: 'custom', path: ['severities', s, 'escalation', i, 'tier'], message: `no contact named "${step.tier}" under contacts` });
        }
      });
    }
  }),
);

/** Each business day opens before it closes, and the grace fits in a week of business time. */
function businessHoursIssues(bh: output<typeof businessHours>): { path: (string | number)[]; message: string }[] {
  const issues: { path: (string | number)[]; message: string }[] = [];
  if (minutesOfDay(bh.end) <= minutesOfDay(bh.start)) {
    issues.push({ path: ['businessHours', 'end'], message: `expected a time after start (${bh.start}), got "${bh.end}"` });
  }
  for (const [key, h] of Object.entries(bh.perDay)) {
    const weekday = WEEKDAY_KEYS.indexOf(key as WeekdayKey) + 1;
    if (!bh.days.includes(weekday)) {
      issues.push({ path: ['businessHours', 'perDay', key], message: `${key} is not a business day (add ${weekday} to businessHours.days)` });
    } else if (h && minutesOfDay(h.end) <= minutesOfDay(h.start)) {
      issues.push({ path: ['businessHours', 'perDay', key, 'end'], message: `expected a time after start (${h.start}), got "${h.end}"` });
    }
  }
  if (bh.grace > 7 * 24 * 60) issues.push({ path: ['businessHours', 'grace'], message: 'expected at most a week' });
  return issues;
}

export type Policy = output<typeof policySchema>;
export type EscalationStep = Policy['severities'][Severity]['escalation'][number];

type Issue = NonNullable<ReturnType<typeof policySchema.safeParse>['error']>['issues'][number];

/** `grouping: off | {...}`: a union's issue is the issues of the branch that got furthest (the object's keys). */
function unionBranch(i: Issue): Issue[] {
  if (i.code !== 'invalid_union' || !('errors' in i) || !Array.isArray(i.errors) || i.errors.length === 0) return [i];
  const depth = (issues: Issue[]) => Math.max(0, ...issues.map((x) => x.path.length));
  const best = (i.errors as Issue[][]).reduce((a, b) => (depth(b) > depth(a) ? b : a));
  if (depth(best) === 0) return [i];
  return best.map((x) => ({ ...x, path: [...i.path, ...x.path] }) as Issue).flatMap(unionBranch);
}

/** Validates a parsed policy; the error names the exact key and why. */
export function validatePolicy(value: unknown, source = 'policy'): Policy {
  const r = policySchema.safeParse(value);
  if (r.success) return r.data;
  const lines = r.error.issues
    .flatMap(unionBranch)
    .slice(0, 5)
    .flatMap((i) => {
      if (i.code === 'unrecognized_keys') return i.keys.map((k) => `${formatPath('', [...i.path, k])}: unknown key`);
      return [`${formatPath('', i.path) || '(top level)'}: ${i.message}`];
    });
  throw new PolicyError(`${source}: ${lines.join('; ')}`, { context: { issues: r.error.issues } });
}
