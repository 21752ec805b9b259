// zod/mini: functions instead of methods, so a bundle keeps only what is used here (every function loads this).
import * as z from 'zod/mini';
import { en } from 'zod/locales';
import { ConfigError } from '@alert-router/core';
import { Resource } from 'sst/resource';

// zod/mini has no messages until a locale is set; each schema module sets it, since a bundle keeps only the modules it uses.
z.config(en());

/**
 * Every environment variable the router reads, declared once: its schema (input: the trimmed value, or
 * undefined when unset or empty) and, for the error message, what a valid value looks like. The README's
 * "Configuration reference" lists exactly these names (test/config-reference.test.ts checks it).
 * To add a variable: one entry here, one row there.
 */
interface Variable<S extends z.ZodMiniType = z.ZodMiniType> {
  schema: S;
  expected: string;
  /** A secret: may come from this SST secret link, and its value never appears in an error. */
  sst?: string;
}

function variable<S extends z.ZodMiniType>(schema: S, expected: string, sst?: string): Variable<S> {
  return { schema, expected, sst };
}

function isUrl(v: string): boolean {
  try {
    new URL(v);
    return true;
  } catch {
    return false;
  }
}

function isTimeZone(v: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: v });
    return true;
  } catch {
    return false;
  }
}

const text = z.optional(z.string());
const url = z.optional(z.string().check(z.refine(isUrl)));
const integer = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z.pipe(z.pipe(z.string().check(z.regex(/^\d+$/)), z.transform(Number)), z.int().check(z.gte(min), z.lte(max)));
const bool = z.pipe(
  z.pipe(
    z.pipe(
      z.string(),
      z.transform((v: string) => v.toLowerCase()),
    ),
    z.enum(['true', 'false']),
  ),
  z.transform((v) => v === 'true'),
);
const emailList = z._default(
  z.pipe(
    z.string(),
    z.transform((v: string) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ),
  [],
);
const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL', 'SILENT'] as const;
const logLevel = z.optional(
  z.pipe(
    z.pipe(
      z.string(),
      z.transform((v: string) => v.toUpperCase()),
    ),
    z.enum(LOG_LEVELS),
  ),
);

export const ENV = {
  ROUTER_TABLE: variable(z.string(), 'the DynamoDB table name'),
  AWS_REGION: variable(text, 'an AWS region'),
  AWS_DEFAULT_REGION: variable(text, 'an AWS region'),
  AWS_LAMBDA_FUNCTION_NAME: variable(text, 'the function name (set by Lambda)'),
  DYNAMODB_ENDPOINT: variable(url, 'a URL'),
  ROUTER_POLICY_FILE: variable(text, 'a path to a policy YAML file'),
  PAGERDUTY_ROUTING_KEY: variable(text, 'an Events API v2 integration key', 'PagerDutyRoutingKey'),
  PAGERDUTY_EVENTS_URL: variable(url, 'a URL'),
  SLACK_WEBHOOK_URL: variable(url, 'a URL', 'SlackWebhookUrl'),
  SLACK_SIGNING_SECRET: variable(text, 'the Slack app signing secret', 'SlackSigningSecret'),
  SLACK_BOT_TOKEN: variable(text, 'a Slack bot token (xoxb-…)', 'SlackBotToken'),
  SLACK_CHANNEL: variable(text, 'a Slack channel ID (C0123ABCD) or name'),
  SLACK_API_URL: variable(url, 'a URL'),
  SMTP_URL: variable(url, 'a URL like smtp://user:pass@host:587', 'SmtpUrl'),
  SES_REGION: variable(text, 'an AWS region'),
  EMAIL_FROM: variable(text, 'an email address'),
  EMAIL_TO: variable(emailList, 'comma-separated email addresses'),
  STAKEHOLDER_EMAILS: variable(emailList, 'comma-separated email addresses'),
  DASHBOARD_TOKEN: variable(text, 'a token', 'DashboardToken'),
  SENTRY_CLIENT_SECRET: variable(text, 'the Sentry integration client secret', 'SentryClientSecret'),
  WEBHOOK_TOKEN: variable(text, 'a token', 'WebhookToken'),
  DASHBOARD_URL: variable(
    z.pipe(
      url,
      z.transform((v) => v?.replace(/\/+$/, '')),
    ),
    'a URL',
  ),
  DASHBOARD_POLL_MS: variable(z._default(integer(1000), 15_000), 'an integer number of milliseconds of at least 1000'),
  DELIVERY_BUDGET_MS: variable(z._default(integer(1), 8000), 'a positive integer (milliseconds)'),
  DELIVERY_LEASE_MS: variable(z._default(integer(1), 45_000), 'a positive integer (milliseconds)'),
  DIGEST_TIME: variable(
    z._default(
      z.pipe(
        z.string().check(z.regex(/^([01]?\d|2[0-3]):[0-5]\d$/)),
        z.transform((v: string) => ({ hour: Number(v.split(':')[0]), minute: Number(v.split(':')[1]) })),
      ),
      { hour: 8, minute: 0 },
    ),
    'HH:MM (24-hour)',
  ),
  DIGEST_TIMEZONE: variable(z.optional(z.string().check(z.refine(isTimeZone))), 'an IANA time zone (e.g. Europe/Berlin, UTC)'),
  LOG_LEVEL: variable(logLevel, `one of ${LOG_LEVELS.join(', ')}`),
  POWERTOOLS_LOG_LEVEL: variable(logLevel, `one of ${LOG_LEVELS.join(', ')}`),
  POWERTOOLS_SERVICE_NAME: variable(z._default(z.string(), 'alert-router'), 'a service name'),
  POWERTOOLS_METRICS_NAMESPACE: variable(z._default(z.string(), 'AlertRouter'), 'a CloudWatch namespace'),
  POWERTOOLS_METRICS_DISABLED: variable(z._default(bool, false), 'true or false'),
  PORT: variable(z.optional(integer(0, 65535)), 'a port number (0-65535)'),
} satisfies Record<string, Variable>;

export type EnvName = keyof typeof ENV;
export type EnvValues = { [K in EnvName]: z.output<(typeof ENV)[K]['schema']> };
type Env = Record<string, string | undefined>;

function present(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** SST's linked resources (the encrypted resource file in a deployed function); undefined when not linked. */
function linkedValue(sstName: string): unknown {
  try {
    return (Resource as unknown as Record<string, { value?: unknown } | undefined>)[sstName]?.value;
  } catch {
    return undefined; // not running under SST: Resource throws for names it does not know
  }
}

/**
 * A secret's raw value: the plain variable (local mode, tests), or the value SST linked to the function
 * (`sst.Secret`, read through `Resource`; `sst dev`/`sst shell` expose it as `SST_RESOURCE_<Name>` too).
 * The value "unset" turns a channel off.
 */
function secretInput(env: Env, name: string, sstName: string): string | undefined {
  let value: unknown = env[name];
  if (present(value) === undefined) {
    const linked = env[`SST_RESOURCE_${sstName}`];
    if (linked) {
      try {
        value = (JSON.parse(linked) as { value?: unknown }).value;
      } catch {
        throw new ConfigError(`SST_RESOURCE_${sstName}: expected the JSON SST links write, got something else (not shown: it is a secret)`);
      }
    } else value = env === process.env ? linkedValue(sstName) : undefined;
  }
  const v = present(value);
  return v === 'unset' ? undefined : v;
}

/**
 * The typed configuration of the variables asked for (all by default). Every invalid one is reported, each on its
 * own line, with its name, what was expected and what was found (a secret's value is never shown).
 */
export function readEnv<K extends EnvName = EnvName>(env: Env = process.env, names?: readonly K[]): Pick<EnvValues, K> {
  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const name of names ?? (Object.keys(ENV) as K[])) {
    const v: Variable = ENV[name];
    const input = v.sst ? secretInput(env, name, v.sst) : present(env[name]);
    const parsed = v.schema.safeParse(input);
    if (parsed.success) out[name] = parsed.data;
    else {
      const found = input === undefined ? 'nothing' : v.sst ? 'a value that is not one (not shown: it is a secret)' : JSON.stringify(env[name]);
      problems.push(`${name}: expected ${v.expected}, got ${found}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems.join('\n'));
  return out as Pick<EnvValues, K>;
}
