import { randomUUID } from 'node:crypto';
import type { SnsHttpBody } from './lambda-events';

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const REGION_NAME = 'US East (N. Virginia)';

export interface DemoAlarm {
  name: string;
  topic: 'Critical' | 'High' | 'Medium' | 'Low';
  namespace: string;
  metric: string;
  dimensions: Record<string, string>;
  threshold: number;
  statistic: string;
  description: string;
}

/** The runbook's example alarms (its "Alert Rules"). */
export const RUNBOOK_ALARMS: DemoAlarm[] = [
  {
    name: 'HighErrorRate',
    topic: 'Critical',
    namespace: 'AWS/ApplicationELB',
    metric: 'HTTPCode_Target_5XX_Count',
    dimensions: { LoadBalancer: 'app/qenergyz-production-alb/50dc6c495c0c9188' },
    threshold: 10,
    statistic: 'SUM',
    description: '5XX above 10 per 5 min',
  },
  {
    name: 'HighResponseTime',
    topic: 'High',
    namespace: 'AWS/ApplicationELB',
    metric: 'TargetResponseTime',
    dimensions: { LoadBalancer: 'app/qenergyz-production-alb/50dc6c495c0c9188' },
    threshold: 1,
    statistic: 'AVERAGE',
    description: 'Average response above 1 s',
  },
  {
    name: 'HighCPUUtilization',
    topic: 'High',
    namespace: 'AWS/ECS',
    metric: 'CPUUtilization',
    dimensions: { ServiceName: 'qenergyz-backend', ClusterName: 'qenergyz-production' },
    threshold: 80,
    statistic: 'AVERAGE',
    description: 'ECS service CPU above 80%',
  },
  {
    name: 'DatabaseHighCPU',
    topic: 'Medium',
    namespace: 'AWS/RDS',
    metric: 'CPUUtilization',
    dimensions: { DBInstanceIdentifier: 'qenergyz-production-db' },
    threshold: 75,
    statistic: 'AVERAGE',
    description: 'RDS CPU above 75%',
  },
];

/** CloudWatch's own timestamp format (`+0000`, not RFC 3339). */
function cwTime(d: Date): string {
  return d.toISOString().replace('Z', '+0000');
}

/** The CloudWatch alarm message JSON for a state change. */
export function alarmMessage(a: DemoAlarm, state: 'ALARM' | 'OK', at: Date): Record<string, unknown> {
  const op = '>';
  return {
    AlarmName: a.name,
    AlarmDescription: a.description,
    AWSAccountId: ACCOUNT,
    AlarmConfigurationUpdatedTimestamp: '2024-01-10T09:00:00.000+0000',
    NewStateValue: state,
    NewStateReason:
      state === 'ALARM'
        ? `Threshold Crossed: 2 out of the last 2 datapoints were greater than the threshold (${a.threshold.toFixed(1)}).`
        : `Threshold Crossed: 2 out of the last 2 datapoints were not greater than the threshold (${a.threshold.toFixed(1)}).`,
    StateChangeTime: cwTime(at),
    Region: REGION_NAME,
    AlarmArn: `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${a.name}`,
    OldStateValue: state === 'ALARM' ? 'OK' : 'ALARM',
    OKActions: [],
    AlarmActions: [`arn:aws:sns:${REGION}:${ACCOUNT}:${a.topic}AlertsTopic`],
    InsufficientDataActions: [],
    Trigger: {
      MetricName: a.metric,
      Namespace: a.namespace,
      StatisticType: 'Statistic',
      Statistic: a.statistic,
      Unit: null,
      Dimensions: Object.entries(a.dimensions).map(([name, value]) => ({ value, name })),
      Period: 300,
      EvaluationPeriods: 2,
      ComparisonOperator: op === '>' ? 'GreaterThanThreshold' : 'LessThanThreshold',
      Threshold: a.threshold,
      TreatMissingData: 'missing',
      EvaluateLowSampleCountPercentile: '',
    },
  };
}

/** An SNS HTTP delivery carrying the alarm, as SNS posts it to an HTTPS subscription. */
export function snsNotification(a: DemoAlarm, state: 'ALARM' | 'OK', at: Date, messageId: string = randomUUID()): SnsHttpBody {
  return {
    Type: 'Notification',
    MessageId: messageId,
    TopicArn: `arn:aws:sns:${REGION}:${ACCOUNT}:${a.topic}AlertsTopic`,
    Subject: `${state}: "${a.name}" in ${REGION_NAME}`,
    Message: JSON.stringify(alarmMessage(a, state, at)),
    Timestamp: new Date(at.getTime() + 1500).toISOString(),
    SignatureVersion: '1',
    Signature: 'EXAMPLE',
    SigningCertURL: 'https://example.invalid/cert.pem',
    UnsubscribeURL: 'https://example.invalid/unsubscribe',
  };
}

/**
 * The demo replay: the four runbook alarms fire, one is delivered twice (SNS redelivery, same MessageId),
 * and HighResponseTime recovers.
 */
export function demoDeliveries(now = new Date()): { label: string; body: SnsHttpBody }[] {
  const t = (minutesAgo: number) => new Date(now.getTime() - minutesAgo * 60_000);
  const [errors, latency, cpu, db] = RUNBOOK_ALARMS;
  const first = snsNotification(errors, 'ALARM', t(12));
  return [
    { label: 'HighErrorRate ALARM → critical topic', body: first },
    { label: 'HighResponseTime ALARM → high topic', body: snsNotification(latency, 'ALARM', t(10)) },
    { label: 'HighCPUUtilization ALARM → high topic', body: snsNotification(cpu, 'ALARM', t(8)) },
    { label: 'DatabaseHighCPU ALARM → medium topic', body: snsNotification(db, 'ALARM', t(6)) },
    { label: 'HighErrorRate redelivered (same MessageId)', body: first },
    { label: 'HighResponseTime OK → resolves', body: snsNotification(latency, 'OK', t(2)) },
  ];
}
