/**
 * Infrastructure wiring, offline: sst.config.ts and stacks/ are evaluated against a stand-in of SST's
 * globals (test/helpers/sst-standin.ts) that records every component and its arguments. No .sst/, no
 * Pulumi, no AWS. The argument *types* are checked against the real SST 4 API by
 * `npm run typecheck:infra`; this file checks what is wired to what.
 *
 * The stack modules are imported by computed path, so the main `tsc -p tsconfig.json` (which has no
 * SST globals) does not type-check them; tsconfig.infra.json does.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { loadPolicyFile, parseInput, route } from '@alert-router/core';
import { createTableInput, TABLE } from '../packages/aws/src/table';
import { ROW_PROJECTION } from '../packages/aws/src/store/row';
import { DASHBOARD_HTTP_ROUTES, dashboardRoutes } from '../packages/aws/src/dashboard/routes';
import { WEBHOOK_HTTP_ROUTES } from '../packages/aws/src/webhooks/routes';
import type { HttpEvent } from '../packages/aws/src/api/http';
import type { Runtime } from '../packages/aws/src/runtime';
import { installStandIn, type Recorded, type StandIn } from './helpers/sst-standin';
import { buildLambdaBundle } from '../bench/lib/lambda-bundle';
import { dailyCron, logRetentionFor, parseDigestTime, readSettings, SettingsError } from '../stacks/settings';
import {
  CONTENTION_BUDGET_MS,
  DEFAULT_DELIVERY_BUDGET_MS,
  DEFAULT_DELIVERY_LEASE_MS,
  DIGEST_BUDGET_MS,
  RESPONSE_URL_TIMEOUT_MS,
  SLACK_CHANNEL_BUDGET_MS,
} from '../stacks/timeouts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** A deployed API's URL, in place of the stand-in's placeholder (`<Api.url>`, which is no URL). */
const API_URL = 'https://abc123.execute-api.eu-west-1.amazonaws.com';

/** The brief's contract, written out rather than imported from stacks/ so the test cannot agree with a typo. */
const EXPECTED_FUNCTIONS = {
  AlarmHandler: { handler: 'functions/alarm.handler', secrets: ['PagerDutyRoutingKey', 'SlackWebhookUrl', 'SlackBotToken', 'SmtpUrl'] },
  SlackHandler: { handler: 'functions/slack.handler', secrets: ['SlackSigningSecret', 'PagerDutyRoutingKey', 'SlackWebhookUrl', 'SlackBotToken', 'SmtpUrl'] },
  DashboardHandler: {
    handler: 'functions/dashboard.handler',
    secrets: ['DashboardToken', 'PagerDutyRoutingKey', 'SlackWebhookUrl', 'SlackBotToken', 'SmtpUrl'],
  },
  EscalateHandler: { handler: 'functions/escalate.handler', secrets: ['PagerDutyRoutingKey', 'SlackWebhookUrl', 'SlackBotToken', 'SmtpUrl'] },
  DigestHandler: { handler: 'functions/digest.handler', secrets: ['SlackWebhookUrl', 'SmtpUrl'] },
  HygieneHandler: { handler: 'functions/hygiene.handler', secrets: ['SlackWebhookUrl', 'SmtpUrl'] },
  WebhookHandler: {
    handler: 'functions/webhooks.handler',
    secrets: ['SentryClientSecret', 'WebhookToken', 'PagerDutyRoutingKey', 'SlackWebhookUrl', 'SlackBotToken', 'SmtpUrl'],
  },
} as const;
const ALL_SECRETS = [
  'PagerDutyRoutingKey',
  'SlackWebhookUrl',
  'SlackSigningSecret',
  'SlackBotToken',
  'SmtpUrl',
  'DashboardToken',
  'SentryClientSecret',
  'WebhookToken',
];
const WEBHOOK_ROUTES = ['POST /webhooks/sentry', 'POST /webhooks/gcp', 'POST /webhooks/azure', 'POST /webhooks/alertmanager', 'POST /webhooks/generic'];
const SLACK_ROUTES = ['POST /slack/commands', 'POST /slack/interactions'];
const DASHBOARD_ROUTES = [
  'GET /health',
  'GET /assets/{proxy+}',
  'GET /login',
  'POST /login',
  'POST /logout',
  'GET /',
  'GET /incidents/{id}',
  'GET /api/dashboard',
  'GET /api/incidents',
  'GET /api/incidents/{id}',
  'POST /api/incidents/{id}/ack',
  'POST /api/incidents/{id}/resolve',
  'POST /api/incidents/{id}/split',
  'POST /api/silences',
  'GET /api/digest',
  'GET /incidents/{id}/review',
  'POST /api/incidents/{id}/updates',
  'GET /api/hygiene',
];
/** Every deploy-time setting the stacks read; each run starts from these cleared. */
const SETTING_KEYS = [
  'EMAIL_FROM',
  'EMAIL_TO',
  'STAKEHOLDER_EMAILS',
  'SLACK_CHANNEL',
  'LOG_LEVEL',
  'DIGEST_TIME',
  'DIGEST_TIMEZONE',
  'SES_REGION',
  'PAGERDUTY_EVENTS_URL',
  'DELIVERY_BUDGET_MS',
  'DELIVERY_LEASE_MS',
  'DASHBOARD_POLL_MS',
  'EXAMPLE_ALARMS',
  'EXAMPLE_LOAD_BALANCER',
  'EXAMPLE_ECS_CLUSTER',
  'EXAMPLE_ECS_SERVICE',
  'EXAMPLE_DB_INSTANCE',
  'OPS_EMAIL',
  'OPS_HTTPS_URL',
  'ALARM_ACCOUNT_IDS',
  'ALARM_RESERVED_CONCURRENCY',
];
/** Where the ops topic mails to in these tests (production refuses to deploy without one). */
const OPS_EMAIL = 'oncall@example.com';
/** IAM actions SES sending through nodemailer's SESv2 transport needs (raw MIME content → ses:SendRawEmail). */
const SES_ACTIONS = ['ses:SendEmail', 'ses:SendRawEmail'];

interface SstConfig {
  app(input: { stage: string }): Record<string, unknown> | Promise<Record<string, unknown>>;
  run(): Promise<Record<string, unknown>>;
}

async function loadConfig(): Promise<SstConfig> {
  const url = pathToFileURL(resolve(ROOT, 'sst.config.ts')).href;
  return ((await import(/* @vite-ignore */ url)) as { default: SstConfig }).default;
}

interface Deployed {
  sst: StandIn;
  outputs: Record<string, unknown>;
  fn(name: keyof typeof EXPECTED_FUNCTIONS): Recorded;
  /** Names of the resources in a function's `link`. */
  links(name: keyof typeof EXPECTED_FUNCTIONS): string[];
}

/** Runs sst.config.ts's run() for a stage with the given settings. */
async function deploy(stage: string, env: Record<string, string> = {}): Promise<Deployed> {
  const sst = installStandIn({ stage });
  const withOps: Record<string, string> = { OPS_EMAIL, ...env };
  for (const key of SETTING_KEYS) vi.stubEnv(key, withOps[key] ?? '');
  try {
    const outputs = await (await loadConfig()).run();
    const fn = (name: keyof typeof EXPECTED_FUNCTIONS) => sst.one('sst.aws.Function', name);
    const links = (name: keyof typeof EXPECTED_FUNCTIONS) =>
      (fn(name).args.link as unknown[]).map((l) => {
        const rec = sst.of(l);
        if (!rec) throw new Error(`${name} links something that is not a component`);
        return rec.name;
      });
    return { sst, outputs, fn, links };
  } finally {
    sst.restore();
  }
}

afterEach(() => {
  vi.unstubAllEnvs();
});

/** The four topics the router subscribes to (not the ops topic). */
const severityTopics = (d: Deployed) => d.sst.all('sst.aws.SnsTopic').filter((t) => t.name !== 'OpsAlerts');

const production = () => deploy('production', { EMAIL_FROM: 'Alert Router <alerts@example.com>', EMAIL_TO: 'ops@example.com, lead@example.com' });

describe('sst.config.ts app()', () => {
  it('names the app, keeps AWS state in AWS, retains and protects production only', async () => {
    const sst = installStandIn({ stage: 'production' });
    try {
      const config = await loadConfig();
      const aws = { aws: { region: 'eu-west-1' } };
      expect(await config.app({ stage: 'production' })).toEqual({ name: 'alert-router', home: 'aws', providers: aws, removal: 'retain', protect: true });
      expect(await config.app({ stage: 'dev' })).toEqual({ name: 'alert-router', home: 'aws', providers: aws, removal: 'remove', protect: false });
    } finally {
      sst.restore();
    }
  });

  it('pins the region of every stage, whatever AWS_REGION the shell has (secrets and state are per region)', async () => {
    const sst = installStandIn({ stage: 'production' });
    try {
      const config = await loadConfig();
      for (const region of ['us-west-2', '']) {
        vi.stubEnv('AWS_REGION', region);
        vi.stubEnv('AWS_DEFAULT_REGION', region);
        for (const stage of ['production', 'staging', 'dev', 'pr-42']) {
          const app = (await config.app({ stage })) as { providers: { aws: { region: string } } };
          expect(app.providers.aws.region, stage).toMatch(/^[a-z]{2}-[a-z]+-\d$/);
          expect(app.providers.aws.region, stage).not.toBe('us-west-2');
        }
      }
    } finally {
      sst.restore();
    }
  });
});

describe('severity topics and the alarm function', () => {
  it('creates four topics, each subscribed once by the one alarm function', async () => {
    const d = await production();
    const topics = severityTopics(d);
    expect(topics.map((t) => t.args.transform.topic.name).sort()).toEqual(['critical', 'high', 'low', 'medium'].map((s) => `alert-router-production-${s}`));
    const alarmFn = d.fn('AlarmHandler').instance;
    for (const t of topics) {
      const subs = t.calls.filter((c) => c.method === 'subscribe');
      expect(subs, t.name).toHaveLength(1);
      expect(subs[0].args[1]).toBe(alarmFn.arn);
    }
    // Nothing else is subscribed to anything and no other function handles alarms.
    expect(d.sst.all('sst.aws.Function').filter((f) => f.args.handler === 'functions/alarm.handler')).toHaveLength(1);
  });

  it('routes an alarm arriving through each deployed topic name to that severity (the real classifier and default policy)', async () => {
    const d = await production();
    const policy = loadPolicyFile(resolve(ROOT, 'packages/core/policy/default.yaml'));
    const expected: Record<string, string> = { CriticalAlerts: 'P0', HighAlerts: 'P1', MediumAlerts: 'P2', LowAlerts: 'P3' };
    for (const t of severityTopics(d)) {
      const topicArn = `arn:aws:sns:eu-west-1:123456789012:${t.args.transform.topic.name}`;
      const severity = routeThrough(topicArn, { AlarmName: 'SomeUnlistedAlarm', Namespace: 'Custom/App', MetricName: 'Whatever' }, policy);
      expect(severity, t.name).toBe(expected[t.name]);
    }
  });

  it('runs the alarm function on nodejs22.x with 512 MB and a timeout from the budget', async () => {
    const { args } = (await production()).fn('AlarmHandler');
    expect(args).toMatchObject({ runtime: 'nodejs22.x', memory: '512 MB' });
    expect(args.timeout).toMatch(/^\d+ seconds$/);
  });

  it('sends alarms the function fails on, or that waited over an hour, to an SQS dead-letter queue watched from the ops topic', async () => {
    const d = await production();
    const dlqRec = d.sst.one('aws.sqs.Queue', 'AlarmDeadLetters');
    const dlq = dlqRec.instance;
    expect(dlqRec.args).toMatchObject({ name: 'alert-router-production-alarm-dlq', messageRetentionSeconds: 14 * 24 * 3600 });

    const { args } = d.fn('AlarmHandler');
    expect(args.retries).toBe(2);
    expect(args.transform.eventInvokeConfig.destinationConfig.onFailure.destination).toBe(dlq.arn);
    // Lambda's default keeps a throttled event for 6 h; an alarm that late belongs in the queue, where ops hears of it.
    expect(args.transform.eventInvokeConfig.maximumEventAgeInSeconds).toBe(3600);
    expect(args.permissions).toContainEqual({ actions: ['sqs:SendMessage'], resources: [dlq.arn] });

    const ops = d.sst.one('sst.aws.SnsTopic', 'OpsAlerts').instance;
    const onQueue = d.sst.all('aws.cloudwatch.MetricAlarm').filter((a) => a.args.dimensions?.QueueName === dlq.name);
    expect(onQueue.map((a) => a.args.metricName).sort()).toEqual(['ApproximateAgeOfOldestMessage', 'ApproximateNumberOfMessagesVisible']);
    const depth = onQueue.find((a) => a.args.metricName === 'ApproximateNumberOfMessagesVisible')!;
    expect(depth.args).toMatchObject({
      name: 'alert-router-production-alarm-dlq-not-empty',
      namespace: 'AWS/SQS',
      threshold: 0,
      comparisonOperator: 'GreaterThanThreshold',
      alarmActions: [ops.arn],
      okActions: [ops.arn],
    });
    expect(d.outputs.deadLetterQueueUrl).toBe(dlq.url);
    expect(d.outputs.alarmFunctionName).toBe(d.fn('AlarmHandler').instance.name);
  });
});

describe('functions', () => {
  it('has exactly the seven handlers, all on nodejs22.x', async () => {
    const d = await production();
    const fns = d.sst.all('sst.aws.Function');
    expect(Object.fromEntries(fns.map((f) => [f.name, f.args.handler]))).toEqual(
      Object.fromEntries(Object.entries(EXPECTED_FUNCTIONS).map(([n, e]) => [n, e.handler])),
    );
    for (const f of fns) expect(f.args.runtime, f.name).toBe('nodejs22.x');
  });

  it('handler files that exist export `handler`', () => {
    for (const { handler } of Object.values(EXPECTED_FUNCTIONS)) {
      const file = resolve(ROOT, handler.replace(/\.handler$/, '.ts'));
      if (!existsSync(file)) continue; // written in parallel; the local server's tests import them too
      expect(readFileSync(file, 'utf8'), file).toMatch(/export\s+(const|async\s+function|function)\s+handler\b/);
    }
  });

  it.each(Object.entries(EXPECTED_FUNCTIONS))('%s is linked to the table and only its own secrets', async (name, expected) => {
    const d = await production();
    const key = name as keyof typeof EXPECTED_FUNCTIONS;
    expect(d.links(key).sort()).toEqual(['Incidents', ...expected.secrets].sort());

    // Secrets travel only through the link (SST's encrypted resource file), never as environment values.
    const env = d.fn(key).args.environment as Record<string, string>;
    expect(Object.keys(env).filter((k) => k.startsWith('SST_RESOURCE_'))).toEqual([]);
    expect(JSON.stringify(env)).not.toContain('<secret:');

    // No other secret's value appears anywhere in the function's arguments.
    const text = JSON.stringify(d.fn(key).args);
    for (const other of ALL_SECRETS.filter((s) => !(expected.secrets as readonly string[]).includes(s))) {
      expect(text, `${name} must not see ${other}`).not.toContain(`<secret:${other}>`);
    }
  });

  it('gives every function its runtime configuration and ships the default policy in the bundle', async () => {
    const d = await production();
    const table = d.sst.one('sst.aws.Dynamo', 'Incidents').instance;
    expect(existsSync(resolve(ROOT, 'packages/core/policy/default.json'))).toBe(true);
    for (const f of d.sst.all('sst.aws.Function')) {
      // The default policy is compiled into the bundle (default.json): no file to copy, no YAML to parse.
      expect(f.args.copyFiles, f.name).toBeUndefined();
      expect(f.args.environment, f.name).not.toHaveProperty('ROUTER_POLICY_FILE');
      expect(f.args.nodejs, f.name).toEqual({ splitting: true });
      expect(f.args.environment, f.name).toMatchObject({
        ROUTER_TABLE: table.name,
        EMAIL_FROM: 'Alert Router <alerts@example.com>',
        EMAIL_TO: 'ops@example.com,lead@example.com',
        DASHBOARD_URL: d.outputs.apiUrl,
        POWERTOOLS_SERVICE_NAME: 'alert-router',
        // One namespace per stage: staging's heartbeat must not keep production's heartbeat alarm green.
        POWERTOOLS_METRICS_NAMESPACE: 'AlertRouter/production',
        LOG_LEVEL: 'INFO',
      });
    }
  });

  it('passes optional settings only when set: no SES_REGION, no SES permission, no tuning by default', async () => {
    const d = await production();
    for (const f of d.sst.all('sst.aws.Function')) {
      const env = f.args.environment as Record<string, string>;
      for (const key of ['SES_REGION', 'PAGERDUTY_EVENTS_URL', 'DELIVERY_BUDGET_MS', 'DELIVERY_LEASE_MS', 'DASHBOARD_POLL_MS']) {
        expect(env, `${f.name} ${key}`).not.toHaveProperty(key);
      }
      expect(JSON.stringify(f.args.permissions ?? []), f.name).not.toContain('ses:');
    }
  });

  it('gives the digest function the zone it is scheduled in (functions/digest.ts reads DIGEST_TIMEZONE), and only it', async () => {
    const d = await deploy('production', { DIGEST_TIME: '07:30', DIGEST_TIMEZONE: 'Europe/Berlin' });
    expect(d.fn('DigestHandler').args.environment.DIGEST_TIMEZONE).toBe('Europe/Berlin');
    expect(d.sst.one('sst.aws.CronV2', 'Digest').args.timezone).toBe(d.fn('DigestHandler').args.environment.DIGEST_TIMEZONE);
    expect((await production()).fn('DigestHandler').args.environment.DIGEST_TIMEZONE).toBe('UTC');
    for (const f of d.sst.all('sst.aws.Function').filter((f) => f.name !== 'DigestHandler')) {
      expect(f.args.environment, f.name).not.toHaveProperty('DIGEST_TIMEZONE');
    }
  });

  it('with SES_REGION, every function (each may send email) gets it and may send through SES; the alarm function keeps its DLQ permission', async () => {
    const d = await deploy('production', { SES_REGION: 'eu-west-1', EMAIL_FROM: 'alerts@example.com', EMAIL_TO: 'ops@example.com' });
    const dlq = d.sst.one('aws.sqs.Queue', 'AlarmDeadLetters').instance;
    for (const f of d.sst.all('sst.aws.Function')) {
      expect(f.args.environment.SES_REGION, f.name).toBe('eu-west-1');
      expect(f.args.permissions, f.name).toContainEqual({ actions: SES_ACTIONS, resources: ['*'] });
    }
    expect(d.fn('AlarmHandler').args.permissions).toContainEqual({ actions: ['sqs:SendMessage'], resources: [dlq.arn] });
    // The code reads the same variable.
    const { readConfig } = await import('../packages/aws/src/config');
    expect(readConfig({ ROUTER_TABLE: 't', ...d.fn('DigestHandler').args.environment, DASHBOARD_URL: API_URL }).sesRegion).toBe('eu-west-1');
  });

  it('passes SLACK_CHANNEL when set (the Web API posts there with the SlackBotToken secret), and nothing otherwise', async () => {
    const d = await deploy('production', { SLACK_CHANNEL: 'C0INCIDENT' });
    for (const f of d.sst.all('sst.aws.Function')) expect(f.args.environment.SLACK_CHANNEL, f.name).toBe('C0INCIDENT');
    const { readConfig } = await import('../packages/aws/src/config');
    expect(readConfig({ ROUTER_TABLE: 't', ...d.fn('AlarmHandler').args.environment, DASHBOARD_URL: API_URL }).slackChannel).toBe('C0INCIDENT');
    for (const f of (await production()).sst.all('sst.aws.Function')) expect(f.args.environment, f.name).not.toHaveProperty('SLACK_CHANNEL');
  });

  it('passes the runtime tuning variables when set, DASHBOARD_POLL_MS to the dashboard only', async () => {
    const d = await deploy('production', {
      PAGERDUTY_EVENTS_URL: 'https://events.eu.pagerduty.com/v2/enqueue',
      DELIVERY_BUDGET_MS: '6000',
      DELIVERY_LEASE_MS: '30000',
      DASHBOARD_POLL_MS: '20000',
    });
    for (const f of d.sst.all('sst.aws.Function')) {
      expect(f.args.environment, f.name).toMatchObject({
        PAGERDUTY_EVENTS_URL: 'https://events.eu.pagerduty.com/v2/enqueue',
        DELIVERY_BUDGET_MS: '6000',
        DELIVERY_LEASE_MS: '30000',
      });
      if (f.name === 'DashboardHandler') expect(f.args.environment.DASHBOARD_POLL_MS).toBe('20000');
      else expect(f.args.environment, f.name).not.toHaveProperty('DASHBOARD_POLL_MS');
    }
    const { readConfig } = await import('../packages/aws/src/config');
    const config = readConfig({ ROUTER_TABLE: 't', ...d.fn('AlarmHandler').args.environment, DASHBOARD_URL: API_URL });
    expect(config).toMatchObject({ pagerdutyEventsUrl: 'https://events.eu.pagerduty.com/v2/enqueue', deliveryBudgetMs: 6000, leaseMs: 30000 });
  });

  it.each([
    ['production', '1 month'],
    ['staging', '1 week'],
    ['dev', '3 days'],
    ['pr-123', '3 days'],
  ])('keeps logs of stage %s for %s, the API access logs too', async (stage, retention) => {
    expect(logRetentionFor(stage)).toBe(retention);
    const d = await deploy(stage);
    for (const f of d.sst.all('sst.aws.Function')) expect(f.args.logging, f.name).toEqual({ retention, format: 'json' });
    expect(d.sst.one('sst.aws.ApiGatewayV2', 'Api').args.accessLog).toEqual({ retention });
  });

  it.each(['DEBUG', 'WARN'])("sets Lambda's application log level to LOG_LEVEL=%s (JSON logs drop DEBUG otherwise)", async (level) => {
    const d = await deploy('dev', { LOG_LEVEL: level });
    const again = installStandIn({ stage: 'dev' }); // the transform runs inside SST, with its globals
    onTestFinished(() => again.restore());
    for (const f of d.sst.all('sst.aws.Function')) {
      // SST's own loggingConfig (format and log group) is kept; the level is added.
      const args: Record<string, unknown> = { loggingConfig: { logFormat: 'JSON', logGroup: `<${f.name}.logGroup>` } };
      f.args.transform.function(args, {}, f.name);
      expect(args.loggingConfig, f.name).toEqual({ logFormat: 'JSON', logGroup: `<${f.name}.logGroup>`, applicationLogLevel: level, systemLogLevel: 'WARN' });
      expect(f.args.environment.LOG_LEVEL, f.name).toBe(level);
    }
  });
});

describe('function bundles', () => {
  // What SST's Node build does (bench/lib/lambda-bundle.ts: esbuild, ESM, splitting, createRequire banner) and what Lambda then does:
  // load the module from the bundle directory. Catches import-time crashes and CJS-in-ESM breakage offline.
  const existing = Object.entries(EXPECTED_FUNCTIONS).filter(([, e]) => existsSync(resolve(ROOT, e.handler.replace(/\.handler$/, '.ts'))));

  it.each(existing)('%s bundles and loads, its default policy inside the bundle', async (name, e) => {
    const dir = mkdtempSync(join(tmpdir(), 'bundle-')); // outside node_modules, so the SDK is bundled in
    try {
      const fn = e.handler.replace(/^functions\/|\.handler$/g, '');
      const { entry } = await buildLambdaBundle(fn, { withSdk: true, outdir: dir });
      const out = execFileSync(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `const m = await import(${JSON.stringify(pathToFileURL(entry).href)}); console.log(JSON.stringify({ handler: typeof m.handler }));`,
        ],
        {
          cwd: dir,
          env: { PATH: process.env.PATH, ROUTER_TABLE: 'incidents', POWERTOOLS_METRICS_NAMESPACE: 'AlertRouter' },
          encoding: 'utf8',
          timeout: 20_000,
        },
      );
      expect(JSON.parse(out.trim().split('\n').pop()!), name).toEqual({ handler: 'function' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the watcher: an ops topic that does not depend on the router', () => {
  const opsOf = (d: Deployed) => d.sst.one('sst.aws.SnsTopic', 'OpsAlerts');
  const alarmsOn = (d: Deployed, filter: (a: Recorded) => boolean = () => true) => d.sst.all('aws.cloudwatch.MetricAlarm').filter(filter);

  it('is subscribed by email and HTTPS from the settings, and by no router function', async () => {
    const d = await deploy('production', {
      OPS_EMAIL: 'oncall@example.com, lead@example.com',
      OPS_HTTPS_URL: 'https://events.pagerduty.com/integration/abc/enqueue',
    });
    const ops = opsOf(d);
    expect(ops.args.transform.topic.name).toBe('alert-router-production-ops');
    expect(ops.calls.filter((c) => c.method.startsWith('subscribe'))).toEqual([]);
    const subs = d.sst.all('aws.sns.TopicSubscription');
    expect(subs.map((s) => s.args)).toEqual([
      { topic: ops.instance.arn, protocol: 'email', endpoint: 'oncall@example.com' },
      { topic: ops.instance.arn, protocol: 'email', endpoint: 'lead@example.com' },
      { topic: ops.instance.arn, protocol: 'https', endpoint: 'https://events.pagerduty.com/integration/abc/enqueue', endpointAutoConfirms: true },
    ]);
    // No function is given the ops topic in any way (link, permission, environment, subscription).
    for (const f of d.sst.all('sst.aws.Function')) expect(JSON.stringify(f.args), f.name).not.toContain(ops.instance.arn);
    for (const t of severityTopics(d)) for (const c of t.calls) expect(c.args[1]).not.toBe(ops.instance.arn);
  });

  it("refuses a production deploy with nowhere to send the router's own failures", async () => {
    await expect(deploy('production', { OPS_EMAIL: '' })).rejects.toThrow(/^OPS_EMAIL: required in production/);
    expect(() => readSettings('production', { OPS_HTTPS_URL: 'http://hooks.example.com/x' })).toThrow(/OPS_HTTPS_URL: a deployed function needs an https URL/);
    expect(readSettings('dev', {}).ops).toEqual({ emails: [], httpsUrl: null });
  });

  it('has an Errors and a Throttles alarm on every function, each sent to the ops topic only', async () => {
    const d = await production();
    const ops = opsOf(d).instance;
    const fns = d.sst.all('sst.aws.Function');
    expect(fns.length).toBe(Object.keys(EXPECTED_FUNCTIONS).length);
    for (const f of fns) {
      for (const metric of ['Errors', 'Throttles']) {
        const found = alarmsOn(
          d,
          (a) => a.args.namespace === 'AWS/Lambda' && a.args.metricName === metric && a.args.dimensions?.FunctionName === f.instance.name,
        );
        expect(found, `${f.name} ${metric}`).toHaveLength(1);
        expect(found[0].args, `${f.name} ${metric}`).toMatchObject({
          statistic: 'Sum',
          threshold: 0,
          comparisonOperator: 'GreaterThanThreshold',
          treatMissingData: 'notBreaching',
        });
        expect(found[0].args.name).toMatch(/^alert-router-production-/);
      }
    }
    const critical = d.sst.one('sst.aws.SnsTopic', 'CriticalAlerts').instance;
    for (const a of alarmsOn(d)) {
      expect(a.args.alarmActions, a.name).toEqual([ops.arn]);
      expect(a.args.okActions, a.name).toEqual([ops.arn]);
      expect(JSON.stringify(a.args), a.name).not.toContain(critical.arn);
    }
  });

  it('alarms on DestinationDeliveryFailures of every function with an on-failure destination', async () => {
    const d = await production();
    const withDestination = d.sst.all('sst.aws.Function').filter((f) => f.args.transform?.eventInvokeConfig?.destinationConfig?.onFailure);
    expect(withDestination.map((f) => f.name).sort()).toEqual(['AlarmHandler', 'EscalateHandler']);
    for (const f of withDestination) {
      expect(
        alarmsOn(d, (a) => a.args.metricName === 'DestinationDeliveryFailures' && a.args.dimensions.FunctionName === f.instance.name),
        f.name,
      ).toHaveLength(1);
    }
  });

  it('watches the depth and the age of every dead-letter queue', async () => {
    const d = await production();
    const queues = d.sst.all('aws.sqs.Queue');
    expect(queues.map((q) => q.args.name).sort()).toEqual(['alert-router-production-alarm-dlq', 'alert-router-production-escalate-dlq']);
    for (const q of queues) {
      const on = alarmsOn(d, (a) => a.args.namespace === 'AWS/SQS' && a.args.dimensions.QueueName === q.instance.name);
      expect(on.map((a) => a.args.metricName).sort(), q.name).toEqual(['ApproximateAgeOfOldestMessage', 'ApproximateNumberOfMessagesVisible']);
      for (const a of on) expect(a.args.treatMissingData, a.name).toBe('notBreaching');
    }
  });

  it('has a heartbeat: the sweep counts each run, and no count for 5 minutes (missing data) is breaching', async () => {
    const d = await production();
    const hb = d.sst.one('aws.cloudwatch.MetricAlarm', 'EscalationHeartbeat').args;
    expect(hb).toMatchObject({ treatMissingData: 'breaching', comparisonOperator: 'LessThanThreshold', threshold: 1, statistic: 'Sum', period: 300 });
    // The metric is the one functions/escalate.ts counts, in the namespace and with the service dimension it publishes under.
    const source = readFileSync(resolve(ROOT, 'functions/escalate.ts'), 'utf8');
    expect(source).toContain(`rt.metrics.count('${hb.metricName}')`);
    const env = d.fn('EscalateHandler').args.environment;
    expect(hb.namespace).toBe(env.POWERTOOLS_METRICS_NAMESPACE);
    expect(hb.dimensions).toEqual({ service: env.POWERTOOLS_SERVICE_NAME });
    // Another stage's sweeps cannot feed this stage's heartbeat.
    const staging = (await deploy('staging')).sst.one('aws.cloudwatch.MetricAlarm', 'EscalationHeartbeat').args;
    expect(staging.namespace).not.toBe(hb.namespace);
  });

  it('the deployed escalation handler counts one heartbeat per finished sweep, and none for a failed one', async () => {
    const { routerWithPeers } = await import('./helpers/router-runtime');
    const { handler } = await import('../functions/escalate');
    const { lambdaContext, scheduledEvent } = await import('../packages/local/src/lambda-events');
    const aws = await import('../packages/aws/src/index');
    const env = await routerWithPeers();
    aws.setRuntime(env.rt);
    try {
      const beats = () => env.rt.metrics.snapshot().EscalationSweeps ?? 0;
      await handler(scheduledEvent('escalate', new Date()), lambdaContext('escalate'));
      await handler(scheduledEvent('escalate', new Date()), lambdaContext('escalate'));
      expect(beats()).toBe(2);
      const listDue = vi.spyOn(env.rt.store, 'listDue').mockRejectedValueOnce(new Error('DynamoDB unavailable'));
      await expect(handler(scheduledEvent('escalate', new Date()), lambdaContext('escalate'))).rejects.toThrow('DynamoDB unavailable');
      listDue.mockRestore();
      expect(beats()).toBe(2);
    } finally {
      aws.setRuntime(undefined);
      await env.close();
    }
  });

  it('reports a configuration error at start once per container, on the metric the ops alarm watches', async () => {
    const d = await production();
    const alarm = d.sst.one('aws.cloudwatch.MetricAlarm', 'StartupErrors').args;
    expect(alarm).toMatchObject({
      namespace: 'AlertRouter/production',
      dimensions: { service: 'alert-router' },
      threshold: 0,
      treatMissingData: 'notBreaching',
    });
    expect(readFileSync(resolve(ROOT, 'packages/aws/src/observability.ts'), 'utf8')).toContain(`addMetric('${alarm.metricName}'`);

    const aws = await import('../packages/aws/src/index');
    const errors = vi.spyOn(aws.logger, 'error').mockImplementation(() => undefined);
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'true');
    vi.stubEnv('ROUTER_TABLE', 'incidents');
    vi.stubEnv('SLACK_WEBHOOK_URL', 'not a url');
    aws.setRuntime(undefined);
    try {
      for (let i = 0; i < 3; i++) await expect(aws.runtime()).rejects.toThrow('SLACK_WEBHOOK_URL: expected a URL');
      const reports = errors.mock.calls.filter((c) => String(c[0]).startsWith('startup error'));
      expect(reports).toHaveLength(1);
      expect(reports[0][1]).toEqual({ error: expect.stringMatching(/^ConfigError: SLACK_WEBHOOK_URL: expected a URL/) });
      expect(JSON.stringify(reports)).not.toContain('not a url');
    } finally {
      errors.mockRestore();
      aws.setRuntime(undefined);
    }
  });
});

describe('the escalation sweep', () => {
  it('is retried once, then kept in its own dead-letter queue, from the function and from the scheduler', async () => {
    const d = await production();
    const dlq = d.sst.one('aws.sqs.Queue', 'EscalateDeadLetters').instance;
    const { args } = d.fn('EscalateHandler');
    expect(args.retries).toBeGreaterThan(0);
    expect(args.transform.eventInvokeConfig.destinationConfig.onFailure.destination).toBe(dlq.arn);
    expect(args.permissions).toContainEqual({ actions: ['sqs:SendMessage'], resources: [dlq.arn] });
    expect(d.sst.one('sst.aws.CronV2', 'Escalate').args).toMatchObject({ dlq: dlq.arn, retries: 2 });
    expect(d.outputs.escalateDeadLetterQueueUrl).toBe(dlq.url);
  });
});

describe('timeouts from the budgets', () => {
  const timeoutS = (f: Recorded) => Number(/^(\d+) seconds$/.exec(f.args.timeout)![1]);

  it("mirrors the code's own budgets and waits", async () => {
    const { readConfig } = await import('../packages/aws/src/config');
    const timing = await import('../packages/aws/src/slack/timing');
    const defaults = readConfig({ ROUTER_TABLE: 't' });
    expect(DEFAULT_DELIVERY_BUDGET_MS).toBe(defaults.deliveryBudgetMs);
    expect(DEFAULT_DELIVERY_LEASE_MS).toBe(defaults.leaseMs);
    expect(SLACK_CHANNEL_BUDGET_MS).toBe(timing.SLACK_CHANNEL_BUDGET_MS);
    expect(RESPONSE_URL_TIMEOUT_MS).toBe(timing.RESPONSE_URL_TIMEOUT_MS);
    const store = await import('../packages/aws/src/store');
    expect(CONTENTION_BUDGET_MS).toBe(store.CONTENTION_BUDGET_MS);
    const digest = readFileSync(resolve(ROOT, 'packages/aws/src/digest/broadcast.ts'), 'utf8');
    expect(digest).toContain(`budgetMs: ${DIGEST_BUDGET_MS.toLocaleString('en').replace(/,/g, '_')}`);
  });

  it.each([[undefined], ['4000'], ['12000'], ['20000']])(
    'DELIVERY_BUDGET_MS=%s: the alarm function outlives its pages and the resolves that waited for them',
    async (budget) => {
      const d = await deploy('production', budget ? { DELIVERY_BUDGET_MS: budget, DELIVERY_LEASE_MS: '60000' } : {});
      const b = Number(budget ?? 8000);
      // Worst case written out: the pages (b), then the resolves that waited for them (b), seven DynamoDB requests.
      expect(timeoutS(d.fn('AlarmHandler')) * 1000).toBeGreaterThan(2 * b + 7 * 1000);
      // The dashboard resolves with the full budget; the sweep may resend an ack and then a resolve.
      expect(timeoutS(d.fn('DashboardHandler')) * 1000).toBeGreaterThan(b + 6 * 1000);
      expect(timeoutS(d.fn('EscalateHandler')) * 1000).toBeGreaterThan(2 * b + 7 * 1000);
      // Behind API Gateway, nothing may outlive its 30 s.
      for (const f of ['SlackHandler', 'DashboardHandler'] as const) expect(timeoutS(d.fn(f)), f).toBeLessThanOrEqual(30);
    },
  );

  it("refuses a budget that cannot fit a function's timeout, naming both values", () => {
    const run = () => readSettings('production', { OPS_EMAIL, DELIVERY_BUDGET_MS: '25000', DELIVERY_LEASE_MS: '90000' });
    expect(run).toThrow(SettingsError);
    expect(run).toThrow(
      /^DELIVERY_BUDGET_MS: 25000 ms does not fit the alarm function: its timeout would be 63 s .*2 × 2000 ms contention.*above its limit of 60 s \(an alarm should be handled within a minute\); use at most 23500 ms$/,
    );
    expect(() => readSettings('production', { OPS_EMAIL, DELIVERY_BUDGET_MS: '22000', DELIVERY_LEASE_MS: '90000' })).not.toThrow();
  });

  it("refuses a lease shorter than the alarm function's timeout, naming both values", () => {
    expect(() => readSettings('production', { OPS_EMAIL, DELIVERY_LEASE_MS: '20000' })).toThrow(
      /^DELIVERY_LEASE_MS: 20000 ms is shorter than the alarm function's timeout of 29 s \(from DELIVERY_BUDGET_MS 8000 ms\)/,
    );
  });

  it('gives the alarm function reserved concurrency (ALARM_RESERVED_CONCURRENCY, or off), never 0', async () => {
    expect((await production()).fn('AlarmHandler').args.concurrency).toEqual({ reserved: 20 });
    // Other stages reserve nothing unless asked: a new account's pool leaves nothing to reserve.
    expect((await deploy('dev')).fn('AlarmHandler').args).not.toHaveProperty('concurrency');
    expect((await deploy('dev', { ALARM_RESERVED_CONCURRENCY: '5' })).fn('AlarmHandler').args.concurrency).toEqual({ reserved: 5 });
    expect((await deploy('production', { ALARM_RESERVED_CONCURRENCY: '50' })).fn('AlarmHandler').args.concurrency).toEqual({ reserved: 50 });
    expect((await deploy('production', { ALARM_RESERVED_CONCURRENCY: 'off' })).fn('AlarmHandler').args).not.toHaveProperty('concurrency');
    expect(() => readSettings('dev', { ALARM_RESERVED_CONCURRENCY: '0' })).toThrow(
      /^ALARM_RESERVED_CONCURRENCY: expected a whole number of at least 1, or "off", got "0"$/,
    );
  });
});

describe('who may publish to the severity topics', () => {
  const policyOf = (d: Deployed, component: string) => JSON.parse(d.sst.one('aws.sns.TopicPolicy', `${component}Policy`).args.policy);

  it('lets the owning account and its AWS Budgets publish to each severity topic, and no one else by default', async () => {
    const d = await production();
    expect(
      d.sst
        .all('aws.sns.TopicPolicy')
        .map((p) => p.name)
        .sort(),
    ).toEqual(['CriticalAlertsPolicy', 'HighAlertsPolicy', 'LowAlertsPolicy', 'MediumAlertsPolicy']);
    for (const t of severityTopics(d)) {
      expect(d.sst.one('aws.sns.TopicPolicy', `${t.name}Policy`).args.arn).toBe(t.instance.arn);
      const policy = policyOf(d, t.name);
      for (const s of policy.Statement) expect(s.Resource, t.name).toBe(t.instance.arn);
      expect(policy.Statement.map((s: { Sid: string }) => s.Sid)).toEqual(['OwnerAccount', 'AwsBudgets']);
      const budgets = policy.Statement[1];
      expect(budgets).toMatchObject({ Effect: 'Allow', Principal: { Service: 'budgets.amazonaws.com' }, Action: 'SNS:Publish' });
      expect(budgets.Condition.StringEquals['aws:SourceAccount']).toBe('<account>');
      expect(policy.Statement[0].Condition.StringEquals['AWS:SourceOwner']).toBe('<account>');
    }
  });

  it('lets the CloudWatch alarms of the accounts in ALARM_ACCOUNT_IDS publish', async () => {
    const d = await deploy('production', { ALARM_ACCOUNT_IDS: '111122223333, 444455556666' });
    const statements = policyOf(d, 'CriticalAlerts').Statement;
    expect(statements.find((s: { Sid: string }) => s.Sid === 'CloudWatchAlarmsOfListedAccounts')).toMatchObject({
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: 'SNS:Publish',
      Condition: { StringEquals: { 'aws:SourceAccount': ['111122223333', '444455556666'] } },
    });
    expect(statements.find((s: { Sid: string }) => s.Sid === 'ListedAccounts').Principal.AWS).toEqual([
      'arn:aws:iam::111122223333:root',
      'arn:aws:iam::444455556666:root',
    ]);
    expect(() => readSettings('dev', { ALARM_ACCOUNT_IDS: '1234' })).toThrow(/^ALARM_ACCOUNT_IDS: "1234" is not a 12-digit AWS account id$/);
  });
});

describe('the deploy guide (docs/deploy.md, linked from the README)', () => {
  const guide = () => readFileSync(resolve(ROOT, 'docs/deploy.md'), 'utf8');
  const readme = () => readFileSync(resolve(ROOT, 'README.md'), 'utf8');
  /** The shell lines of the guide's ```bash blocks, in order. */
  const commands = (text: string) =>
    [...text.matchAll(/```bash\n([\s\S]*?)```/g)].flatMap((m) =>
      m[1]
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith('#')),
    );

  it('is the only deploy guide: the README links it and repeats none of its commands', () => {
    expect(readme()).toContain('(docs/deploy.md)');
    const readmeCommands = commands(readme());
    expect(readmeCommands.filter((c) => /\bsst (deploy|secret)\b/.test(c))).toEqual([]);
  });

  it('sets exactly the secrets the stacks define', async () => {
    const d = await production();
    const defined = d.sst
      .all('sst.Secret')
      .map((s) => s.name)
      .sort();
    const set = new Set([...`${guide()}\n${readme()}`.matchAll(/sst secret set\s+([A-Za-z0-9]+)/g)].map((m) => m[1]));
    expect([...set].sort()).toEqual(defined);
  });

  it('works in its order: every secret set (placeholders for the Slack ones) before the first deploy, the Slack app from its outputs, then set and deploy again', async () => {
    const d = await production();
    const lines = commands(guide());
    const firstDeploy = lines.findIndex((l) => /^npx sst deploy --stage production$/.test(l));
    expect(firstDeploy).toBeGreaterThan(0);
    const before = lines.slice(0, firstDeploy);
    for (const s of d.sst.all('sst.Secret'))
      expect(
        before.some((l) => l.startsWith(`npx sst secret set ${s.name} `)),
        s.name,
      ).toBe(true);
    // The Slack values do not exist yet: placeholders first.
    for (const name of ['SlackWebhookUrl', 'SlackSigningSecret', 'SlackBotToken'])
      expect(
        before.find((l) => l.startsWith(`npx sst secret set ${name} `)),
        name,
      ).toMatch(/ unset /);
    // After the first deploy: the real Slack values, then another deploy.
    const after = lines.slice(firstDeploy + 1);
    const slackSet = after.findIndex((l) => l.startsWith('npx sst secret set SlackSigningSecret '));
    expect(after.findIndex((l) => l.startsWith('npx sst secret set SlackWebhookUrl '))).toBeGreaterThanOrEqual(0);
    expect(slackSet).toBeGreaterThanOrEqual(0);
    expect(after.slice(slackSet).some((l) => /^npx sst deploy --stage production$/.test(l))).toBe(true);
    // The Slack app is created from outputs the deploy prints, between the two.
    const text = guide();
    expect(text.indexOf('slackCommandsUrl', text.indexOf('npx sst deploy --stage production'))).toBeGreaterThan(0);
  });

  it('shows exactly the outputs the deploy prints', async () => {
    const d = await production();
    const block = /It ends by printing the outputs[\s\S]*?```\n([\s\S]*?)```/.exec(guide());
    expect(block).not.toBeNull();
    const shown = block![1]
      .split('\n')
      .map((l) => /^(\w+):/.exec(l)?.[1])
      .filter(Boolean);
    expect(shown.sort()).toEqual(Object.keys(d.outputs).sort());
  });

  it('documents every deploy-time setting the stacks read', () => {
    const text = guide();
    for (const key of SETTING_KEYS) expect(text, key).toContain(key);
    const source = readFileSync(resolve(ROOT, 'stacks/settings.ts'), 'utf8');
    const read = new Set([...source.matchAll(/\(env, '([A-Z_]+)'/g)].map((m) => m[1]));
    expect([...read].sort()).toEqual([...SETTING_KEYS].sort());
  });
});

describe('api', () => {
  it('has CORS off: no browser on another origin calls it', async () => {
    expect((await production()).sst.one('sst.aws.ApiGatewayV2', 'Api').args.cors).toBe(false);
  });
});

describe('storage', () => {
  it('deploys the table the code queries: keys, GSIs and TTL from packages/aws/src/table.ts', async () => {
    const { args } = (await production()).sst.one('sst.aws.Dynamo', 'Incidents');
    expect(args.primaryIndex).toEqual({ hashKey: 'pk', rangeKey: 'sk' });
    expect(args.primaryIndex).toEqual({ hashKey: TABLE.partitionKey, rangeKey: TABLE.sortKey });
    expect(args.globalIndexes).toEqual({
      byStatus: { hashKey: 'gsi1pk', rangeKey: 'gsi1sk', projection: [...ROW_PROJECTION] },
      byDay: { hashKey: 'gsi2pk', rangeKey: 'gsi2sk', projection: [...ROW_PROJECTION] },
      byDue: { hashKey: 'gsi3pk', rangeKey: 'gsi3sk', projection: 'keys-only' },
    });
    expect(args.ttl).toBe('expiresAt');
    expect(args.ttl).toBe(TABLE.ttlAttribute);
    expect(args.deletionProtection).toBe(true);

    // Same attributes and indexes as the CreateTable input the local runner uses.
    const local = createTableInput('t');
    expect(Object.keys(args.fields).sort()).toEqual(local.AttributeDefinitions.map((a) => a.AttributeName).sort());
    expect(Object.values(args.fields).every((t) => t === 'string')).toBe(true);
    expect(Object.keys(args.globalIndexes).sort()).toEqual(local.GlobalSecondaryIndexes.map((i) => i.IndexName).sort());
    for (const i of local.GlobalSecondaryIndexes) {
      const deployed = (args.globalIndexes as Record<string, { projection: unknown }>)[i.IndexName].projection;
      expect(deployed).toEqual(i.Projection.ProjectionType === 'KEYS_ONLY' ? 'keys-only' : i.Projection.NonKeyAttributes);
    }
  });

  it('has no deletion protection outside production', async () => {
    expect((await deploy('dev')).sst.one('sst.aws.Dynamo', 'Incidents').args.deletionProtection).toBe(false);
  });
});

describe('api', () => {
  it('throttles the public HTTP API at its stage', async () => {
    const d = await production();
    const transform = d.sst.one('sst.aws.ApiGatewayV2', 'Api').args.transform as { stage: (a: Record<string, unknown>) => void };
    const stageArgs: Record<string, unknown> = {};
    transform.stage(stageArgs);
    expect(stageArgs.defaultRouteSettings).toEqual({ throttlingRateLimit: 50, throttlingBurstLimit: 100 });
  });

  it('serves the Slack routes from the slack function and the dashboard routes from the dashboard function', async () => {
    const d = await production();
    const [api] = d.sst.all('sst.aws.ApiGatewayV2');
    const routes = api.calls.filter((c) => c.method === 'route');
    const byTarget = (fn: string) => routes.filter((r) => r.args[1] === d.fn(fn as 'SlackHandler').instance.arn).map((r) => r.args[0]);
    expect(byTarget('SlackHandler').sort()).toEqual([...SLACK_ROUTES].sort());
    expect(byTarget('DashboardHandler').sort()).toEqual([...DASHBOARD_ROUTES].sort());
    expect(byTarget('WebhookHandler').sort()).toEqual([...WEBHOOK_ROUTES].sort());
    expect(routes).toHaveLength(SLACK_ROUTES.length + DASHBOARD_ROUTES.length + WEBHOOK_ROUTES.length);
  });

  it("routes exactly the webhook handler's route list to the webhook function", async () => {
    const d = await production();
    const routes = d.sst.one('sst.aws.ApiGatewayV2', 'Api').calls.filter((c) => c.method === 'route');
    const arn = d.fn('WebhookHandler').instance.arn;
    expect(
      routes
        .filter((r) => r.args[1] === arn)
        .map((r) => r.args[0])
        .sort(),
    ).toEqual([...WEBHOOK_HTTP_ROUTES].sort());
  });

  it('routes exactly what the dashboard handler serves (its own route list) to the dashboard function', async () => {
    const d = await production();
    const routes = d.sst.one('sst.aws.ApiGatewayV2', 'Api').calls.filter((c) => c.method === 'route');
    const dashboardArn = d.fn('DashboardHandler').instance.arn;
    const served = DASHBOARD_HTTP_ROUTES.map((r) => `${r.method} ${r.path}`);
    expect(new Set(served).size).toBe(served.length);
    expect(
      routes
        .filter((r) => r.args[1] === dashboardArn)
        .map((r) => r.args[0])
        .sort(),
    ).toEqual([...served].sort());
    expect([...DASHBOARD_ROUTES].sort()).toEqual([...served].sort());
  });

  it("routes exactly the Slack handler's route table to the slack function", async () => {
    const d = await production();
    const routes = d.sst.one('sst.aws.ApiGatewayV2', 'Api').calls.filter((c) => c.method === 'route');
    const source = readFileSync(resolve(ROOT, 'packages/aws/src/slack/routes.ts'), 'utf8');
    const served = [...source.matchAll(/\{\s*method:\s*'(GET|POST)',\s*path:\s*'([^']+)'/g)].map((m) => `${m[1]} ${m[2]}`);
    expect(served.length).toBeGreaterThan(0);
    expect(
      routes
        .filter((r) => r.args[1] === d.fn('SlackHandler').instance.arn)
        .map((r) => r.args[0])
        .sort(),
    ).toEqual([...served].sort());
  });

  it('splits like the local server: /slack/* to the slack function, everything else to the dashboard', () => {
    for (const r of SLACK_ROUTES) expect(r).toMatch(/^(GET|POST) \/slack\//);
    for (const r of DASHBOARD_ROUTES) expect(r).not.toMatch(/^(GET|POST) \/(slack\/|webhooks\/|sns$)/);
    for (const r of WEBHOOK_ROUTES) expect(r).toMatch(/^POST \/webhooks\//);
  });

  it('lists every path the dashboard answers before authentication, and each really is answered there', async () => {
    // Source guard: each `path === '…'` / `path.startsWith('…')` test in handle() is in the list.
    const source = readFileSync(resolve(ROOT, 'packages/aws/src/dashboard/routes.ts'), 'utf8');
    const handle = source.slice(source.indexOf('async function handle('), source.indexOf('authenticate(event, token, nowMs)'));
    const special = [...handle.matchAll(/path(?: === |\.startsWith\()'([^']+)'/g)].map((m) => m[1]);
    expect(special.sort()).toEqual(['/assets/', '/health', '/login', '/logout']);
    const paths = DASHBOARD_HTTP_ROUTES.map((r) => r.path);
    for (const p of special)
      expect(
        paths.some((q) => q === p || (p.endsWith('/') && q.startsWith(p) && q.endsWith('+}'))),
        p,
      ).toBe(true);

    // Behaviour: with a token configured and no credentials, the open routes still answer (no 401, no router 404/405).
    const TOKEN = 'infra-wiring-token-0123456789';
    const rt = {
      config: { dashboardToken: TOKEN, inLambda: true, emailTo: [] },
      now: () => new Date(),
      store: { getLatch: async () => null },
      metrics: { snapshot: () => ({}) },
    } as unknown as Runtime;
    const event = (method: string, path: string, body = ''): HttpEvent =>
      ({
        version: '2.0',
        routeKey: '$default',
        rawPath: path,
        rawQueryString: '',
        headers: { host: 'example.execute-api.eu-west-1.amazonaws.com', ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
        requestContext: { http: { method, path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.1', userAgent: 'test' } },
        body,
        isBase64Encoded: false,
      }) as unknown as HttpEvent;
    const open = DASHBOARD_HTTP_ROUTES.filter((r) => special.some((p) => r.path === p || (p.endsWith('/') && r.path.startsWith(p))));
    expect(open).toHaveLength(5);
    for (const r of open) {
      const path = r.path.replace('{proxy+}', 'app.css');
      const res = await dashboardRoutes(event(r.method, path, r.method === 'POST' ? new URLSearchParams({ token: TOKEN, next: '/' }).toString() : ''), rt);
      expect([200, 303], `${r.method} ${path}`).toContain(res.statusCode);
    }
  });

  it('outputs the topic ARNs, the API URL and the two Slack URLs', async () => {
    const d = await production();
    const arn = (n: string) => d.sst.one('sst.aws.SnsTopic', n).instance.arn;
    const url = d.sst.one('sst.aws.ApiGatewayV2', 'Api').instance.url;
    expect(d.outputs).toMatchObject({
      criticalTopicArn: arn('CriticalAlerts'),
      highTopicArn: arn('HighAlerts'),
      mediumTopicArn: arn('MediumAlerts'),
      lowTopicArn: arn('LowAlerts'),
      apiUrl: url,
      slackCommandsUrl: `${url}/slack/commands`,
      slackInteractionsUrl: `${url}/slack/interactions`,
    });
  });
});

describe('schedules', () => {
  it('escalates every minute and sends the digest daily at 08:00 UTC by default', async () => {
    const d = await production();
    const escalate = d.sst.one('sst.aws.CronV2', 'Escalate');
    expect(escalate.args.schedule).toBe('rate(1 minute)');
    expect(escalate.args.function).toBe(d.fn('EscalateHandler').instance);
    expect(d.fn('EscalateHandler').args.retries).toBe(1);

    const digest = d.sst.one('sst.aws.CronV2', 'Digest');
    expect(digest.args).toMatchObject({ schedule: 'cron(0 8 * * ? *)', timezone: 'UTC' });
    expect(digest.args.function).toBe(d.fn('DigestHandler').instance);
    // The handlers get EventBridge's Scheduled Event shape, as the local runner sends.
    for (const cron of [escalate, digest]) {
      expect(cron.args.event).toMatchObject({ 'detail-type': 'Scheduled Event', time: '<aws.scheduler.scheduled-time>', detail: {} });
    }
  });

  it('takes the digest time and time zone from DIGEST_TIME and DIGEST_TIMEZONE', async () => {
    const d = await deploy('production', { DIGEST_TIME: '07:30', DIGEST_TIMEZONE: 'Europe/Berlin' });
    expect(d.sst.one('sst.aws.CronV2', 'Digest').args).toMatchObject({ schedule: 'cron(30 7 * * ? *)', timezone: 'Europe/Berlin' });
    expect(d.sst.one('sst.aws.CronV2', 'Hygiene').args).toMatchObject({ schedule: 'cron(30 7 ? * MON *)', timezone: 'Europe/Berlin' });
    expect(d.sst.one('sst.aws.CronV2', 'HygieneMonthly').args).toMatchObject({ schedule: 'cron(30 7 1 * ? *)', timezone: 'Europe/Berlin' });
  });

  it('sends the alert-hygiene report weekly (7 days) and monthly (30 days, detail.days) through one function', async () => {
    const d = await production();
    const weekly = d.sst.one('sst.aws.CronV2', 'Hygiene');
    const monthly = d.sst.one('sst.aws.CronV2', 'HygieneMonthly');
    expect(weekly.args.function).toBe(d.fn('HygieneHandler').instance);
    expect(monthly.args.function).toBe(d.fn('HygieneHandler').instance);
    expect(weekly.args.event).toMatchObject({ 'detail-type': 'Scheduled Event', detail: {} });
    expect(monthly.args.event).toMatchObject({ 'detail-type': 'Scheduled Event', detail: { days: 30 } });
  });

  it('gives STAKEHOLDER_EMAILS to the functions that post stakeholder updates, and only when set', async () => {
    const d = await deploy('production', { STAKEHOLDER_EMAILS: 'exec@example.com, support@example.com' });
    for (const f of d.sst.all('sst.aws.Function')) {
      const env = f.args.environment as Record<string, string>;
      if (f.name === 'SlackHandler' || f.name === 'DashboardHandler') expect(env.STAKEHOLDER_EMAILS, f.name).toBe('exec@example.com,support@example.com');
      else expect(env, f.name).not.toHaveProperty('STAKEHOLDER_EMAILS');
    }
    for (const f of (await production()).sst.all('sst.aws.Function')) expect(f.args.environment, f.name).not.toHaveProperty('STAKEHOLDER_EMAILS');
    expect(() => readSettings('production', { OPS_EMAIL, STAKEHOLDER_EMAILS: 'not-an-address' })).toThrow(
      /STAKEHOLDER_EMAILS: "not-an-address" is not an email address/,
    );
  });
});

describe('example alarms (runbook)', () => {
  const EXAMPLE_ENV = {
    EXAMPLE_ALARMS: 'true',
    EXAMPLE_LOAD_BALANCER: 'app/qenergyz-production-alb/50dc6c495c0c9188',
    EXAMPLE_ECS_CLUSTER: 'qenergyz-production',
    EXAMPLE_ECS_SERVICE: 'qenergyz-backend',
    EXAMPLE_DB_INSTANCE: 'qenergyz-production-db',
  };

  it('are not deployed unless EXAMPLE_ALARMS is set', async () => {
    const names = (await production()).sst.all('aws.cloudwatch.MetricAlarm').map((a) => a.name);
    for (const example of ['HighErrorRate', 'HighResponseTime', 'HighCPUUtilization', 'DatabaseHighCPU']) expect(names).not.toContain(example);
  });

  it('send ALARM and OK to the runbook severity topics, and the router classifies them as the runbook says', async () => {
    const d = await deploy('production', EXAMPLE_ENV);
    const topicOf = (arn: string) => d.sst.all('sst.aws.SnsTopic').find((t) => t.instance.arn === arn)?.name;
    const expected = {
      HighErrorRate: {
        topic: 'CriticalAlerts',
        severity: 'P0',
        namespace: 'AWS/ApplicationELB',
        metric: 'HTTPCode_Target_5XX_Count',
        dims: { LoadBalancer: EXAMPLE_ENV.EXAMPLE_LOAD_BALANCER },
        threshold: 10,
      },
      HighResponseTime: {
        topic: 'HighAlerts',
        severity: 'P1',
        namespace: 'AWS/ApplicationELB',
        metric: 'TargetResponseTime',
        dims: { LoadBalancer: EXAMPLE_ENV.EXAMPLE_LOAD_BALANCER },
        threshold: 1,
      },
      HighCPUUtilization: {
        topic: 'HighAlerts',
        severity: 'P1',
        namespace: 'AWS/ECS',
        metric: 'CPUUtilization',
        dims: { ClusterName: 'qenergyz-production', ServiceName: 'qenergyz-backend' },
        threshold: 80,
      },
      DatabaseHighCPU: {
        topic: 'MediumAlerts',
        severity: 'P2',
        namespace: 'AWS/RDS',
        metric: 'CPUUtilization',
        dims: { DBInstanceIdentifier: 'qenergyz-production-db' },
        threshold: 75,
      },
    } as const;
    const policy = loadPolicyFile(resolve(ROOT, 'packages/core/policy/default.yaml'));
    for (const [name, e] of Object.entries(expected)) {
      const { args } = d.sst.one('aws.cloudwatch.MetricAlarm', name);
      expect(args, name).toMatchObject({
        // Stage-prefixed: never replaces an alarm of the runbook's name that already exists.
        name: `alert-router-production-${name}`,
        // Missing data (no traffic, no 5XX) is "not breaching", so each can return to OK and send it.
        treatMissingData: 'notBreaching',
        namespace: e.namespace,
        metricName: e.metric,
        dimensions: e.dims,
        threshold: e.threshold,
        comparisonOperator: 'GreaterThanThreshold',
        evaluationPeriods: 2,
        period: 300,
      });
      expect(args.alarmActions.map(topicOf), name).toEqual([e.topic]);
      expect(args.okActions.map(topicOf), name).toEqual([e.topic]);

      // What the router makes of it when it fires: build the CloudWatch message from the alarm's own arguments.
      const topicName = d.sst.one('sst.aws.SnsTopic', e.topic).args.transform.topic.name;
      const severity = routeThrough(
        `arn:aws:sns:eu-west-1:123456789012:${topicName}`,
        { AlarmName: args.name, AlarmDescription: args.alarmDescription, Namespace: args.namespace, MetricName: args.metricName, Dimensions: args.dimensions },
        policy,
      );
      expect(severity, name).toBe(e.severity);
      // The policy's rule still finds the runbook under the stage-prefixed name.
      expect(policy.rules.find((r) => r.alarmName && new RegExp(`^${r.alarmName.replace('*', '.*')}$`, 'i').test(args.name))?.runbook, name).toBeTruthy();
    }
  });

  it('refuse to deploy without a load balancer dimension, naming the setting', async () => {
    await expect(deploy('production', { EXAMPLE_ALARMS: 'true' })).rejects.toThrow(/^EXAMPLE_LOAD_BALANCER: required/);
    await expect(deploy('production', { EXAMPLE_ALARMS: 'true', EXAMPLE_LOAD_BALANCER: 'qenergyz-production-alb' })).rejects.toThrow(
      /EXAMPLE_LOAD_BALANCER: .*app\/<name>\/<id>.*got "qenergyz-production-alb"/,
    );
  });
});

describe('deploy-time settings', () => {
  it.each([
    [{ DIGEST_TIME: '8am' }, 'DIGEST_TIME: expected HH:MM (24-hour), got "8am"'],
    [{ DIGEST_TIME: '24:00' }, 'DIGEST_TIME: expected HH:MM (24-hour), got "24:00"'],
    [{ DIGEST_TIMEZONE: 'Mars/Olympus' }, 'DIGEST_TIMEZONE: "Mars/Olympus" is not an IANA time zone'],
    [{ EMAIL_TO: 'ops@example.com, nobody' }, 'EMAIL_TO: "nobody" is not an email address'],
    [{ EMAIL_FROM: 'alerts' }, 'EMAIL_FROM: "alerts" is not an email address'],
    [{ LOG_LEVEL: 'LOUD' }, 'LOG_LEVEL: expected one of DEBUG, INFO, WARN, ERROR, got "LOUD"'],
    [{ EXAMPLE_ALARMS: 'maybe' }, 'EXAMPLE_ALARMS: expected true or false, got "maybe"'],
    [{ SES_REGION: 'Ireland' }, 'SES_REGION: "Ireland" is not an AWS region'],
    [{ PAGERDUTY_EVENTS_URL: 'http://127.0.0.1:4010/v2/enqueue' }, 'PAGERDUTY_EVENTS_URL: a deployed function needs an https URL'],
    [{ DELIVERY_BUDGET_MS: '8s' }, 'DELIVERY_BUDGET_MS: expected an integer number of milliseconds, got "8s"'],
    [{ DASHBOARD_POLL_MS: '500' }, 'DASHBOARD_POLL_MS: expected an integer number of milliseconds of at least 1000, got "500"'],
    [{ SLACK_CHANNEL: 'incidents channel' }, 'SLACK_CHANNEL: expected a channel ID (C0123ABCD) or #name, got "incidents channel"'],
  ])('rejects %o naming the key', (env, message) => {
    expect(() => readSettings('production', { OPS_EMAIL, ...env })).toThrow(SettingsError);
    expect(() => readSettings('production', { OPS_EMAIL, ...env })).toThrow(message);
  });

  it.each([
    ['SlackWebhookUrl', 'hooks.slack.com/services/T000/B000/XXXX', 'an https URL'],
    ['SlackWebhookUrl', 'http://hooks.slack.com/services/T000/B000/XXXX', 'an https URL'],
    ['SmtpUrl', 'email-smtp.eu-west-1.amazonaws.com:465', 'an smtp:// or smtps:// URL'],
    ['DashboardToken', 'short', 'at least 16 characters'],
    ['PagerDutyRoutingKey', 'R0123 456', 'an Events API v2 integration key'],
    ['SlackBotToken', 'T0123-not-a-token', "the Slack app's bot token"],
  ])('refuses a secret %s that would stop every function at start, without quoting it', (name, value, expected) => {
    const run = () => readSettings('production', { OPS_EMAIL, [`SST_SECRET_${name}`]: value });
    expect(run).toThrow(SettingsError);
    expect(run).toThrow(`secret ${name}: expected ${expected}`);
    expect(run).toThrow(`npx sst secret set ${name} <value> --stage production`);
    try {
      run();
    } catch (err) {
      expect((err as Error).message).not.toContain(value);
    }
  });

  it('accepts the placeholder "unset" and well-formed secrets, and leaves unset ones to SST', async () => {
    const good = {
      SST_SECRET_PagerDutyRoutingKey: 'R0123456789ABCDEFGHIJ0123456789AB',
      SST_SECRET_SlackWebhookUrl: 'https://hooks.slack.com/services/T000/B000/XXXX',
      SST_SECRET_SlackSigningSecret: 'unset',
      SST_SECRET_SmtpUrl: 'smtps://USER:PASSWORD@email-smtp.eu-west-1.amazonaws.com:465',
      SST_SECRET_DashboardToken: '0123456789abcdef0123456789abcdef',
    };
    expect(() => readSettings('production', { OPS_EMAIL, ...good })).not.toThrow();
    expect(() => readSettings('production', { OPS_EMAIL })).not.toThrow();
    // As `sst deploy` runs it: SST puts each secret that is set into the environment.
    vi.stubEnv('SST_SECRET_SlackWebhookUrl', 'not a url');
    await expect(deploy('production')).rejects.toThrow(/^secret SlackWebhookUrl: expected an https URL/);
  });

  it('rejects a stage name that a topic name would turn into a severity', () => {
    expect(() => readSettings('high-load-test', {})).toThrow(/stage "high-load-test": contains the severity word "high"/);
    expect(() => readSettings('highway', {})).not.toThrow();
  });

  it('defaults: digest 08:00 UTC, INFO in production, DEBUG elsewhere, no example alarms', () => {
    expect(readSettings('production', { OPS_EMAIL })).toMatchObject({
      digestTime: { hour: 8, minute: 0 },
      digestTimezone: 'UTC',
      logLevel: 'INFO',
      emailTo: [],
      emailFrom: '',
      exampleAlarms: null,
      sesRegion: null,
      tuning: { pagerdutyEventsUrl: null, deliveryBudgetMs: null, deliveryLeaseMs: null, dashboardPollMs: null },
    });
    expect(readSettings('dev', {}).logLevel).toBe('DEBUG');
    expect(dailyCron(parseDigestTime('DIGEST_TIME', '18:05'))).toBe('cron(5 18 * * ? *)');
  });
});

/** Severity the router gives a CloudWatch alarm (ALARM state) that arrives through `topicArn`. */
function routeThrough(topicArn: string, alarm: Record<string, unknown>, policy: ReturnType<typeof loadPolicyFile>): string {
  const message = {
    AlarmName: 'Unnamed',
    AlarmDescription: null,
    AWSAccountId: '123456789012',
    NewStateValue: 'ALARM',
    NewStateReason: 'Threshold Crossed',
    StateChangeTime: '2024-01-15T10:05:00.000+0000',
    Region: 'EU (Ireland)',
    AlarmArn: `arn:aws:cloudwatch:eu-west-1:123456789012:alarm:${String(alarm.AlarmName)}`,
    OldStateValue: 'OK',
    ...alarm,
    Trigger: {
      MetricName: alarm.MetricName,
      Namespace: alarm.Namespace,
      StatisticType: 'Statistic',
      Statistic: 'AVERAGE',
      Dimensions: Object.entries((alarm.Dimensions as Record<string, string>) ?? {}).map(([name, value]) => ({ name, value })),
      Period: 300,
      EvaluationPeriods: 2,
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 1,
    },
  };
  delete (message as Record<string, unknown>).MetricName;
  delete (message as Record<string, unknown>).Namespace;
  delete (message as Record<string, unknown>).Dimensions;
  const event = {
    Records: [
      {
        EventSource: 'aws:sns',
        EventVersion: '1.0',
        EventSubscriptionArn: `${topicArn}:0c7e8b1f-0000-4000-8000-000000000000`,
        Sns: {
          Type: 'Notification',
          MessageId: '95df01b4-ee98-5cb9-9903-4c221d41eb5e',
          TopicArn: topicArn,
          Subject: `ALARM: "${String(alarm.AlarmName)}" in EU (Ireland)`,
          Message: JSON.stringify(message),
          Timestamp: '2024-01-15T10:05:00.000Z',
          SignatureVersion: '1',
          Signature: 'x',
          SigningCertUrl: 'https://sns.eu-west-1.amazonaws.com/cert.pem',
          UnsubscribeUrl: 'https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe',
          MessageAttributes: {},
        },
      },
    ],
  };
  const { notifications } = parseInput(event);
  expect(notifications).toHaveLength(1);
  expect(notifications[0].kind).toBe('alarm');
  return route(notifications[0], policy).classification.severity;
}
