import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { APIGatewayProxyEventV2, Context, ScheduledEvent, SNSEvent } from 'aws-lambda';

/** The SNS HTTP(S) delivery body (note the URL casing, which differs from the Lambda record's). */
export interface SnsHttpBody {
  Type: string;
  MessageId?: string;
  TopicArn?: string;
  Subject?: string | null;
  Message: string;
  Timestamp?: string;
  SignatureVersion?: string;
  Signature?: string;
  SigningCertURL?: string;
  UnsubscribeURL?: string;
  SubscribeURL?: string;
  MessageAttributes?: Record<string, { Type: string; Value: string }>;
}

/** What AWS hands the Lambda for one SNS delivery. */
export function snsEventFromHttp(body: SnsHttpBody): SNSEvent {
  const topic = body.TopicArn ?? 'arn:aws:sns:us-east-1:000000000000:local';
  return {
    Records: [
      {
        EventSource: 'aws:sns',
        EventVersion: '1.0',
        EventSubscriptionArn: `${topic}:local-subscription`,
        Sns: {
          Type: body.Type,
          MessageId: body.MessageId ?? randomUUID(),
          TopicArn: topic,
          Subject: body.Subject ?? (undefined as unknown as string),
          Message: body.Message,
          Timestamp: body.Timestamp ?? new Date().toISOString(),
          SignatureVersion: body.SignatureVersion ?? '1',
          Signature: body.Signature ?? '',
          SigningCertUrl: body.SigningCertURL ?? '',
          UnsubscribeUrl: body.UnsubscribeURL ?? '',
          MessageAttributes: Object.fromEntries(Object.entries(body.MessageAttributes ?? {}).map(([k, v]) => [k, { Type: v.Type, Value: v.Value }])),
        },
      },
    ],
  };
}

/** An API Gateway HTTP API (payload v2) event for a local request. */
export function apiGatewayEvent(req: { method: string; url: string; headers: IncomingHttpHeaders; body: Buffer; sourceIp: string }): APIGatewayProxyEventV2 {
  const url = new URL(req.url, 'http://localhost');
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && k !== 'cookie') headers[k.toLowerCase()] = Array.isArray(v) ? v.join(',') : v;
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = query[k] === undefined ? v : `${query[k]},${v}`;
  const cookies = req.headers.cookie ? req.headers.cookie.split(/;\s*/).filter(Boolean) : undefined;
  const now = new Date();
  const text = req.body.toString('utf8');
  const binary = !Buffer.from(text, 'utf8').equals(req.body);
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    cookies,
    headers,
    queryStringParameters: Object.keys(query).length ? query : undefined,
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'localhost',
      http: { method: req.method, path: url.pathname, protocol: 'HTTP/1.1', sourceIp: req.sourceIp, userAgent: headers['user-agent'] ?? '' },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    body: req.body.length ? (binary ? req.body.toString('base64') : text) : undefined,
    isBase64Encoded: binary,
  };
}

/** EventBridge's scheduled event, as `sst.aws.Cron` delivers it. */
export function scheduledEvent(ruleName: string, at = new Date()): ScheduledEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: '000000000000',
    time: at.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: 'local',
    resources: [`arn:aws:events:local:000000000000:rule/${ruleName}`],
    detail: {},
  };
}

/** Enough of a Lambda context for middy and Powertools. */
export function lambdaContext(functionName: string, timeoutMs = 30_000): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
