import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
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

/** What a fixture must parse to (see test/fixtures/alarms/SOURCES.md for where each payload comes from). */
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

const CASES: [file: string, expected: Expected][] = [
  [
    'metric-alarm.event.json',
    {
      shape: 'sns-event',
      kind: 'alarm',
      alarmKind: 'metric',
      alarmName: 'if-sim-app_427809481713_us-east-1-metric_emitting_node_failure',
      state: 'ALARM',
      previousState: 'INSUFFICIENT_DATA',
      region: 'us-east-1',
      regionName: 'US East (N. Virginia)',
      account: '427809481713',
      namespace: 'sim-app_427809481713_us-east-1',
      metric: 'IExecutionFailureHook',
      dimensions: { MetricGroupId: 'routing_table.receive.hook', RouteID: 'metric_emitting_node' },
      incidentKey: ARN('us-east-1', '427809481713', 'if-sim-app_427809481713_us-east-1-metric_emitting_node_failure'),
      changedAt: '2021-11-10T02:45:55.640Z',
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
      alarmName: 'gci-aws07-web01 CPU over 60%',
      state: 'OK',
      previousState: 'INSUFFICIENT_DATA',
      region: 'us-west-1',
      regionName: 'US West (N. California)',
      account: '481311441598',
      namespace: 'AWS/EC2',
      metric: 'CPUUtilization',
      dimensions: { InstanceId: 'i-0b8582b3ccdd2c421' },
      incidentKey: ARN('us-west-1', '481311441598', 'gci-aws07-web01 CPU over 60%'),
      changedAt: '2022-03-11T11:03:03.943Z',
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
      alarmName: 'CPU-UTILIZATION_GREATER_THAN_90_FOR_ALL_EC2',
      state: 'ALARM',
      previousState: 'OK',
      region: 'eu-west-1',
      regionName: 'EU (Ireland)',
      account: '464661424927',
      namespace: 'AWS/EC2',
      metric: 'CPUUtilization',
      dimensions: {},
      incidentKey: ARN('eu-west-1', '464661424927', 'CPU-UTILIZATION_GREATER_THAN_90_FOR_ALL_EC2'),
      changedAt: '2021-05-10T05:59:23.984Z',
      treatMissingData: 'missing',
      statistic: 'MAXIMUM',
    },
  ],
  [
    'extended-statistic.event.json',
    {
      shape: 'sns-event',
      kind: 'alarm',
      alarmKind: 'metric',
      alarmName: 'SprintOneProjStack-LatencyAlarmD644240E-1H4NE9GDB0DI9',
      state: 'ALARM',
      previousState: 'OK',
      region: 'us-east-2',
      regionName: 'US East (Ohio)',
      account: '315997497220',
      namespace: 'SikandarWebHealth',
      metric: 'url_latency',
      dimensions: { URL: 'www.skipq.org' },
      incidentKey: ARN('us-east-2', '315997497220', 'SprintOneProjStack-LatencyAlarmD644240E-1H4NE9GDB0DI9'),
      changedAt: '2021-12-19T23:05:05.304Z',
      treatMissingData: null,
      statistic: 'Average',
    },
  ],
  [
    'extended-statistic-p99.derived.event.json',
    {
      shape: 'sns-event',
      kind: 'alarm',
      alarmKind: 'metric',
      alarmName: 'SprintOneProjStack-LatencyAlarmD644240E-1H4NE9GDB0DI9',
      state: 'ALARM',
      previousState: 'OK',
      region: 'us-east-2',
      account: '315997497220',
      namespace: 'SikandarWebHealth',
      metric: 'url_latency',
      dimensions: { URL: 'www.skipq.org' },
      incidentKey: ARN('us-east-2', '315997497220', 'SprintOneProjStack-LatencyAlarmD644240E-1H4NE9GDB0DI9'),
      changedAt: '2021-12-19T23:05:05.304Z',
      treatMissingData: null,
      statistic: 'p99',
    },
  ],
  [
    // aws-lambda-go sample: placeholder ARN `arn:aws:cloudwatch:REGION:ACCOUNT_NUMBER:...` is no region code.
    'metric-math.event.json',
    {
      shape: 'sns-event',
      kind: 'alarm',
      alarmKind: 'metric-math',
      alarmName: 'EXAMPLE',
      state: 'ALARM',
      previousState: 'INSUFFICIENT_DATA',
      region: null,
      account: 'EXAMPLE',
      namespace: 'AWS/EC2',
      metric: 'NetworkOut',
      dimensions: { InstanceId: 'TestInstance' },
      incidentKey: 'arn:aws:cloudwatch:REGION:ACCOUNT_NUMBER:alarm:EXAMPLE',
      changedAt: '2015-06-03T17:43:27.123Z',
      treatMissingData: 'missing',
      expression: 'm1*1',
    },
  ],
  [
    'treat-missing-data-junk.event.json',
    {
      shape: 'sns-event',
      kind: 'alarm',
      alarmKind: 'metric',
      alarmName: 'EXAMPLE',
      state: 'ALARM',
      previousState: 'INSUFFICIENT_DATA',
      region: null,
      account: '123456789012',
      namespace: 'AWS/EC2',
      metric: 'NetworkOut',
      dimensions: { InstanceId: 'TestInstance' },
      incidentKey: 'arn:aws:cloudwatch:REGION:ACCOUNT_NUMBER:alarm:EXAMPLE',
      changedAt: '2015-06-03T17:43:27.123Z',
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
      alarmName: 'vibe-nonprod-lb-dev-alb-latency',
      state: 'OK',
      previousState: 'ALARM',
      region: 'us-east-2',
      account: '201123718756',
      namespace: 'AWS/ApplicationELB',
      metric: 'TargetResponseTime',
      dimensions: { LoadBalancer: 'app/lb-dev/699cf0a8ae9d6530' },
      incidentKey: ARN('us-east-2', '201123718756', 'vibe-nonprod-lb-dev-alb-latency'),
      changedAt: '2021-06-29T15:36:20.269Z',
      treatMissingData: 'ignore',
      expression: 'ANOMALY_DETECTION_BAND(m1, 2)',
    },
  ],
  [
    // The metric lives in another account (Metrics[0].AccountId 775096123702); the alarm belongs to 471112847654.
    'cross-account-anomaly.event.json',
    {
      shape: 'sns-event',
      kind: 'alarm',
      alarmKind: 'anomaly-detection',
      alarmName: '# Error Api  |  Verificarseg  |  Inicio de Sesión',
      state: 'ALARM',
      previousState: 'OK',
      region: 'us-east-1',
      account: '471112847654',
      namespace: 'AWS/ApiGateway',
      metric: 'Count',
      dimensions: { ApiName: 'bmp-msp-verificarseg-pro', Resource: '/iniciarsesion', Stage: 'pro', Method: 'POST' },
      incidentKey: ARN('us-east-1', '471112847654', '# Error Api  |  Verificarseg  |  Inicio de Sesión'),
      changedAt: '2025-11-14T18:40:26.838Z',
      treatMissingData: 'missing',
      expression: 'ANOMALY_DETECTION_BAND(m1, 1.5)',
    },
  ],
  [
    'composite.event.json',
    {
      shape: 'sns-event',
      kind: 'alarm',
      alarmKind: 'composite',
      alarmName: 'if-sim-app_427809481713_us-east-1-test_node_monitor',
      state: 'ALARM',
      previousState: 'OK',
      region: 'us-east-1',
      account: '427809481713',
      namespace: null,
      metric: null,
      dimensions: {},
      incidentKey: ARN('us-east-1', '427809481713', 'if-sim-app_427809481713_us-east-1-test_node_monitor'),
      changedAt: '2021-11-10T02:45:55.640Z',
      treatMissingData: null,
    },
  ],
  [
    'log-metric-filter.alarm.json',
    {
      shape: 'alarm',
      kind: 'alarm',
      alarmKind: 'metric',
      alarmName: 'Telemetry rate DEV-TEST-7F7ATR312LER00015 - UNIT TEST',
      state: 'ALARM',
      previousState: 'OK',
      region: 'us-west-2',
      regionName: 'US West (Oregon)',
      account: '511596272857',
      namespace: 'LogMetrics',
      metric: 'Telemetry Message Rate for VIN DEV-7F7ATR312LER00015',
      dimensions: {},
      incidentKey: ARN('us-west-2', '511596272857', 'Telemetry rate DEV-7F7ATR312LER00015'),
      changedAt: '2022-04-21T20:29:41.411Z',
      treatMissingData: null,
    },
  ],
  [
    'insufficient-data.http.json',
    {
      shape: 'sns-notification',
      kind: 'alarm',
      alarmKind: 'metric',
      alarmName: 'insufficient test',
      state: 'INSUFFICIENT_DATA',
      previousState: 'OK',
      region: 'us-east-1',
      regionName: 'US East (N. Virginia)',
      account: '853553028582',
      namespace: 'AWS/Usage',
      metric: 'CallCount2',
      dimensions: { Type: 'API', Resource: 'PutMetricData', Service: 'CloudWatch', Class: 'None' },
      incidentKey: '853553028582:US East (N. Virginia):insufficient test',
      changedAt: '2019-08-09T10:19:19.614Z',
      treatMissingData: 'missing',
    },
  ],
  [
    'no-arn-eu-ireland.http.json',
    {
      shape: 'sns-notification',
      kind: 'alarm',
      alarmKind: 'metric',
      alarmName: 'bucketbytesAlarm',
      state: 'ALARM',
      previousState: 'INSUFFICIENT_DATA',
      region: 'eu-west-1',
      regionName: 'EU (Ireland)',
      account: '1234567890',
      namespace: 'AWS/S3',
      metric: 'BucketSizeBytes',
      dimensions: { StorageType: 'StandardStorage', BucketName: 'try.alerta.io' },
      incidentKey: '1234567890:EU (Ireland):bucketbytesAlarm',
      changedAt: '2019-02-15T23:53:45.093Z',
      treatMissingData: null,
    },
  ],
  [
    'eventbridge-state-change.http.json',
    {
      shape: 'sns-notification',
      kind: 'alarm',
      alarmKind: 'metric',
      alarmName: 'ServerCpuTooHigh',
      state: 'ALARM',
      previousState: 'OK',
      region: 'us-east-1',
      account: '123456789012',
      namespace: 'AWS/EC2',
      metric: 'CPUUtilization',
      dimensions: { InstanceId: 'i-12345678901234567' },
      incidentKey: ARN('us-east-1', '123456789012', 'ServerCpuTooHigh'),
      changedAt: '2019-10-02T17:04:40.989Z',
      treatMissingData: null,
    },
  ],
  [
    'eventbridge-metric-math.json',
    {
      shape: 'alarm',
      kind: 'alarm',
      alarmKind: 'metric-math',
      alarmName: 'TotalNetworkTrafficTooHigh',
      state: 'ALARM',
      previousState: 'INSUFFICIENT_DATA',
      region: 'us-east-1',
      account: '123456789012',
      namespace: null,
      metric: null,
      dimensions: {},
      incidentKey: ARN('us-east-1', '123456789012', 'TotalNetworkTrafficTooHigh'),
      changedAt: '2019-10-02T17:20:48.554Z',
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
      alarmName: 'EC2 CPU Utilization Anomaly',
      state: 'ALARM',
      previousState: 'OK',
      region: 'us-east-1',
      account: '123456789012',
      namespace: 'AWS/EC2',
      metric: 'CPUUtilization',
      dimensions: { InstanceId: 'i-12345678901234567' },
      incidentKey: ARN('us-east-1', '123456789012', 'EC2 CPU Utilization Anomaly'),
      changedAt: '2019-10-03T16:00:04.653Z',
      treatMissingData: null,
      expression: 'ANOMALY_DETECTION_BAND(m1, 0.8)',
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
      alarmName: 'AWS Budgets: teste has exceeded your alert threshold',
      state: null,
      previousState: null,
      region: 'us-east-2',
      account: '058100963274',
      namespace: null,
      metric: null,
      dimensions: {},
      incidentKey: '058100963274:us-east-2:AWS Budgets: teste has exceeded your alert threshold',
      changedAt: '2021-07-05T18:12:06.111Z',
      treatMissingData: null,
    },
  ],
  [
    'custom-text.event.json',
    {
      shape: 'sns-event',
      kind: 'message',
      alarmKind: 'message',
      alarmName: 'TestInvoke',
      state: null,
      previousState: null,
      region: null,
      account: null,
      namespace: null,
      metric: null,
      dimensions: {},
      incidentKey: 'unknown:unknown:TestInvoke',
      changedAt: '2015-06-03T17:43:27.123Z',
      treatMissingData: null,
    },
  ],
  [
    'custom-text.http.json',
    {
      shape: 'sns-notification',
      kind: 'message',
      alarmKind: 'message',
      alarmName: 'My First Message',
      state: null,
      previousState: null,
      region: 'us-west-2',
      account: '123456789012',
      namespace: null,
      metric: null,
      dimensions: {},
      incidentKey: '123456789012:us-west-2:My First Message',
      changedAt: '2012-05-02T00:54:06.655Z',
      treatMissingData: null,
    },
  ],
];

describe('real payload fixtures', () => {
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
    expect(Object.keys(line).sort()).toEqual(
      [
        'kind',
        'alarmName',
        'state',
        'previousState',
        'severity',
        'channels',
        'incidentKey',
        'account',
        'region',
        'namespace',
        'metric',
        'dimensions',
        'reason',
      ].sort(),
    );
    expect(line).toMatchObject({ kind: want.kind, alarmName: want.alarmName, region: want.region, incidentKey: want.incidentKey, dimensions: want.dimensions });
  });

  it('keeps composite details: rule and triggering children', () => {
    const n = parseInput(fixture('composite.event.json')).notifications[0];
    expect(n.alarmRule).toMatch(/^ALARM\(arn:aws:cloudwatch:us-east-1:427809481713:alarm:.*metric_emitting_node_failure\) OR ALARM\(/);
    expect(n.triggeringChildren).toEqual([
      {
        arn: 'arn:aws:cloudwatch:us-east-1:427809481713:alarm:if-sim-app_427809481713_us-east-1-metric_emitting_node_failure',
        state: 'ALARM',
        at: '2021-11-10T02:45:55.640Z',
      },
    ]);
  });

  it('keeps the SNS envelope facts and the prose of a Budgets message', () => {
    const n = parseInput(fixture('aws-budgets.event.json')).notifications[0];
    expect(n.sns).toEqual({
      messageId: '62bd4c7d-8dda-5ef7-93f4-1520c06c8bee',
      topicArn: 'arn:aws:sns:us-east-2:058100963274:budget',
      subject: 'AWS Budgets: teste has exceeded your alert threshold',
      timestamp: '2021-07-05T18:12:06.111Z',
    });
    expect(n.text).toContain('ACTUAL Amount: $41.45');
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
    a.AlarmArn = `arn:aws:cloudwatch:${region}:481311441598:alarm:x`;
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
    expect(n.incidentKey).toBe('481311441598:EU (Ireland):gci-aws07-web01 CPU over 60%');
  });

  it('the account comes from the ARN when AWSAccountId is absent', () => {
    const a = fixture('eu-west-1-empty-dimensions.alarm.json') as Record<string, unknown>;
    delete a.AWSAccountId;
    expect(parseInput(a).notifications[0].account).toBe('464661424927');
  });
});

describe('small normalisers', () => {
  it.each([
    ['2021-11-10T02:45:55.640+0000', '2021-11-10T02:45:55.640Z'],
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
    expect(n.alarmName).toBe('ALARM: "if-sim-app_427809481713_us-east-1-metric_emitting_node_failure" in US East (N. Virginia)');
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
      a.AlarmArn = `arn:aws:cloudwatch:us-west-1:481311441598:alarm:${name}`;
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
    });
  });
});
