/**
 * The channel registry's pure half: every channel's name and what the domain needs to know about it, with no I/O.
 * Policy validation, routing order and the texts people read come from here; the notifier that sends on a channel
 * is its adapter entry in packages/aws/src/notifiers/registry.ts (typed against this table, so a channel added
 * here without a notifier does not compile).
 */
export interface ChannelFacts {
  /** How people read its name (`PagerDuty did not confirm in time`). */
  label: string;
  /** It sends something outside the store (the dashboard is the store itself, so it sends nothing). */
  sends: boolean;
  /** It wakes someone up (a page), rather than posting where people look. */
  pages: boolean;
}

/** In the order the route contract lists channels. */
export const CHANNEL_REGISTRY = {
  pagerduty: { label: 'PagerDuty', sends: true, pages: true },
  slack: { label: 'Slack', sends: true, pages: false },
  email: { label: 'email', sends: true, pages: false },
  dashboard: { label: 'dashboard', sends: false, pages: false },
} as const satisfies Record<string, ChannelFacts>;

type Registry = typeof CHANNEL_REGISTRY;
export type Channel = keyof Registry;
/** Channels that send something outside the store. */
export type SendChannel = { [C in Channel]: Registry[C]['sends'] extends true ? C : never }[Channel];

/** Channel names in the order the route contract lists them. */
export const CHANNELS = Object.keys(CHANNEL_REGISTRY) as [Channel, ...Channel[]];
export const SEND_CHANNELS = CHANNELS.filter((c): c is SendChannel => CHANNEL_REGISTRY[c].sends) as [SendChannel, ...SendChannel[]];

export function isSendChannel(c: string): c is SendChannel {
  return Object.hasOwn(CHANNEL_REGISTRY, c) && CHANNEL_REGISTRY[c as Channel].sends;
}

/** A channel's name for people; an unknown name (an old record) as it is. */
export function channelLabel(c: string): string {
  return Object.hasOwn(CHANNEL_REGISTRY, c) ? CHANNEL_REGISTRY[c as Channel].label : c;
}
