import { routerFunction, type FunctionDeps } from './functions';
import { ALARM_MAX_EVENT_AGE_S, SEVERITY_TOPICS, type TopicKey } from './settings';

export type Topics = Record<TopicKey, sst.aws.SnsTopic>;

/** 14 days, SQS's maximum: time to look at and replay a failed event. */
const DLQ_RETENTION_SECONDS = 14 * 24 * 60 * 60;

/** An SQS queue for the events a function failed on after its retries (on-failure destination: error + event). */
export function deadLetterQueue(component: string, suffix: string): aws.sqs.Queue {
  return new aws.sqs.Queue(component, {
    name: `${$app.name}-${$app.stage}-${suffix}`,
    messageRetentionSeconds: DLQ_RETENTION_SECONDS,
    sqsManagedSseEnabled: true,
  });
}

/**
 * Who may publish to a severity topic. A topic policy replaces SNS's default one, so the first statement is
 * that default (the owning account); then AWS Budgets of this account, and the CloudWatch alarms of the
 * accounts listed in ALARM_ACCOUNT_IDS (an alarm publishes as its account, through the CloudWatch service).
 */
export function severityTopicPolicy(topicArn: $util.Input<string>, accountId: $util.Input<string>, alarmAccountIds: string[]) {
  const statements: Record<string, unknown>[] = [
    {
      Sid: 'OwnerAccount',
      Effect: 'Allow',
      Principal: { AWS: '*' },
      Action: [
        'SNS:Publish',
        'SNS:Subscribe',
        'SNS:Receive',
        'SNS:GetTopicAttributes',
        'SNS:SetTopicAttributes',
        'SNS:ListSubscriptionsByTopic',
        'SNS:AddPermission',
        'SNS:RemovePermission',
        'SNS:DeleteTopic',
      ],
      Resource: topicArn,
      Condition: { StringEquals: { 'AWS:SourceOwner': accountId } },
    },
    {
      Sid: 'AwsBudgets',
      Effect: 'Allow',
      Principal: { Service: 'budgets.amazonaws.com' },
      Action: 'SNS:Publish',
      Resource: topicArn,
      Condition: { StringEquals: { 'aws:SourceAccount': accountId }, ArnLike: { 'aws:SourceArn': $interpolate`arn:aws:budgets::${accountId}:*` } },
    },
  ];
  if (alarmAccountIds.length > 0) {
    statements.push(
      {
        Sid: 'CloudWatchAlarmsOfListedAccounts',
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: 'SNS:Publish',
        Resource: topicArn,
        Condition: { StringEquals: { 'aws:SourceAccount': alarmAccountIds } },
      },
      {
        Sid: 'ListedAccounts',
        Effect: 'Allow',
        Principal: { AWS: alarmAccountIds.map((id) => `arn:aws:iam::${id}:root`) },
        Action: 'SNS:Publish',
        Resource: topicArn,
      },
    );
  }
  return { Version: '2012-10-17', Statement: statements };
}

/**
 * The four severity topics (critical, high, medium, low), each subscribed by the one alarm function.
 * A CloudWatch alarm points its actions at the topic of its severity; the topic name carries the word
 * the classifier matches (`alert-router-<stage>-critical`), so the name is fixed rather than generated.
 *
 * An alarm the function fails on after Lambda's two async retries, or that waited longer than
 * ALARM_MAX_EVENT_AGE_S (throttled), goes to an SQS dead-letter queue with the error and the original SNS
 * event. The queue is watched from the ops topic (stacks/watch.ts), never through the router itself.
 */
export function alarms(deps: FunctionDeps) {
  const { settings } = deps;
  const accountId = aws.getCallerIdentityOutput({}).accountId;
  const topics = Object.fromEntries(
    SEVERITY_TOPICS.map((t) => {
      const topic = new sst.aws.SnsTopic(t.component, {
        transform: { topic: { name: `${$app.name}-${$app.stage}-${t.key}` } },
      });
      new aws.sns.TopicPolicy(`${t.component}Policy`, {
        arn: topic.arn,
        policy: $jsonStringify(severityTopicPolicy(topic.arn, accountId, settings.alarmAccountIds)),
      });
      return [t.key, topic];
    }),
  ) as Topics;

  const dlq = deadLetterQueue('AlarmDeadLetters', 'alarm-dlq');

  const alarmFunction = routerFunction('AlarmHandler', 'alarm', deps, {
    description: 'CloudWatch alarm (via SNS) -> classify -> record -> notify',
    memory: '512 MB',
    retries: 2,
    // Reserved: an account-wide throttle during the very incident cannot starve the router (and it caps it).
    ...(settings.alarmConcurrency === null ? {} : { concurrency: { reserved: settings.alarmConcurrency } }),
    permissions: [{ actions: ['sqs:SendMessage'], resources: [dlq.arn] }],
    transform: {
      eventInvokeConfig: {
        maximumEventAgeInSeconds: ALARM_MAX_EVENT_AGE_S,
        destinationConfig: { onFailure: { destination: dlq.arn } },
      },
    },
  });

  for (const t of SEVERITY_TOPICS) {
    topics[t.key].subscribe(`${t.component}Router`, alarmFunction.arn);
  }

  return { topics, alarmFunction, dlq };
}
