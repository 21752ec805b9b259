/**
 * Deploy-time settings: plain data, no SST globals, so unit tests import this file directly.
 *
 * Non-secret settings come from the environment of `sst deploy` (SST also loads `.env` and
 * `.env.<stage>` from the project root). The names are the ones the functions and the local runner
 * read, so one `.env` serves `npm start` and `sst deploy` alike. Secrets never come from here: they
 * are `sst.Secret`s (stacks/secrets.ts).
 */

/** The Lambda runtime of every function. */
export const RUNTIME = 'nodejs22.x' as const;

/** Service name and metrics namespace for Lambda Powertools. */
export const POWERTOOLS_SERVICE_NAME = 'alert-router';
export const METRICS_NAMESPACE = 'AlertRouter';

/** Handlers (`file.export`, relative to sst.config.ts). */
export const HANDLERS = {
  alarm: 'functions/alarm.handler',
  slack: 'functions/slack.handler',
  dashboard: 'functions/dashboard.handler',
  escalate: 'functions/escalate.handler',
  digest: 'functions/digest.handler',
} as const;

export type FunctionKey = keyof typeof HANDLERS;

/** Names of the `sst.Secret`s (also the suffix of `SST_RESOURCE_<Name>` that the code reads). */
export const SECRET_NAMES = ['PagerDutyRoutingKey', 'SlackWebhookUrl', 'SlackSigningSecret', 'SmtpUrl', 'DashboardToken'] as const;
export type SecretName = (typeof SECRET_NAMES)[number];

/** Least privilege: each function is linked to the table and to these secrets only. */
export const FUNCTION_SECRETS: Record<FunctionKey, readonly SecretName[]> = {
  alarm: ['PagerDutyRoutingKey', 'SlackWebhookUrl', 'SmtpUrl'],
  slack: ['SlackSigningSecret', 'PagerDutyRoutingKey', 'SlackWebhookUrl', 'SmtpUrl'],
  dashboard: ['DashboardToken', 'PagerDutyRoutingKey', 'SlackWebhookUrl', 'SmtpUrl'],
  escalate: ['PagerDutyRoutingKey', 'SlackWebhookUrl', 'SmtpUrl'],
  digest: ['SlackWebhookUrl', 'SmtpUrl'],
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

export interface Settings {
  stage: string;
  emailFrom: string;
  emailTo: string[];
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
  if (!Number.isInteger(n) || n < min) throw new SettingsError(`${key}: expected an integer number of milliseconds${min > 1 ? ` of at least ${min}` : ''}, got "${env[key]}"`);
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

export function readSettings(stage: string, env: Env = process.env): Settings {
  // Topic names are `alert-router-<stage>-<severity>` and the classifier matches their words.
  const clash = stage
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .find((w) => SEVERITY_TOPICS.some((t) => t.key === w));
  if (clash) throw new SettingsError(`stage "${stage}": contains the severity word "${clash}", which would be read from every topic name; pick another stage name`);

  const emailTo = (text(env, 'EMAIL_TO') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((a) => email('EMAIL_TO', a));
  const emailFrom = text(env, 'EMAIL_FROM');
  if (emailFrom) email('EMAIL_FROM', emailFrom.replace(/^.*<([^>]+)>\s*$/, '$1'));

  const level = (text(env, 'LOG_LEVEL') ?? (stage === 'production' ? 'INFO' : 'DEBUG')).toUpperCase();
  if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new SettingsError(`LOG_LEVEL: expected one of ${LOG_LEVELS.join(', ')}, got "${env.LOG_LEVEL}"`);

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

  const sesRegion = text(env, 'SES_REGION');
  return {
    stage,
    emailFrom: emailFrom ?? '',
    emailTo,
    logLevel: level as Settings['logLevel'],
    digestTime: parseDigestTime('DIGEST_TIME', text(env, 'DIGEST_TIME') ?? '08:00'),
    digestTimezone: timezone('DIGEST_TIMEZONE', text(env, 'DIGEST_TIMEZONE') ?? 'UTC'),
    exampleAlarms,
    sesRegion: sesRegion === undefined ? null : awsRegion('SES_REGION', sesRegion),
    tuning: {
      pagerdutyEventsUrl: httpsUrl(env, 'PAGERDUTY_EVENTS_URL'),
      deliveryBudgetMs: millis(env, 'DELIVERY_BUDGET_MS'),
      deliveryLeaseMs: millis(env, 'DELIVERY_LEASE_MS'),
      dashboardPollMs: millis(env, 'DASHBOARD_POLL_MS', 1000),
    },
  };
}
