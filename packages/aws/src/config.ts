import type { SendChannel } from '@alert-router/core/channels';
import { readEnv } from './env';
import { channelSecrets, configuredChannels } from './notifiers/registry';

/** Runtime configuration, read once per cold start from the environment (SST links or plain variables). */
export interface RouterConfig {
  tableName: string;
  region: string;
  /** Local mode: the in-process DynamoDB (dynalite) endpoint. */
  dynamoEndpoint: string | null;
  policyFile: string | null;
  slackWebhookUrl: string | null;
  slackSigningSecret: string | null;
  /** Slack Web API: bot token and channel (both set: threads and in-place updates instead of the webhook). */
  slackBotToken: string | null;
  slackChannel: string | null;
  /** Slack Web API base URL (a loopback peer in tests; default https://slack.com/api/). */
  slackApiUrl: string | null;
  pagerdutyRoutingKey: string | null;
  pagerdutyEventsUrl: string | null;
  smtpUrl: string | null;
  emailFrom: string | null;
  emailTo: string[];
  /** STAKEHOLDER_EMAILS: who gets stakeholder updates of P0/P1 incidents by email (never paged). */
  stakeholderEmails: string[];
  /** Send email through Amazon SES (nodemailer's SES transport) in this region when no SMTP URL is set. */
  sesRegion: string | null;
  dashboardToken: string | null;
  dashboardUrl: string | null;
  /** How often an open dashboard page refreshes itself. */
  dashboardPollMs: number;
  /** Zone of the daily digest's hours (null: the policy's timezone). */
  digestTimeZone: string | null;
  /** Time one channel may take for one notice, retries included. */
  deliveryBudgetMs: number;
  /** How long a pending delivery belongs to its sender before a retry may take it over. */
  leaseMs: number;
  /** True when running inside AWS Lambda (metrics as EMF, JSON logs). */
  inLambda: boolean;
}

type Env = Record<string, string | undefined>;

/** The router's configuration from the environment (see env.ts for every variable and its schema). */
export function readConfig(env: Env = process.env): RouterConfig {
  const e = readEnv(env);
  return {
    tableName: e.ROUTER_TABLE,
    region: e.AWS_REGION ?? e.AWS_DEFAULT_REGION ?? 'us-east-1',
    dynamoEndpoint: e.DYNAMODB_ENDPOINT ?? null,
    policyFile: e.ROUTER_POLICY_FILE ?? null,
    slackWebhookUrl: e.SLACK_WEBHOOK_URL ?? null,
    slackSigningSecret: e.SLACK_SIGNING_SECRET ?? null,
    slackBotToken: e.SLACK_BOT_TOKEN ?? null,
    slackChannel: e.SLACK_CHANNEL ?? null,
    slackApiUrl: e.SLACK_API_URL ?? null,
    pagerdutyRoutingKey: e.PAGERDUTY_ROUTING_KEY ?? null,
    pagerdutyEventsUrl: e.PAGERDUTY_EVENTS_URL ?? null,
    smtpUrl: e.SMTP_URL ?? null,
    emailFrom: e.EMAIL_FROM ?? null,
    emailTo: e.EMAIL_TO,
    stakeholderEmails: e.STAKEHOLDER_EMAILS,
    sesRegion: e.SES_REGION ?? null,
    dashboardToken: e.DASHBOARD_TOKEN ?? null,
    dashboardUrl: e.DASHBOARD_URL ?? null,
    dashboardPollMs: e.DASHBOARD_POLL_MS,
    digestTimeZone: e.DIGEST_TIMEZONE ?? null,
    deliveryBudgetMs: e.DELIVERY_BUDGET_MS,
    leaseMs: e.DELIVERY_LEASE_MS,
    inLambda: Boolean(e.AWS_LAMBDA_FUNCTION_NAME),
  };
}

/** Which channels really go out (the rest land in the local outbox). Never includes secret values. */
export function liveChannels(c: RouterConfig): Record<SendChannel, boolean> {
  return configuredChannels(c);
}

/** Every configured secret value, for log redaction and for the test that greps logs. */
export function secretValues(c: RouterConfig): string[] {
  return [...channelSecrets(c), c.slackSigningSecret, c.dashboardToken].filter((v): v is string => Boolean(v));
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
