// zod/mini: functions instead of methods, so a bundle keeps only the validators used here (the alarm function
// loads this at every cold start; full zod is ~5x larger). Its messages come from zod's English locale.
import {
  any,
  array,
  boolean,
  config,
  enum as zEnum,
  literal,
  looseObject,
  minLength,
  nullish,
  number,
  object,
  optional,
  pipe,
  record,
  refine,
  regex,
  string,
  transform,
  union,
  type output,
} from 'zod/mini';
import { en } from 'zod/locales';

config(en());

/** A short, safe description of a bad value for error messages (never the whole value). */
function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : typeof value;
}

/** CloudWatch sends numbers, but hand-written or re-serialised messages may carry numeric strings. */
const num = pipe(
  union([number(), pipe(string().check(regex(/^\s*-?\d+(\.\d+)?([eE][-+]?\d+)?\s*$/, 'expected a number')), transform(Number))], {
    error: (issue) => `expected a number, got ${describe(issue.input)}`,
  })
    // DynamoDB stores numbers of magnitude 1e-130 to 1e126: smaller ones are 0 for any metric, larger ones are junk.
    .check(refine((x: number) => Number.isFinite(x) && Math.abs(x) < 1e126, { error: 'expected a number below 1e126' })),
  transform((x: number) => (Math.abs(x) < 1e-130 ? 0 : x)),
);

/**
 * A dimension value is a string; numbers and booleans are accepted and stringified later. Anything else
 * (objects, arrays: possibly nested thousands deep) is refused rather than stringified.
 */
const dimensionValue = union([string(), number(), boolean()], {
  error: (issue) => `expected a string, got ${describe(issue.input)}`,
});
const optStr = nullish(string());
const optNum = nullish(num);
const optBool = nullish(boolean());

/** Dimensions come as {name, value} in alarm notifications and {Name, Value} elsewhere. */
const dimension = pipe(
  object({ name: optional(string()), Name: optional(string()), value: nullish(dimensionValue), Value: nullish(dimensionValue) }),
  transform((d) => ({ name: d.name ?? d.Name ?? '', value: d.value ?? d.Value })),
).check(refine((d) => d.name !== '', 'dimension without a name'));

const metricStat = object({
  Metric: looseObject({
    Namespace: optStr,
    MetricName: optStr,
    Dimensions: nullish(array(dimension)),
  }),
  Period: optNum,
  Stat: optStr,
  Unit: optStr,
});

const mathMetric = looseObject({
  Id: optStr,
  Expression: optStr,
  Label: optStr,
  ReturnData: optBool,
  MetricStat: nullish(metricStat),
  Period: optNum,
  AccountId: optStr,
});

export const triggerSchema = looseObject({
  MetricName: optStr,
  Namespace: optStr,
  StatisticType: optStr,
  Statistic: optStr,
  ExtendedStatistic: optStr,
  Unit: optStr,
  Dimensions: nullish(array(dimension)),
  Period: optNum,
  EvaluationPeriods: optNum,
  DatapointsToAlarm: optNum,
  ComparisonOperator: optStr,
  Threshold: optNum,
  ThresholdMetricId: optStr,
  TreatMissingData: optStr,
  EvaluateLowSampleCountPercentile: optStr,
  Metrics: nullish(array(mathMetric)),
  Query: optStr,
});

/** The JSON CloudWatch publishes to SNS for a metric, metric-math, anomaly-detection or composite alarm. */
export const cloudWatchAlarmSchema = looseObject({
  AlarmName: string().check(minLength(1, 'must not be empty')),
  AlarmDescription: optStr,
  AWSAccountId: nullish(union([string(), pipe(number(), transform(String))])),
  AlarmConfigurationUpdatedTimestamp: optStr,
  NewStateValue: string(),
  NewStateReason: optStr,
  StateChangeTime: optStr,
  Region: optStr,
  AlarmArn: optStr,
  OldStateValue: optStr,
  OKActions: nullish(array(any())),
  AlarmActions: nullish(array(any())),
  InsufficientDataActions: nullish(array(any())),
  Trigger: nullish(triggerSchema),
  AlarmRule: optStr,
  TriggeringChildren: nullish(array(looseObject({ Arn: string(), State: nullish(looseObject({ Value: optStr, Timestamp: optStr })) }))),
  // A multi-contributor alarm (log alarms, Metrics Insights GROUP BY) notifies once per contributor.
  AlarmContributorId: optStr,
  AlarmContributorAttributes: nullish(record(string(), nullish(dimensionValue))),
});
export type CloudWatchAlarm = output<typeof cloudWatchAlarmSchema>;

/** EventBridge's alarm events: the alarm's state change, and a contributor's of a multi-contributor alarm. */
export const ALARM_EVENT_TYPES = ['CloudWatch Alarm State Change', 'CloudWatch Alarm Contributor State Change'] as const;

/** EventBridge "CloudWatch Alarm State Change" events (and contributors' ones), when a rule forwards them to the topic. */
export const alarmStateChangeEventSchema = looseObject({
  source: literal('aws.cloudwatch'),
  'detail-type': zEnum(ALARM_EVENT_TYPES),
  account: optStr,
  region: optStr,
  time: optStr,
  resources: nullish(array(string())),
  detail: looseObject({
    alarmName: string().check(minLength(1)),
    alarmContributor: nullish(looseObject({ id: string().check(minLength(1)), attributes: nullish(record(string(), nullish(dimensionValue))) })),
    state: looseObject({ value: string(), reason: optStr, timestamp: optStr, actionsSuppressedBy: optStr, actionsSuppressedReason: optStr }),
    muteDetail: nullish(looseObject({ mutedByArn: optStr, muteWindowStart: optStr, muteWindowEnd: optStr })),
    previousState: nullish(looseObject({ value: optStr })),
    configuration: nullish(
      looseObject({
        description: optStr,
        alarmRule: optStr,
        metrics: nullish(
          array(
            looseObject({
              id: optStr,
              expression: optStr,
              returnData: optBool,
              metricStat: nullish(
                looseObject({
                  metric: looseObject({ namespace: optStr, name: optStr, dimensions: nullish(record(string(), nullish(dimensionValue))) }),
                  period: optNum,
                  stat: optStr,
                }),
              ),
            }),
          ),
        ),
      }),
    ),
  }),
});
export type AlarmStateChangeEvent = output<typeof alarmStateChangeEventSchema>;

/** The `Sns` object of a Lambda SNSEvent record, and the body of an SNS HTTP(S) delivery. */
export const snsMessageSchema = looseObject({
  Type: nullish(string()),
  MessageId: optStr,
  TopicArn: optStr,
  Subject: optStr,
  Message: string(),
  Timestamp: optStr,
});
export type SnsMessage = output<typeof snsMessageSchema>;

export const snsEventSchema = object({
  Records: array(looseObject({ Sns: snsMessageSchema })).check(minLength(1, 'no records')),
});
