// Named imports, not the `z` namespace: the namespace keeps every zod export (its locales too) in the bundle.
import { any, array, boolean, literal, number, object, record, string, union, type infer as Infer } from 'zod';

/** CloudWatch sends numbers, but hand-written or re-serialised messages may carry numeric strings. */
const num = 
  union(
    [
      number(),
      
        string()
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
const dimensionValue = union([string(), number(), boolean()], {
  error: (issue) => `expected a string, got ${describe(issue.input)}`,
});
const optStr = string().nullish();
const optNum = num.nullish();

/** Dimensions come as {name, value} in alarm notifications and {Name, Value} elsewhere. */
const dimension = 
  object({ name: string().optional(), Name: string().optional(), value: dimensionValue.nullish(), Value: dimensionValue.nullish() })
  .transform((d) => ({ name: d.name ?? d.Name ?? '', value: d.value ?? d.Value }))
  .refine((d) => d.name !== '', 'dimension without a name');

const metricStat = object({
  Metric: 
    object({
      Namespace: optStr,
      MetricName: optStr,
      Dimensions: array(dimension).nullish(),
    })
    .passthrough(),
  Period: optNum,
  Stat: optStr,
  Unit: optStr,
});

const mathMetric = 
  object({
    Id: optStr,
    Expression: optStr,
    Label: optStr,
    ReturnData: boolean().nullish(),
    MetricStat: metricStat.nullish(),
    Period: optNum,
    AccountId: optStr,
  })
  .passthrough();

export const triggerSchema = 
  object({
    MetricName: optStr,
    Namespace: optStr,
    StatisticType: optStr,
    Statistic: optStr,
    ExtendedStatistic: optStr,
    Unit: optStr,
    Dimensions: array(dimension).nullish(),
    Period: optNum,
    EvaluationPeriods: optNum,
    DatapointsToAlarm: optNum,
    ComparisonOperator: optStr,
    Threshold: optNum,
    ThresholdMetricId: optStr,
    TreatMissingData: optStr,
    EvaluateLowSampleCountPercentile: optStr,
    Metrics: array(mathMetric).nullish(),
    Query: optStr,
  })
  .passthrough();

/** The JSON CloudWatch publishes to SNS for a metric, metric-math, anomaly-detection or composite alarm. */
export const cloudWatchAlarmSchema = 
  object({
    AlarmName: string().min(1, 'must not be empty'),
    AlarmDescription: optStr,
    AWSAccountId: union([string(), number().transform(String)]).nullish(),
    AlarmConfigurationUpdatedTimestamp: optStr,
    NewStateValue: string(),
    NewStateReason: optStr,
    StateChangeTime: optStr,
    Region: optStr,
    AlarmArn: optStr,
    OldStateValue: optStr,
    OKActions: array(any()).nullish(),
    AlarmActions: array(any()).nullish(),
    InsufficientDataActions: array(any()).nullish(),
    Trigger: triggerSchema.nullish(),
    AlarmRule: optStr,
    TriggeringChildren: 
      array(
        
          object({
            Arn: string(),
            State: object({ Value: optStr, Timestamp: optStr }).passthrough().nullish(),
          })
          .passthrough(),
      )
      .nullish(),
  })
  .passthrough();
export type CloudWatchAlarm = Infer<typeof cloudWatchAlarmSchema>;

/** EventBridge "CloudWatch Alarm State Change" events, when a rule forwards them to the topic. */
export const alarmStateChangeEventSchema = 
  object({
    source: literal('aws.cloudwatch'),
    'detail-type': literal('CloudWatch Alarm State Change'),
    account: optStr,
    region: optStr,
    time: optStr,
    resources: array(string()).nullish(),
    detail: 
      object({
        alarmName: string().min(1),
        state: object({ value: string(), reason: optStr, timestamp: optStr }).passthrough(),
        previousState: object({ value: optStr }).passthrough().nullish(),
        configuration: 
          object({
            description: optStr,
            alarmRule: optStr,
            metrics: 
              array(
                
                  object({
                    id: optStr,
                    expression: optStr,
                    returnData: boolean().nullish(),
                    metricStat: 
                      object({
                        metric: 
                          object({ namespace: optStr, name: optStr, dimensions: record(string(), dimensionValue.nullish()).nullish() })
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
export type AlarmStateChangeEvent = Infer<typeof alarmStateChangeEventSchema>;

/** The `Sns` object of a Lambda SNSEvent record, and the body of an SNS HTTP(S) delivery. */
export const snsMessageSchema = 
  object({
    Type: string().nullish(),
    MessageId: optStr,
    TopicArn: optStr,
    Subject: optStr,
    Message: string(),
    Timestamp: optStr,
  })
  .passthrough();
export type SnsMessage = Infer<typeof snsMessageSchema>;

export const snsEventSchema = object({
  Records: array(object({ Sns: snsMessageSchema }).passthrough()).min(1, 'no records'),
});
