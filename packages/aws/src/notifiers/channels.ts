import type { Notifier } from '@alert-router/core/notifier';
import type { SendChannel } from '@alert-router/core/channels';
import { OutboxNotifier, defaultOutbox, type OutboxBuffer, type OutboxEntry } from './outbox';
import { NOTIFIER_REGISTRY, type NotifiersConfig } from './registry';

export type { NotifiersConfig } from './registry';

export interface CreateNotifiersOptions {
  /** Where unconfigured channels record (default: the process-wide outbox). */
  outbox?: OutboxBuffer<OutboxEntry>;
  print?: (line: string) => void;
}

/**
 * Every registered channel's notifier: real when configured, else an outbox that records and prints what it would
 * send. Nothing is connected or loaded here: HTTP pools open on the first request, nodemailer and SES load on the
 * first email.
 */
export function createNotifiers(config: NotifiersConfig, options: CreateNotifiersOptions = {}): Record<SendChannel, Notifier> {
  const outbox = (channel: SendChannel) => new OutboxNotifier({ channel, buffer: options.outbox ?? defaultOutbox, print: options.print });
  return Object.fromEntries(NOTIFIER_REGISTRY.map((ch) => [ch.name, ch.create(config) ?? outbox(ch.name)])) as Record<SendChannel, Notifier>;
}
