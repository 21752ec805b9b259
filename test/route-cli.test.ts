import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTE_LINE_KEYS } from './helpers/route-contract';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FIXTURES = join(ROOT, 'test/fixtures/alarms');
const CONTRACT_CASES = join(ROOT, 'test/fixtures/contract');
const TSX = join(ROOT, 'node_modules/.bin/tsx');
const CLI = join(ROOT, 'packages/local/src/route-cli.ts');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The CLI itself, without npm in between (keeps the suite fast). */
const route = (...args: string[]) => run(TSX, [CLI, ...args]);

const lines = (text: string) => text.split('\n').filter((l) => l.trim() !== '');

function expectRefused(r: Run, mentions?: RegExp) {
  expect(r.code).toBe(2);
  expect(r.stdout).toBe('');
  const err = lines(r.stderr);
  expect(err, r.stderr).toHaveLength(1);
  expect(err[0]).toMatch(/^route: /);
  expect(r.stderr).not.toContain('    at ');
  if (mentions) expect(err[0]).toMatch(mentions);
}

let tmp: string;
const tmpFile = (name: string, content: string) => {
  const path = join(tmp, name);
  writeFileSync(path, content);
  return path;
};

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'route-cli-'));
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

describe.concurrent('route CLI on the payload fixtures', () => {
  const fixtures = [
    ['metric-alarm.event.json', { kind: 'alarm', state: 'ALARM', region: 'us-east-1', severity: 'P2' }],
    ['metric-ok.alarm.json', { kind: 'alarm', state: 'OK', previousState: 'INSUFFICIENT_DATA', region: 'us-west-1' }],
    ['eu-west-1-empty-dimensions.alarm.json', { region: 'eu-west-1', dimensions: {} }],
    ['composite.event.json', { kind: 'alarm', namespace: null, metric: null, dimensions: {} }],
    ['anomaly-detection-ok.event.json', { state: 'OK', metric: 'TargetResponseTime' }],
    [
      'insufficient-data.http.json',
      { state: 'INSUFFICIENT_DATA', region: 'us-east-1', incidentKey: '123456789012:US East (N. Virginia):putmetricdata call rate' },
    ],
    ['eventbridge-state-change.http.json', { alarmName: 'api-node-cpu-high', region: 'us-east-1' }],
    ['metrics-insights.constructed.http.json', { namespace: null, metric: null }],
    ['aws-budgets.event.json', { kind: 'message', state: null, severity: 'P2', channels: ['email', 'dashboard'] }],
    ['custom-text.http.json', { kind: 'message', alarmName: 'Reports' }],
  ] as const;

  it.each(fixtures)('%s → exit 0, one JSON line with every contract key', async (file, want) => {
    const r = await route(join(FIXTURES, file));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const out = lines(r.stdout);
    expect(out).toHaveLength(1);
    const line = JSON.parse(out[0]);
    expect(Object.keys(line).sort()).toEqual([...ROUTE_LINE_KEYS].sort());
    expect(line).toMatchObject(want);
    expect(['P0', 'P1', 'P2', 'P3']).toContain(line.severity);
  });

  it('prints one line per record of a multi-record SNSEvent, in order', async () => {
    const records = ['metric-alarm.event.json', 'aws-budgets.event.json', 'composite.event.json'].flatMap(
      (f) => (JSON.parse(readFileSync(join(FIXTURES, f), 'utf8')) as { Records: unknown[] }).Records,
    );
    const r = await route(tmpFile('three.json', JSON.stringify({ Records: records })));
    expect(r.code, r.stderr).toBe(0);
    const out = lines(r.stdout).map((l) => JSON.parse(l));
    expect(out.map((l) => l.kind)).toEqual(['alarm', 'message', 'alarm']);
    expect(out[2].alarmName).toBe('orders-api-degraded');
  });

  it('routes a broken alarm inside an SNSEvent as a message and warns on stderr', async () => {
    const event = JSON.parse(readFileSync(join(FIXTURES, 'metric-alarm.event.json'), 'utf8'));
    const message = JSON.parse(event.Records[0].Sns.Message);
    message.Trigger.Period = 'abc';
    event.Records[0].Sns.Message = JSON.stringify(message);
    const r = await route(tmpFile('broken-inside.json', JSON.stringify(event)));
    expect(r.code).toBe(0);
    expect(lines(r.stdout)).toHaveLength(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ kind: 'message', state: null });
    expect(r.stderr).toContain('Records[0].Sns.Message.Trigger.Period');
  });

  it('answers the same through `npm run --silent route --` (the contract form)', async () => {
    const r = await run('npm', ['run', '--silent', 'route', '--', join(CONTRACT_CASES, 'high-error-rate.event.json')]);
    expect(r.code, r.stderr).toBe(0);
    expect(lines(r.stdout)).toHaveLength(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ alarmName: 'HighErrorRate', severity: 'P0', channels: ['pagerduty', 'slack', 'dashboard'] });
  });
});

describe.concurrent('route CLI on webhook payloads and AWS service messages (recognised by shape)', () => {
  const SOURCES = join(ROOT, 'test/fixtures');
  const cases = [
    ['webhooks/sentry-issue-alert.json', [{ kind: 'sentry', state: 'ALARM', severity: 'P1', incidentKey: 'sentry:issue:4810573921' }]],
    ['webhooks/sentry-metric-alert-critical.derived.json', [{ kind: 'sentry', state: 'ALARM', severity: 'P0', channels: ['pagerduty', 'slack', 'dashboard'] }]],
    ['webhooks/sentry-metric-alert-resolved.json', [{ kind: 'sentry', state: 'OK', previousState: 'ALARM', incidentKey: 'sentry:metric-alert:2931' }]],
    ['webhooks/gcp-open.json', [{ kind: 'gcp', state: 'ALARM', severity: 'P2', incidentKey: 'gcp:0.n4k8q2w7x1zb' }]],
    ['webhooks/gcp-closed.json', [{ kind: 'gcp', state: 'OK', incidentKey: 'gcp:0.n4k8q2w7x1zb' }]],
    ['webhooks/azure-fired.json', [{ kind: 'azure', state: 'ALARM', severity: 'P3', alarmName: 'ledger-vm-heartbeat-missing' }]],
    ['webhooks/azure-resolved.json', [{ kind: 'azure', state: 'OK', alarmName: 'ledger-vm-cpu-high', metric: 'Percentage CPU' }]],
    ['webhooks/alertmanager-firing.json', [{ kind: 'alertmanager', state: 'ALARM', severity: 'P1', incidentKey: 'alertmanager:3a7f1c9e5b2d8046' }]],
    ['webhooks/alertmanager-resolved.json', [{ kind: 'alertmanager', state: 'OK', incidentKey: 'alertmanager:d04b8e2f6a1c5937' }]],
    [
      'webhooks/grafana-firing.json',
      [
        { kind: 'alertmanager', incidentKey: 'alertmanager:5e1b9d3f7a2c6084' },
        { kind: 'alertmanager', incidentKey: 'alertmanager:81c6a4e0d2f9b357' },
      ],
    ],
    ['webhooks/generic-trigger.constructed.json', [{ kind: 'generic', state: 'ALARM', severity: 'P1' }]],
    ['webhooks/generic-resolve.constructed.json', [{ kind: 'generic', state: 'OK', incidentKey: 'generic:export-job/nightly' }]],
    ['sns/guardduty-govcloud.event.json', [{ kind: 'message', severity: 'P0', region: 'us-gov-east-1', channels: ['pagerduty', 'slack', 'dashboard'] }]],
    ['sns/guardduty-high.json', [{ kind: 'message', severity: 'P0', region: 'eu-central-1' }]],
    ['sns/securityhub-medium.json', [{ kind: 'message', severity: 'P1', region: 'eu-west-2' }]],
    ['sns/aws-health-scheduled.json', [{ kind: 'message', severity: 'P3', channels: ['dashboard'] }]],
    ['sns/ses-bounce.http.json', [{ kind: 'message', alarmName: 'SES Bounce (Permanent/General) for no-such-user@example.org from alerts@example.com' }]],
    ['sns/china-alarm.event.json', [{ kind: 'alarm', region: 'cn-north-1', state: 'ALARM' }]],
    ['sns/govcloud-alarm.derived.event.json', [{ kind: 'alarm', region: 'us-gov-west-1' }]],
  ] as const;

  it.each(cases)('%s', async (file, want) => {
    const r = await route(join(SOURCES, file));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const out = lines(r.stdout).map((l) => JSON.parse(l));
    expect(out).toHaveLength(want.length);
    out.forEach((line, i) => {
      expect(Object.keys(line).sort()).toEqual([...ROUTE_LINE_KEYS].sort());
      expect(line).toMatchObject(want[i]);
    });
  });

  it('--source forces a source: Grafana read as Alertmanager; an Alertmanager body forced to gcp is refused with the path', async () => {
    const forced = await route(join(SOURCES, 'webhooks/grafana-firing.json'), '--source', 'alertmanager');
    expect(forced.code, forced.stderr).toBe(0);
    expect(lines(forced.stdout)).toHaveLength(2);
    expectRefused(await route(join(SOURCES, 'webhooks/alertmanager-firing.json'), '--source', 'gcp'), /incident: .*Google Cloud Monitoring/);
  });

  it('an unknown --source is refused, naming the choices', async () => {
    expectRefused(
      await route(join(SOURCES, 'webhooks/gcp-open.json'), '--source', 'nagios'),
      /--source: expected one of sentry, gcp, azure, alertmanager, generic/,
    );
  });
});

describe.concurrent('route CLI refuses junk: exit 2, nothing on stdout, one stderr line, no stack', () => {
  const junk: [string, string, RegExp][] = [
    ['truncated.json', '{"Records": [', /not JSON/],
    ['empty.json', '', /not JSON/],
    ['null.json', 'null', /got null/],
    ['array.json', '[]', /got an array/],
    ['number.json', '42', /got a number/],
    ['object.json', '{}', /got an object with keys \(none\)/],
    ['no-records.json', '{"Records": []}', /Records: no records/],
    ['empty-sns.json', '{"Records":[{"Sns":{}}]}', /Records\[0\]\.Sns\.Message: /],
    ['bad-period.json', '{"AlarmName":"x","NewStateValue":"ALARM","Trigger":{"Period":"abc"}}', /Trigger\.Period: expected a number, got "abc"/],
    ['binary.json', '\u0000\u0001\u00ff\ufffd PNG', /not JSON/],
    [
      'deep.json',
      `{"AlarmName":"x","NewStateValue":"ALARM","Trigger":{"Dimensions":[{"name":"a","value":${'['.repeat(50_000)}${']'.repeat(50_000)}}]}}`,
      /Trigger\.Dimensions\[0\]\.value: expected a string/,
    ],
  ];

  it.each(junk)('%s', async (name, content, mentions) => {
    expectRefused(await route(tmpFile(name, content)), mentions);
  });

  it('an SNS SubscriptionConfirmation', async () => {
    expectRefused(await route(join(FIXTURES, 'subscription-confirmation.http.json')), /SubscriptionConfirmation carries no alarm/);
  });

  it('a file that does not exist', async () => {
    expectRefused(await route(join(tmp, 'nope.json')), /cannot read .*nope\.json \(ENOENT\)/);
  });

  it('a directory', async () => {
    expectRefused(await route(tmp), /cannot read/);
  });

  it('no FILE at all', async () => {
    expectRefused(await route(), /usage: route FILE \[--config POLICY\.yaml\]/);
  });

  it('the contract junk case', async () => {
    expectRefused(await route(join(CONTRACT_CASES, 'junk.json')), /not JSON/);
  });
});

describe.concurrent('route CLI --config', () => {
  const shipped = () => readFileSync(join(ROOT, 'packages/core/policy/default.yaml'), 'utf8');

  it('a custom policy changes the severity', async () => {
    const custom = shipped().replace('rules:\n', 'rules:\n  - { name: Node failures page, alarmName: "*orders-api-payment-failures", severity: P0 }\n');
    expect(custom).not.toBe(shipped());
    const file = join(FIXTURES, 'metric-alarm.event.json');
    const [before, after, short] = await Promise.all([
      route(file),
      route(file, '--config', tmpFile('custom.yaml', custom)),
      route('-c', join(tmp, 'custom.yaml'), file),
    ]);
    expect(JSON.parse(before.stdout)).toMatchObject({ severity: 'P2', channels: ['email', 'dashboard'] });
    expect(after.code, after.stderr).toBe(0);
    expect(JSON.parse(after.stdout)).toMatchObject({ severity: 'P0', channels: ['pagerduty', 'slack', 'dashboard'] });
    expect(JSON.parse(short.stdout)).toMatchObject({ severity: 'P0' });
  });

  it('a custom default severity reaches plain messages too', async () => {
    const custom = shipped().replace('defaultSeverity: P2', 'defaultSeverity: P3');
    const r = await route(join(FIXTURES, 'custom-text.event.json'), '--config', tmpFile('p3.yaml', custom));
    expect(JSON.parse(r.stdout)).toMatchObject({ kind: 'message', severity: 'P3', channels: ['dashboard'] });
  });

  it('a missing --config file → exit 2 with a clear line', async () => {
    const missing = join(tmp, 'no-such-policy.yaml');
    const r = await route(join(FIXTURES, 'metric-alarm.event.json'), '--config', missing);
    expectRefused(r, /no-such-policy\.yaml: cannot read policy file \(ENOENT\)/);
  });

  it('an invalid --config file → exit 2 naming the key', async () => {
    const bad = shipped().replace('channels: [pagerduty, slack, dashboard]', 'channels: [pagerduty, sms, dashboard]');
    const r = await route(join(FIXTURES, 'metric-alarm.event.json'), '--config', tmpFile('bad.yaml', bad));
    expectRefused(r, /severities\.P0\.channels\[1\]/);
  });

  it('--config without a value → exit 2', async () => {
    expectRefused(await route(join(FIXTURES, 'metric-alarm.event.json'), '--config'));
  });
});
