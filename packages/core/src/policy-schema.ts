// Named imports, not the `z` namespace: the namespace keeps every zod export (its locales too) in the bundle.
import { array, enum as zEnum, literal, NEVER, number, object, record, string, type infer as Infer } from 'zod';
import { PolicyError } from './errors';
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

const escalationStep = 
  object({
    notify: array(sendChannel).min(1),
    tier: string().min(1),
    /** How many times this step runs (each after the response time) before the next tier. */
    repeat: number().int().min(1).max(20).default(1),
    /** Minutes to wait before this step; defaults to the severity's response time. */
    after: responseTime.optional(),
  })
  .strict();

const severityPolicy = 
  object({
    label: string(),
    meaning: string().optional(),
    channels: array(channel).min(1),
    responseTime,
    escalation: array(escalationStep).default([]),
  })
  .strict();

const hhmm = string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected HH:MM (24 h)');

const rule = 
  object({
    name: string().optional(),
    alarmName: string().optional(),
    namespace: string().optional(),
    metric: string().optional(),
    severity,
    runbook: string().optional(),
  })
  .strict()
  .refine((r) => r.alarmName || r.namespace || r.metric, 'a rule needs at least one of alarmName, namespace, metric');

const silence = 
  object({
    id: string().optional(),
    match: string().min(1),
    reason: string().min(1),
    author: string().min(1),
    startsAt: string().datetime({ offset: true }).optional(),
    endsAt: string().datetime({ offset: true }),
  })
  .strict();

const runbook = 
  object({ title: string(), anchor: string().optional(), steps: array(string()).min(1) })
  .strict();

export const policySchema = 
  object({
    version: literal(1),
    timezone: string().default('UTC'),
    businessHours: 
      object({ days: array(number().int().min(1).max(7)).min(1), start: hhmm, end: hhmm })
      .strict()
      .default({ days: [1, 2, 3, 4, 5], start: '09:00', end: '17:00' }),
    defaultSeverity: severity.default('P2'),
    runbookUrl: string().url().optional(),
    severities: object({ P0: severityPolicy, P1: severityPolicy, P2: severityPolicy, P3: severityPolicy }).strict(),
    topics: array(object({ match: string().min(1), severity }).strict()).default([]),
    rules: array(rule).default([]),
    contacts: record(string(), contact).default({}),
    flapping: 
      object({ transitions: number().int().min(2), windowMinutes: number().positive() })
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
