import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  DEFAULT_POLICY_PATH,
  channelsFor,
  classify,
  defaultPolicy,
  nameTokens,
  parseInput,
  severityFromDescription,
  validatePolicy,
  type Notification,
  type Policy,
  type Severity,
} from '@alert-router/core';

const FIXTURES = fileURLToPath(new URL('./fixtures/alarms/', import.meta.url));
const CONTRACT = fileURLToPath(new URL('./fixtures/contract/', import.meta.url));
const load = (path: string): unknown => JSON.parse(readFileSync(path, 'utf8'));

/** A CloudWatch alarm message as CloudWatch writes it (shape of the runbook's alarms), optionally through a topic. */
function alarm(opts: { name: string; namespace?: string; metric?: string; description?: string | null; topic?: string }): Notification {
  const message = {
    AlarmName: opts.name,
    AlarmDescription: opts.description ?? null,
    AWSAccountId: '123456789012',
    NewStateValue: 'ALARM',
    NewStateReason: 'Threshold Crossed: 2 out of the last 2 datapoints were greater than the threshold.',
    StateChangeTime: '2024-01-15T10:11:58.402+0000',
    Region: 'US East (N. Virginia)',
    AlarmArn: `arn:aws:cloudwatch:us-east-1:123456789012:alarm:${opts.name}`,
    OldStateValue: 'OK',
    Trigger: {
      MetricName: opts.metric ?? 'SomeMetric',
      Namespace: opts.namespace ?? 'Custom/App',
      StatisticType: 'Statistic',
      Statistic: 'AVERAGE',
      Unit: null,
      Dimensions: [],
      Period: 300,
      EvaluationPeriods: 2,
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 1,
    },
  };
  if (!opts.topic) return parseInput(message).notifications[0];
  return parseInput({
    Type: 'Notification',
    MessageId: '00000000-0000-4000-8000-000000000000',
    TopicArn: `arn:aws:sns:us-east-1:123456789012:${opts.topic}`,
    Subject: `ALARM: "${opts.name}" in US East (N. Virginia)`,
    Message: JSON.stringify(message),
    Timestamp: '2024-01-15T10:12:00.000Z',
  }).notifications[0];
}

const policy = defaultPolicy();
/** The shipped policy as raw YAML data, to be edited and validated again. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the test edits the raw YAML tree freely
const rawPolicy = (): Record<string, any> => parseYaml(readFileSync(DEFAULT_POLICY_PATH, 'utf8'));

describe('nameTokens', () => {
  it.each([
    ['CriticalAlertsTopic', ['critical', 'alerts', 'topic']],
    ['prod-alerts-high', ['prod', 'alerts', 'high']],
    ['highway-events', ['highway', 'events']],
    ['HIGHAlerts', ['high', 'alerts']],
    ['alerts_P1', ['alerts', 'p1']],
    ['MediumAlertsTopic.fifo', ['medium', 'alerts', 'topic', 'fifo']],
    ['lowlatency-events', ['lowlatency', 'events']],
  ])('%s → %j', (name, tokens) => {
    expect(nameTokens(name)).toEqual(tokens);
  });
});

describe('severity from the description', () => {
  it.each([
    ['severity: P1', 'P1'],
    ['Severity=critical; owner: payments', 'P0'],
    ['[P0] checkout is down', 'P0'],
    ['[ high ] latency', 'P1'],
    ['SEVERITY: "p3"', 'P3'],
    ['RDS CPU above 75%', null],
    ['the P1 team owns this', null],
    [null, null],
  ])('%j → %s', (description, want) => {
    expect(severityFromDescription(description)?.severity ?? null).toBe(want);
  });

  // The README's marker table: every marker word in every form.
  const MARKERS: [string, string][] = [
    ['P0', 'P0'],
    ['P1', 'P1'],
    ['P2', 'P2'],
    ['P3', 'P3'],
    ['sev0', 'P0'],
    ['sev1', 'P0'],
    ['sev2', 'P1'],
    ['sev3', 'P2'],
    ['sev4', 'P3'],
    ['critical', 'P0'],
    ['high', 'P1'],
    ['medium', 'P2'],
    ['low', 'P3'],
    ['info', 'P3'],
  ];
  const FORMS = [
    (w: string) => `severity: ${w}. Checkout is failing`,
    (w: string) => `[${w}] checkout is failing`,
    (w: string) => `owner=payments severity=${w}`,
  ];
  it.each(MARKERS.flatMap(([word, want]) => FORMS.map((form) => [form(word), want])))('%j → %s', (description, want) => {
    expect(severityFromDescription(description)).toMatchObject({ severity: want });
  });

  it.each(['severity: sev5', '[P4]', 'severity=sev10', 'severity: informational', '[sev 1]'])('%j is no marker', (description) => {
    expect(severityFromDescription(description)).toBeNull();
  });
});

describe('classification order: description, then topic, then rules, then the default', () => {
  it('an explicit `severity: P1` in the description beats the topic and the rules', () => {
    const n = alarm({
      name: 'HighErrorRate',
      namespace: 'AWS/ApplicationELB',
      metric: 'HTTPCode_Target_5XX_Count',
      description: 'severity: P3',
      topic: 'CriticalAlertsTopic',
    });
    expect(classify(n, policy)).toMatchObject({ severity: 'P3', by: 'description', detail: 'severity: P3' });
  });

  it('`[P0]` in the description beats a low topic', () => {
    const n = alarm({ name: 'Whatever', description: '[P0] payments are failing', topic: 'LowAlertsTopic' });
    expect(classify(n, policy)).toMatchObject({ severity: 'P0', by: 'description' });
  });

  it('the topic beats the rules', () => {
    const n = alarm({ name: 'DatabaseHighCPU', namespace: 'AWS/RDS', metric: 'CPUUtilization', topic: 'CriticalAlertsTopic' });
    expect(classify(n, policy)).toMatchObject({ severity: 'P0', by: 'topic', detail: 'CriticalAlertsTopic' });
  });

  it('the rules beat the default', () => {
    const n = alarm({ name: 'HighErrorRate', namespace: 'AWS/ApplicationELB', metric: 'HTTPCode_Target_5XX_Count' });
    expect(classify(n, policy)).toMatchObject({ severity: 'P0', by: 'rule', detail: 'High error rate', runbook: 'high-error-rate' });
  });

  it('with nothing to go on, the policy default (P2) applies', () => {
    const n = alarm({ name: 'SomethingElse' });
    expect(classify(n, policy)).toMatchObject({ severity: 'P2', by: 'default', detail: null });
  });

  it('the runbook of a matching rule is kept even when the topic decides the severity', () => {
    const n = alarm({ name: 'HighResponseTime', namespace: 'AWS/ApplicationELB', metric: 'TargetResponseTime', topic: 'CriticalAlertsTopic' });
    expect(classify(n, policy)).toMatchObject({ severity: 'P0', by: 'topic', runbook: 'high-response-time' });
  });
});

describe('topic names: whole-word tokens only', () => {
  it.each([
    ['CriticalAlertsTopic', 'P0'],
    ['HighAlertsTopic', 'P1'],
    ['prod-alerts-high', 'P1'],
    ['MediumAlertsTopic', 'P2'],
    ['ops_low_priority', 'P3'],
  ] as const)('%s → %s', (topic, severity) => {
    expect(classify(alarm({ name: 'SomethingElse', topic }), policy)).toMatchObject({ severity, by: 'topic' });
  });

  it.each(['highway-events', 'lowlatency-events', 'criticality-report', 'HighwayEvents', 'alerts'])('%s does not match a severity word', (topic) => {
    expect(classify(alarm({ name: 'SomethingElse', topic }), policy)).toMatchObject({ severity: 'P2', by: 'default' });
  });
});

describe("the runbook's four alarms with the default policy", () => {
  it.each([
    ['HighErrorRate', 'AWS/ApplicationELB', 'HTTPCode_Target_5XX_Count', 'P0', ['pagerduty', 'slack', 'dashboard']],
    ['HighResponseTime', 'AWS/ApplicationELB', 'TargetResponseTime', 'P1', ['slack', 'email', 'dashboard']],
    ['HighCPUUtilization', 'AWS/ECS', 'CPUUtilization', 'P1', ['slack', 'email', 'dashboard']],
    ['DatabaseHighCPU', 'AWS/RDS', 'CPUUtilization', 'P2', ['email', 'dashboard']],
  ] as const)('%s (%s %s) → %s', (name, namespace, metric, severity, channels) => {
    const n = alarm({ name, namespace, metric });
    const c = classify(n, policy);
    expect(c.severity).toBe(severity);
    expect(c.by).toBe('rule');
    expect(channelsFor(c.severity, policy)).toEqual(channels);
  });

  it.each([
    ['HighErrorRate', 'CriticalAlertsTopic', 'P0'],
    ['HighResponseTime', 'HighAlertsTopic', 'P1'],
    ['HighCPUUtilization', 'HighAlertsTopic', 'P1'],
    ['DatabaseHighCPU', 'MediumAlertsTopic', 'P2'],
  ] as const)('%s through %s (its AlarmActions topic) → %s', (name, topic, severity) => {
    expect(classify(alarm({ name, topic }), policy).severity).toBe(severity);
  });

  it('the contract cases classify as the contract says', () => {
    const cases = load(`${CONTRACT}cases.json`) as { file: string; refuse?: boolean; expect?: { severity?: Severity } }[];
    for (const c of cases.filter((c) => !c.refuse && c.expect?.severity)) {
      const [n] = parseInput(load(`${CONTRACT}${c.file}`)).notifications;
      expect(classify(n, policy).severity, c.file).toBe(c.expect!.severity);
    }
  });
});

describe('rules', () => {
  const withRules = (rules: unknown[]): Policy => {
    const raw = rawPolicy();
    raw.rules = rules;
    return validatePolicy(raw);
  };

  it('alarm names take * wildcards and are case-insensitive', () => {
    const p = withRules([{ alarmName: 'prod-*-5xx', severity: 'P0' }]);
    expect(classify(alarm({ name: 'PROD-checkout-5XX' }), p).severity).toBe('P0');
    expect(classify(alarm({ name: 'staging-checkout-5xx' }), p).severity).toBe('P2');
  });

  it('regex characters in alarm names are literal', () => {
    const p = withRules([{ alarmName: 'api (v2) p99+', severity: 'P1' }]);
    expect(classify(alarm({ name: 'api (v2) p99+' }), p).severity).toBe('P1');
    expect(classify(alarm({ name: 'api v2 p999' }), p).severity).toBe('P2');
  });

  it('namespace + metric rules match any metric of a metric-math alarm', () => {
    const p = withRules([{ namespace: 'AWS/EC2', metric: 'NetworkIn', severity: 'P1' }]);
    const [n] = parseInput(load(`${FIXTURES}eventbridge-metric-math.json`)).notifications;
    expect(n.namespace).toBeNull();
    expect(classify(n, p)).toMatchObject({ severity: 'P1', by: 'rule' });
  });

  it('first matching rule wins', () => {
    const p = withRules([
      { name: 'first', namespace: 'AWS/EC2', severity: 'P3' },
      { name: 'second', alarmName: 'web-frontend-*', severity: 'P0' },
    ]);
    const [n] = parseInput(load(`${FIXTURES}metric-ok.alarm.json`)).notifications;
    expect(classify(n, p)).toMatchObject({ severity: 'P3', detail: 'first' });
  });

  it('composite alarms and plain messages only match by name', () => {
    const p = withRules([
      { namespace: 'AWS/EC2', severity: 'P0' },
      { alarmName: '*-degraded', severity: 'P1' },
    ]);
    const [composite] = parseInput(load(`${FIXTURES}composite.event.json`)).notifications;
    expect(classify(composite, p)).toMatchObject({ severity: 'P1', by: 'rule' });
    const [budget] = parseInput(load(`${FIXTURES}aws-budgets.event.json`)).notifications;
    expect(classify(budget, p)).toMatchObject({ severity: 'P2', by: 'default' });
  });
});

describe('channels per severity, in contract order', () => {
  it.each([
    ['P0', ['pagerduty', 'slack', 'dashboard']],
    ['P1', ['slack', 'email', 'dashboard']],
    ['P2', ['email', 'dashboard']],
    ['P3', ['dashboard']],
  ] as const)('%s → %j', (severity, channels) => {
    expect(channelsFor(severity, policy)).toEqual(channels);
  });

  it('keeps contract order whatever order the policy lists them in', () => {
    const raw = rawPolicy();
    raw.severities.P0.channels = ['dashboard', 'email', 'pagerduty', 'slack'];
    expect(channelsFor('P0', validatePolicy(raw))).toEqual(['pagerduty', 'slack', 'email', 'dashboard']);
  });
});
