// zod/mini, as alarm-schema.ts: a bundle keeps only the validators used here, not all of zod.
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
  pipe,
  positive,
  record,
  refine,
  regex,
  string,
  strictObject,
  superRefine,
  transform,
  url,
  gte,
  lte,
  type output,
} from 'zod/mini';
import { en } from 'zod/locales';
import { PolicyError } from './errors';
import { formatPath } from './parse';
import { CHANNELS, SEVERITIES, type Severity } from './types';

config(en());

const severity = zEnum(SEVERITIES);
const channel = zEnum(CHANNELS);
const sendChannel = zEnum(['pagerduty', 'slack', 'email']);

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

const rule = strictObject({
  name: optStr,
  alarmName: optStr,
  namespace: optStr,
  metric: optStr,
  severity,
  runbook: optStr,
}).check(refine((r) => Boolean(r.alarmName || r.namespace || r.metric), 'a rule needs at least one of alarmName, namespace, metric'));

const silence = strictObject({
  id: optStr,
  match: nonEmpty,
  reason: nonEmpty,
  author: nonEmpty,
  startsAt: optional(iso.datetime({ offset: true })),
  endsAt: iso.datetime({ offset: true }),
});

const runbook = strictObject({ title: string(), anchor: optStr, steps: array(string()).check(minLength(1)) });

export const policySchema = strictObject({
  version: literal(1),
  timezone: _default(string(), 'UTC'),
  businessHours: _default(strictObject({ days: array(int().check(gte(1), lte(7))).check(minLength(1)), start: hhmm, end: hhmm }), {
    days: [1, 2, 3, 4, 5],
    start: '09:00',
    end: '17:00',
  }),
  defaultSeverity: _default(severity, 'P2'),
  runbookUrl: optional(url()),
  severities: strictObject({ P0: severityPolicy, P1: severityPolicy, P2: severityPolicy, P3: severityPolicy }),
  topics: _default(array(strictObject({ match: nonEmpty, severity })), []),
  rules: _default(array(rule), []),
  contacts: _default(record(string(), contact), {}),
  flapping: _default(strictObject({ transitions: int().check(gte(2)), windowMinutes: number().check(positive()) }), { transitions: 4, windowMinutes: 30 }),
  silences: _default(array(silence), []),
  runbooks: _default(record(string(), runbook), {}),
}).check(
  superRefine((p, ctx) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: p.timezone });
    } catch {
      ctx.addIssue({ code: 'custom', path: ['timezone'], message: `unknown time zone "${p.timezone}"` });
    }
    p.rules.forEach((r, i) => {
      if (r.runbook && !p.runbooks[r.runbook]) {
        ctx.addIssue({ code: 'custom', path: ['rules', i, 'runbook'], message: `no runbook named "${r.runbook}" under runbooks` });
      }
    });
    for (const s of SEVERITIES) {
      p.severities[s].escalation.forEach((step, i) => {
        if (!p.contacts[step.tier]) {
          ctx.addIssue({ code: 'custom', path: ['severities', s, 'escalation', i, 'tier'], message: `no contact named "${step.tier}" under contacts` });
        }
      });
    }
  }),
);

export type Policy = output<typeof policySchema>;
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
