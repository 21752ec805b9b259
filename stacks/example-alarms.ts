import type { Topics } from './alarms';
import type { ExampleAlarmSettings } from './settings';

/**
 * The runbook's example CloudWatch alarms ("Alert Rules"), deployed only when EXAMPLE_ALARMS=true. Each one
 * sends ALARM and OK to the topic of its severity, and its description states the severity explicitly, so it
 * is classified the same even if pointed at another topic.
 *
 * Names are `<app>-<stage>-<runbook name>`, so they can never replace an existing alarm of the runbook's name
 * (the policy's rules match the runbook name at the end). Missing data counts as "not breaching" for every one,
 * so each returns to OK, and says so, when its metric goes quiet: no traffic, no 5XX, a stopped service.
 */
export function exampleAlarms({ topics, settings }: { topics: Topics; settings: ExampleAlarmSettings }) {
  const common = {
    evaluationPeriods: 2,
    period: 300,
    comparisonOperator: 'GreaterThanThreshold',
    treatMissingData: 'notBreaching',
  } as const;
  const name = (runbookName: string) => `${$app.name}-${$app.stage}-${runbookName}`;
  const actions = (topic: sst.aws.SnsTopic) => ({ alarmActions: [topic.arn], okActions: [topic.arn] });

  const highErrorRate = new aws.cloudwatch.MetricAlarm('HighErrorRate', {
    name: name('HighErrorRate'),
    alarmDescription: 'severity: P0. More than 10 HTTP 5XX responses from the targets in 5 minutes, twice in a row.',
    namespace: 'AWS/ApplicationELB',
    metricName: 'HTTPCode_Target_5XX_Count',
    dimensions: { LoadBalancer: settings.loadBalancer },
    statistic: 'Sum',
    threshold: 10,
    ...common,
    ...actions(topics.critical),
  });

  const highResponseTime = new aws.cloudwatch.MetricAlarm('HighResponseTime', {
    name: name('HighResponseTime'),
    alarmDescription: 'severity: P1. Average target response time above 1 s for 10 minutes.',
    namespace: 'AWS/ApplicationELB',
    metricName: 'TargetResponseTime',
    dimensions: { LoadBalancer: settings.loadBalancer },
    statistic: 'Average',
    threshold: 1.0,
    // No requests means no response time: OK, not INSUFFICIENT_DATA (which would never send the OK).
    ...common,
    ...actions(topics.high),
  });

  const highCpu = new aws.cloudwatch.MetricAlarm('HighCPUUtilization', {
    name: name('HighCPUUtilization'),
    alarmDescription: `severity: P1. ECS service ${settings.ecsService} average CPU above 80% for 10 minutes.`,
    namespace: 'AWS/ECS',
    metricName: 'CPUUtilization',
    dimensions: { ClusterName: settings.ecsCluster, ServiceName: settings.ecsService },
    statistic: 'Average',
    threshold: 80,
    ...common,
    ...actions(topics.high),
  });

  const databaseHighCpu = new aws.cloudwatch.MetricAlarm('DatabaseHighCPU', {
    name: name('DatabaseHighCPU'),
    alarmDescription: `severity: P2. RDS instance ${settings.dbInstance} average CPU above 75% for 10 minutes.`,
    namespace: 'AWS/RDS',
    metricName: 'CPUUtilization',
    dimensions: { DBInstanceIdentifier: settings.dbInstance },
    statistic: 'Average',
    threshold: 75,
    ...common,
    ...actions(topics.medium),
  });

  return { highErrorRate, highResponseTime, highCpu, databaseHighCpu };
}
