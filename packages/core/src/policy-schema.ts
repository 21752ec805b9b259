// Named imports, not the `z` namespace: the namespace keeps every zod export (its locales too) in a bundle.
import { NEVER, array, literal, number, object, partialRecord, record, string, enum as zEnum, type infer as Infer } from 'zod';
import { DateTime } from 'luxon';
import { minutesOfDay, WEEKDAY_KEYS, type WeekdayKey } from './business-calendar';
import { PolicyError } from './errors';
import { GLOB_PROBLEMS, globProblem } from './glob';
import { formatPath } from './parse';
import { CHANNELS, SEVERITIES, type Severity } from './types';

const severity = zEnum(SEVERITIES);
const channel = zEnum(CHANNELS);
const sendChannel = zEnum(['pagerduty', 'slack', 'email']);

/** `5m`, `15m`, `2h`, `1d`, `90s` → minutes; `next-business-day` is kept as a marker. */
const responseTime = string().transform((v, ctx): number | 'next-business-day' => {
  if (v === 'next-business-day') return v;
  const m = /^(\d+(?:\.\d+)?)\s*(s|m|h|d)$/.exec(v.trim());
  if (!m) {
    ctx.addIssue({ code: 'custom', message: `expected a duration like 5m, 2h or 1d, or next-business-day, got "${v}"` });
    return NEVER;
  }
  return Number.parseFloat(m[1]) * ({ s: 1 / 60, m: 1, h: 60, d: 1440 } as Record<string, number>)[m[2]];
});

const contact = object({ name: string(), phone: string().optional(), email: string().optional(), slack: string().optional() }).strict();

const escalationStep = object({
  notify: array(sendChannel).min(1),
  tier: string().min(1),
  /** How many times this step runs (each after the response time) before the next tier. */
  repeat: number().int().min(1).max(20).default(1),
  /** Minutes to wait before this step; defaults to the severity's response time. */
  after: responseTime.optional(),
}).strict();

const severityPolicy = object({
  label: string(),
  meaning: string().optional(),
  channels: array(channel).min(1),
  responseTime,
  escalation: array(escalationStep).default([]),
}).strict();

const hhmm = string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected HH:MM (24 h)');

/** `0m`, `30m`, `1h` → minutes (no `next-business-day`): the grace after the business morning. */
const duration = string().transform((v, ctx): number => {
  const m = /^(\d+(?:\.\d+)?)\s*(s|m|h)$/.exec(v.trim());
  if (!m) {
    ctx.addIssue({ code: 'custom', message: `expected a duration like 0m, 30m or 1h, got "${v}"` });
    return NEVER;
  }
  return Number.parseFloat(m[1]) * ({ s: 1 / 60, m: 1, h: 60 } as Record<string, number>)[m[2]];
});

const dayHours = object({ start: hhmm, end: hhmm }).strict();

/** A calendar date `YYYY-MM-DD` that exists (2026-02-30 does not). */
const isoDate = string().refine((v) => /^\d{4}-\d{2}-\d{2}$/.test(v) && DateTime.fromISO(v).isValid, {
  message: 'expected a date YYYY-MM-DD',
});

const businessHours = object({
  /** ISO weekdays, Monday = 1. */
  days: array(number().int().min(1).max(7)).min(1),
  start: hhmm,
  end: hhmm,
  /** Other hours on some weekdays: `perDay: { fri: { start: "09:00", end: "15:00" } }`. */
  perDay: partialRecord(zEnum(WEEKDAY_KEYS), dayHours).default({}),
  /** Business time after the opening that "next business day" still allows (documented: 1h by default). */
  grace: duration.default(60),
}).strict();

/** An alarm-name glob, held to the same rule as silences from Slack and the dashboard. */
const alarmGlob = string().superRefine((v, ctx) => {
  const problem = globProblem(v);
  if (problem) ctx.addIssue({ code: 'custom', message: GLOB_PROBLEMS[problem] });
});

const rule = object({
  name: string().optional(),
  alarmName: alarmGlob.optional(),
  namespace: string().optional(),
  metric: string().optional(),
  severity,
  runbook: string().optional(),
})
  .strict()
  .refine((r) => r.alarmName || r.namespace || r.metric, 'a rule needs at least one of alarmName, namespace, metric');

const silence = object({
  id: string().optional(),
  match: alarmGlob,
  reason: string().min(1),
  author: string().min(1),
  startsAt: string().datetime({ offset: true }).optional(),
  endsAt: string().datetime({ offset: true }),
}).strict();

const runbook = object({ title: string(), anchor: string().optional(), steps: array(string()).min(1) }).strict();

export const policySchema = object({
  version: literal(1),
  timezone: string().default('UTC'),
  businessHours: businessHours.default({ days: [1, 2, 3, 4, 5], start: '09:00', end: '17:00', perDay: {}, grace: 60 }),
  /** Local dates (in `timezone`) that are not business days; `holidaysFile` (iCalendar) adds more. */
  holidays: array(isoDate).default([]),
  holidaysFile: string().min(1).optional(),
  defaultSeverity: severity.default('P2'),
  runbookUrl: string().url().optional(),
  severities: object({ P0: severityPolicy, P1: severityPolicy, P2: severityPolicy, P3: severityPolicy }).strict(),
  topics: array(object({ match: string().min(1), severity }).strict()).default([]),
  rules: array(rule).default([]),
  contacts: record(string(), contact).default({}),
  flapping: object({ transitions: number().int().min(2), windowMinutes: number().positive() })
    .strict()
    .default({ transitions: 4, windowMinutes: 30 }),
  silences: array(silence).default([]),
  runbooks: record(string(), runbook).default({}),
})
  .strict()
  .superRefine((p, ctx) => {
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
    for (const s of SEVERITIES) {
      p.severities[s].escalation.forEach((step, i) => {
        if (!p.contacts[step.tier]) {
          ctx.addIssue({
            code: 'custom',
            path: ['severities', s, 'escalation', i, 'tier'],
            message: `no contact named "${step.tier}" under contacts`,
          });
        }
      });
    }
  });

/** Each business day opens before it closes, and the grace fits in a week of business time. */
function businessHoursIssues(bh: Infer<typeof businessHours>): { path: (string | number)[]; message: string }[] {
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

export type Policy = Infer<typeof policySchema>;
export type EscalationStep = Policy['severities'][Severity]['escalation'][number];

/** Validates a parsed policy; the error names the exact key and why. */
export function validatePolicy(value: unknown, source = 'policy'): Policy {
  const r = policySchema.safeParse(value);
  if (r.success) return r.data;
  const lines = r.error.issues.slice(0, 5).flatMap((i) => {
    if (i.code === 'unrecognized_keys') return i.keys.map((k) => `${formatPath('', [...i.path, k])}: unknown key`);
    return [`${formatPath('', i.path) || '(top level)'}: ${i.message}`];
  });
  throw new PolicyError(`${source}: ${lines.join('; ')}`, { context: { issues: r.error.issues } });
}
