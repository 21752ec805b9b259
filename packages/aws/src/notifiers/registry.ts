/**
 * The channel registry's adapter half: for every channel that sends (packages/core/src/channels.ts), how its
 * notifier is made from the configuration, which configured values are its secrets, and the text limits it imposes.
 * The mapped type makes a channel named in core without an entry here a compile error, and nothing else in the
 * router lists channels: adding one (a Slack Web API notifier, Microsoft Teams) is an entry in each half.
 */
import { CHANNEL_REGISTRY, SEND_CHANNELS, type ChannelFacts, type SendChannel } from '@alert-router/core/channels';
import type { Notifier } from '@alert-router/core/notifier';
import { EMAIL_BODY_MAX_BYTES, EMAIL_SUBJECT_MAX } from '@alert-router/core/render/email';
import { PAGERDUTY_LIMITS } from '@alert-router/core/render/pagerduty';
import { SLACK_LIMITS } from '@alert-router/core/render/slack';
import { EmailNotifier } from './email';
import { PagerDutyNotifier } from './pagerduty';
import { SlackNotifier } from './slack';
import { SlackWebApiNotifier } from './slack-web-api';

/** Channel configuration (read from the environment by the caller, not here); RouterConfig fits it as it is. */
export interface NotifiersConfig {
  slackWebhookUrl?: string | null;
  /** Slack Web API (chosen over the webhook when both the bot token and the channel are set). */
  slackBotToken?: string | null;
  slackChannel?: string | null;
  slackApiUrl?: string | null;
  pagerdutyRoutingKey?: string | null;
  pagerdutyEventsUrl?: string | null;
  smtpUrl?: string | null;
  emailFrom?: string | null;
  emailTo?: string[];
  /** Send email through the Amazon SES API in this region when no smtpUrl is set. */
  sesRegion?: string | null;
}

export interface ChannelAdapter {
  /** The channel's notifier when it is configured, else null (it then writes to the local outbox). Connects nowhere. */
  create(config: NotifiersConfig): Notifier | null;
  /** The configured values that are secrets, redacted from everything logged or stored. */
  secrets(config: NotifiersConfig): (string | null | undefined)[];
  /** What the channel accepts (its renderer cuts alarm text to fit). */
  limits: Readonly<Record<string, number>>;
}

export type RegisteredChannel = ChannelFacts & ChannelAdapter & { name: SendChannel };

/** The Web API with a bot token and a channel (threads, messages edited in place); else the incoming webhook. */
function slackNotifier(config: NotifiersConfig): Notifier | null {
  if (config.slackBotToken && config.slackChannel) {
    return new SlackWebApiNotifier({ token: config.slackBotToken, channel: config.slackChannel, apiUrl: config.slackApiUrl ?? undefined });
  }
  return config.slackWebhookUrl ? new SlackNotifier({ webhookUrl: config.slackWebhookUrl }) : null;
}

function emailNotifier(config: NotifiersConfig): Notifier | null {
  const to = (config.emailTo ?? []).map((t) => t.trim()).filter(Boolean);
  if (!config.emailFrom || to.length === 0) return null;
  if (config.smtpUrl) return new EmailNotifier({ transport: config.smtpUrl, from: config.emailFrom, to });
  const region = config.sesRegion;
  if (!region) return null;
  // nodemailer's SES transport (and the SES client) load on the first email.
  return new EmailNotifier({ transport: async () => (await import('./mailer')).createSesTransport({ region }), from: config.emailFrom, to });
}

const ADAPTERS: { [C in SendChannel]: ChannelAdapter } = {
  pagerduty: {
    create: (c) => (c.pagerdutyRoutingKey ? new PagerDutyNotifier({ routingKey: c.pagerdutyRoutingKey, eventsUrl: c.pagerdutyEventsUrl ?? undefined }) : null),
    secrets: (c) => [c.pagerdutyRoutingKey],
    limits: PAGERDUTY_LIMITS,
  },
  slack: {
    create: slackNotifier,
    secrets: (c) => [c.slackWebhookUrl, c.slackBotToken],
    limits: SLACK_LIMITS,
  },
  email: {
    create: emailNotifier,
    secrets: (c) => [c.smtpUrl],
    limits: { subject: EMAIL_SUBJECT_MAX, bodyBytes: EMAIL_BODY_MAX_BYTES },
  },
};

/** Every sending channel, in the route contract's order: its facts (core) and its adapter. */
export const NOTIFIER_REGISTRY: readonly RegisteredChannel[] = SEND_CHANNELS.map((name) => ({ name, ...CHANNEL_REGISTRY[name], ...ADAPTERS[name] }));

/** Which channels really go out (the rest land in the local outbox). Never includes secret values. */
export function configuredChannels(config: NotifiersConfig): Record<SendChannel, boolean> {
  return Object.fromEntries(NOTIFIER_REGISTRY.map((ch) => [ch.name, ch.create(config) !== null])) as Record<SendChannel, boolean>;
}

/** The secret values of every configured channel. */
export function channelSecrets(config: NotifiersConfig): string[] {
  return NOTIFIER_REGISTRY.flatMap((ch) => ch.secrets(config)).filter((v): v is string => Boolean(v));
}
