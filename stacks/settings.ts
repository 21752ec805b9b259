/**
 * Deploy-time settings: plain data, no SST globals, so unit tests import this file directly.
 *
 * Non-secret settings come from the environment of `sst deploy` (SST also loads `.env` and
 * `.env.<stage>` from the project root). The names are the ones the functions and the local runner
 * read, so one `.env` serves `npm start` and `sst deploy` alike. Secrets never come from here: they
 * are `sst.Secret`s (stacks/secrets.ts).
 */

import { DEFAULT_DELIVERY_BUDGET_MS, DEFAULT_DELIVERY_LEASE_MS, TIMEOUT_CEILING_S, timeoutsFor, worstCases, type Budgets } from './timeouts';

/** The Lambda runtime of every function. */
export const RUNTIME = 'nodejs22.x' as const;

/** Service name for Lambda Powertools: also the `service` dimension of every metric it publishes. */
export const POWERTOOLS_SERVICE_NAME = 'alert-router';
export const METRICS_NAMESPACE = 'AlertRouter';

/**
 * CloudWatch namespace of a stage's metrics: one per stage, so that staging's heartbeat can never keep
 * production's heartbeat alarm green (the metrics of every stage in an account and region would otherwise mix).
 */
export function metricsNamespaceFor(stage: string): string {
  return `${METRICS_NAMESPACE}/${stage}`;
}

/** Heartbeat: the escalation sweep counts every run it finishes (functions/escalate.ts). */
export const HEARTBEAT_METRIC = 'EscalationSweeps';
/** Counted once per container when the configuration cannot be read at start (packages/aws/src/observability.ts). */
export const STARTUP_ERROR_METRIC = 'StartupErrors';

/** Handlers (`file.export`, relative to sst.config.ts). */
export const HANDLERS = {
  alarm: 'functions/alarm.handler',
  slack: 'functions/slack.handler',
  dashboard: 'functions/dashboard.handler',
  escalate: 'functions/escalate.handler',
  digest: 'functions/digest.handler',
  webhooks: 'functions/webhooks.handler',
  hygiene: 'functions/hygiene.handler',
} as const;

export type FunctionKey = keyof typeof HANDLERS;

/** Names of the `sst.Secret`s (also the suffix of `SST_RESOURCE_<Name>` that the code reads). */
export const SECRET_NAMES = [
  'PagerDutyRoutingKey',
  'SlackWebhookUrl',
  'SlackSigningSecret',
  'SlackBotToken',
  'SmtpUrl',
  'DashboardToken',
  'SentryClientSecret',
  'WebhookToken',
] as const;
export type SecretName = (typeof SECRET_NAMES)[number];

/**
 * What each secret must look like when it is set (the literal `unset` turns its channel off). A deploy with a
 * value that fails is refused here, before it can reach the functions and stop every one of them at start.
 * Messages name the secret, never its value.
 */
const SECRET_CHECKS: Partial<Record<SecretName, { ok: (v: string) => boolean; expected: string }>> = {
  PagerDutyRoutingKey: { ok: (v) => /^\S+$/.test(v), expected: 'an Events API v2 integration key (no spaces)' },
  SlackWebhookUrl: { ok: (v) => urlWith(v, ['https:']), expected: 'an https URL (the incoming webhook)' },
  SlackSigningSecret: { ok: (v) => /^\S+$/.test(v), expected: "the Slack app's signing secret (no spaces)" },
  SlackBotToken: { ok: (v) => /^xox[a-z]-\S+$/.test(v), expected: "the Slack app's bot token (xoxb-…)" },
  SmtpUrl: { ok: (v) => urlWith(v, ['smtp:', 'smtps:']), expected: 'an smtp:// or smtps:// URL' },
  DashboardToken: { ok: (v) => v.length >= 16 && /^\S+$/.test(v), expected: 'at least 16 characters without spaces (e.g. openssl rand -hex 32)' },
};

function urlWith(value: string, protocols: string[]): boolean {
  try {
    return protocols.includes(new URL(value).protocol);
  } catch {
    return false;
  }
}

/** SST hands `sst deploy` each secret that is set as SST_SECRET_<Name>; one that is not set is SST's to report. */
function checkSecrets(stage: string, env: Env): void {
  for (const name of SECRET_NAMES) {
    const value = env[`SST_SECRET_${name}`]?.trim();
    const check = SECRET_CHECKS[name];
    if (value === undefined || value === 'unset' || !check || check.ok(value)) continue;
    throw new SettingsError(`secret ${name}: expected ${check.expected}, or "unset"; set it with \`npx sst secret set ${name} <value> --stage ${stage}\``);
  }
}

/** Least privilege: each function is linked to the table and to these secrets only. */
export const FUNCTION_SECRETS: Record<FunctionKey, readonly SecretName[]> = {
  alarm: ['PagerDutyRoutingKey', 'SlackWebhookUrl', 'SlackBotToken', 'SmtpUrl'],
  slack: ['SlackSigningSecret', 'PagerDutyRoutingKey', 'SlackWebhookUrl', 'SlackBotToken', 'SmtpUrl'],
  dashboard: ['DashboardToken', 'PagerDutyRoutingKey', 'SlackWebhookUrl', 'SlackBotToken', 'SmtpUrl'],
  escalate: ['PagerDutyRoutingKey', 'SlackWebhookUrl', 'SlackBotToken', 'SmtpUrl'],
  digest: ['SlackWebhookUrl', 'SmtpUrl'],
  webhooks: ['SentryClientSecret', 'WebhookToken', 'PagerDutyRoutingKey', 'SlackWebhookUrl', 'SlackBotToken', 'SmtpUrl'],
  hygiene: ['SlackWebhookUrl', 'SmtpUrl'],
};

/** CloudWatch Logs retention (SST's `logging.retention` keys) for a stage. */
export type LogRetention = '1 month' | '1 week' | '3 days';

export function logRetentionFor(stage: string): LogRetention {
  if (stage === 'production') return '1 month';
  if (stage === 'staging') return '1 week';
  return '3 days';
}

/** The four SNS topics, by severity; the topic name carries the word the classifier matches. */
export const SEVERITY_TOPICS = [
  { key: 'critical', component: 'CriticalAlerts', severity: 'P0' },
  { key: 'high', component: 'HighAlerts', severity: 'P1' },
  { key: 'medium', component: 'MediumAlerts', severity: 'P2' },
  { key: 'low', component: 'LowAlerts', severity: 'P3' },
] as const;
export type TopicKey = (typeof SEVERITY_TOPICS)[number]['key'];

export interface ExampleAlarmSettings {
  /** ALB dimension value, the ARN suffix `app/<name>/<id>`. */
  loadBalancer: string;
  ecsCluster: string;
  ecsService: string;
  dbInstance: string;
}

/** Where the router's own failures go: the ops topic, which no router function handles. */
export interface OpsSettings {
  /** OPS_EMAIL: addresses subscribed to the ops topic (each confirms once, by the link SNS mails). */
  emails: string[];
  /** OPS_HTTPS_URL: an HTTPS endpoint subscribed too (e.g. a PagerDuty "Amazon CloudWatch" integration URL). */
  httpsUrl: string | null;
}

/**
 * Reserved concurrency of the alarm function in production when ALARM_RESERVED_CONCURRENCY is unset. Other stages
 * reserve none by default: each reservation comes out of the account's pool, and a new account's pool of 10
 * leaves nothing to reserve.
 */
export const DEFAULT_ALARM_CONCURRENCY = 20;
/** Alarm events older than this go to the dead-letter queue instead of waiting (Lambda's default is 6 h). */
export const ALARM_MAX_EVENT_AGE_S = 3600;

export interface Settings {
  stage: string;
  ops: OpsSettings;
  /** ALARM_ACCOUNT_IDS: other AWS accounts whose CloudWatch alarms may publish to the severity topics. */
  alarmAccountIds: string[];
  /** ALARM_RESERVED_CONCURRENCY: reserved (and maximum) concurrency of the alarm function; null = none. */
  alarmConcurrency: number | null;
  /** Timeout of each function in seconds, derived from the delivery budgets (stacks/timeouts.ts). */
  timeouts: Record<FunctionKey, number>;
  emailFrom: string;
  emailTo: string[];
  /** SLACK_CHANNEL: where the Slack Web API posts (with the SlackBotToken secret); null = the webhook only. */
  slackChannel: string | null;
  /** STAKEHOLDER_EMAILS: P0/P1 stakeholder updates go here (slack and dashboard functions). */
  stakeholderEmails: string[];
  logLevel: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  /** Daily digest: local wall-clock time and IANA zone (EventBridge Scheduler handles DST). */
  digestTime: { hour: number; minute: number };
  digestTimezone: string;
  /** The runbook's four example CloudWatch alarms; null = not deployed. */
  exampleAlarms: ExampleAlarmSettings | null;
  /**
   * SES_REGION: email goes through Amazon SES in this region when the SmtpUrl secret is unset; every
   * function then gets the SES send permissions. null = SMTP only.
   */
  sesRegion: string | null;
  /** Optional runtime tuning, passed to the functions only when set (the code's defaults otherwise). */
  tuning: RuntimeTuning;
}

export interface RuntimeTuning {
  /** PAGERDUTY_EVENTS_URL: Events API v2 endpoint (e.g. the EU one); https only. */
  pagerdutyEventsUrl: string | null;
  /** DELIVERY_BUDGET_MS, DELIVERY_LEASE_MS (milliseconds). */
  deliveryBudgetMs: number | null;
  deliveryLeaseMs: number | null;
  /** DASHBOARD_POLL_MS: how often the dashboard page polls (dashboard function only). */
  dashboardPollMs: number | null;
}

export class SettingsError extends Error {
  override name = 'SettingsError';
}

type Env = Record<string, string | undefined>;

const LOG_LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR'] as const;

function text(env: Env, key: string): string | undefined {
  const v = env[key]?.trim();
  return v ? v : undefined;
}

function flag(env: Env, key: string): boolean {
  const v = text(env, key)?.toLowerCase();
  if (v === undefined || v === 'false' || v === '0' || v === 'no') return false;
  if (v === 'true' || v === '1' || v === 'yes') return true;
  throw new SettingsError(`${key}: expected true or false, got "${env[key]}"`);
}

function email(key: string, value: string): string {
  if (!/^[^\s@<>,]+@[^\s@<>,]+\.[^\s@<>,]+$/.test(value)) throw new SettingsError(`${key}: "${value}" is not an email address`);
  return value;
}

export function parseDigestTime(key: string, value: string): { hour: number; minute: number } {
  const m = /^(\d{1,2}):(\d{2})$/.exec(value);
  const hour = m ? Number(m[1]) : NaN;
  const minute = m ? Number(m[2]) : NaN;
  if (!m || hour > 23 || minute > 59) throw new SettingsError(`${key}: expected HH:MM (24-hour), got "${value}"`);
  return { hour, minute };
}

function timezone(key: string, value: string): string {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
  } catch {
    throw new SettingsError(`${key}: "${value}" is not an IANA time zone (e.g. Europe/Berlin, America/New_York, UTC)`);
  }
  return value;
}

function awsRegion(key: string, value: string): string {
  if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(value)) throw new SettingsError(`${key}: "${value}" is not an AWS region (e.g. eu-west-1)`);
  return value;
}

function millis(env: Env, key: string, min = 1): number | null {
  const v = text(env, key);
  if (v === undefined) return null;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min)
    throw new SettingsError(`${key}: expected an integer number of milliseconds${min > 1 ? ` of at least ${min}` : ''}, got "${env[key]}"`);
  return n;
}

function httpsUrl(env: Env, key: string): string | null {
  const v = text(env, key);
  if (v === undefined) return null;
  let protocol: string;
  try {
    protocol = new URL(v).protocol;
  } catch {
    throw new SettingsError(`${key}: not a URL, got "${v}"`);
  }
  // A local .env may point this at a mock on http://127.0.0.1; that must not reach a deployed function.
  if (protocol !== 'https:') throw new SettingsError(`${key}: a deployed function needs an https URL, got "${v}" (unset it for the default)`);
  return v;
}

/** EventBridge cron expression (minute hour day-of-month month day-of-week year) for a daily run. */
export function dailyCron(time: { hour: number; minute: number }): `cron(${string})` {
  return `cron(${time.minute} ${time.hour} * * ? *)`;
}

/** Escalation runs every minute: the shortest response time in the policy is 5 minutes. */
export const ESCALATE_SCHEDULE = 'rate(1 minute)' as const;

function emailList(env: Env, key: string): string[] {
  return (text(env, key) ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((a) => email(key, a));
}

function accountIds(env: Env, key: string): string[] {
  const ids = (text(env, key) ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const id of ids) if (!/^\d{12}$/.test(id)) throw new SettingsError(`${key}: "${id}" is not a 12-digit AWS account id`);
  return ids;
}

function concurrency(env: Env, key: string, stage: string): number | null {
  const v = text(env, key);
  if (v === undefined) return stage === 'production' ? DEFAULT_ALARM_CONCURRENCY : null;
  if (v.toLowerCase() === 'off') return null;
  const n = Number(v);
  // 0 would throttle every alarm.
  if (!Number.isInteger(n) || n < 1) throw new SettingsError(`${key}: expected a whole number of at least 1, or "off", got "${env[key]}"`);
  return n;
}

/**
 * Timeouts from the budgets, refusing budgets no function timeout can hold: a function cut off mid fan-out
 * leaves deliveries pending, and a lease shorter than the alarm function's timeout lets a redelivery take
 * over a send still in progress.
 */
function budgetedTimeouts(budgets: Budgets, budgetSet: boolean): Record<FunctionKey, number> {
  const timeouts = timeoutsFor(budgets);
  const cases = worstCases(budgets);
  for (const [key, ceiling] of Object.entries(TIMEOUT_CEILING_S) as [FunctionKey, (typeof TIMEOUT_CEILING_S)[FunctionKey]][]) {
    if (timeouts[key] <= ceiling.seconds) continue;
    let fits = budgets.deliveryBudgetMs;
    while (fits > 0 && timeoutsFor({ ...budgets, deliveryBudgetMs: fits })[key] > ceiling.seconds) fits -= 500;
    throw new SettingsError(
      `DELIVERY_BUDGET_MS: ${budgets.deliveryBudgetMs} ms${budgetSet ? '' : ' (the default)'} does not fit the ${key} function: its timeout would be ` +
        `${timeouts[key]} s (${cases[key].how}), above its limit of ${ceiling.seconds} s (${ceiling.why}); use at most ${fits} ms`,
    );
  }
  if (budgets.deliveryLeaseMs < timeouts.alarm * 1000) {
    throw new SettingsError(
      `DELIVERY_LEASE_MS: ${budgets.deliveryLeaseMs} ms is shorter than the alarm function's timeout of ${timeouts.alarm} s ` +
        `(from DELIVERY_BUDGET_MS ${budgets.deliveryBudgetMs} ms): a redelivery could take over a send still in progress; use at least ${timeouts.alarm * 1000} ms`,
    );
  }
  return timeouts;
}

export function readSettings(stage: string, env: Env = process.env): Settings {
  // Topic names are `alert-router-<stage>-<severity>` and the classifier matches their words.
  const clash = stage
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .find((w) => SEVERITY_TOPICS.some((t) => t.key === w));
  if (clash)
    throw new SettingsError(`stage "${stage}": contains the severity word "${clash}", which would be read from every topic name; pick another stage name`);

  checkSecrets(stage, env);
  const emailTo = emailList(env, 'EMAIL_TO');
  const emailFrom = text(env, 'EMAIL_FROM');
  if (emailFrom) email('EMAIL_FROM', emailFrom.replace(/^.*<([^>]+)>\s*$/, '$1'));

  const level = (text(env, 'LOG_LEVEL') ?? (stage === 'production' ? 'INFO' : 'DEBUG')).toUpperCase();
  if (!(LOG_LEVELS as readonly string[]).includes(level))
    throw new SettingsError(`LOG_LEVEL: expected one of ${LOG_LEVELS.join(', ')}, got "${env.LOG_LEVEL}"`);

  let exampleAlarms: ExampleAlarmSettings | null = null;
  if (flag(env, 'EXAMPLE_ALARMS')) {
    const loadBalancer = text(env, 'EXAMPLE_LOAD_BALANCER');
    if (!loadBalancer || !/^app\/[^/]+\/[^/]+$/.test(loadBalancer)) {
      throw new SettingsError(
        `EXAMPLE_LOAD_BALANCER: required when EXAMPLE_ALARMS=true; the ALB's CloudWatch dimension "app/<name>/<id>" (the end of its ARN)${loadBalancer ? `, got "${loadBalancer}"` : ''}`,
      );
    }
    exampleAlarms = {
      loadBalancer,
      ecsCluster: text(env, 'EXAMPLE_ECS_CLUSTER') ?? 'qenergyz-production',
      ecsService: text(env, 'EXAMPLE_ECS_SERVICE') ?? 'qenergyz-backend',
      dbInstance: text(env, 'EXAMPLE_DB_INSTANCE') ?? 'qenergyz-production-db',
    };
  }

  const ops: OpsSettings = { emails: emailList(env, 'OPS_EMAIL'), httpsUrl: httpsUrl(env, 'OPS_HTTPS_URL') };
  if (stage === 'production' && ops.emails.length === 0 && !ops.httpsUrl) {
    throw new SettingsError(
      "OPS_EMAIL: required in production (or OPS_HTTPS_URL): where the router's own failures are sent, by a path that does not go through the router",
    );
  }

  const deliveryBudgetMs = millis(env, 'DELIVERY_BUDGET_MS');
  const deliveryLeaseMs = millis(env, 'DELIVERY_LEASE_MS');
  const timeouts = budgetedTimeouts(
    { deliveryBudgetMs: deliveryBudgetMs ?? DEFAULT_DELIVERY_BUDGET_MS, deliveryLeaseMs: deliveryLeaseMs ?? DEFAULT_DELIVERY_LEASE_MS },
    deliveryBudgetMs !== null,
  );

  const sesRegion = text(env, 'SES_REGION');
  const slackChannel = text(env, 'SLACK_CHANNEL');
  if (slackChannel !== undefined && !/^(#[a-z0-9._-]{1,80}|[CG][A-Z0-9]{2,})$/.test(slackChannel)) {
    throw new SettingsError(`SLACK_CHANNEL: expected a channel ID (C0123ABCD) or #name, got "${slackChannel}"`);
  }
  return {
    stage,
    ops,
    alarmAccountIds: accountIds(env, 'ALARM_ACCOUNT_IDS'),
    alarmConcurrency: concurrency(env, 'ALARM_RESERVED_CONCURRENCY', stage),
    timeouts,
    emailFrom: emailFrom ?? '',
    emailTo,
    stakeholderEmails: emailList(env, 'STAKEHOLDER_EMAILS'),
    slackChannel: slackChannel ?? null,
    logLevel: level as Settings['logLevel'],
    digestTime: parseDigestTime('DIGEST_TIME', text(env, 'DIGEST_TIME') ?? '08:00'),
    digestTimezone: timezone('DIGEST_TIMEZONE', text(env, 'DIGEST_TIMEZONE') ?? 'UTC'),
    exampleAlarms,
    sesRegion: sesRegion === undefined ? null : awsRegion('SES_REGION', sesRegion),
    tuning: {
      pagerdutyEventsUrl: httpsUrl(env, 'PAGERDUTY_EVENTS_URL'),
      deliveryBudgetMs,
      deliveryLeaseMs,
      dashboardPollMs: millis(env, 'DASHBOARD_POLL_MS', 1000),
    },
  };
}
