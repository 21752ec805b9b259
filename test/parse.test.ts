import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ROUTE_LINE_KEYS } from './helpers/route-contract';
import { boundSnapshot, snapshot, trimmedForStorage } from '@alert-router/core/lifecycle';
import {
  cleanTreatMissingData,
  defaultPolicy,
  InputError,
  normaliseTimestamp,
  parseInput,
  parseInputText,
  route,
  routeLine,
  type InputShape,
  type Notification,
} from '@alert-router/core';

const FIXTURES = fileURLToPath(new URL('./fixtures/alarms/', import.meta.url));
const fixtureText = (name: string): string => readFileSync(`${FIXTURES}${name}`, 'utf8');
const fixture = (name: string): unknown => JSON.parse(fixtureText(name));

/** What a fixture must parse to (test/fixtures/alarms/SOURCES.md says which documented format each one follows). */
interface Expected {
  shape: InputShape;
  kind: Notification['kind'];
  alarmKind: Notification['alarmKind'];
  alarmName: string;
  state: Notification['state'];
  previousState: Notification['previousState'];
  region: string | null;
  regionName?: string | null;
  account: string | null;
  namespace: string | null;
  metric: string | null;
  dimensions: Record<string, string>;
  incidentKey: string;
  changedAt: string;
  treatMissingData: string | null;
  expression?: string | null;
  statistic?: string | null;
}

const ARN = (region: string, account: string, name: string) => `arn:aws:cloudwatch:${region}:${account}:alarm:${name}`;

/** The latency alarm with an extended statistic; its p99 twin differs only in the statistic. */
const LATENCY: Expected = {
  shape: 'sns-event',
  kind: 'alarm',
  alarmKind: 'metric',
  alarmName: 'StatusPageStack-LatencyAlarm5E1F9C2A-7QK3ZP0M4N2B',
  state: 'ALARM',
  previousState: 'OK',
  region: 'us-east-2',
  regionName: 'US East (Ohio)',
  account: '210987654321',
  namespace: 'ExampleSynthetics',
  metric: 'page_latency',
  dimensions: { URL: 'status.example.com' },
  incidentKey: ARN('us-east-2', '210987654321', 'StatusPageStack-LatencyAlarm5E1F9C2A-7QK3ZP0M4N2B'),
  changedAt: '2026-11-24T09:18:02.917Z',
  treatMissingData: null,
  statistic: 'Average',
};

const CASES: [file: string, expected: Expected][] = [
  [
    'metric-alarm.event.json',
    {
      shape: 'sns-event',
      kind: 'alarm',
      alarmKind: 'metric',
      alarmName: 'orders-api-payment-failures',
      state: 'ALARM',
      previousState: 'INSUFFICIENT_DATA',
      region: 'us-east-1',
      regionName: 'US East (N. Virginia)',
      account: '123456789012',
      namespace: 'OrdersApi/Payments',
      metric: 'PaymentFailureCount',
      dimensions: { Service: 'orders-api', Route: 'checkout-submit' },
      incidentKey: ARN('us-east-1', '123456789012', 'orders-api-payment-failures'),
      changedAt: '2026-11-24T06:12:30.640Z',
      treatMissingData: 'missing',
      statistic: 'SUM',
    },
  ],
  [
    'metric-ok.alarm.json',
    {
      shape: 'alarm',
      kind: 'alarm',
      alarmKind: 'metric',
      alarmName: 'web-frontend-2 CPU over 75%',
      state: 'OK',
      previousState: 'INSUFFICIENT_DATA',
      region: 'us-west-1',
      regionName: 'US West (N. California)',
      account: '210987654321',
      namespace: 'AWS/EC2',
      metric: 'CPUUtilization',
      dimensions: { InstanceId: 'i-0e4c8a2f6b1d3957a' },
      incidentKey: ARN('us-west-1', '210987654321', 'web-frontend-2 CPU over 75%'),
      changedAt: '2026-11-24T08:55:48.731Z',
      treatMissingData: null,
      statistic: 'Average',
    },
  ],
  [
    'eu-west-1-empty-dimensions.alarm.json',
    {
      shape: 'alarm',
      kind: 'alarm',
      alarmKind: 'metric',
      alarmName: 'ALL-EC2-CPU-ABOVE-90',
      state: 'ALARM',
      previousState: 'OK',
      region: 'eu-west-1',
      regionName: 'EU (Ireland)',
      account: '123456789012',
      namespace: 'AWS/EC2',
      metric: 'CPUUtilization',
      dimensions: {},
      incidentKey: ARN('eu-west-1', '123456789012', 'ALL-EC2-CPU-ABOVE-90'),
      changedAt: '2026-11-24T07:40:17.052Z',
      treatMissingData: 'missing',
      statistic: 'MAXIMUM',
    },
  ],
  ['extended-statistic.event.json', LATENCY],
  ['extended-statistic-p99.derived.event.json', { ...LATENCY, statistic: 'p99' }],
  [
    // placeholder ARN `arn:aws:cloudwatch:REGION:ACCOUNT_NUMBER:...` is no region code.
    'metric-math.event.json',
    {
      shape: 'sns-event',
      kind: 'alarm',
      alarmKind: 'metric-math',
      alarmName: 'egress-bits-high',
      state: 'ALARM',
      previousState: 'INSUFFICIENT_DATA',
      region: null,
      account: 'ACCOUNT_NUMBER',
      namespace: 'AWS/EC2',
      metric: 'NetworkOut',
      dimensions: { InstanceId: 'i-0a7c3e9b5d1f2468b' },
      incidentKey: 'arn:aws:cloudwatch:REGION:ACCOUNT_NUMBER:alarm:egress-bits-high',
      changedAt: '2026-11-24T04:27:19.402Z',
      treatMissingData: 'missing',
      expression: 'm1*8/60',
    },
  ],
  [
    'treat-missing-data-junk.event.json',
    {
      shape: 'sns-event',
      kind: 'alarm',
      alarmKind: 'metric',
      alarmName: 'nat-egress-bytes',
      state: 'ALARM',
      previousState: 'INSUFFICIENT_DATA',
      region: null,
      account: '123456789012',
      namespace: 'AWS/EC2',
      metric: 'NetworkOut',
      dimensions: { InstanceId: 'i-0b5d9f3a7c1e4680d' },
      incidentKey: 'arn:aws:cloudwatch:REGION:ACCOUNT_NUMBER:alarm:nat-egress-bytes',
      changedAt: '2026-11-24T05:03:44.071Z',
      treatMissingData: 'missing',
      statistic: 'AVERAGE',
    },
  ],
  [
    'anomaly-detection-ok.event.json',
    {
      shape: 'sns-event',
      kind: 'alarm',
      alarmKind: 'anomaly-detection',
      alarmName: 'checkout-alb-latency-anomaly',
      state: 'OK',
      previousState: 'ALARM',
      region: 'us-east-2',
      account: '210987654321',
      namespace: 'AWS/ApplicationELB',
      metric: 'TargetResponseTime',
      dimensions: { LoadBalancer: 'app/checkout-alb/4f2a9c7e1b3d5a60' },
      incidentKey: ARN('us-east-2', '210987654321', 'checkout-alb-latency-anomaly'),
      changedAt: '2026-11-24T08:01:36.512Z',
      treatMissingData: 'ignore',
      expression: 'ANOMALY_DETECTION_BAND(m1, 3)',
    },
  ],
  [
    // The metric lives in another account (Metrics[0].AccountId 210987654321); the alarm belongs to 123456789012.
    'cross-account-anomaly.event.json',
    {
      shape: 'sns-event',
      kind: 'alarm',
      alarmKind: 'anomaly-detection',
      alarmName: '# Errores API  |  Pagos  |  Autorización',
      state: 'ALARM',
      previousState: 'OK',
      region: 'us-east-1',
      account: '123456789012',
      namespace: 'AWS/ApiGateway',
      metric: 'Count',
      dimensions: { ApiName: 'payments-gateway-prod', Resource: '/authorize', Stage: 'prod', Method: 'POST' },
      incidentKey: ARN('us-east-1', '123456789012', '# Errores API  |  Pagos  |  Autorización'),
      changedAt: '2026-11-24T09:32:27.604Z',
      treatMissingData: 'missing',
      expression: 'ANOMALY_DETECTION_BAND(m1, 2.5)',
    },
  ],
  [
    'composite.event.json',
    {
      shape: 'sns-event',
      kind: 'alarm',
      alarmKind: 'composite',
      alarmName: 'orders-api-degraded',
      state: 'ALARM',
      previousState: 'OK',
      region: 'us-east-1',
      account: '123456789012',
      namespace: null,
      metric: null,
      dimensions: {},
      incidentKey: ARN('us-east-1', '123456789012', 'orders-api-degraded'),
      changedAt: '2026-11-24T06:12:30.640Z',
      treatMissingData: null,
    },
  ],
  [
    'log-metric-filter.alarm.json',
    {
      shape: 'alarm',
      kind: 'alarm',
      alarmKind: 'metric',
      alarmName: 'Failed logins ledger-admin - STAGING',
      state: 'ALARM',
      previousState: 'OK',
      region: 'us-west-2',
      regionName: 'US West (Oregon)',
      account: '210987654321',
      namespace: 'LogMetrics',
      metric: 'Failed logins for ledger-admin',
      dimensions: {},
      incidentKey: ARN('us-west-2', '210987654321', 'Failed logins ledger-admin'),
      changedAt: '2026-11-24T10:09:14.226Z',
      treatMissingData: null,
    },
  ],
  [
    'insufficient-data.http.json',
    {
      shape: 'sns-notification',
      kind: 'alarm',
      alarmKind: 'metric',
      alarmName: 'putmetricdata call rate',
      state: 'INSUFFICIENT_DATA',
      previousState: 'OK',
      region: 'us-east-1',
      regionName: 'US East (N. Virginia)',
      account: '123456789012',
      namespace: 'AWS/Usage',
      metric: 'CallCount',
      dimensions: { Type: 'API', Resource: 'PutMetricData', Service: 'CloudWatch', Class: 'None' },
      incidentKey: '123456789012:US East (N. Virginia):putmetricdata call rate',
      changedAt: '2026-11-24T03:20:05.861Z',
      treatMissingData: 'missing',
    },
  ],
  [
    'no-arn-eu-ireland.http.json',
    {
      shape: 'sns-notification',
      kind: 'alarm',
      alarmKind: 'metric',
      alarmName: 'exports-bucket-size',
      state: 'ALARM',
      previousState: 'INSUFFICIENT_DATA',
      region: 'eu-west-1',
      regionName: 'EU (Ireland)',
      account: '2109876543',
      namespace: 'AWS/S3',
      metric: 'BucketSizeBytes',
      dimensions: { StorageType: 'StandardStorage', BucketName: 'exports.example.com' },
      incidentKey: '2109876543:EU (Ireland):exports-bucket-size',
      changedAt: '2026-11-24T01:14:52.377Z',
      treatMissingData: null,
    },
  ],
  [
    'no-arn-us-n-virginia-2015.alarm.json',
    {
      shape: 'alarm',
      kind: 'alarm',
      alarmKind: 'metric',
      alarmName: 'orders-queue-depth',
      state: 'ALARM',
      previousState: 'OK',
      region: 'us-east-1',
      regionName: 'US - N. Virginia',
      account: '210987654321',
      namespace: 'AWS/SQS',
      metric: 'ApproximateNumberOfMessagesVisible',
      dimensions: { QueueName: 'orders' },
      incidentKey: '210987654321:US - N. Virginia:orders-queue-depth',
      changedAt: '2015-06-11T08:42:17.114Z',
      treatMissingData: null,
    },
  ],
  [
    'eventbridge-state-change.http.json',
    {
      shape: 'sns-notification',
      kind: 'alarm',
      alarmKind: 'metric',
      alarmName: 'api-node-cpu-high',
      state: 'ALARM',
      previousState: 'OK',
      region: 'us-east-1',
      account: '123456789012',
      namespace: 'AWS/EC2',
      metric: 'CPUUtilization',
      dimensions: { InstanceId: 'i-0d3f7b1a5c9e2468f' },
      incidentKey: ARN('us-east-1', '123456789012', 'api-node-cpu-high'),
      changedAt: '2026-11-24T11:40:12.534Z',
      treatMissingData: null,
    },
  ],
  [
    'eventbridge-metric-math.json',
    {
      shape: 'alarm',
      kind: 'alarm',
      alarmKind: 'metric-math',
      alarmName: 'edge-proxy-traffic-high',
      state: 'ALARM',
      previousState: 'INSUFFICIENT_DATA',
      region: 'us-east-1',
      account: '123456789012',
      namespace: null,
      metric: null,
      dimensions: {},
      incidentKey: ARN('us-east-1', '123456789012', 'edge-proxy-traffic-high'),
      changedAt: '2026-11-24T12:05:33.121Z',
      treatMissingData: null,
      expression: 'SUM(METRICS())',
    },
  ],
  [
    'eventbridge-anomaly.json',
    {
      shape: 'alarm',
      kind: 'alarm',
      alarmKind: 'anomaly-detection',
      alarmName: 'ledger-worker CPU anomaly',
      state: 'ALARM',
      previousState: 'OK',
      region: 'us-east-1',
      account: '123456789012',
      namespace: 'AWS/EC2',
      metric: 'CPUUtilization',
      dimensions: { InstanceId: 'i-0e6a0c4f8b2d1357a' },
      incidentKey: ARN('us-east-1', '123456789012', 'ledger-worker CPU anomaly'),
      changedAt: '2026-11-24T12:50:09.777Z',
      treatMissingData: null,
      expression: 'ANOMALY_DETECTION_BAND(m1, 1.2)',
    },
  ],
  [
    'metrics-insights.constructed.http.json',
    {
      shape: 'sns-notification',
      kind: 'alarm',
      alarmKind: 'metrics-insights',
      alarmName: 'FleetCpuTooHigh',
      state: 'ALARM',
      previousState: 'OK',
      region: 'us-east-1',
      account: '123456789012',
      namespace: null,
      metric: null,
      dimensions: {},
      incidentKey: ARN('us-east-1', '123456789012', 'FleetCpuTooHigh'),
      changedAt: '2024-03-01T10:10:12.345Z',
      treatMissingData: 'missing',
      expression: 'SELECT AVG(CPUUtilization) FROM SCHEMA("AWS/EC2", InstanceId)',
    },
  ],
  [
    'aws-budgets.event.json',
    {
      shape: 'sns-event',
      kind: 'message',
      alarmKind: 'message',
      alarmName: 'AWS Budgets: platform-monthly has exceeded your alert threshold',
      state: null,
      previousState: null,
      region: 'us-east-2',
      account: '123456789012',
      namespace: null,
      metric: null,
      dimensions: {},
      incidentKey: '123456789012:us-east-2:AWS Budgets: platform-monthly has exceeded your alert threshold',
      changedAt: '2026-11-24T13:30:18.442Z',
      treatMissingData: null,
    },
  ],
  [
    'custom-text.event.json',
    {
      shape: 'sns-event',
      kind: 'message',
      alarmKind: 'message',
      alarmName: 'DeployNotice',
      state: null,
      previousState: null,
      region: null,
      account: null,
      namespace: null,
      metric: null,
      dimensions: {},
      incidentKey: 'unknown:unknown:DeployNotice',
      changedAt: '2026-11-24T13:45:02.610Z',
      treatMissingData: null,
    },
  ],
  [
    'custom-text.http.json',
    {
      shape: 'sns-notification',
      kind: 'message',
      alarmKind: 'message',
      alarmName: 'Reports',
      state: null,
      previousState: null,
      region: 'us-west-2',
      account: '210987654321',
      namespace: null,
      metric: null,
      dimensions: {},
      incidentKey: '210987654321:us-west-2:Reports',
      changedAt: '2026-11-24T02:00:41.309Z',
      treatMissingData: null,
    },
  ],
];

describe('alarm payload fixtures', () => {
  it.each(CASES)('%s', (file, want) => {
    const { shape, notifications } = parseInput(fixture(file));
    expect(shape).toBe(want.shape);
    expect(notifications).toHaveLength(1);
    const n = notifications[0];
    expect({
      kind: n.kind,
      alarmKind: n.alarmKind,
      alarmName: n.alarmName,
      state: n.state,
      previousState: n.previousState,
      region: n.region,
      account: n.account,
      namespace: n.namespace,
      metric: n.metric,
      dimensions: n.dimensions,
      incidentKey: n.incidentKey,
      changedAt: n.changedAt,
      treatMissingData: n.treatMissingData,
    }).toEqual({
      kind: want.kind,
      alarmKind: want.alarmKind,
      alarmName: want.alarmName,
      state: want.state,
      previousState: want.previousState,
      region: want.region,
      account: want.account,
      namespace: want.namespace,
      metric: want.metric,
      dimensions: want.dimensions,
      incidentKey: want.incidentKey,
      changedAt: want.changedAt,
      treatMissingData: want.treatMissingData,
    });
    if (want.regionName !== undefined) expect(n.regionName).toBe(want.regionName);
    if (want.expression !== undefined) expect(n.expression).toBe(want.expression);
    if (want.statistic !== undefined) expect(n.statistic).toBe(want.statistic);
    expect(n.warnings).toEqual([]);
    expect(n.changedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

    // The route line carries the same facts, with every contract key present.
    const line = routeLine(route(n, defaultPolicy()));
    expect(Object.keys(line).sort()).toEqual([...ROUTE_LINE_KEYS].sort());
    expect(line).toMatchObject({ kind: want.kind, alarmName: want.alarmName, region: want.region, incidentKey: want.incidentKey, dimensions: want.dimensions });
  });

  it('keeps composite details: rule and triggering children', () => {
    const n = parseInput(fixture('composite.event.json')).notifications[0];
    expect(n.alarmRule).toMatch(/^ALARM\(arn:aws:cloudwatch:us-east-1:123456789012:alarm:.*orders-api-payment-failures\) OR ALARM\(/);
    expect(n.triggeringChildren).toEqual([
      {
        arn: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:orders-api-payment-failures',
        state: 'ALARM',
        at: '2026-11-24T06:12:30.640Z',
      },
    ]);
  });

  it('metric math over one metric of two resources names no single metric, nor either resource', () => {
    const stat = (id: string, instance: string) => ({
      Id: id,
      MetricStat: {
        Metric: { Dimensions: [{ value: instance, name: 'InstanceId' }], MetricName: 'CPUUtilization', Namespace: 'AWS/EC2' },
        Period: 300,
        Stat: 'Average',
      },
      ReturnData: false,
    });
    const alarm = (metrics: unknown[]) => ({
      AlarmName: 'fleet-cpu-max',
      AlarmArn: 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:fleet-cpu-max',
      NewStateValue: 'ALARM',
      OldStateValue: 'OK',
      NewStateReason: 'Threshold Crossed',
      StateChangeTime: '2026-11-24T10:11:58.402+0000',
      Trigger: { Period: 300, EvaluationPeriods: 1, ComparisonOperator: 'GreaterThanThreshold', Threshold: 80, Metrics: metrics },
    });
    const max = { Expression: 'MAX([m1,m2])', Id: 'e1', ReturnData: true };
    expect(parseInput(alarm([max, stat('m1', 'i-0aaa'), stat('m2', 'i-0bbb')])).notifications[0]).toMatchObject({
      namespace: null,
      metric: null,
      dimensions: {},
    });
    // The same metric of the same resource twice (a band and its source) is still that one metric.
    expect(parseInput(alarm([max, stat('m1', 'i-0aaa'), stat('m2', 'i-0aaa')])).notifications[0]).toMatchObject({
      namespace: 'AWS/EC2',
      metric: 'CPUUtilization',
      dimensions: { InstanceId: 'i-0aaa' },
    });
  });

  it("an EventBridge change whose actions CloudWatch held back says why: a suppressor, or a mute rule's window that holds it", () => {
    const base = JSON.parse((fixture('eventbridge-state-change.http.json') as { Message: string }).Message) as {
      detail: { state: Record<string, unknown> } & Record<string, unknown>;
    } & Record<string, unknown>;
    const at = (detail: Record<string, unknown>) => parseInput({ ...base, detail: { ...base.detail, ...detail } }).notifications[0];
    expect(at({}).actionsHeld).toBeUndefined();
    expect(at({ state: { ...base.detail.state, actionsSuppressedBy: 'ExtensionPeriod' } }).actionsHeld).toBe('Actions suppressed by ExtensionPeriod');
    const changed = parseInput(base).notifications[0].changedAt;
    const mute = (start: string, end: string) =>
      at({ muteDetail: { mutedByArn: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm-mute-rule:night', muteWindowStart: start, muteWindowEnd: end } });
    const hour = (h: number) => new Date(Date.parse(changed) + h * 3_600_000).toISOString().replace(/\.\d+Z$/, '.000+0000');
    expect(mute(hour(-1), hour(1)).actionsHeld).toMatch(/^Muted by arn:aws:cloudwatch:us-east-1:123456789012:alarm-mute-rule:night until /);
    // A window that does not hold the change, or cannot be read, holds nothing.
    expect(mute(hour(1), hour(2)).actionsHeld).toBeUndefined();
    expect(mute('soon', 'later').actionsHeld).toBeUndefined();
  });

  it('keeps the SNS envelope facts and the prose of a Budgets message', () => {
    const n = parseInput(fixture('aws-budgets.event.json')).notifications[0];
    expect(n.sns).toEqual({
      messageId: '7c1e5a9d-3f8b-5c2e-b4a6-0e2c6a8d4f15',
      topicArn: 'arn:aws:sns:us-east-2:123456789012:budget-alerts',
      subject: 'AWS Budgets: platform-monthly has exceeded your alert threshold',
      timestamp: '2026-11-24T13:30:18.442Z',
    });
    expect(n.text).toContain('ACTUAL Amount: $812.40');
  });

  it('routes every record of a multi-record SNSEvent', () => {
    const a = fixture('metric-alarm.event.json') as { Records: unknown[] };
    const b = fixture('aws-budgets.event.json') as { Records: unknown[] };
    const { notifications } = parseInput({ Records: [...a.Records, ...b.Records] });
    expect(notifications.map((n) => n.kind)).toEqual(['alarm', 'message']);
  });

  it('refuses an SNS SubscriptionConfirmation with a clear reason', () => {
    expect(() => parseInput(fixture('subscription-confirmation.http.json'))).toThrow(
      new InputError('Type', 'SNS SubscriptionConfirmation carries no alarm (only Type "Notification" is routed)'),
    );
  });
});

describe('multi-contributor alarms: each contributor is an incident of its own', () => {
  const one = (file: string) => parseInput(fixture(file)).notifications[0];

  it('SNS: one notification per contributor, keyed by its id, its attributes as dimensions', () => {
    const a = one('log-alarm-contributor.alarm.json');
    const b = one('log-alarm-contributor-other-ok.derived.alarm.json');
    expect(a).toMatchObject({
      kind: 'alarm',
      state: 'ALARM',
      alarmName: 'checkout-endpoint-latency',
      incidentKey: 'contributor:9f2c4e6a8b1d3f5e@arn:aws:cloudwatch:eu-west-1:123456789012:alarm:checkout-endpoint-latency',
      dimensions: { endpoint: '/api/orders', method: 'POST' },
    });
    // Another contributor's recovery must not resolve the incident this one still holds.
    expect(b).toMatchObject({ state: 'OK', dimensions: { endpoint: '/api/payments', method: 'POST' } });
    expect(b.incidentKey).not.toBe(a.incidentKey);
    const {
      AlarmContributorId: _id,
      AlarmContributorAttributes: _attrs,
      ...alarmLevel
    } = fixture('log-alarm-contributor.alarm.json') as Record<string, unknown>;
    expect(parseInput(alarmLevel).notifications[0].incidentKey).toBe('arn:aws:cloudwatch:eu-west-1:123456789012:alarm:checkout-endpoint-latency');
    // An alarm whose name ends as a contributor's key would (no ARN: account, region name and name) is not that one.
    const { AlarmArn: _arn, ...noArn } = fixture('log-alarm-contributor.alarm.json') as Record<string, unknown>;
    const contributor = parseInput(noArn).notifications[0].incidentKey;
    const { AlarmContributorId: _i, AlarmContributorAttributes: _a, ...plain } = noArn;
    const lookalike = parseInput({ ...plain, AlarmName: 'checkout-endpoint-latency#contributor:9f2c4e6a8b1d3f5e' }).notifications[0].incidentKey;
    expect(lookalike).not.toBe(contributor);
  });

  it('EventBridge: "CloudWatch Alarm Contributor State Change" is the alarm, its firing and recovery on one key', () => {
    const fired = one('eventbridge-contributor.json');
    const ok = one('eventbridge-contributor-ok.derived.json');
    expect(fired).toMatchObject({
      kind: 'alarm',
      state: 'ALARM',
      alarmName: 'orders-table-write-throttles',
      region: 'eu-west-1',
      account: '123456789012',
      incidentKey: 'contributor:5e7a9c1b3d4f6a8e@arn:aws:cloudwatch:eu-west-1:123456789012:alarm:orders-table-write-throttles',
      dimensions: { TableName: 'orders' },
      changedAt: '2026-11-24T13:42:04.919Z',
    });
    expect(fired.reason).toMatch(/^Threshold Crossed/);
    expect(ok).toMatchObject({ state: 'OK', incidentKey: fired.incidentKey });
  });
});

describe('states', () => {
  const withStates = (newState: unknown, oldState: unknown) => {
    const a = fixture('metric-ok.alarm.json') as Record<string, unknown>;
    return parseInput({ ...a, NewStateValue: newState, OldStateValue: oldState }).notifications[0];
  };

  it('an unknown state value gives null and is kept raw, never invented', () => {
    const n = withStates('PENDING', 'FIRING');
    expect(n.state).toBeNull();
    expect(n.previousState).toBeNull();
    expect(n.rawState).toBe('PENDING');
    expect(n.kind).toBe('alarm');
  });

  it('a missing OldStateValue gives previousState null', () => {
    const a = fixture('metric-ok.alarm.json') as Record<string, unknown>;
    const { OldStateValue: _dropped, ...rest } = a;
    expect(parseInput(rest).notifications[0].previousState).toBeNull();
  });

  it('an unknown state in an EventBridge event gives null too', () => {
    const e = fixture('eventbridge-anomaly.json') as { detail: { state: Record<string, unknown> } };
    e.detail.state.value = 'PENDING';
    const n = parseInput(e).notifications[0];
    expect(n.state).toBeNull();
    expect(n.rawState).toBe('PENDING');
  });
});

describe('region code from the alarm ARN, else the topic ARN, else the display name', () => {
  it.each([
    ['us-east-1', 'us-east-1'],
    ['eu-west-1', 'eu-west-1'],
    ['us-gov-west-1', 'us-gov-west-1'],
    ['cn-northwest-1', 'cn-northwest-1'],
    ['eusc-de-east-1', 'eusc-de-east-1'],
    // no region in the ARN: the display name "US West (N. California)" names it
    ['REGION', 'us-west-1'],
    ['', 'us-west-1'],
  ])('arn:aws:cloudwatch:%s:… → %j', (region, want) => {
    const a = fixture('metric-ok.alarm.json') as Record<string, unknown>;
    a.AlarmArn = `arn:aws:cloudwatch:${region}:210987654321:alarm:x`;
    const n = parseInput(a).notifications[0];
    expect(n.region).toBe(want);
    expect(n.regionName).toBe('US West (N. California)');
    expect(n.incidentKey).toBe(a.AlarmArn);
  });

  it('a message without an ARN takes its region from the display name; an unknown name gives none', () => {
    const a = fixture('metric-ok.alarm.json') as Record<string, unknown>;
    delete a.AlarmArn;
    a.Region = 'Atlantis (Central)';
    expect(parseInput(a).notifications[0].region).toBeNull();
    a.Region = 'EU (Ireland)';
    const n = parseInput(a).notifications[0];
    expect(n.region).toBe('eu-west-1');
    expect(n.incidentKey).toBe('210987654321:EU (Ireland):web-frontend-2 CPU over 75%');
  });

  it('the account comes from the ARN when AWSAccountId is absent', () => {
    const a = fixture('eu-west-1-empty-dimensions.alarm.json') as Record<string, unknown>;
    delete a.AWSAccountId;
    expect(parseInput(a).notifications[0].account).toBe('123456789012');
  });
});

describe('small normalisers', () => {
  it.each([
    ['2026-11-24T06:12:30.640+0000', '2026-11-24T06:12:30.640Z'],
    ['2026-11-24T06:12:30.640Z', '2026-11-24T06:12:30.640Z'],
    ['2026-11-30T23:59:59.999+0000', '2026-11-30T23:59:59.999Z'],
    ['2026-02-31T06:12:30.640+0000', '2026-03-03T06:12:30.640Z'],
    ['2026-11-24T24:12:30.640+0000', null],
    ['2019-10-02T17:04:40Z', '2019-10-02T17:04:40.000Z'],
    ['2024-01-15T12:11:58.402+0200', '2024-01-15T10:11:58.402Z'],
    ['not a time', null],
    ['', null],
    [null, null],
  ])('normaliseTimestamp(%j) = %j', (input, want) => {
    expect(normaliseTimestamp(input)).toBe(want);
  });

  it.each([
    ['- TreatMissingData:                    missing', 'missing'],
    ['- TreatMissingData:   missing', 'missing'],
    ['- TreatMissingData:                    ignore', 'ignore'],
    ['- TreatMissingData:                    notBreaching', 'notBreaching'],
    ['- TreatMissingData:                    NonBreaching', 'notBreaching'],
    ['- TreatMissingData: breaching', 'breaching'],
    ['missing', 'missing'],
    ['', null],
    [null, null],
  ])('cleanTreatMissingData(%j) = %j', (input, want) => {
    expect(cleanTreatMissingData(input)).toBe(want);
  });
});

/** Either a clear InputError or a plain-message route; never another exception type. */
function outcome(text: string): { error: InputError } | { notifications: Notification[] } {
  try {
    return { notifications: parseInputText(text).notifications };
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return { error: err as InputError };
  }
}

function errorOf(text: string): string {
  const r = outcome(text);
  if (!('error' in r)) throw new Error(`expected an InputError, got ${JSON.stringify(r.notifications.map((n) => n.kind))}`);
  return r.error.message;
}

describe('junk input', () => {
  it.each([
    ['truncated JSON', '{"Records": [', /^not JSON \(/],
    ['empty file', '', /^not JSON \(/],
    ['null', 'null', /got null$/],
    ['[]', '[]', /got an array$/],
    ['42', '42', /got a number$/],
    ['"str"', '"str"', /got a string$/],
    ['{}', '{}', /got an object with keys \(none\)$/],
    ['an object of another kind', '{"foo": 1, "bar": 2}', /got an object with keys foo, bar$/],
    ['no records', '{"Records": []}', /^Records: no records$/],
    ['record without Message', '{"Records":[{"Sns":{}}]}', /^Records\[0\]\.Sns\.Message: /],
    ['null record', '{"Records":[null]}', /^Records\[0\]: /],
    ['Records not an array', '{"Records":"x"}', /^Records: /],
    ['HTTP notification with an object Message', '{"Type":"Notification","Message":{"a":1}}', /^Message: /],
    ['alarm with empty name', '{"AlarmName":"","NewStateValue":"OK"}', /^AlarmName: must not be empty$/],
    ['alarm without NewStateValue', '{"AlarmName":"x"}', /^NewStateValue: /],
    ['alarm with a string Trigger', '{"AlarmName":"x","NewStateValue":"OK","Trigger":"abc"}', /^Trigger: /],
    [
      'dimension without a name',
      '{"AlarmName":"x","NewStateValue":"OK","Trigger":{"Dimensions":[{"value":"v"}]}}',
      /^Trigger\.Dimensions\[0\]: dimension without a name$/,
    ],
  ])('%s → InputError', (_what, text, message) => {
    const msg = errorOf(text);
    expect(msg).toMatch(message);
    expect(msg).not.toMatch(/\n/);
  });

  it('a wrong type in a bare alarm names the field: Trigger.Period', () => {
    const a = fixture('metric-ok.alarm.json') as { Trigger: Record<string, unknown> };
    a.Trigger.Period = 'abc';
    const msg = errorOf(JSON.stringify(a));
    expect(msg.startsWith('Trigger.Period')).toBe(true);
    expect(msg).toBe('Trigger.Period: expected a number, got "abc"');
  });

  it('numeric strings are accepted where CloudWatch sends numbers', () => {
    const a = fixture('metric-ok.alarm.json') as { Trigger: Record<string, unknown> };
    a.Trigger.Period = '300';
    a.Trigger.Threshold = ' 60.5 ';
    const n = parseInput(a).notifications[0];
    expect([n.period, n.threshold]).toEqual([300, 60.5]);
  });

  it('the same wrong type inside an SNSEvent is routed as a message, with a warning naming the full path', () => {
    const event = fixture('metric-alarm.event.json') as { Records: { Sns: { Message: string } }[] };
    const message = JSON.parse(event.Records[0].Sns.Message);
    message.Trigger.Period = 'abc';
    event.Records[0].Sns.Message = JSON.stringify(message);
    const [n] = parseInput(event).notifications;
    expect(n.kind).toBe('message');
    expect(n.state).toBeNull();
    expect(n.alarmName).toBe('ALARM: "orders-api-payment-failures" in US East (N. Virginia)');
    expect(n.warnings).toHaveLength(1);
    expect(n.warnings[0]).toContain('Records[0].Sns.Message.Trigger.Period');
    expect(routeLine(route(n, defaultPolicy()))).toMatchObject({ kind: 'message', state: null, severity: 'P2' });
  });

  it('the same wrong type inside an HTTP notification names Message.Trigger.Period', () => {
    const body = fixture('no-arn-eu-ireland.http.json') as { Message: string };
    const message = JSON.parse(body.Message);
    message.Trigger.Period = 'abc';
    body.Message = JSON.stringify(message);
    const [n] = parseInput(body).notifications;
    expect(n.kind).toBe('message');
    expect(n.warnings[0]).toContain('Message.Trigger.Period');
  });

  it('a 300 KB plain message is routed, its name kept short', () => {
    const text = `Disk almost full on ${'x'.repeat(1000)}\n${'lorem ipsum '.repeat(25_000)}`;
    expect(text.length).toBeGreaterThan(300_000);
    const r = outcome(JSON.stringify({ Records: [{ Sns: { Type: 'Notification', TopicArn: 'arn:aws:sns:us-east-1:123456789012:ops', Message: text } }] }));
    if (!('notifications' in r)) throw r.error;
    const [n] = r.notifications;
    expect(n.kind).toBe('message');
    expect(n.alarmName.length).toBeLessThanOrEqual(256);
    expect(n.alarmName.startsWith('Disk almost full on xxx')).toBe(true);
    expect(n.text).toBe(text);
  });

  it('a 300 KB alarm description still parses', () => {
    const a = fixture('metric-ok.alarm.json') as Record<string, unknown>;
    a.AlarmDescription = 'd'.repeat(300_000);
    expect(parseInputText(JSON.stringify(a)).notifications[0].kind).toBe('alarm');
  });

  describe('deep nesting', () => {
    const deepArray = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const deepObject = `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`;

    it('a deeply nested array or object is refused', () => {
      expect(errorOf(deepArray)).toMatch(/got an array$/);
      expect(errorOf(deepObject)).toMatch(/got an object with keys a$/);
    });

    it('a deeply nested dimension value is refused by path (it used to overflow the stack)', () => {
      const text = `{"AlarmName":"x","NewStateValue":"ALARM","Trigger":{"Namespace":"N","MetricName":"M","Dimensions":[{"name":"a","value":${deepArray}}]}}`;
      expect(errorOf(text)).toBe('Trigger.Dimensions[0].value: expected a string, got an array');
    });

    it('a deeply nested EventBridge dimension is refused by path', () => {
      const e = fixture('eventbridge-anomaly.json') as {
        detail: { configuration: { metrics: { metricStat?: { metric: { dimensions: Record<string, unknown> } } }[] } };
      };
      e.detail.configuration.metrics[0].metricStat!.metric.dimensions.InstanceId = '__DEEP__';
      const text = JSON.stringify(e).replace('"__DEEP__"', deepArray);
      expect(errorOf(text)).toBe('detail.configuration.metrics[0].metricStat.metric.dimensions.InstanceId: expected a string, got an array');
    });

    it('deep nesting in an unused field is carried, not walked', () => {
      const text = `{"AlarmName":"x","NewStateValue":"ALARM","Extra":${deepObject}}`;
      const r = outcome(text);
      expect('notifications' in r && r.notifications[0].kind).toBe('alarm');
    });

    it('a deeply nested alarm inside an SNSEvent becomes a message with a warning', () => {
      const inner = `{"AlarmName":"x","NewStateValue":"ALARM","Trigger":{"Dimensions":[{"name":"a","value":${deepArray}}]}}`;
      const [n] = parseInputText(JSON.stringify({ Records: [{ Sns: { Message: inner } }] })).notifications;
      expect(n.kind).toBe('message');
      expect(n.warnings[0]).toContain('Records[0].Sns.Message.Trigger.Dimensions[0].value');
    });
  });

  describe('odd Unicode', () => {
    const names = [
      ['emoji', '🔥 prod-api 5XX 🚨'],
      ['RTL', 'تنبيه: وحدة المعالجة \u202Eevil\u202C'],
      ['NUL', 'before\u0000after'],
      ['lone surrogate', 'bad \ud800 pair'],
      ['combining marks', 'Z̵̢a̸l̷g̴o'],
    ] as const;

    it.each(names)('%s in an alarm name is kept as is', (_what, name) => {
      const a = fixture('metric-ok.alarm.json') as Record<string, unknown>;
      a.AlarmName = name;
      a.AlarmArn = `arn:aws:cloudwatch:us-west-1:210987654321:alarm:${name}`;
      const [n] = parseInputText(JSON.stringify(a)).notifications;
      expect(n.alarmName).toBe(name);
      expect(n.incidentKey).toBe(a.AlarmArn);
      expect(n.region).toBe('us-west-1');
      // The route line survives a JSON round trip.
      const line = routeLine(route(n, defaultPolicy()));
      expect(JSON.parse(JSON.stringify(line)).alarmName).toBe(JSON.parse(JSON.stringify(name)));
    });

    it.each(names)('%s in a plain message is routed', (_what, text) => {
      const [n] = parseInputText(JSON.stringify({ Records: [{ Sns: { Message: text } }] })).notifications;
      expect(n.kind).toBe('message');
      expect(n.alarmName).toBe(text.trim());
    });

    it('an empty message is routed with a placeholder name', () => {
      const [n] = parseInputText(JSON.stringify({ Records: [{ Sns: { Message: '   ' } }] })).notifications;
      expect(n.alarmName).toBe('(empty message)');
    });
  });

  describe('hostile keys', () => {
    it('a __proto__ key does not pollute prototypes', () => {
      const text =
        '{"AlarmName":"x","NewStateValue":"OK","__proto__":{"polluted":true},"Trigger":{"Namespace":"N","MetricName":"M","Dimensions":[{"name":"__proto__","value":"v"},{"name":"constructor","value":"c"}]}}';
      const [n] = parseInputText(text).notifications;
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(Object.keys(n.dimensions)).toEqual(['__proto__', 'constructor']);
      expect(JSON.parse(JSON.stringify(routeLine(route(n, defaultPolicy())))).dimensions).toEqual(JSON.parse('{"__proto__":"v","constructor":"c"}'));
      // The incident keeps them too (an assignment would drop `__proto__`), so nothing is trimmed and no raw copy is needed.
      const kept = boundSnapshot(snapshot(n));
      expect(Object.keys(kept.dimensions)).toEqual(['__proto__', 'constructor']);
      expect(JSON.stringify(kept)).toBe(JSON.stringify(snapshot(n)));
      expect(trimmedForStorage(n)).toBe(false);
    });
  });
});
