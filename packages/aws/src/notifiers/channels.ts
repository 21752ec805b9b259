import type { Notifier } from '@alert-router/core/notifier';
import type { SendChannel } from '@alert-router/core/types';
import { EmailNotifier } from './email';
import { OutboxNotifier, defaultOutbox, type OutboxBuffer, type OutboxEntry } from './outbox';
import { PagerDutyNotifier } from './pagerduty';
import { SlackNotifier } from './slack';

/** Channel configuration (read from the environment by the caller, not here). */
export interface NotifiersConfig {
  slackWebhookUrl?: string;
  pagerdutyRoutingKey?: string;
  pagerdutyEventsUrl?: string;
  smtpUrl?: string;
  emailFrom?: string;
  emailTo?: string[];
  /** Send email through the Amazon SES API in this region when no smtpUrl is set. */
  sesRegion?: string;
}

export interface CreateNotifiersOptions {
  /** Where unconfigured channels record (default: the process-wide outbox). */
  outbox?: OutboxBuffer<OutboxEntry>;
  print?: (line: string) => void;
}

/**
 * Each channel real when configured, else an outbox that records and prints what it would send. Nothing is
 * connected or loaded here: HTTP pools open on the first request, nodemailer and SES load on the first email.
 */
export function createNotifiers(config: NotifiersConfig, options: CreateNotifiersOptions = {}): Record<SendChannel, Notifier> {
  const outbox = (channel: SendChannel) => new OutboxNotifier({ channel, buffer: options.outbox ?? defaultOutbox, print: options.print });
  const emailTo = (config.emailTo ?? []).map((t) => t.trim()).filter(Boolean);
  const emailReady = !!config.emailFrom && emailTo.length > 0;
  let email: Notifier = outbox('email');
  if (emailReady && config.smtpUrl) {
    email = new EmailNotifier({ transport: config.smtpUrl, from: config.emailFrom!, to: emailTo });
  } else if (emailReady && config.sesRegion) {
    const region = config.sesRegion;
    email = new EmailNotifier({ transport: async () => (await import('./mailer')).createSesTransport({ region }), from: config.emailFrom!, to: emailTo });
  }
  return {
    pagerduty: config.pagerdutyRoutingKey
      ? new PagerDutyNotifier({ routingKey: config.pagerdutyRoutingKey, eventsUrl: config.pagerdutyEventsUrl })
      : outbox('pagerduty'),
    slack: config.slackWebhookUrl ? new SlackNotifier({ webhookUrl: config.slackWebhookUrl }) : outbox('slack'),
    email,
  };
}
