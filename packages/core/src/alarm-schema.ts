import { z } from 'zod';

/** CloudWatch sends numbers, but hand-written or re-serialised messages may carry numeric strings. */
const num = z
  .union(
    [
      z.number(),
      z
        .string()
        .regex(/^\s*-?\d+(\.\d+)?([eE][-+]?\d+)?\s*$/, 'expected a number')
        .transform(Number),
    ],
    { error: (issue) => `expected a number, got ${describe(issue.input)}` },
  )
  // DynamoDB stores numbers of magnitude 1e-130 to 1e126: smaller ones are 0 for any metric, larger ones are junk.
  .refine((x) => Number.isFinite(x) && Math.abs(x) < 1e126, { error: 'expected a number below 1e126' })
  .transform((x) => (Math.abs(x) < 1e-130 ? 0 : x));

/** A short, safe description of a bad value for error messages (never the whole value). */
function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : typeof value;
}

/**
 * A dimension value is a string; numbers and booleans are accepted and stringified later. Anything else
 * (objects, arrays: possibly nested thousands deep) is refused rather than stringified.
 */
const dimensionValue = z.union([z.string(), z.number(), z.boolean()], {
  error: (issue) => `expected a string, got ${describe(issue.input)}`,
});
const optStr = z.string().nullish();
const optNum = num.nullish();

/** Dimensions come as {name, value} in alarm notifications and {Name, Value} elsewhere. */
const dimension = z
  .object({ name: z.string().optional(), Name: z.string().optional(), value: dimensionValue.nullish(), Value: dimensionValue.nullish() })
  .transform((d) => ({ name: d.name ?? d.Name ?? '', value: d.value ?? d.Value }))
  .refine((d) => d.name !== '', 'dimension without a name');

const metricStat = z.object({
  Metric: z
    .object({
      Namespace: optStr,
      MetricName: optStr,
      Dimensions: z.array(dimension).nullish(),
    })
    .passthrough(),
  Period: optNum,
  Stat: optStr,
  Unit: optStr,
});

const mathMetric = z
  .object({
    Id: optStr,
    Expression: optStr,
    Label: optStr,
    ReturnData: z.boolean().nullish(),
    MetricStat: metricStat.nullish(),
    Period: optNum,
    AccountId: optStr,
  })
  .passthrough();

export const triggerSchema = z
  .object({
    MetricName: optStr,
    Namespace: optStr,
    StatisticType: optStr,
    Statistic: optStr,
    ExtendedStatistic: optStr,
    Unit: optStr,
    Dimensions: z.array(dimension).nullish(),
    Period: optNum,
    EvaluationPeriods: optNum,
    DatapointsToAlarm: optNum,
    ComparisonOperator: optStr,
    Threshold: optNum,
    ThresholdMetricId: optStr,
    TreatMissingData: optStr,
    EvaluateLowSampleCountPercentile: optStr,
    Metrics: z.array(mathMetric).nullish(),
    Query: optStr,
  })
  .passthrough();

/** The JSON CloudWatch publishes to SNS for a metric, metric-math, anomaly-detection or composite alarm. */
export const cloudWatchAlarmSchema = z
  .object({
    AlarmName: z.string().min(1, 'must not be empty'),
    AlarmDescription: optStr,
    AWSAccountId: z.union([z.string(), z.number().transform(String)]).nullish(),
    AlarmConfigurationUpdatedTimestamp: optStr,
    NewStateValue: z.string(),
    NewStateReason: optStr,
    StateChangeTime: optStr,
    Region: optStr,
    AlarmArn: optStr,
    OldStateValue: optStr,
    OKActions: z.array(z.any()).nullish(),
    AlarmActions: z.array(z.any()).nullish(),
    InsufficientDataActions: z.array(z.any()).nullish(),
    Trigger: triggerSchema.nullish(),
    AlarmRule: optStr,
    TriggeringChildren: z
      .array(
        z
          .object({
            Arn: z.string(),
            State: z.object({ Value: optStr, Timestamp: optStr }).passthrough().nullish(),
          })
          .passthrough(),
      )
      .nullish(),
  })
  .passthrough();
export type CloudWatchAlarm = z.infer<typeof cloudWatchAlarmSchema>;

/** EventBridge "CloudWatch Alarm State Change" events, when a rule forwards them to the topic. */
export const alarmStateChangeEventSchema = z
  .object({
    source: z.literal('aws.cloudwatch'),
    'detail-type': z.literal('CloudWatch Alarm State Change'),
    account: optStr,
    region: optStr,
    time: optStr,
    resources: z.array(z.string()).nullish(),
    detail: z
      .object({
        alarmName: z.string().min(1),
        state: z.object({ value: z.string(), reason: optStr, timestamp: optStr }).passthrough(),
        previousState: z.object({ value: optStr }).passthrough().nullish(),
        configuration: z
          .object({
            description: optStr,
            alarmRule: optStr,
            metrics: z
              .array(
                z
                  .object({
                    id: optStr,
                    expression: optStr,
                    returnData: z.boolean().nullish(),
                    metricStat: z
                      .object({
                        metric: z
                          .object({ namespace: optStr, name: optStr, dimensions: z.record(z.string(), dimensionValue.nullish()).nullish() })
                          .passthrough(),
                        period: optNum,
                        stat: optStr,
                      })
                      .passthrough()
                      .nullish(),
                  })
                  .passthrough(),
              )
              .nullish(),
          })
          .passthrough()
          .nullish(),
      })
      .passthrough(),
  })
  .passthrough();
export type AlarmStateChangeEvent = z.infer<typeof alarmStateChangeEventSchema>;

/** The `Sns` object of a Lambda SNSEvent record, and the body of an SNS HTTP(S) delivery. */
export const snsMessageSchema = z
  .object({
    Type: z.string().nullish(),
    MessageId: optStr,
    TopicArn: optStr,
    Subject: optStr,
    Message: z.string(),
    Timestamp: optStr,
  })
  .passthrough();
export type SnsMessage = z.infer<typeof snsMessageSchema>;

export const snsEventSchema = z.object({
  Records: z.array(z.object({ Sns: snsMessageSchema }).passthrough()).min(1, 'no records'),
});
