import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  actorName,
  classify,
  defaultPolicy,
  detectWebhookSource,
  InputError,
  knownRegionCodes,
  parseAnyInput,
  parseInput,
  parsePolicyYaml,
  parseWebhook,
  regionFromName,
  route,
  renderEmail,
  renderIncidentPage,
  renderPagerDuty,
  renderSlack,
  newIncident,
  noticeLinks,
  type Notice,
  type Notification,
  type WebhookSource,
} from '@alert-router/core';
import { plainText } from '@alert-router/core/sources/azure';
import { isoTime } from '@alert-router/core/sources/common';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const load = (path: string): unknown => JSON.parse(readFileSync(`${ROOT}test/fixtures/${path}`, 'utf8'));
const RECEIVED = '2026-12-01T08:00:00.000Z';
const policy = defaultPolicy();

/** The AWS SDK's own endpoint partitions (every partition's regions with their descriptions). */
const PARTITIONS = `${ROOT}node_modules/@aws-sdk/core/dist-es/submodules/client/util-endpoints/lib/aws/partitions.js`;
type Partitions = { partitionsInfo: { partitions: { id: string; regions: Record<string, { description: string }> }[] } };

function one(path: string): Notification {
  const { notifications } = parseAnyInput(load(path), { receivedAt: RECEIVED });
  expect(notifications, path).toHaveLength(1);
  return notifications[0];
}

describe('region: alarm ARN, else topic ARN, else the display name (every partition)', () => {
  it('every region of every AWS partition is known by its endpoint description', async () => {
    const { partitionsInfo } = (await import(/* @vite-ignore */ PARTITIONS)) as Partitions;
    const regions = partitionsInfo.partitions.flatMap((p) => Object.entries(p.regions).filter(([code]) => !code.endsWith('-global')));
    expect(regions.length).toBeGreaterThan(40);
    for (const [code, { description }] of regions) expect(regionFromName(description), `${code} "${description}"`).toBe(code);
    expect(knownRegionCodes().sort()).toEqual(regions.map(([code]) => code).sort());
  });

  it.each([
    ['EU (Ireland)', 'eu-west-1'],
    ['EU - Ireland', 'eu-west-1'],
    ['Asia Pacific (Tokyo)', 'ap-northeast-1'],
    ['China (Beijing)', 'cn-north-1'],
    ['China (Ningxia)', 'cn-northwest-1'],
    ['AWS GovCloud (US-West)', 'us-gov-west-1'],
    ['AWS GovCloud (US)', 'us-gov-west-1'],
    ['South America (São Paulo)', 'sa-east-1'],
    ['Atlantis (Central)', null],
    ['', null],
  ])('%j → %j', (name, code) => expect(regionFromName(name)).toBe(code));

  it('a China alarm without AlarmArn takes cn-north-1 from its arn:aws-cn topic; its OK resolves the same key', () => {
    const [alarm] = parseInput(load('sns/china-alarm.event.json')).notifications;
    const [ok] = parseInput(load('sns/china-ok.event.json')).notifications;
    expect(alarm).toMatchObject({ kind: 'alarm', region: 'cn-north-1', regionName: 'China (Beijing)', alarmArn: null, state: 'ALARM', namespace: 'AWS/RDS' });
    expect(ok).toMatchObject({ region: 'cn-north-1', state: 'OK', incidentKey: alarm.incidentKey });
  });

  it('without any ARN, the display name names the region (the bare China message)', () => {
    const [n] = parseInput(load('sns/china-alarm.alarm.json')).notifications;
    expect(n.sns).toBeNull();
    expect(n.region).toBe('cn-north-1');
  });

  it('a GovCloud alarm: us-gov-west-1 from the arn:aws-us-gov topic', () => {
    const [n] = parseInput(load('sns/govcloud-alarm.derived.event.json')).notifications;
    expect(n.region).toBe('us-gov-west-1');
    const bare = JSON.parse((load('sns/govcloud-alarm.derived.event.json') as { Records: { Sns: { Message: string } }[] }).Records[0].Sns.Message);
    expect(parseInput(bare).notifications[0].region).toBe('us-gov-west-1');
  });

  it('the alarm ARN wins over the topic and the display name', () => {
    const body = load('sns/china-alarm.event.json') as { Records: { Sns: { Message: string } }[] };
    const m = JSON.parse(body.Records[0].Sns.Message);
    m.AlarmArn = 'arn:aws-cn:cloudwatch:cn-northwest-1:210987654321:alarm:ledger-db-freeable-memory';
    body.Records[0].Sns.Message = JSON.stringify(m);
    expect(parseInput(body).notifications[0].region).toBe('cn-northwest-1');
  });
});

describe('AWS service messages through SNS: readable titles, key fields, source severity', () => {
  it.each([
    [
      'sns/guardduty-govcloud.event.json',
      {
        title: /^GuardDuty Backdoor:EC2\/C&CActivity\.B!DNS: EC2 instance i-0c5d8e2f4a6b1d3e7 is querying a domain name/,
        source: 'aws.guardduty',
        severity: 'P0',
        region: 'us-gov-east-1',
        fields: { type: 'Backdoor:EC2/C&CActivity.B!DNS', severity: '9', instance: 'i-0c5d8e2f4a6b1d3e7' },
      },
    ],
    [
      'sns/guardduty-high.json',
      {
        title: /^GuardDuty Recon:EC2\/PortProbeUnprotectedPort: Unprotected port 5432 /,
        source: 'aws.guardduty',
        severity: 'P0',
        region: 'eu-central-1',
        fields: { severity: '9' },
      },
    ],
    ['sns/guardduty-medium.json', { title: /^GuardDuty /, source: 'aws.guardduty', severity: 'P1', region: 'eu-central-1', fields: { severity: '5' } }],
    ['sns/guardduty-low.json', { title: /^GuardDuty /, source: 'aws.guardduty', severity: 'P2', region: 'eu-central-1', fields: { severity: '2' } }],
    [
      'sns/securityhub-high.json',
      {
        title: /^Security Hub HIGH finding: CVE-2026-31337 - libexample heap overflow in the orders-api image$/,
        source: 'aws.securityhub',
        severity: 'P0',
        region: 'eu-west-2',
        fields: {
          severity: 'HIGH',
          resource: expect.stringMatching(/^arn:aws:ecr:eu-west-2:123456789012:repository\/orders-api\/sha256:/),
          resourceType: 'AwsEcrContainerImage',
        },
      },
    ],
    [
      'sns/securityhub-medium.json',
      { title: /^Security Hub MEDIUM finding/, source: 'aws.securityhub', severity: 'P1', region: 'eu-west-2', fields: { severity: 'MEDIUM' } },
    ],
    [
      'sns/securityhub-low.json',
      {
        title: /^Security Hub LOW finding/,
        source: 'aws.securityhub',
        severity: 'P2',
        region: 'eu-west-2',
        fields: { severity: 'LOW', resource: 'arn:aws:s3:::example-reports-exports' },
      },
    ],
    [
      'sns/aws-health-issue.json',
      {
        title: /^AWS Health issue: EC2 AWS_EC2_OPERATIONAL_ISSUE$/,
        source: 'aws.health',
        severity: 'P1',
        region: 'eu-west-1',
        fields: { service: 'EC2', category: 'issue', affected: 'i-0b3d5f7a9c1e2d4f6' },
      },
    ],
    [
      'sns/aws-health-scheduled.json',
      {
        title: /^AWS Health scheduledChange: EC2 AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED$/,
        source: 'aws.health',
        severity: 'P3',
        region: 'us-east-2',
        fields: { category: 'scheduledChange' },
      },
    ],
    [
      'sns/ses-bounce.http.json',
      {
        title: /^SES Bounce \(Permanent\/General\) for no-such-user@example\.org from alerts@example\.com$/,
        source: 'aws.ses',
        severity: 'P2',
        region: 'eu-west-1',
        fields: { notificationType: 'Bounce', bounceType: 'Permanent' },
      },
    ],
    [
      'sns/cloudformation.event.json',
      {
        title: /^CloudFormation stack orders-api-preview-417 DELETE_COMPLETE$/,
        source: 'aws.cloudformation',
        severity: 'P2',
        region: 'eu-central-1',
        fields: { stack: 'orders-api-preview-417', resourceStatus: 'DELETE_COMPLETE' },
      },
    ],
    [
      'sns/autoscaling-terminate.http.json',
      {
        title: /^Auto Scaling checkout-web-asg: Terminating EC2 instance: i-0d4f6a8c0e2b4d6f8$/,
        source: 'aws.autoscaling',
        severity: 'P2',
        region: 'ca-central-1',
        fields: { event: 'autoscaling:EC2_INSTANCE_TERMINATE', instance: 'i-0d4f6a8c0e2b4d6f8' },
      },
    ],
    [
      'sns/eventbridge-codebuild.json',
      {
        title: /^CodeBuild Build State Change \(aws\.codebuild\): build\/orders-api-ci:5f7b9d1e-3a2c-4e6f-8b0d-2c4e6a8f0b1d — FAILED$/,
        source: 'aws.codebuild',
        severity: 'P2',
        region: 'eu-north-1',
        fields: { detailType: 'CodeBuild Build State Change', status: 'FAILED' },
      },
    ],
    [
      'sns/eventbridge-autoscaling-launch-unsuccessful.json',
      {
        title:
          /^EC2 Instance Launch Unsuccessful \(aws\.autoscaling\): autoScalingGroup:[0-9a-f-]+:autoScalingGroupName\/batch-workers-asg, instance\/i-0a1b3c5d7e9f2a4c6 — Failed$/,
        source: 'aws.autoscaling',
        severity: 'P2',
        region: 'us-west-2',
        fields: {
          resources: expect.stringContaining('autoScalingGroupName/batch-workers-asg, arn:aws:ec2:us-west-2:123456789012:instance/i-0a1b3c5d7e9f2a4c6'),
          status: 'Failed',
        },
      },
    ],
    [
      'sns/rds-event.event.json',
      {
        title: /^RDS ledger-db-1: DB instance restarted$/,
        source: 'aws.rds',
        severity: 'P2',
        region: 'eu-west-1',
        fields: { eventId: 'RDS-EVENT-0006', sourceId: 'ledger-db-1' },
      },
    ],
  ] as const)('%s', (path, want) => {
    const n = one(path);
    expect(n.kind).toBe('message');
    expect(n.alarmName).toMatch(want.title);
    expect(n.alarmName).not.toMatch(/^\s*[{[]/);
    expect(n.source?.name).toBe(want.source);
    expect(n.source?.fields).toMatchObject(want.fields);
    expect(n.region).toBe(want.region);
    expect(classify(n, policy).severity).toBe(want.severity);
  });

  it('AWS Backup: one readable line per record, from the message attributes and the prose', () => {
    const ns = parseInput(load('sns/backup.event.json')).notifications;
    expect(ns.map((n) => n.alarmName)).toEqual([
      'AWS Backup BACKUP_JOB COMPLETED: An AWS Backup job was completed successfully',
      'AWS Backup BACKUP_JOB FAILED: An AWS Backup job failed',
      'AWS Backup BACKUP_JOB EXPIRED: An AWS Backup job failed to complete in time',
      'AWS Backup COPY_JOB FAILED: An AWS Copy job was completed but was failed or was aborted',
    ]);
    expect(ns[1].source?.fields).toMatchObject({ state: 'FAILED', resource: 'arn:aws:ec2:us-east-2:123456789012:volume/vol-0a4c6e8f1b3d5a7c9' });
    expect(ns[1].region).toBe('us-east-2');
  });

  it('AWS Budgets: its readable Subject stays the title; the prose gives the key fields', () => {
    const [n] = parseInput(load('alarms/aws-budgets.event.json')).notifications;
    expect(n.alarmName).toBe('AWS Budgets: platform-monthly has exceeded your alert threshold');
    expect(n.source).toMatchObject({
      name: 'aws.budgets',
      fields: { budget: 'platform-monthly', alertType: 'ACTUAL', amount: '$812.40', threshold: '> $750.00' },
    });
    const bare = parseInput({
      Type: 'Notification',
      Message: (load('alarms/aws-budgets.event.json') as { Records: { Sns: { Message: string } }[] }).Records[0].Sns.Message,
    }).notifications[0];
    expect(bare.alarmName).toBe('AWS Budgets: platform-monthly actual $812.40 (threshold > $750.00)');
  });

  it('the security findings are P0 by their own severity, whatever severity-less topic they came through', () => {
    const n = one('sns/guardduty-govcloud.event.json');
    expect(classify(n, policy)).toMatchObject({ severity: 'P0', by: 'source', detail: 'GuardDuty severity 9' });
  });

  it("AWS DMS events (RDS's prose shape) are DMS, not RDS: their own title, source and region", () => {
    const n = one('sns/dms-event.event.json');
    expect(n).toMatchObject({ kind: 'message', alarmName: 'DMS replication-task orders-cdc: Replication task has failed.', region: 'eu-west-2' });
    expect(n.source).toMatchObject({ name: 'aws.dms', fields: { eventId: 'DMS-EVENT-0078', sourceId: 'orders-cdc' } });
    expect(one('sns/rds-event.event.json').source?.name).toBe('aws.rds');
  });

  it("a Lambda destination's failure record names the function, the condition and the error, in the function's region", () => {
    const n = one('sns/lambda-destination-failure.event.json');
    expect(n).toMatchObject({
      kind: 'message',
      alarmName: 'Lambda orders-export RetriesExhausted: Connection to warehouse timed out after 30000 ms',
      reason: 'Connection to warehouse timed out after 30000 ms',
      region: 'us-east-2',
      account: '123456789012',
    });
    expect(n.source).toMatchObject({ name: 'aws.lambda', fields: { condition: 'RetriesExhausted', errorType: 'TimeoutError', attempts: '3' } });
  });

  it('EventBridge events: what the detail says is the reason; Config names its resource and its compliance', () => {
    const ecs = one('sns/eventbridge-ecs-task-stopped.json');
    expect(ecs.alarmName).toBe('ECS Task State Change (aws.ecs): task/checkout/4f6a8c0e2b4d4f6a8c0e2b4d6f8a0c1e — STOPPED');
    expect(ecs.reason).toBe('Essential container in task exited');
    const cfg = one('sns/eventbridge-config-noncompliant.json');
    expect(cfg.alarmName).toBe('Config Rules Compliance Change (aws.config): i-0a1b2c3d4e5f60789 — NON_COMPLIANT');
    expect(cfg.source?.fields).toMatchObject({ rule: 'required-tags', status: 'NON_COMPLIANT' });
    const glue = one('sns/eventbridge-glue-job-failed.json');
    expect(glue.alarmName).toBe('Glue Job State Change (aws.glue): ledger-nightly-etl — FAILED');
    expect(glue.reason).toMatch(/^An error occurred while calling o112/);
  });

  it('a Cost Anomaly Detection alert says its impact and root cause, keyed by the anomaly', () => {
    const n = one('sns/cost-anomaly.event.json');
    expect(n.alarmName).toBe('Cost anomaly of $1237.3 (+307.1%) in Amazon Elastic Compute Cloud - Compute, eu-west-1, EU-BoxUsage:m6i.4xlarge');
    expect(n).toMatchObject({ incidentKey: 'aws.ce:2b4d6f8a-0c1e-4a3b-9d5f-7e9a1c3b5d70', account: '123456789012' });
    expect(n.source).toMatchObject({ name: 'aws.ce', fields: { totalImpact: '1237.3', subscription: 'platform-daily' } });
    expect(n.source?.url).toMatch(/^https:\/\/console\.aws\.amazon\.com\/cost-management\//);
  });

  it('an S3 event notification names its event and object', () => {
    const n = one('sns/s3-object-removed.event.json');
    expect(n).toMatchObject({ alarmName: 'S3 ObjectRemoved:Delete: s3://ledger-exports/2026/11/24/ledger.parquet', region: 'eu-west-1' });
    expect(n.source).toMatchObject({ name: 'aws.s3', fields: { bucket: 'ledger-exports', records: '1' } });
    // The same records posted bare (an S3 event as a Lambda or the route CLI gets it): an event, not a bad SNSEvent.
    const bare = JSON.parse((load('sns/s3-object-removed.event.json') as { Records: { Sns: { Message: string } }[] }).Records[0].Sns.Message) as unknown;
    const read = parseAnyInput(bare, { receivedAt: RECEIVED });
    expect(read.shape).toBe('event');
    expect(read.notifications[0]).toMatchObject({ kind: 'message', alarmName: n.alarmName, region: 'eu-west-1' });
    expect(() => parseAnyInput({ Records: [{ eventSource: 'aws:sqs', body: '{}' }] }, { receivedAt: RECEIVED })).toThrow(/Records\[0\]/);
  });

  it("a CodeStar notification rule's message is read as the EventBridge event it carries, the failed action the reason", () => {
    const n = one('sns/codestar-pipeline-failed.event.json');
    expect(n).toMatchObject({
      kind: 'message',
      alarmName: 'CodePipeline Pipeline Execution State Change (aws.codepipeline): payments-api-release — FAILED',
      reason: 'DeployToProduction: Deployment d-4HJ7K2M9Q failed: the health checks of 3 of 4 targets failed',
      region: 'eu-central-1',
      account: '123456789012',
    });
    expect(n.source).toMatchObject({ name: 'aws.codepipeline', fields: { status: 'FAILED', failedAction: 'DeployToProduction' } });
  });

  it('an ElastiCache event names the event and its cluster or node, whatever other keys come with it', () => {
    const n = one('sns/elasticache-failover.http.json');
    expect(n).toMatchObject({ kind: 'message', alarmName: 'ElastiCache FailoverComplete: sessions-prod-0001-002', region: 'ap-southeast-2' });
    expect(n.source).toMatchObject({ name: 'aws.elasticache', fields: { event: 'FailoverComplete', target: 'sessions-prod-0001-002' } });
    const withNode = parseInput({
      Type: 'Notification',
      MessageId: 'm-ec-2',
      TopicArn: 'arn:aws:sns:eu-west-1:123456789012:cache-events',
      Subject: 'ElastiCache Notification',
      Message: JSON.stringify({ 'Cache Cluster ID': 'orders-cache-001', 'ElastiCache:CacheNodeReplaceStarted': 'orders-cache' }),
    }).notifications[0];
    expect(withNode.alarmName).toBe('ElastiCache CacheNodeReplaceStarted: orders-cache');
    expect(withNode.source?.fields).toMatchObject({ 'Cache Cluster ID': 'orders-cache-001' });
  });

  it('an Inspector finding says its severity, title and resource, and leaves the severity to the policy', () => {
    const n = one('sns/inspector2-critical.json');
    expect(n).toMatchObject({
      kind: 'message',
      alarmName: 'Inspector CRITICAL finding: CVE-2026-41007 - libexample (i-0f1e2d3c4b5a69788)',
      region: 'us-west-2',
      account: '123456789012',
    });
    expect(n.reason).toMatch(/^A use-after-free in the TLS record layer/);
    expect(n.source).toMatchObject({
      name: 'aws.inspector2',
      severity: null,
      severityLabel: 'Inspector CRITICAL',
      fields: { vulnerability: 'CVE-2026-41007', score: '9.1', resourceType: 'AWS_EC2_INSTANCE', status: 'ACTIVE' },
    });
    expect(n.incidentKey).toBe('aws.inspector2:arn:aws:inspector2:us-west-2:123456789012:finding/0a1b2c3d4e5f60718293a4b5c6d7e8f9');
    expect(n.changedAt).toBe('2026-12-01T06:15:42.000Z'); // the event's time, not the detail's zone-less one
    // The same finding closed (its package fixed) says so; Inspector's other events are plain EventBridge events.
    const event = load('sns/inspector2-critical.json') as { detail: Record<string, unknown> } & Record<string, unknown>;
    const closed = parseAnyInput({ ...event, detail: { ...event.detail, status: 'CLOSED' } }, { receivedAt: RECEIVED }).notifications[0];
    expect(closed.alarmName).toBe('Inspector CRITICAL finding: CVE-2026-41007 - libexample (i-0f1e2d3c4b5a69788) — CLOSED');
    const scan = parseAnyInput(
      { ...event, 'detail-type': 'Inspector2 Scan', detail: { 'scan-status': 'INITIAL_SCAN_COMPLETE', 'finding-severity-counts': { CRITICAL: 1 } } },
      { receivedAt: RECEIVED },
    ).notifications[0];
    expect(scan.alarmName).toBe('Inspector2 Scan (aws.inspector2): i-0f1e2d3c4b5a69788');
  });

  it('a time without a zone is UTC, whatever zone the machine is in', () => {
    const tz = process.env.TZ;
    try {
      for (const zone of ['Asia/Tokyo', 'America/New_York', 'UTC']) {
        process.env.TZ = zone;
        expect(isoTime('Dec 1, 2026, 6:15:40 AM'), zone).toBe('2026-12-01T06:15:40.000Z');
        expect(isoTime('2026-12-01T06:15:40'), zone).toBe('2026-12-01T06:15:40.000Z');
        expect(isoTime('2026-12-01 06:15:40.5'), zone).toBe('2026-12-01T06:15:40.500Z');
        expect(isoTime('2026-12-01'), zone).toBe('2026-12-01T00:00:00.000Z');
        expect(isoTime('2026-12-01T06:15:40.402+0000'), zone).toBe('2026-12-01T06:15:40.402Z');
        expect(isoTime('Mon, 30 Nov 2026 21:15:40 -0500'), zone).toBe('2026-12-01T02:15:40.000Z');
        expect(isoTime('Tue, 01 Dec 2026 06:15:40 GMT'), zone).toBe('2026-12-01T06:15:40.000Z');
        expect(isoTime('not a time'), zone).toBeNull();
      }
    } finally {
      if (tz === undefined) delete process.env.TZ;
      else process.env.TZ = tz;
    }
  });

  it('a Run Command status notification names the document, the status and the instances', () => {
    const n = one('sns/ssm-run-command-failed.http.json');
    expect(n).toMatchObject({
      kind: 'message',
      alarmName: 'Run Command AWS-RunPatchBaseline Failed on i-0a2c4e6f8b0d2f4a6, i-0b3d5f7a9c1e3a5c7',
      region: 'ca-central-1',
    });
    expect(n.source).toMatchObject({ name: 'aws.ssm', fields: { commandId: '9b1d3f5a-7c9e-4b1d-8f3a-5c7e9b1d3f5a', status: 'Failed' } });
    const perInstance = parseInput({
      Type: 'Notification',
      MessageId: 'm-ssm-2',
      TopicArn: 'arn:aws:sns:ca-central-1:123456789012:ssm-command-status',
      Message: JSON.stringify({
        commandId: 'c-2',
        documentName: 'AWS-RunShellScript',
        instanceId: 'i-0c4e',
        requestedDateTime: '2026-11-28T03:00:02.114Z',
        status: 'Failed',
        detailedStatus: 'TimedOut',
        eventTime: '2026-11-28T03:10:00.000Z',
      }),
    }).notifications[0];
    expect(perInstance.alarmName).toBe('Run Command AWS-RunShellScript TimedOut on i-0c4e');
  });

  it("CloudTrail's log delivery notice says how many files went where", () => {
    const n = one('sns/cloudtrail-delivery.event.json');
    expect(n).toMatchObject({
      kind: 'message',
      alarmName: 'CloudTrail delivered 2 log files to s3://org-audit-trail-123456789012',
      region: 'eu-north-1',
      account: '123456789012',
    });
    expect(n.source).toMatchObject({ name: 'aws.cloudtrail', fields: { files: '2' } });
    // An organization's trail puts its id before the account; Insights have a folder of their own.
    const orgTrail = parseInput({
      Type: 'Notification',
      MessageId: 'm-ct-2',
      TopicArn: 'arn:aws:sns:us-east-1:210987654321:trail',
      Message: JSON.stringify({ s3Bucket: 'org-trail', s3ObjectKey: ['AWSLogs/o-a1b2c3d4e5/123456789012/CloudTrail-Insight/ap-south-1/2026/11/30/x.json.gz'] }),
    }).notifications[0];
    expect(orgTrail).toMatchObject({ alarmName: 'CloudTrail delivered 1 log file to s3://org-trail', account: '123456789012', region: 'ap-south-1' });
  });

  it('an AWS Chatbot custom notification is titled by its content, its description the reason', () => {
    const n = one('sns/chatbot-custom.event.json');
    expect(n).toMatchObject({
      kind: 'message',
      alarmName: ':warning: Nightly export to the warehouse failed',
      region: 'us-west-2',
      account: '123456789012',
    });
    expect(n.reason).toMatch(/^Job `export-nightly` exited 1/);
    expect(n.source).toMatchObject({ name: 'custom', fields: { eventType: 'ExportFailed', keywords: 'export, warehouse' } });
  });

  it('a JSON message nobody recognises gets a title from its fields or its keys, never its raw JSON', () => {
    const sns = (message: unknown) => ({
      Type: 'Notification',
      MessageId: 'm-1',
      TopicArn: 'arn:aws:sns:eu-west-1:123456789012:ops',
      Message: JSON.stringify(message),
    });
    expect(parseInput(sns({ summary: 'Queue depth above 1000', depth: 1200 })).notifications[0].alarmName).toBe('Queue depth above 1000');
    expect(parseInput(sns({ depth: 1200, queue: 'jobs' })).notifications[0].alarmName).toBe('JSON message (depth, queue)');
    expect(parseInput(sns([1, 2, 3])).notifications[0].alarmName).toBe('JSON message (a list of 3)');
  });

  it('the policy overrides a source severity with a rule naming source and fields', () => {
    const custom = parsePolicyYaml(
      readFileSync(`${ROOT}packages/core/policy/default.yaml`, 'utf8').replace(
        'rules:\n',
        'rules:\n  - { name: Port probes are noise, source: aws.guardduty, fields: { type: "Recon:*" }, severity: P3 }\n  - { name: Health issues of EC2, source: aws.health, fields: { service: EC2, category: issue }, severity: P0 }\n',
      ),
    );
    expect(classify(one('sns/guardduty-high.json'), custom)).toMatchObject({ severity: 'P3', by: 'rule', detail: 'Port probes are noise' });
    expect(classify(one('sns/aws-health-issue.json'), custom)).toMatchObject({ severity: 'P0', by: 'rule' });
    // a field the message does not have does not match
    expect(classify(one('sns/aws-health-scheduled.json'), custom)).toMatchObject({ severity: 'P3', by: 'source' });
  });

  it('a rule needs a matcher; source and fields count as one', () => {
    expect(() => parsePolicyYaml('version: 1\nseverities: {}\nrules: [{ severity: P1 }]')).toThrow(/source, fields/);
  });
});

describe('webhook payloads (vendor formats): parser and default classification', () => {
  it.each([
    [
      'webhooks/sentry-issue-alert.json',
      'sentry',
      {
        kind: 'sentry',
        state: 'ALARM',
        alarmName: "TypeError: Cannot read properties of undefined (reading 'total')",
        incidentKey: 'sentry:issue:4810573921',
        changedAt: '2026-11-24T10:15:42.318Z',
      },
      'P1',
      'https://sentry.io/organizations/example-org/issues/4810573921/events/9d2e4f6a8b0c4e1fa3b5c7d9e1f2a4b6/',
    ],
    [
      'webhooks/sentry-metric-alert-critical.derived.json',
      'sentry',
      {
        kind: 'sentry',
        state: 'ALARM',
        alarmName: 'Checkout 5xx rate above 2%',
        incidentKey: 'sentry:metric-alert:2931',
        changedAt: '2026-11-24T10:20:00.000Z',
      },
      'P0',
      'https://sentry.io/organizations/example-org/alerts/57/',
    ],
    [
      'webhooks/sentry-metric-alert-resolved.json',
      'sentry',
      { kind: 'sentry', state: 'OK', incidentKey: 'sentry:metric-alert:2931' },
      null,
      'https://sentry.io/organizations/example-org/alerts/57/',
    ],
    [
      'webhooks/gcp-open.json',
      'gcp',
      {
        kind: 'gcp',
        state: 'ALARM',
        alarmName: 'checkout - uptime: Uptime check on checkout.example.com',
        incidentKey: 'gcp:0.n4k8q2w7x1zb',
        changedAt: '2026-11-24T10:31:18.000Z',
      },
      'P2',
      'https://console.cloud.google.com/monitoring/alerting/incidents/0.n4k8q2w7x1zb?project=example-project-417',
    ],
    [
      'webhooks/gcp-closed.json',
      'gcp',
      { kind: 'gcp', state: 'OK', incidentKey: 'gcp:0.n4k8q2w7x1zb', changedAt: '2026-11-24T10:48:02.000Z' },
      null,
      'https://console.cloud.google.com/monitoring/alerting/incidents/0.n4k8q2w7x1zb?project=example-project-417',
    ],
    [
      'webhooks/azure-fired.json',
      'azure',
      {
        kind: 'azure',
        state: 'ALARM',
        alarmName: 'ledger-vm-heartbeat-missing',
        changedAt: '2026-11-24T11:02:37.418Z',
        account: '5f3c9a1e-7b2d-4e6f-8a0c-1d3e5f7a9b2c',
      },
      'P3',
      /^https:\/\/portal\.azure\.com\//,
    ],
    [
      'webhooks/azure-resolved.json',
      'azure',
      {
        kind: 'azure',
        state: 'OK',
        alarmName: 'ledger-vm-cpu-high',
        changedAt: '2026-11-24T12:41:09.113Z',
        metric: 'Percentage CPU',
        namespace: 'Microsoft.Compute/virtualMachines',
      },
      'P3',
      /^https:\/\/portal\.azure\.com\//,
    ],
    [
      'webhooks/alertmanager-firing.json',
      'alertmanager',
      {
        kind: 'alertmanager',
        state: 'ALARM',
        alarmName: 'CheckoutLatencyHigh: p99 latency above 800ms',
        incidentKey: 'alertmanager:3a7f1c9e5b2d8046',
        changedAt: '2026-11-24T13:05:12.847Z',
      },
      'P1',
      'http://prometheus.example.com:9090/graph?g0.expr=histogram_quantile%280.99%2C+rate%28http_request_duration_seconds_bucket%7Bjob%3D%22checkout-api%22%7D%5B5m%5D%29%29+%3E+0.8&g0.tab=1',
    ],
    [
      'webhooks/alertmanager-resolved.json',
      'alertmanager',
      { kind: 'alertmanager', state: 'OK', incidentKey: 'alertmanager:d04b8e2f6a1c5937', changedAt: '2026-11-24T14:26:33.500Z' },
      'P2',
      'http://localhost:9093/',
    ],
    [
      'webhooks/generic-trigger.constructed.json',
      'generic',
      { kind: 'generic', state: 'ALARM', alarmName: 'Nightly export failed', incidentKey: 'generic:export-job/nightly', changedAt: RECEIVED },
      'P1',
      'https://ci.example.com/jobs/export-job/1234',
    ],
    ['webhooks/generic-resolve.constructed.json', 'generic', { kind: 'generic', state: 'OK', incidentKey: 'generic:export-job/nightly' }, null, null],
  ] as const)('%s', (path, source, want, severity, url) => {
    const body = load(path);
    expect(detectWebhookSource(body)).toBe(source);
    const n = one(path);
    expect(n).toMatchObject({ ...want, alarmKind: 'webhook', region: null });
    expect(n.source?.name).toBe(source);
    // The GCP fixtures carry no severity: the policy's default (P2) applies
    if (severity) expect(classify(n, policy)).toMatchObject({ severity, by: n.source?.severity ? 'source' : 'default' });
    if (source !== 'gcp' && n.state === 'ALARM') expect(n.source?.severity).not.toBeNull();
    if (url instanceof RegExp) expect(n.source?.url).toMatch(url);
    else expect(n.source?.url).toBe(url);
  });

  it('a Sentry issue alert without issue_id (older integrations) is keyed by the issue its links name', () => {
    const n = one('webhooks/sentry-issue-alert-no-issue-id.derived.json');
    expect(n).toMatchObject({ kind: 'sentry', state: 'ALARM', incidentKey: one('webhooks/sentry-issue-alert.json').incidentKey });
    expect(n.source?.fields.issueId).toBe('4810573921');
    const body = load('webhooks/sentry-issue-alert-no-issue-id.derived.json') as { data: { event: Record<string, unknown> } };
    body.data.event.issue_url = null;
    body.data.event.web_url = 'https://sentry.io/organizations/example-org/';
    expect(() => parseWebhook('sentry', body, RECEIVED, 'event_alert')).toThrow(/data\.event\.issue_id: expected the issue id/);
  });

  it('Azure Service Health: every stage says Fired; the stage resolves, and the event (trackingId) is the key', () => {
    const active = one('webhooks/azure-service-health-active.json');
    const resolved = one('webhooks/azure-service-health-resolved.json');
    // Named by its rule, as silences and policy rules know it; the event's own title leads the reason.
    expect(active).toMatchObject({ state: 'ALARM', alarmName: 'platform-service-health', changedAt: '2026-11-24T09:05:12.104Z' });
    expect(resolved).toMatchObject({ state: 'OK', incidentKey: active.incidentKey, changedAt: '2026-11-24T10:41:37.880Z' });
    expect(active.incidentKey).toBe('azure:/subscriptions/5c1e3a7b-2d4f-4a6c-8e0b-9f1d3b5a7c2e/servicehealth/7K2M-4QX');
    expect(active.reason).toBe(
      'Azure SQL Database - West Europe - connectivity failures: Summary of impact: Starting at 08:55 UTC on 24 Nov 2026, a subset of customers in West Europe may experience connection failures to Azure SQL Database.',
    );
    expect(active.source?.fields).toMatchObject({ trackingId: '7K2M-4QX', stage: 'Active', service: 'SQL Database', region: 'West Europe' });
    expect(classify(active, policy)).toMatchObject({ severity: 'P1', by: 'source' });
    // Not Service Health: a stage-like property changes nothing, the alert stays keyed by its own id.
    const other = load('webhooks/azure-service-health-resolved.json') as { data: { essentials: Record<string, unknown> } };
    other.data.essentials.monitoringService = 'Activity Log - Administrative';
    expect(parseWebhook('azure', other, RECEIVED)[0]).toMatchObject({ state: 'ALARM', incidentKey: `azure:${String(other.data.essentials.alertId)}` });
  });

  it('Azure Resource Health: every notification says Fired; the resource is the key, its Resolved status ends it', () => {
    const active = one('webhooks/azure-resource-health-active.json');
    const resolved = one('webhooks/azure-resource-health-resolved.json');
    const key =
      'azure:/subscriptions/7d3f5b1a-9c2e-4e6a-8b0d-2f4a6c8e0b1d/resourcegroups/rg-checkout/providers/microsoft.compute/virtualmachines/checkout-vm-02#resourcehealth';
    expect(active).toMatchObject({ state: 'ALARM', alarmName: 'checkout-vm-health', incidentKey: key, changedAt: '2026-11-27T14:02:11.418Z' });
    expect(active.reason).toBe("We're sorry, your virtual machine isn't available because of a host node failure");
    expect(active.source?.fields).toMatchObject({ healthStatus: 'Unavailable', healthEvent: 'Active', cause: 'PlatformInitiated' });
    // Its own alertId and the resource id in another case: still the same incident, and it resolves it.
    expect(resolved).toMatchObject({ state: 'OK', incidentKey: key, changedAt: '2026-11-27T14:19:48.902Z' });
    // A stage between (In Progress, Updated) is the same problem still firing.
    const body = load('webhooks/azure-resource-health-active.json') as { data: { alertContext: { status: string }; essentials: Record<string, unknown> } };
    body.data.alertContext.status = 'In Progress';
    body.data.essentials.firedDateTime = '2026-11-27T14:10:00.000Z';
    expect(parseWebhook('azure', body, RECEIVED)[0]).toMatchObject({ state: 'ALARM', incidentKey: key });
  });

  it("Service Health's HTML is read in one pass: tags dropped, a flood of '<' without '>' kept as text, bounded", () => {
    expect(plainText('<p><strong>Impact:</strong> a &lt;b&gt; <unclosed')).toBe('Impact: a &lt;b&gt; <unclosed');
    // Read up to 20,000 characters; a run of '<' with no '>' after it stays text (compared by length and content).
    const flood = plainText('<'.repeat(300_000))!;
    expect([flood.length, /^<+$/.test(flood)]).toEqual([20_000, true]);
    const pairs = plainText(`${'<a'.repeat(50_000)}>x`)!;
    expect([pairs.length, /^(?:<a)+$/.test(pairs)]).toEqual([20_000, true]);
    expect(plainText('<br/><br/>')).toBeNull();
  });

  it('Azure managed Prometheus alerts keep their label set as dimensions', () => {
    const n = one('webhooks/azure-prometheus-fired.json');
    expect(n.dimensions).toMatchObject({ cluster: 'checkout-aks', instance: 'aks-nodepool1-31718369-vmss000002', job: 'node' });
    expect(classify(n, policy)).toMatchObject({ severity: 'P2', by: 'source' });
  });

  it("Grafana's legacy alerting webhook: its OK resolves what its alerting opened, on the rule's key", () => {
    expect(detectWebhookSource(load('webhooks/grafana-legacy-alerting.json'))).toBe('alertmanager');
    const fired = one('webhooks/grafana-legacy-alerting.json');
    const ok = one('webhooks/grafana-legacy-ok.json');
    expect(fired).toMatchObject({ kind: 'alertmanager', state: 'ALARM', alarmName: 'Checkout DB CPU', reason: 'Database CPU above 90% for 5 minutes' });
    expect(fired.dimensions).toMatchObject({ severity: 'critical', team: 'payments' });
    expect(classify(fired, policy)).toMatchObject({ severity: 'P0', by: 'source' });
    expect(ok).toMatchObject({ state: 'OK', incidentKey: fired.incidentKey });
    const paused = { ...(load('webhooks/grafana-legacy-ok.json') as object), state: 'paused' };
    expect(parseWebhook('alertmanager', paused, RECEIVED)).toEqual([]);
  });

  it("the generic format reads other tools' transition words as its action (Datadog's Triggered / Recovered)", () => {
    const body = (action?: string) => ({ title: '[Triggered] High checkout latency', dedupKey: 'dd-alert-5520', ...(action === undefined ? {} : { action }) });
    const stateOf = (action?: string) => parseWebhook('generic', body(action), RECEIVED)[0].state;
    expect(stateOf()).toBe('ALARM');
    for (const a of ['trigger', 'Triggered', 'Re-Triggered', 'No Data', 'Re-No Data', 'WARN', 'Re-Warn', 'Renotify', 'Null', 'firing', 'down'])
      expect(stateOf(a), a).toBe('ALARM');
    for (const a of ['resolve', 'Recovered', 'RESOLVED', 'ok', 'up', 'recovery']) expect(stateOf(a), a).toBe('OK');
    expect(() => stateOf('snoozed')).toThrow(/action: expected "trigger" or "resolve"/);
    expect(() => stateOf('constructor')).toThrow(/action: expected/);
    const [resolved] = parseWebhook('generic', body('Recovered'), RECEIVED);
    expect(resolved.incidentKey).toBe(parseWebhook('generic', body('Triggered'), RECEIVED)[0].incidentKey);
  });

  it("the generic format reads PagerDuty Events v2's spellings: event_action, payload.summary and payload.severity", () => {
    const trigger = {
      routing_key: 'R0UT1NG0000000000000000000000000',
      event_action: 'trigger',
      dedup_key: 'db-replica-lag',
      payload: { summary: 'DB replica lag above 60 s', source: 'db-02', severity: 'critical' },
    };
    expect(detectWebhookSource(trigger)).toBe('generic');
    const [fired] = parseWebhook('generic', trigger, RECEIVED);
    expect(fired).toMatchObject({ state: 'ALARM', alarmName: 'DB replica lag above 60 s', incidentKey: 'generic:db-replica-lag' });
    expect(fired.source).toMatchObject({ severity: 'P0', fields: { source: 'db-02' } });
    // Its resolve carries no payload: the dedup key closes what the trigger opened.
    const [resolved] = parseWebhook('generic', { routing_key: trigger.routing_key, event_action: 'resolve', dedup_key: 'db-replica-lag' }, RECEIVED);
    expect(resolved).toMatchObject({ state: 'OK', incidentKey: fired.incidentKey });
    expect(() => parseWebhook('generic', { ...trigger, event_action: 'acknowledge' }, RECEIVED)).toThrow(/event_action: expected "trigger" or "resolve"/);
    expect(() => parseWebhook('generic', { ...trigger, action: 'resolve' }, RECEIVED)).toThrow(/event_action: action and event_action disagree/);
  });

  it("Azure cost (budget) alerts, with no rule, severity or signal type, fire under their budget's name, ranked by the policy", () => {
    for (const path of ['webhooks/azure-budget-fired.json', 'webhooks/azure-budget-no-condition.derived.json']) {
      expect(detectWebhookSource(load(path)), path).toBe('azure');
      const n = one(path);
      expect(n, path).toMatchObject({ kind: 'azure', state: 'ALARM', alarmName: 'Budget platform-monthly', account: '5c1e3a7b-2d4f-4a6c-8e0b-9f1d3b5a7c2e' });
      expect(n.reason, path).toMatch(/platform-monthly .*\$2,000\.00/);
      expect(n.source, path).toMatchObject({ severity: null, severityLabel: null });
      expect(n.source?.fields, path).toMatchObject({
        budget: 'platform-monthly',
        budgetThreshold: '$2,000.00',
        monitoringService: 'CostAlerts',
        monitorCondition: 'Fired',
      });
      expect(classify(n, policy), path).toMatchObject({ severity: 'P2', by: 'default' });
    }
    expect(one('webhooks/azure-budget-fired.json').source?.fields).toMatchObject({ thresholdType: 'Forecasted', spent: '$1,630.12' });
    expect(one('webhooks/azure-budget-no-condition.derived.json').changedAt).toBe('2026-11-24T17:49:34.022Z');
  });

  it('an Azure severity outside Sev0–Sev4 is still refused with its path', () => {
    const body = load('webhooks/azure-budget-fired.json') as { data: { essentials: Record<string, unknown> } };
    body.data.essentials.severity = 'Sev9';
    expect(() => parseWebhook('azure', body, RECEIVED)).toThrow(/data\.essentials\.severity: expected Sev0 to Sev4/);
  });

  it("Google Cloud's test notification (documentation as plain text) is an incident like any other", () => {
    const n = one('webhooks/gcp-test-notification.json');
    expect(n).toMatchObject({
      kind: 'gcp',
      state: 'ALARM',
      alarmName: 'projects/checkout-prod-4821/alertPolicies/8214736590: Example condition',
      incidentKey: 'gcp:0.test-4c8e2a6f',
      description: 'Test documentation for the checkout channel',
      reason: 'Test notification for the checkout alert channel',
    });
    const open = load('webhooks/gcp-open.json') as { incident: Record<string, unknown> };
    open.incident.documentation = { content: 'Runbook: check the uptime target', mime_type: 'text/markdown' };
    expect(parseWebhook('gcp', open, RECEIVED)[0].description).toBe('Runbook: check the uptime target'); // schema 1.2's object
  });

  it('a title split by a carriage return or a Unicode line separator is one line too', () => {
    for (const sep of ['\r', '\u2028', '\u0085', '\v'])
      expect(parseWebhook('generic', { title: `first${sep}second`, dedupKey: 'k' }, RECEIVED)[0].alarmName, JSON.stringify(sep)).toBe('first');
  });

  it('a multi-line title names the alert by its first line; the whole text stays the reason when there is no other', () => {
    const n = one('webhooks/alertmanager-multiline-summary.derived.json');
    expect(n.alarmName).toBe('CheckoutLatencyHigh: Checkout latency high. It could be:');
    expect(n.reason).toBe('p99 of checkout-api above 800ms for 10 minutes');
    const body = load('webhooks/alertmanager-multiline-summary.derived.json') as { alerts: { annotations: Record<string, string> }[] };
    delete body.alerts[0].annotations.description;
    const [bare] = parseWebhook('alertmanager', body, RECEIVED);
    expect(bare.alarmName).toBe('CheckoutLatencyHigh: Checkout latency high. It could be:');
    expect(bare.reason).toContain('2. database connection pool exhausted');
  });

  it('Grafana: one notification per alert of the group, each keyed by its fingerprint', () => {
    const { notifications } = parseAnyInput(load('webhooks/grafana-firing.json'), { receivedAt: RECEIVED });
    expect(notifications.map((n) => [n.incidentKey, n.alarmName, n.state])).toEqual([
      ['alertmanager:5e1b9d3f7a2c6084', 'Disk almost full: Volume /data on ledger-db-2 is 93% full', 'ALARM'],
      ['alertmanager:81c6a4e0d2f9b357', 'Replication lag high: Replica ledger-db-3 is 48s behind', 'ALARM'],
    ]);
    expect(notifications[0].dimensions).toEqual({ team: 'payments', zone: 'eu-west' });
  });

  it('firing and resolved of one alert share the incident key (so the resolve closes what the firing opened)', () => {
    expect(one('webhooks/sentry-metric-alert-critical.derived.json').incidentKey).toBe(one('webhooks/sentry-metric-alert-resolved.json').incidentKey);
    expect(one('webhooks/gcp-open.json').incidentKey).toBe(one('webhooks/gcp-closed.json').incidentKey);
    expect(one('webhooks/generic-trigger.constructed.json').incidentKey).toBe(one('webhooks/generic-resolve.constructed.json').incidentKey);
  });

  it.each([
    ['Sev0', 'P0'],
    ['Sev1', 'P1'],
    ['Sev2', 'P2'],
    ['Sev3', 'P3'],
    ['Sev4', 'P3'],
  ])('Azure %s → %s by default', (sev, want) => {
    const body = load('webhooks/azure-fired.json') as { data: { essentials: { severity: string } } };
    body.data.essentials.severity = sev;
    expect(route(parseWebhook('azure', body, RECEIVED)[0], policy).classification.severity).toBe(want);
  });

  it.each([
    ['critical', 'P0'],
    ['high', 'P1'],
    ['warning', 'P2'],
    ['info', 'P3'],
    ['unheard-of', 'P2'],
    ['constructor', 'P2'],
  ])('Alertmanager severity label %j → %s by default', (label, want) => {
    const body = load('webhooks/alertmanager-firing.json') as { alerts: { labels: Record<string, string> }[] };
    body.alerts[0].labels.severity = label;
    expect(route(parseWebhook('alertmanager', body, RECEIVED)[0], policy).classification.severity).toBe(want);
  });

  it('the policy overrides a webhook severity (rule on source and fields)', () => {
    const custom = parsePolicyYaml(
      readFileSync(`${ROOT}packages/core/policy/default.yaml`, 'utf8').replace(
        'rules:\n',
        'rules:\n  - { name: Uptime checks page, source: gcp, fields: { resourceType: uptime_url }, severity: P0 }\n',
      ),
    );
    expect(classify(one('webhooks/gcp-open.json'), custom)).toMatchObject({ severity: 'P0', by: 'rule', detail: 'Uptime checks page' });
  });

  it('a Sentry resource that is not an alert (installation, comment) is accepted and yields nothing', () => {
    expect(parseWebhook('sentry', { action: 'created', data: { installation: { uuid: 'x' } } }, RECEIVED, 'installation')).toEqual([]);
    expect(parseWebhook('sentry', { action: 'assigned', data: { issue: { id: '1' } } }, RECEIVED, 'issue')).toEqual([]);
    expect(parseWebhook('sentry', { action: 'resolved', data: { issue: { id: '4810573921', title: 'TypeError' } } }, RECEIVED, 'issue')[0]).toMatchObject({
      state: 'OK',
      incidentKey: 'sentry:issue:4810573921',
    });
  });

  it('an Alertmanager alert without a fingerprint is keyed by its label set, the same for its resolution', () => {
    const body = load('webhooks/alertmanager-firing.json') as { alerts: Record<string, unknown>[] };
    delete body.alerts[0].fingerprint;
    const [firing] = parseWebhook('alertmanager', body, RECEIVED);
    body.alerts[0].status = 'resolved';
    const [resolved] = parseWebhook('alertmanager', body, RECEIVED);
    expect(firing.incidentKey).toMatch(/^alertmanager:labels:[0-9a-f]{16}$/);
    expect(resolved.incidentKey).toBe(firing.incidentKey);
    (body.alerts[0].labels as Record<string, string>).instance = 'checkout-api:9103';
    expect(parseWebhook('alertmanager', body, RECEIVED)[0].incidentKey).not.toBe(firing.incidentKey);
    expect(detectWebhookSource({ alerts: [{ status: 'firing', labels: { alertname: 'TestAlert' } }] })).toBe('alertmanager');
  });

  it('a javascript: link in a payload is not kept', () => {
    const body = load('webhooks/generic-trigger.constructed.json') as Record<string, unknown>;
    body.url = 'javascript:alert(1)';
    expect(parseWebhook('generic', body, RECEIVED)[0].source?.url).toBeNull();
  });
});

describe('malformed webhook bodies: InputError with the path of what is wrong', () => {
  /** A sample body, read loosely: the cases below spread and replace parts of it. */
  type Tree = { [key: string]: Tree };
  const cases: [WebhookSource, (b: Tree) => unknown, string, RegExp][] = [
    ['sentry', (b) => ({ ...b, action: 'exploded' }), 'action', /expected one of/i],
    ['gcp', (b) => ({ ...b, incident: { ...b.incident, state: 'melted' } }), 'incident.state', /open.*closed/],
    ['gcp', () => ({ version: '1.2' }), 'incident', /expected object/i],
    [
      'azure',
      (b) => ({ ...b, data: { ...b.data, essentials: { ...b.data.essentials, monitorCondition: 'Maybe' } } }),
      'data.essentials.monitorCondition',
      /Fired|Resolved/,
    ],
    ['azure', (b) => ({ ...b, schemaId: 'Microsoft.Insights/activityLogs' }), 'schemaId', /common alert schema/],
    ['alertmanager', (b) => ({ ...b, alerts: [{ ...b.alerts[0], status: 'pending' }] }), 'alerts[0].status', /firing|resolved/],
    ['alertmanager', (b) => ({ ...b, alerts: [] }), 'alerts', /no alerts/],
    ['generic', () => ({ details: 'no title' }), 'title', /title or a dedupKey/],
    ['generic', (b) => ({ ...b, severity: 'apocalyptic' }), 'severity', /expected P0-P3/],
    ['generic', (b) => ({ ...b, severity: 'constructor' }), 'severity', /expected P0-P3/],
    ['azure', (b) => ({ ...b, data: { ...b.data, essentials: { ...b.data.essentials, severity: '__proto__' } } }), 'data.essentials.severity', /Sev0 to Sev4/],
  ];
  const base: Record<WebhookSource, string> = {
    sentry: 'webhooks/sentry-metric-alert-resolved.json',
    gcp: 'webhooks/gcp-open.json',
    azure: 'webhooks/azure-fired.json',
    alertmanager: 'webhooks/alertmanager-firing.json',
    generic: 'webhooks/generic-trigger.constructed.json',
  };
  it.each(cases)('%s: %s', (source, mutate, path, reason) => {
    const body = mutate(load(base[source]) as Tree);
    let err: unknown;
    try {
      parseWebhook(source, body, RECEIVED, source === 'sentry' ? 'metric_alert' : null);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).path).toBe(path);
    expect((err as InputError).message).toMatch(reason);
  });
});

describe("webhook incidents in notifications: the source's own link, attacker text inert", () => {
  function noticeFor(n: Notification): Notice {
    const routed = route(n, policy);
    const incident = { ...newIncident(routed, RECEIVED, policy, { claim: { owner: 'test', now: RECEIVED, leaseMs: 1000 } }), status: 'open' as const };
    return { event: 'trigger', policy, links: noticeLinks(incident, policy, { dashboardUrl: 'https://alerts.example.com' }), incident };
  }

  it('timelines and reviews name the source that opened or resolved the incident', () => {
    const incident = newIncident(route(one('webhooks/gcp-open.json'), policy), RECEIVED, policy, { claim: { owner: 'test', now: RECEIVED, leaseMs: 1000 } });
    expect(incident.timeline[0]).toMatchObject({ type: 'opened', by: 'gcp' });
    expect(actorName('gcp')).toBe('Google Cloud Monitoring');
    expect(actorName('cloudwatch')).toBe('CloudWatch');
  });

  it('Slack, email and PagerDuty link to Sentry as "Sentry", not to a CloudWatch console', () => {
    const notice = noticeFor(one('webhooks/sentry-metric-alert-critical.derived.json'));
    expect(notice.links).toMatchObject({ console: 'https://sentry.io/organizations/example-org/alerts/57/', consoleLabel: 'Sentry' });
    const slack = JSON.stringify(renderSlack(notice));
    expect(slack).toContain('<https://sentry.io/organizations/example-org/alerts/57/|Sentry>');
    expect(slack).not.toContain('CloudWatch alarm');
    expect(renderEmail(notice).html).toContain('href="https://sentry.io/organizations/example-org/alerts/57/"');
    expect(JSON.stringify(renderPagerDuty(notice, 'R0UT1NGKEY0000000000000000000000'))).toContain('"text":"Sentry"');
  });

  it('the incident page shows the source, its severity label and key fields, escaped', () => {
    const body = load('webhooks/generic-trigger.constructed.json') as Record<string, unknown>;
    body.title = '<script>alert(1)</script> <!channel>';
    body.fields = { team: '<img src=x onerror=alert(1)>' };
    const notice = noticeFor(parseWebhook('generic', body, RECEIVED)[0]);
    const page = renderIncidentPage(
      { incident: notice.incident, policy, now: RECEIVED, session: { csrf: null, user: null, authEnabled: false } },
      { poll: '' },
    );
    expect(page).toContain('<code>generic</code> (P1)');
    expect(page).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(page).not.toContain('<script>alert(1)');
    expect(page).toContain('Open it in webhook');
    expect(JSON.stringify(renderSlack(notice))).not.toContain('<!channel>');
  });
});
