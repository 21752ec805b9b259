import { routerFunction, type FunctionDeps } from './functions';
import { SEVERITY_TOPICS, type TopicKey } from './settings';

export type Topics = Record<TopicKey, sst.aws.SnsTopic>;

/** 14 days, SQS's maximum: time to look at and replay a failed alarm. */
const DLQ_RETENTION_SECONDS = 14 * 24 * 60 * 60;

/**
 * The four severity topics (critical, high, medium, low), each subscribed by the one alarm function.
 * A CloudWatch alarm points its actions at the topic of its severity; the topic name carries the word
 * the classifier matches (`alert-router-<stage>-critical`), so the name is fixed rather than generated.
 *
 * An alarm the function fails on after Lambda's two async retries goes to an SQS dead-letter queue
 * (on-failure destination, with the error and the original SNS event); the queue has its own CloudWatch
 * alarm that publishes to the critical topic.
 */
export function alarms(deps: FunctionDeps) {
  const topics = Object.fromEntries(
    SEVERITY_TOPICS.map((t) => [
      t.key,
      new sst.aws.SnsTopic(t.component, {
        transform: { topic: { name: `${$app.name}-${$app.stage}-${t.key}` } },
      }),
    ]),
  ) as Topics;

  const dlq = new aws.sqs.Queue('AlarmDeadLetters', {
    name: `${$app.name}-${$app.stage}-alarm-dlq`,
    messageRetentionSeconds: DLQ_RETENTION_SECONDS,
    sqsManagedSseEnabled: true,
  });

  const alarmFunction = routerFunction('AlarmHandler', 'alarm', deps, {
    description: 'CloudWatch alarm (via SNS) -> classify -> record -> notify',
    timeout: '30 seconds',
    memory: '512 MB',
    retries: 2,
    permissions: [{ actions: ['sqs:SendMessage'], resources: [dlq.arn] }],
    transform: {
      eventInvokeConfig: { destinationConfig: { onFailure: { destination: dlq.arn } } },
    },
  });

  for (const t of SEVERITY_TOPICS) {
    topics[t.key].subscribe(`${t.component}Router`, alarmFunction.arn);
  }

  const dlqAlarm = new aws.cloudwatch.MetricAlarm('AlarmDeadLettersNotEmpty', {
    name: `${$app.name}-${$app.stage}-alarm-dlq-not-empty`,
    alarmDescription:
      'severity: P0. The alert router failed to process at least one CloudWatch alarm notification after retries; ' +
      'inspect the messages in the dead-letter queue (they carry the error and the original SNS event).',
    namespace: 'AWS/SQS',
    metricName: 'ApproximateNumberOfMessagesVisible',
    dimensions: { QueueName: dlq.name },
    statistic: 'Maximum',
    period: 60,
    evaluationPeriods: 1,
    threshold: 0,
    comparisonOperator: 'GreaterThanThreshold',
    treatMissingData: 'notBreaching',
    alarmActions: [topics.critical.arn],
    okActions: [topics.critical.arn],
  });

  return { topics, alarmFunction, dlq, dlqAlarm };
}
