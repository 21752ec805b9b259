import { parseArn } from '../parse';
import type { Severity, SourceFacts } from '../types';
import { fieldsOf, firstLine, isoTime, safeUrl, text } from './common';

/**
 * What an AWS service's message (one that is not a CloudWatch alarm) says, read from its own shape: a readable
 * title, the key fields, and the service's severity mapped to P0–P3 where it has one (docs/sources.md).
 */
export interface MessageReading {
  title: string;
  /** The SNS Subject says it better (AWS Budgets writes a readable one): it wins over `title` when present. */
  preferSubject?: boolean;
  source: SourceFacts;
  /** A key that identifies the thing the message is about (a finding, an event), when there is one. */
  key: string | null;
  account: string | null;
  region: string | null;
  reason: string | null;
  at: string | null;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const obj = (v: unknown): Obj => (isObj(v) ? v : {});
const str = (v: unknown): string | null => text(v);

function facts(
  name: string,
  fields: [string, unknown][],
  severity: Severity | null = null,
  severityLabel: string | null = null,
  url: string | null = null,
): SourceFacts {
  return { name, severity, severityLabel, fields: fieldsOf(fields), url };
}

/** A title's list: the first three, then how many more (`a, b, c +2`). */
const firstFew = (items: string[]): string => `${items.slice(0, 3).join(', ')}${items.length > 3 ? ` +${items.length - 3}` : ''}`;

const REGION = /^[a-z]{2,}(-[a-z]+)+-\d+$/;
const region = (v: unknown): string | null => (typeof v === 'string' && REGION.test(v) ? v : null);
const account = (v: unknown): string | null => (typeof v === 'string' && /^\d{12}$/.test(v) ? v : null);

/** GuardDuty: 7.0–8.9 High and 9.0–10 Critical → P0; 4.0–6.9 Medium → P1; below → P2. */
export function guardDutySeverity(score: number): Severity {
  return score >= 7 ? 'P0' : score >= 4 ? 'P1' : 'P2';
}

/** Security Hub: CRITICAL/HIGH → P0, MEDIUM → P1, LOW/INFORMATIONAL → P2. */
export function securityHubSeverity(label: string): Severity | null {
  const l = label.toUpperCase();
  if (l === 'CRITICAL' || l === 'HIGH') return 'P0';
  if (l === 'MEDIUM') return 'P1';
  if (l === 'LOW' || l === 'INFORMATIONAL') return 'P2';
  return null;
}

/** ASFF `Severity.Normalized` (0–100) → its label, as Security Hub defines the ranges. */
function labelOfNormalized(n: number): string {
  return n >= 90 ? 'CRITICAL' : n >= 70 ? 'HIGH' : n >= 40 ? 'MEDIUM' : n >= 1 ? 'LOW' : 'INFORMATIONAL';
}

/** AWS Health: `issue` → P1; `scheduledChange` and `accountNotification` → P3. */
export function healthSeverity(category: string | null): Severity | null {
  if (category === 'issue') return 'P1';
  if (category === 'scheduledChange' || category === 'accountNotification') return 'P3';
  return null;
}

function guardDuty(e: Obj): MessageReading {
  const d = obj(e.detail);
  const score = typeof d.severity === 'number' ? d.severity : Number(d.severity);
  const sev = Number.isFinite(score) ? guardDutySeverity(score) : null;
  const type = str(d.type);
  const res = obj(d.resource);
  const instance = str(obj(res.instanceDetails).instanceId);
  const acct = account(d.accountId) ?? account(e.account);
  const reg = region(d.region) ?? region(e.region);
  return {
    title: `GuardDuty ${type ?? 'finding'}: ${str(d.title) ?? str(d.description) ?? 'finding'}`,
    source: facts(
      'aws.guardduty',
      [
        ['type', type],
        ['severity', Number.isFinite(score) ? score : null],
        ['findingId', d.id],
        ['resourceType', res.resourceType],
        ['instance', instance],
        ['title', d.title],
      ],
      sev,
      Number.isFinite(score) ? `GuardDuty severity ${score}` : null,
    ),
    key: str(d.id) ? `aws.guardduty:${str(d.id)}` : null,
    account: acct,
    region: reg,
    reason: str(d.description),
    at: isoTime(d.updatedAt) ?? isoTime(e.time),
  };
}

function securityHub(e: Obj): MessageReading {
  const findings = (Array.isArray(obj(e.detail).findings) ? (obj(e.detail).findings as unknown[]) : []).map(obj);
  const labelOf = (f: Obj): string | null => {
    const s = obj(f.Severity);
    if (typeof s.Label === 'string') return s.Label.toUpperCase();
    if (typeof s.Normalized === 'number') return labelOfNormalized(s.Normalized);
    return str(obj(f.ProductFields)['aws/securityhub/SeverityLabel'])?.toUpperCase() ?? null;
  };
  const rank = (f: Obj) => ['INFORMATIONAL', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'].indexOf(labelOf(f) ?? '');
  const worst = [...findings].sort((a, b) => rank(b) - rank(a))[0] ?? {};
  const label = labelOf(worst);
  const resource = obj(Array.isArray(worst.Resources) ? worst.Resources[0] : null);
  const types = Array.isArray(worst.Types) ? worst.Types : [];
  const more = findings.length > 1 ? ` (+${findings.length - 1} more)` : '';
  return {
    title: `Security Hub ${label ? `${label} ` : ''}finding: ${str(worst.Title) ?? str(types[0]) ?? 'finding'}${more}`,
    source: facts(
      'aws.securityhub',
      [
        ['severity', label],
        ['type', types[0]],
        ['title', worst.Title],
        ['resource', resource.Id],
        ['resourceType', resource.Type],
        ['product', obj(worst.ProductFields)['aws/securityhub/ProductName'] ?? worst.ProductArn],
        ['findingId', worst.Id ?? obj(worst.ProductFields)['aws/securityhub/FindingId']],
        ['findings', findings.length],
      ],
      label ? securityHubSeverity(label) : null,
      label ? `Security Hub ${label}` : null,
    ),
    key: str(worst.Id) ? `aws.securityhub:${str(worst.Id)}` : null,
    account: account(worst.AwsAccountId) ?? account(e.account),
    region: region(resource.Region) ?? region(e.region),
    reason: str(worst.Description),
    at: isoTime(worst.UpdatedAt) ?? isoTime(e.time),
  };
}

function health(e: Obj): MessageReading {
  const d = obj(e.detail);
  const category = str(d.eventTypeCategory);
  const descriptions = Array.isArray(d.eventDescription) ? d.eventDescription.map(obj) : [];
  const entities = Array.isArray(d.affectedEntities) ? d.affectedEntities.map((x) => str(obj(x).entityValue)).filter(Boolean) : [];
  return {
    title: `AWS Health ${category ?? 'event'}: ${str(d.service) ?? ''} ${str(d.eventTypeCode) ?? ''}`.replace(/\s+/g, ' ').trim(),
    source: facts(
      'aws.health',
      [
        ['service', d.service],
        ['eventTypeCode', d.eventTypeCode],
        ['category', category],
        ['status', d.statusCode],
        ['eventArn', d.eventArn],
        ['affected', entities.join(', ')],
      ],
      healthSeverity(category),
      category,
    ),
    key: str(d.eventArn) ? `aws.health:${str(d.eventArn)}` : null,
    account: account(e.account),
    region: region(d.eventRegion) ?? region(e.region),
    reason: str(descriptions[0]?.latestDescription),
    at: isoTime(e.time),
  };
}

/**
 * Amazon Inspector's findings (`Inspector2 Finding`): titled by their severity and title. No severity of ours: a
 * first scan publishes hundreds at once, and whether a CRITICAL package pages is the policy's call (`fields`).
 */
function inspector(e: Obj): MessageReading {
  const d = obj(e.detail);
  const label = str(d.severity)?.toUpperCase() ?? null;
  const resource = obj(Array.isArray(d.resources) ? d.resources[0] : null);
  const vulnerability = str(obj(d.packageVulnerabilityDetails).vulnerabilityId);
  // A finding is published again when its status changes (ACTIVE → CLOSED when the package is fixed): say so.
  const status = str(d.status);
  return {
    title: `Inspector ${label ? `${label} ` : ''}finding: ${str(d.title) ?? vulnerability ?? 'finding'}${str(resource.id) ? ` (${str(resource.id)})` : ''}${status && status.toUpperCase() !== 'ACTIVE' ? ` — ${status}` : ''}`,
    source: facts(
      'aws.inspector2',
      [
        ['severity', label],
        ['type', d.type],
        ['status', d.status],
        ['vulnerability', vulnerability],
        ['score', d.inspectorScore],
        ['resource', resource.id],
        ['resourceType', resource.type],
        ['findingArn', d.findingArn],
      ],
      null,
      label ? `Inspector ${label}` : null,
    ),
    key: str(d.findingArn) ? `aws.inspector2:${str(d.findingArn)}` : null,
    account: account(d.awsAccountId) ?? account(e.account),
    region: region(resource.region) ?? region(e.region),
    reason: str(d.description),
    // The event's own time is ISO; the detail's `updatedAt` is `Dec 1, 2026, 6:15:40 AM`.
    at: isoTime(e.time) ?? isoTime(d.updatedAt),
  };
}

/** Where an event without `resources` names what it is about (Config, Glue jobs and crawlers, EMR, Batch...). */
const DETAIL_NAMES = ['resourceId', 'jobName', 'crawlerName', 'pipeline', 'project-name', 'clusterName', 'name', 'instance-id'];

/** Any other EventBridge event: its detail-type, source and resources. */
function eventBridge(e: Obj): MessageReading {
  const resources = Array.isArray(e.resources) ? e.resources.map(str).filter((r): r is string => Boolean(r)) : [];
  const detailType = str(e['detail-type']) ?? 'EventBridge event';
  const src = str(e.source);
  const d = obj(e.detail);
  // Events with no `resources` name their subject in the detail (Config `resourceId`, Glue `jobName`, …).
  const named = DETAIL_NAMES.map((k) => str(d[k])).find(Boolean);
  const names = resources.length ? resources.map((r) => parseArn(r)?.resource ?? r) : named ? [named] : [];
  // The state the event reports, under the name its service uses (Config: the new evaluation's compliance).
  const status =
    ['state', 'status', 'build-status', 'StatusCode', 'lastStatus', 'eventName'].map((k) => str(d[k])).find(Boolean) ??
    str(obj(d.newEvaluationResult).complianceType) ??
    null;
  // What the event says happened, where its service writes it (RDS `Message`, ECS `stoppedReason`, …).
  const said = ['Message', 'message', 'stoppedReason', 'statusReason', 'reason', 'description'].map((k) => str(d[k])).find(Boolean) ?? null;
  return {
    title: `${detailType}${src ? ` (${src})` : ''}${names.length ? `: ${firstFew(names)}` : ''}${status ? ` — ${status}` : ''}`,
    source: facts(src ?? 'aws.events', [
      ['detailType', detailType],
      ['source', src],
      ['resources', resources.join(', ')],
      ['status', status],
      ['eventId', d.EventID],
      ['rule', d.configRuleName],
    ]),
    key: null,
    account: account(e.account),
    region: region(e.region),
    reason: said,
    at: isoTime(e.time),
  };
}

/**
 * A CodeStar notification rule's message (CodePipeline, CodeBuild, CodeCommit and CodeDeploy events sent to a
 * topic): an EventBridge event under other names (`detailType`, with `notificationRuleArn` and
 * `additionalAttributes`, where CodePipeline says which action failed and why).
 */
function codeStarNotification(m: Obj): MessageReading {
  const reading = eventBridge({ ...m, 'detail-type': m.detailType });
  const attrs = obj(m.additionalAttributes);
  const failed = (Array.isArray(attrs.failedActions) ? attrs.failedActions : []).map(obj);
  const named = failed.find((a) => str(a.action) || str(a.additionalInformation)) ?? {};
  const why = [str(named.action), str(named.additionalInformation)].filter(Boolean).join(': ') || null;
  const rule = parseArn(str(m.notificationRuleArn));
  return {
    ...reading,
    source: { ...reading.source, fields: { ...reading.source.fields, ...fieldsOf([['failedAction', named.action]]) } },
    account: reading.account ?? account(rule?.account),
    region: reading.region ?? region(rule?.region),
    reason: reading.reason ?? why,
  };
}

/** ElastiCache's events: `{"ElastiCache:FailoverComplete": "<cluster or node>"}`, sometimes with more keys. */
function elastiCache(m: Obj, eventKey: string): MessageReading {
  const event = eventKey.slice('ElastiCache:'.length);
  const target = str(m[eventKey]);
  const others = Object.entries(m)
    .filter(([k]) => k !== eventKey)
    .slice(0, 5);
  return {
    title: `ElastiCache ${event}${target ? `: ${target}` : ''}`,
    source: facts('aws.elasticache', [...others, ['event', event], ['target', target]]),
    key: null,
    account: null,
    region: null,
    reason: null,
    at: null,
  };
}

const ELASTICACHE_EVENT = /^ElastiCache:[A-Za-z]+$/;

/**
 * Systems Manager Run Command's status notifications: one for the command (`instanceIds`) or one per instance
 * (`instanceId`, with `detailedStatus`).
 */
function runCommand(m: Obj): MessageReading {
  const instances = Array.isArray(m.instanceIds)
    ? m.instanceIds.map(str).filter((i): i is string => Boolean(i))
    : [str(m.instanceId)].filter((i): i is string => Boolean(i));
  const status = str(m.detailedStatus) ?? str(m.status);
  const on = instances.length ? ` on ${firstFew(instances)}` : '';
  return {
    title: `Run Command ${str(m.documentName) ?? 'command'}${status ? ` ${status}` : ''}${on}`,
    source: facts('aws.ssm', [
      ['commandId', m.commandId],
      ['document', m.documentName],
      ['status', m.status],
      ['detailedStatus', m.detailedStatus],
      ['instances', instances.join(', ')],
    ]),
    key: null,
    account: null,
    region: null,
    reason: null,
    at: isoTime(m.eventTime),
  };
}

/** CloudTrail's notice that it delivered log files (`s3Bucket`, `s3ObjectKey[]`). */
function cloudTrailDelivery(m: Obj): MessageReading {
  const keys = (m.s3ObjectKey as unknown[]).map(str).filter((k): k is string => Boolean(k));
  const bucket = str(m.s3Bucket);
  return {
    title: `CloudTrail delivered ${keys.length} log file${keys.length === 1 ? '' : 's'}${bucket ? ` to s3://${bucket}` : ''}`,
    source: facts('aws.cloudtrail', [
      ['bucket', bucket],
      ['files', keys.length],
      ['first', keys[0]],
    ]),
    key: null,
    // AWSLogs/<account>/CloudTrail/<region>/…; an organization's trail puts its id first, Insights its own folder.
    account: account(/AWSLogs\/(?:o-[a-z0-9]+\/)?(\d{12})\//.exec(keys[0] ?? '')?.[1]),
    region: region(/CloudTrail(?:-Insight)?\/([a-z0-9-]+)\//.exec(keys[0] ?? '')?.[1]),
    reason: null,
    at: null,
  };
}

function ses(m: Obj): MessageReading {
  const type = str(m.notificationType) ?? str(m.eventType) ?? 'notification';
  const mail = obj(m.mail);
  const bounce = obj(m.bounce);
  const complaint = obj(m.complaint);
  const recipients = [
    ...(Array.isArray(bounce.bouncedRecipients) ? bounce.bouncedRecipients : []),
    ...(Array.isArray(complaint.complainedRecipients) ? complaint.complainedRecipients : []),
  ]
    .map((r) => str(obj(r).emailAddress))
    .filter(Boolean) as string[];
  const kind = [str(bounce.bounceType), str(bounce.bounceSubType)].filter(Boolean).join('/');
  const sourceArn = parseArn(str(mail.sourceArn));
  return {
    title: `SES ${type}${kind ? ` (${kind})` : ''}${recipients.length ? ` for ${firstFew(recipients)}` : ''}${str(mail.source) ? ` from ${str(mail.source)}` : ''}`,
    source: facts('aws.ses', [
      ['notificationType', type],
      ['bounceType', bounce.bounceType],
      ['bounceSubType', bounce.bounceSubType],
      ['recipients', recipients.join(', ')],
      ['from', mail.source],
      ['messageId', mail.messageId],
      ['diagnostic', obj((bounce.bouncedRecipients as unknown[] | undefined)?.[0]).diagnosticCode],
    ]),
    key: null,
    account: account(mail.sendingAccountId) ?? sourceArn?.account ?? null,
    region: region(sourceArn?.region),
    reason: str(obj((bounce.bouncedRecipients as unknown[] | undefined)?.[0]).diagnosticCode),
    at: isoTime(bounce.timestamp) ?? isoTime(mail.timestamp),
  };
}

function rds(m: Obj): MessageReading {
  // AWS DMS writes the same shape (`DMS-EVENT-0079`, a dms console link, its id after `SourceId:` in the link).
  const link = str(m['Identifier Link']);
  const dms = /DMS-EVENT-\d+/.test(str(m['Event ID']) ?? '') || /console\.aws\.amazon\.com\/dms\//.test(link ?? '');
  const eventId = (dms ? /DMS-EVENT-\d+/ : /RDS-EVENT-\d+/).exec(str(m['Event ID']) ?? '')?.[0] ?? null;
  const sourceArn = parseArn(str(m['Source ARN']));
  const sourceId = str(m['Source ID']) ?? /SourceId:\s*(\S+)/.exec(link ?? '')?.[1] ?? null;
  const service = dms ? 'DMS' : 'RDS';
  return {
    title:
      `${service} ${[str(m['Event Source']) && dms ? str(m['Event Source']) : null, sourceId ?? (dms ? null : str(m['Event Source']))].filter(Boolean).join(' ')}: ${str(m['Event Message']) ?? eventId ?? 'event'}`.replace(
        / +:/,
        ':',
      ),
    source: facts(
      dms ? 'aws.dms' : 'aws.rds',
      [
        ['eventSource', m['Event Source']],
        ['sourceId', sourceId],
        ['eventId', eventId],
        ['message', m['Event Message']],
      ],
      null,
      null,
      safeUrl(link),
    ),
    key: null,
    account: sourceArn?.account ?? null,
    region: region(sourceArn?.region) ?? region(/[?&]region=([a-z0-9-]+)/.exec(link ?? '')?.[1]),
    reason: str(m['Event Message']),
    at: isoTime(str(m['Event Time'])?.replace(' ', 'T').concat('Z')),
  };
}

function autoScaling(m: Obj): MessageReading {
  const arn = parseArn(str(m.AutoScalingGroupARN));
  const group = str(m.AutoScalingGroupName);
  return {
    title: `Auto Scaling ${group ?? ''}: ${str(m.Description) ?? str(m.Event) ?? 'activity'}`.replace(/ +:/, ':'),
    source: facts('aws.autoscaling', [
      ['event', m.Event],
      ['group', group],
      ['instance', m.EC2InstanceId],
      ['statusCode', m.StatusCode],
      ['statusMessage', m.StatusMessage],
    ]),
    key: null,
    account: account(m.AccountId) ?? account(arn?.account),
    region: region(arn?.region),
    reason: str(m.Cause),
    at: isoTime(m.Time) ?? isoTime(m.EndTime),
  };
}

/**
 * An AWS Chatbot custom notification (`{"version": "1.0", "source": "custom", "content": {"title", "description"}}`),
 * the shape teams publish to the topic Chatbot reads: its title and description.
 */
function chatbotCustom(m: Obj): MessageReading {
  const content = obj(m.content);
  const meta = obj(m.metadata);
  const keywords = Array.isArray(content.keywords) ? content.keywords.map(str).filter(Boolean).join(', ') : null;
  return {
    title: str(content.title) ?? str(meta.summary) ?? 'Custom notification',
    source: facts('custom', [
      ['eventType', meta.eventType],
      ['keywords', keywords],
    ]),
    key: null,
    account: null,
    region: null,
    reason: str(content.description),
    at: null,
  };
}

/**
 * A Lambda destination's invocation record (`requestContext.condition`: RetriesExhausted, EventAgeExceeded, or
 * Success), sent to the topic an asynchronous invocation's on-failure (or on-success) destination names.
 */
function lambdaDestination(m: Obj): MessageReading {
  const ctx = obj(m.requestContext);
  const arn = parseArn(str(ctx.functionArn));
  const fn = arn?.resource.replace(/^function:/, '').split(':')[0] ?? 'function';
  const condition = str(ctx.condition) ?? 'invocation';
  const response = obj(m.responsePayload);
  const error = str(response.errorMessage) ?? str(obj(m.responseContext).functionError);
  return {
    title: `Lambda ${fn} ${condition}${error ? `: ${error}` : ''}`,
    source: facts('aws.lambda', [
      ['function', fn],
      ['condition', condition],
      ['errorType', response.errorType],
      ['functionError', obj(m.responseContext).functionError],
      ['attempts', ctx.approximateInvokeCount],
      ['requestId', ctx.requestId],
    ]),
    key: null,
    account: account(arn?.account),
    region: region(arn?.region),
    reason: error,
    at: isoTime(m.timestamp),
  };
}

/** A Cost Anomaly Detection alert published to a topic (the JSON of an individual alert subscription). */
function costAnomaly(m: Obj): MessageReading {
  const impact = obj(m.impact);
  const cause = obj(Array.isArray(m.rootCauses) ? m.rootCauses[0] : null);
  const total = typeof impact.totalImpact === 'number' ? impact.totalImpact : null;
  const pct = typeof impact.totalImpactPercentage === 'number' ? impact.totalImpactPercentage : null;
  const where = [str(cause.service), str(cause.region), str(cause.usageType)].filter(Boolean).join(', ');
  return {
    title: `Cost anomaly${total !== null ? ` of $${total}` : ''}${pct !== null ? ` (+${pct}%)` : ''}${where ? ` in ${where}` : ''}`,
    source: facts(
      'aws.ce',
      [
        ['anomalyId', m.anomalyId],
        ['totalImpact', total],
        ['actualSpend', impact.totalActualSpend],
        ['expectedSpend', impact.totalExpectedSpend],
        ['service', cause.service],
        ['linkedAccount', cause.linkedAccount],
        ['monitor', m.monitorArn],
        ['subscription', m.subscriptionName],
      ],
      null,
      null,
      safeUrl(str(m.anomalyDetailsLink)),
    ),
    key: str(m.anomalyId) ? `aws.ce:${str(m.anomalyId)}` : null,
    account: account(m.accountId),
    region: null,
    reason: where ? `spend ${impact.totalActualSpend ?? '?'} against ${impact.totalExpectedSpend ?? '?'} expected; root cause: ${where}` : null,
    at: isoTime(m.anomalyStartDate),
  };
}

/** S3 event notifications (`{"Records": [{"eventSource": "aws:s3", …}]}`), published to a topic or posted bare. */
export function isS3Event(m: Obj): boolean {
  return Array.isArray(m.Records) && m.Records.length > 0 && m.Records.every((r) => isObj(r) && r.eventSource === 'aws:s3');
}

/** S3 event notifications published to a topic: one message of records (`eventSource: aws:s3`). */
function s3Event(m: Obj): MessageReading {
  const records = (m.Records as unknown[]).map(obj);
  const first = records[0];
  const s3 = obj(first.s3);
  const bucket = str(obj(s3.bucket).name);
  const key = str(obj(s3.object).key);
  const more = records.length > 1 ? ` +${records.length - 1}` : '';
  return {
    title: `S3 ${str(first.eventName) ?? 'event'}${bucket ? `: s3://${bucket}/${key ?? ''}` : ''}${more}`,
    source: facts('aws.s3', [
      ['eventName', first.eventName],
      ['bucket', bucket],
      ['key', key],
      ['records', records.length],
    ]),
    key: null,
    account: null,
    region: region(first.awsRegion),
    reason: null,
    at: isoTime(first.eventTime),
  };
}

/** CloudFormation stack events are `Key='value'` lines, not JSON. */
function cloudFormation(textBody: string): MessageReading | null {
  const kv = new Map<string, string>();
  for (const line of textBody.split('\n')) {
    const m = /^([A-Za-z]+)='(.*)'$/.exec(line.trim());
    if (m) kv.set(m[1], m[2]);
  }
  if (!kv.has('StackId') || !kv.has('ResourceStatus')) return null;
  const stack = kv.get('StackName') ?? parseArn(kv.get('StackId'))?.resource ?? 'stack';
  const logical = kv.get('LogicalResourceId');
  const status = kv.get('ResourceStatus')!;
  const arn = parseArn(kv.get('StackId'));
  const reason = kv.get('ResourceStatusReason') || null;
  return {
    title: logical && logical !== stack ? `CloudFormation ${stack}: ${logical} ${status}` : `CloudFormation stack ${stack} ${status}`,
    source: facts('aws.cloudformation', [
      ['stack', stack],
      ['resourceStatus', status],
      ['logicalResourceId', logical],
      ['resourceType', kv.get('ResourceType')],
      ['reason', reason],
    ]),
    key: null,
    account: account(arn?.account),
    region: region(arn?.region),
    reason,
    at: isoTime(kv.get('Timestamp')),
  };
}

/** AWS Backup writes prose; its message attributes carry the event type and state. */
function backup(textBody: string, attributes: Record<string, string>): MessageReading | null {
  if (!/^An AWS (Backup|Copy|Restore)\b/.test(textBody.trim()) && !attributes.EventType?.match(/_JOB$/)) return null;
  const sentence = textBody.trim().split(/\.(\s|$)/)[0];
  const resource = /Resource ARN\s*:\s*(\S+?)\.?(\s|$)/.exec(textBody)?.[1] ?? null;
  const arn = parseArn(resource);
  const state = attributes.State ?? null;
  return {
    title: `AWS Backup ${[attributes.EventType, state].filter(Boolean).join(' ') || 'notification'}: ${sentence}`,
    source: facts('aws.backup', [
      ['eventType', attributes.EventType],
      ['state', state],
      ['resource', resource],
      ['jobId', attributes.Id ?? /Job ID\s*:\s*(\S+)/i.exec(textBody)?.[1]],
    ]),
    key: null,
    account: account(attributes.AccountId) ?? account(arn?.account),
    region: region(arn?.region),
    reason: sentence,
    at: isoTime(attributes.StartTime),
  };
}

/** AWS Budgets writes prose with `Key: value` lines (`Budget Name: platform-monthly`, `ACTUAL Amount: $812.40`). */
function budgets(textBody: string): MessageReading | null {
  if (!/^AWS Budget Notification\b/.test(textBody.trim())) return null;
  const kv = new Map<string, string>();
  for (const line of textBody.split('\n')) {
    const m = /^([A-Za-z][A-Za-z ]{2,40}):\s*(.+)$/.exec(line.trim());
    if (m) kv.set(m[1].trim(), m[2].trim());
  }
  const name = kv.get('Budget Name') ?? null;
  const alertType = kv.get('Alert Type') ?? null;
  const amount = alertType ? (kv.get(`${alertType} Amount`) ?? null) : null;
  return {
    title: `AWS Budgets: ${name ?? 'budget'}${amount ? ` ${alertType?.toLowerCase()} ${amount}` : ''}${kv.get('Alert Threshold') ? ` (threshold ${kv.get('Alert Threshold')})` : ''}`,
    preferSubject: true,
    source: facts('aws.budgets', [
      ['budget', name],
      ['budgetType', kv.get('Budget Type')],
      ['alertType', alertType],
      ['threshold', kv.get('Alert Threshold')],
      ['amount', amount],
      ['budgeted', kv.get('Budgeted Amount')],
    ]),
    key: null,
    account: account(/AWS Account (\d{12})/.exec(textBody)?.[1]),
    region: null,
    reason:
      textBody
        .split('\n')
        .find((l) => /^You requested/.test(l.trim()))
        ?.trim() ?? null,
    at: null,
  };
}

/** The message's own reading, or null when it is none of the shapes above (it stays a plain message). */
export function readMessage(parsed: unknown, textBody: string, attributes: Record<string, string>): MessageReading | null {
  if (isObj(parsed)) {
    if ('detail-type' in parsed && 'detail' in parsed) {
      const dt = String(parsed['detail-type']);
      if (parsed.source === 'aws.guardduty' || dt === 'GuardDuty Finding') return guardDuty(parsed);
      if (parsed.source === 'aws.securityhub' || dt.startsWith('Security Hub Findings')) return securityHub(parsed);
      if (parsed.source === 'aws.health' || dt === 'AWS Health Event') return health(parsed);
      if (dt === 'Inspector2 Finding') return inspector(parsed);
      return eventBridge(parsed);
    }
    if (typeof parsed.detailType === 'string' && isObj(parsed.detail) && 'notificationRuleArn' in parsed) return codeStarNotification(parsed);
    const elastiCacheEvent = Object.keys(parsed).find((k) => ELASTICACHE_EVENT.test(k));
    if (elastiCacheEvent) return elastiCache(parsed, elastiCacheEvent);
    if (typeof parsed.commandId === 'string' && typeof parsed.documentName === 'string' && 'status' in parsed) return runCommand(parsed);
    if (typeof parsed.s3Bucket === 'string' && Array.isArray(parsed.s3ObjectKey)) return cloudTrailDelivery(parsed);
    if (('notificationType' in parsed || 'eventType' in parsed) && isObj(parsed.mail)) return ses(parsed);
    if ('Event Source' in parsed && 'Event Message' in parsed) return rds(parsed);
    if (parsed.Service === 'AWS Auto Scaling' && 'Event' in parsed) return autoScaling(parsed);
    if ('anomalyId' in parsed && isObj(parsed.impact)) return costAnomaly(parsed);
    if (isS3Event(parsed)) return s3Event(parsed);
    if (isObj(parsed.requestContext) && 'functionArn' in parsed.requestContext && 'condition' in parsed.requestContext) return lambdaDestination(parsed);
    if (parsed.source === 'custom' && isObj(parsed.content) && (str(parsed.content.title) || str(parsed.content.description))) return chatbotCustom(parsed);
    return null;
  }
  return cloudFormation(textBody) ?? backup(textBody, attributes) ?? budgets(textBody);
}

/** A JSON message nobody recognised still gets a readable title: a known text field, else its top-level keys. */
export function titleOfUnknownJson(parsed: unknown): string {
  if (isObj(parsed)) {
    for (const k of [
      'AlarmName',
      'detail-type',
      'title',
      'subject',
      'Subject',
      'summary',
      'message',
      'Message',
      'description',
      'name',
      'event',
      'eventType',
      'type',
    ]) {
      const t = str(parsed[k]);
      if (t && !t.trim().startsWith('{')) return firstLine(t);
    }
    const keys = Object.keys(parsed).slice(0, 5);
    return keys.length ? `JSON message (${keys.join(', ')}${Object.keys(parsed).length > 5 ? ', …' : ''})` : 'JSON message (empty object)';
  }
  return Array.isArray(parsed) ? `JSON message (a list of ${parsed.length})` : 'JSON message';
}
