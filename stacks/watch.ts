import { HEARTBEAT_METRIC, POWERTOOLS_SERVICE_NAME, STARTUP_ERROR_METRIC, metricsNamespaceFor, type Settings } from './settings';

/** A dead-letter queue and what it holds, for the alarm descriptions. */
export interface WatchedQueue {
  queue: aws.sqs.Queue;
  /** Name suffix of its alarms (`alarm-dlq` → `alert-router-<stage>-alarm-dlq-not-empty`). */
  suffix: string;
  holds: string;
}

export interface WatchDeps {
  settings: Settings;
  /** Every router function, by component name: each gets an Errors and a Throttles alarm. */
  functions: Record<string, sst.aws.Function>;
  /** Functions with an on-failure destination: each gets a DestinationDeliveryFailures alarm. */
  withDestination: string[];
  deadLetterQueues: WatchedQueue[];
}

/** A message that sat this long in a dead-letter queue has been forgotten: remind. */
const DLQ_AGE_ALARM_S = 6 * 3600;

/**
 * The watcher that does not depend on what it watches: an ops topic that no router function subscribes to,
 * delivered straight to email (OPS_EMAIL) and optionally HTTPS (OPS_HTTPS_URL), carrying an alarm on every
 * function's Errors and Throttles, each dead-letter queue's depth and age, the async destinations' delivery
 * failures, start-up configuration errors, and a heartbeat of the escalation sweep that fires when the sweep
 * stops reporting (missing data is breaching: a dead man's switch).
 *
 * Every alarm name starts with `<app>-<stage>-`, so a stage never takes over another's (or a user's) alarms.
 */
export function watch({ settings, functions, withDestination, deadLetterQueues }: WatchDeps) {
  const prefix = `${$app.name}-${$app.stage}`;
  const topic = new sst.aws.SnsTopic('OpsAlerts', { transform: { topic: { name: `${prefix}-ops` } } });

  const subscriptions = [
    ...settings.ops.emails.map((endpoint, i) => new aws.sns.TopicSubscription(`OpsEmail${i + 1}`, { topic: topic.arn, protocol: 'email', endpoint })),
    ...(settings.ops.httpsUrl
      ? [new aws.sns.TopicSubscription('OpsHttps', { topic: topic.arn, protocol: 'https', endpoint: settings.ops.httpsUrl, endpointAutoConfirms: true })]
      : []),
  ];

  const alarms: aws.cloudwatch.MetricAlarm[] = [];
  const alarm = (component: string, suffix: string, args: Omit<aws.cloudwatch.MetricAlarmArgs, 'name' | 'alarmActions' | 'okActions'>) => {
    const a = new aws.cloudwatch.MetricAlarm(component, { name: `${prefix}-${suffix}`, ...args, alarmActions: [topic.arn], okActions: [topic.arn] });
    alarms.push(a);
    return a;
  };
  // Any occurrence in a minute; no datapoint means nothing happened.
  const anyInAMinute = {
    statistic: 'Sum',
    period: 60,
    evaluationPeriods: 1,
    threshold: 0,
    comparisonOperator: 'GreaterThanThreshold',
    treatMissingData: 'notBreaching',
  } as const;

  for (const [component, fn] of Object.entries(functions)) {
    const dimensions = { FunctionName: fn.name };
    alarm(`${component}Errors`, `${component}-errors`, {
      alarmDescription: `${component} failed an invocation (a channel kept failing, a bug, or a bad configuration); see its log group.`,
      namespace: 'AWS/Lambda',
      metricName: 'Errors',
      dimensions,
      ...anyInAMinute,
    });
    alarm(`${component}Throttles`, `${component}-throttles`, {
      alarmDescription: `${component} was throttled (reserved or account concurrency reached); throttled alarm events wait, then go to the dead-letter queue.`,
      namespace: 'AWS/Lambda',
      metricName: 'Throttles',
      dimensions,
      ...anyInAMinute,
    });
  }
  for (const component of withDestination) {
    alarm(`${component}DestinationFailures`, `${component}-destination-failures`, {
      alarmDescription: `${component} could not hand a failed event to its dead-letter queue: that event is lost unless found in the function's logs.`,
      namespace: 'AWS/Lambda',
      metricName: 'DestinationDeliveryFailures',
      dimensions: { FunctionName: functions[component].name },
      ...anyInAMinute,
    });
  }

  for (const { queue, suffix, holds } of deadLetterQueues) {
    const component = suffix.replace(/(^|-)([a-z])/g, (_m, _d, c: string) => c.toUpperCase());
    alarm(`${component}NotEmpty`, `${suffix}-not-empty`, {
      alarmDescription: `The dead-letter queue ${suffix} holds ${holds} that failed after retries; each message carries the error and the event (see the deploy guide to replay).`,
      namespace: 'AWS/SQS',
      metricName: 'ApproximateNumberOfMessagesVisible',
      dimensions: { QueueName: queue.name },
      statistic: 'Maximum',
      period: 60,
      evaluationPeriods: 1,
      threshold: 0,
      comparisonOperator: 'GreaterThanThreshold',
      // SQS stops reporting an empty, idle queue.
      treatMissingData: 'notBreaching',
    });
    alarm(`${component}Old`, `${suffix}-old`, {
      alarmDescription: `A message has waited over ${DLQ_AGE_ALARM_S / 3600} h in ${suffix}; it is deleted after 14 days.`,
      namespace: 'AWS/SQS',
      metricName: 'ApproximateAgeOfOldestMessage',
      dimensions: { QueueName: queue.name },
      statistic: 'Maximum',
      period: 300,
      evaluationPeriods: 1,
      threshold: DLQ_AGE_ALARM_S,
      comparisonOperator: 'GreaterThanThreshold',
      treatMissingData: 'notBreaching',
    });
  }

  const ownMetric = { namespace: metricsNamespaceFor(settings.stage), dimensions: { service: POWERTOOLS_SERVICE_NAME } };
  const heartbeat = alarm('EscalationHeartbeat', 'escalation-heartbeat', {
    alarmDescription:
      'No escalation sweep finished in the last 5 minutes (it runs every minute): unacknowledged incidents are not escalating. ' +
      'Also fires once right after the first deploy, until the first sweep reports.',
    ...ownMetric,
    metricName: HEARTBEAT_METRIC,
    statistic: 'Sum',
    period: 300,
    evaluationPeriods: 1,
    threshold: 1,
    comparisonOperator: 'LessThanThreshold',
    // No datapoint is exactly what a dead sweep looks like.
    treatMissingData: 'breaching',
  });
  alarm('StartupErrors', 'startup-errors', {
    alarmDescription: `A function could not read its configuration at start (an invalid secret or setting); its log says which ("startup error"). Fix it, deploy, then replay the dead-letter queue.`,
    ...ownMetric,
    metricName: STARTUP_ERROR_METRIC,
    ...anyInAMinute,
  });

  return { topic, subscriptions, alarms, heartbeat };
}
