import { ConfigError } from '@alert-router/core/errors';
import { Resource } from 'sst/resource';

/** Runtime configuration, read once per cold start from the environment (SST links or plain variables). */
export interface RouterConfig {
  tableName: string;
  region: string;
  /** Local mode: the in-process DynamoDB (dynalite) endpoint. */
  dynamoEndpoint: string | null;
  policyFile: string | null;
  slackWebhookUrl: string | null;
  slackSigningSecret: string | null;
  pagerdutyRoutingKey: string | null;
  pagerdutyEventsUrl: string | null;
  smtpUrl: string | null;
  emailFrom: string | null;
  emailTo: string[];
  /** Send email through Amazon SES (nodemailer's SES transport) in this region when no SMTP URL is set. */
  sesRegion: string | null;
  dashboardToken: string | null;
  dashboardUrl: string | null;
  /** Time one channel may take for one notice, retries included. */
  deliveryBudgetMs: number;
  /** How long a pending delivery belongs to its sender before a retry may take it over. */
  leaseMs: number;
  /** True when running inside AWS Lambda (metrics as EMF, JSON logs). */
  inLambda: boolean;
}

type Env = Record<string, string | undefined>;

function usable(value: unknown): string | null {
  return typeof value === 'string' && value.trim() && value.trim() !== 'unset' ? value.trim() : null;
}

/** SST's linked resources (the encrypted resource file in a deployed function); null when not linked. */
function linkedValue(sstName: string): unknown {
  try {
    return (Resource as unknown as Record<string, { value?: unknown } | undefined>)[sstName]?.value;
  } catch {
    return undefined; // not running under SST: Resource throws for names it does not know
  }
}

/**
 * A secret: a plain environment variable (local mode, tests), or the value SST linked to the function
 * (`sst.Secret`, read through `Resource`; `sst dev`/`sst shell` expose it as `SST_RESOURCE_<Name>` too).
 * The value "unset" turns a channel off.
 */
function secret(env: Env, sstName: string, plain: string): string | null {
  if (env[plain] !== undefined && env[plain] !== '') return usable(env[plain]);
  const linked = env[`SST_RESOURCE_${sstName}`];
  if (linked) {
    try {
      return usable((JSON.parse(linked) as { value?: unknown }).value);
    } catch {
      throw new ConfigError(`SST_RESOURCE_${sstName}: not the JSON SST links write`);
    }
  }
  return env === process.env ? usable(linkedValue(sstName)) : null;
}

function positiveInt(env: Env, key: string, fallback: number): number {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new ConfigError(`${key}: expected a positive integer (milliseconds), got "${raw}"`);
  return n;
}

function url(env: Env, key: string, value: string | null): string | null {
  if (!value) return null;
  try {
    new URL(value);
    return value;
  } catch {
    throw new ConfigError(`${key}: not a URL`);
  }
}

export function readConfig(env: Env = process.env): RouterConfig {
  const tableName = env.ROUTER_TABLE?.trim();
  if (!tableName) throw new ConfigError('ROUTER_TABLE: required (the DynamoDB table name)');
  return {
    tableName,
    region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
    dynamoEndpoint: env.DYNAMODB_ENDPOINT?.trim() || null,
    policyFile: env.ROUTER_POLICY_FILE?.trim() || null,
    slackWebhookUrl: url(env, 'SLACK_WEBHOOK_URL', secret(env, 'SlackWebhookUrl', 'SLACK_WEBHOOK_URL')),
    slackSigningSecret: secret(env, 'SlackSigningSecret', 'SLACK_SIGNING_SECRET'),
    pagerdutyRoutingKey: secret(env, 'PagerDutyRoutingKey', 'PAGERDUTY_ROUTING_KEY'),
    pagerdutyEventsUrl: url(env, 'PAGERDUTY_EVENTS_URL', env.PAGERDUTY_EVENTS_URL?.trim() || null),
    smtpUrl: url(env, 'SMTP_URL', secret(env, 'SmtpUrl', 'SMTP_URL')),
    emailFrom: env.EMAIL_FROM?.trim() || null,
    emailTo: (env.EMAIL_TO ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    sesRegion: env.SES_REGION?.trim() || null,
    dashboardToken: secret(env, 'DashboardToken', 'DASHBOARD_TOKEN'),
    dashboardUrl: env.DASHBOARD_URL?.trim().replace(/\/+$/, '') || null,
    deliveryBudgetMs: positiveInt(env, 'DELIVERY_BUDGET_MS', 8000),
    leaseMs: positiveInt(env, 'DELIVERY_LEASE_MS', 45_000),
    inLambda: Boolean(env.AWS_LAMBDA_FUNCTION_NAME),
  };
}

/** Which channels really go out (the rest land in the local outbox). Never includes secret values. */
export function liveChannels(c: RouterConfig): Record<'pagerduty' | 'slack' | 'email', boolean> {
  return {
    pagerduty: Boolean(c.pagerdutyRoutingKey),
    slack: Boolean(c.slackWebhookUrl),
    email: Boolean((c.smtpUrl || c.sesRegion) && c.emailFrom && c.emailTo.length > 0),
  };
}

/** Every configured secret value, for log redaction and for the test that greps logs. */
export function secretValues(c: RouterConfig): string[] {
  return [c.slackWebhookUrl, c.slackSigningSecret, c.pagerdutyRoutingKey, c.smtpUrl, c.dashboardToken].filter((v): v is string => Boolean(v));
}

/**
 * Removes every configured secret (and the secret parts of secret URLs: a webhook's path, an SMTP password)
 * from a text that came back from a peer, before it is logged or stored.
 */
export function secretRedactor(c: RouterConfig): (text: string) => string {
  const parts = new Set<string>();
  for (const v of secretValues(c)) {
    parts.add(v);
    try {
      const u = new URL(v);
      if (u.password) parts.add(decodeURIComponent(u.password));
      if (u.pathname.length > 8) parts.add(u.pathname);
    } catch {
      /* not a URL */
    }
  }
  const needles = [...parts].filter((p) => p.length >= 6).flatMap((p) => [p, encodeURIComponent(p)]);
  if (needles.length === 0) return (t) => t;
  return (text) => needles.reduce((t, n) => t.split(n).join('[redacted]'), text);
}
