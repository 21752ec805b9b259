import { channelsFor, classify, type Classification } from './classify';
import type { Policy } from './policy';
import type { Channel, Notification } from './types';

/** The routing decision, exactly the `route` CLI's output contract (docs/contracts.md). */
export interface RouteLine {
  kind: Notification['kind'];
  alarmName: string;
  state: Notification['state'];
  previousState: Notification['previousState'];
  severity: Classification['severity'];
  channels: Channel[];
  incidentKey: string;
  account: string | null;
  region: string | null;
  namespace: string | null;
  metric: string | null;
  dimensions: Record<string, string>;
  reason: string | null;
}

export interface Routed {
  notification: Notification;
  classification: Classification;
  channels: Channel[];
}

/** Classifies and picks channels; no side effects. */
export function route(n: Notification, policy: Policy): Routed {
  const classification = classify(n, policy);
  return { notification: n, classification, channels: channelsFor(classification.severity, policy) };
}

export function routeLine(r: Routed): RouteLine {
  const n = r.notification;
  return {
    kind: n.kind,
    alarmName: n.alarmName,
    state: n.state,
    previousState: n.previousState,
    severity: r.classification.severity,
    channels: r.channels,
    incidentKey: n.incidentKey,
    account: n.account,
    region: n.region,
    namespace: n.namespace,
    metric: n.metric,
    dimensions: n.dimensions,
    reason: n.reason,
  };
}
