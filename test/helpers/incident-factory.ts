/** Fixture incidents and notices for renderer and notifier tests. */
import { defaultPolicy, noticeLinks, type AlarmSnapshot, type Incident, type Notice, type Policy } from '@alert-router/core';

export const ALARM_ARN = 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:HighErrorRate';

export function makeAlarm(overrides: Partial<AlarmSnapshot> = {}): AlarmSnapshot {
  return {
    kind: 'alarm',
    alarmKind: 'metric',
    description: 'ALB 5XX errors above 10 per 5 minutes',
    state: 'ALARM',
    previousState: 'OK',
    rawState: null,
    reason: 'Threshold Crossed: 2 datapoints [42.0 (15/01/24 10:00:00), 37.0 (15/01/24 09:55:00)] were greater than the threshold (10.0).',
    changedAt: '2024-01-15T10:05:00.000Z',
    account: '123456789012',
    region: 'eu-west-1',
    regionName: 'EU (Ireland)',
    alarmArn: ALARM_ARN,
    namespace: 'AWS/ApplicationELB',
    metric: 'HTTPCode_Target_5XX_Count',
    dimensions: { LoadBalancer: 'app/qenergyz-production-alb/50dc6c495c0c9188' },
    threshold: 10,
    comparison: 'GreaterThanThreshold',
    evaluationPeriods: 2,
    period: 300,
    statistic: 'Sum',
    expression: null,
    alarmRule: null,
    triggeringChildren: [],
    topicArn: 'arn:aws:sns:eu-west-1:123456789012:CriticalAlertsTopic',
    text: null,
    ...overrides,
  };
}

export function makeIncident(overrides: Partial<Omit<Incident, 'alarm'>> & { alarm?: Partial<AlarmSnapshot> } = {}): Incident {
  const { alarm, ...rest } = overrides;
  const base: Incident = {
    id: 'INC-7F3A9K2M',
    incidentKey: ALARM_ARN,
    alarmName: 'HighErrorRate',
    severity: 'P0',
    classifiedBy: 'topic',
    status: 'open',
    openedAt: '2024-01-15T10:05:03.000Z',
    acknowledgedAt: null,
    acknowledgedBy: null,
    resolvedAt: null,
    resolvedBy: null,
    channels: ['pagerduty', 'slack', 'dashboard'],
    runbook: 'high-error-rate',
    alarm: makeAlarm(alarm),
    deliveries: {},
    timeline: [{ at: '2024-01-15T10:05:03.000Z', type: 'opened', by: 'cloudwatch' }],
    escalation: null,
    silencedBy: null,
    flapping: false,
    duplicates: 0,
    updatedAt: '2024-01-15T10:05:03.000Z',
  };
  return { ...base, ...rest };
}

export function makeNotice(
  overrides: Partial<Omit<Notice, 'incident'>> & { incident?: Incident } = {},
  options: { dashboardUrl?: string | null; policy?: Policy } = {},
): Notice {
  const policy = overrides.policy ?? options.policy ?? defaultPolicy();
  const incident = overrides.incident ?? makeIncident();
  const dashboardUrl = options.dashboardUrl === undefined ? 'https://alerts.example.com' : options.dashboardUrl;
  return {
    event: 'trigger',
    policy,
    links: noticeLinks(incident, policy, { dashboardUrl }),
    ...overrides,
    incident,
  };
}

/** A resolved copy of an incident (CloudWatch back to OK). */
export function resolved(incident: Incident, by = 'cloudwatch', at = '2024-01-15T10:19:03.000Z'): Incident {
  return {
    ...incident,
    status: 'resolved',
    resolvedAt: at,
    resolvedBy: by,
    updatedAt: at,
    alarm: {
      ...incident.alarm,
      state: 'OK',
      previousState: 'ALARM',
      reason: 'Threshold Crossed: 1 datapoint [2.0] was not greater than the threshold (10.0).',
    },
  };
}

/** An acknowledged copy. */
export function acknowledged(incident: Incident, by = 'slack:U024BE7LH (alice)', at = '2024-01-15T10:08:03.000Z'): Incident {
  return { ...incident, status: 'acknowledged', acknowledgedAt: at, acknowledgedBy: by, updatedAt: at };
}
