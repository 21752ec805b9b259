import type { Incident, NoticeEvent } from './incident';
import type { Policy } from './policy';
import type { SendChannel } from './types';

/** Everything a channel needs to tell people about one incident event. */
export interface Notice {
  event: NoticeEvent;
  incident: Incident;
  policy: Policy;
  links: NoticeLinks;
  /** Escalation: the tier being notified (onCall, teamLead, cto...). */
  tier?: string;
  /** Ack/resolve: who did it. */
  actor?: string;
  note?: string;
}

export interface NoticeLinks {
  /** CloudWatch console page of the alarm (null when the alarm has no region/ARN), or the webhook source's own page. */
  console: string | null;
  /** What `console` is, for its link text (`CloudWatch alarm`, `Sentry`...); absent means a CloudWatch alarm. */
  consoleLabel?: string;
  /** Runbook section for the incident type. */
  runbook: string | null;
  /** The incident on the dashboard, when the dashboard has a public URL. */
  dashboard: string | null;
}

export interface SendResult {
  /** Reference the channel gave back (PagerDuty dedup_key, SMTP message id...). */
  ref?: string;
}

/**
 * One channel. `send` resolves when the channel accepted the notice and throws DeliveryError otherwise
 * (`retryable` per the shared rule: 5xx, 429 and timeouts are; other 4xx are not). It must honour `signal`.
 */
export interface Notifier {
  readonly channel: SendChannel;
  /** Later notices of an incident go in its first message's thread, which is updated in place (Slack's Web API). */
  readonly threads?: boolean;
  send(notice: Notice, signal: AbortSignal): Promise<SendResult>;
}
