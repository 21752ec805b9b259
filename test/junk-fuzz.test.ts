import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError, parseInput, parseSnsMessage, route, defaultPolicy } from '@alert-router/core';
import { buildRuntime, createNotifiers, handleSnsEvent, OutboxBuffer, readConfig, type Runtime } from '@alert-router/aws';
import { localStore } from './helpers/local-dynamo';

/** Values that look like what CloudWatch sends, and everything around it. */
const junkValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.string(),
    fc.string({ unit: 'grapheme', maxLength: 40 }),
    fc.constantFrom('', '\u0000', '\u202e', '🚨'.repeat(50), 'ALARM', 'OK', 'INSUFFICIENT_DATA', 'PENDING', '2024-01-15T10:11:58.402+0000', 'arn:aws:cloudwatch:eu-west-1:1:alarm:x', '<!channel>'),
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 8 }), tie('value'), { maxKeys: 4 }),
  ),
})).value;

const alarmLike = fc.record(
  {
    AlarmName: fc.oneof(fc.string({ maxLength: 300 }), junkValue),
    NewStateValue: fc.oneof(fc.constantFrom('ALARM', 'OK', 'INSUFFICIENT_DATA', 'BOGUS'), junkValue),
    OldStateValue: junkValue,
    StateChangeTime: fc.oneof(fc.constant('2024-01-15T10:11:58.402+0000'), junkValue),
    AlarmArn: fc.oneof(fc.constant('arn:aws:cloudwatch:eu-west-1:123456789012:alarm:Fuzz'), junkValue),
    Region: junkValue,
    AlarmDescription: junkValue,
    Trigger: fc.oneof(junkValue, fc.record({ MetricName: junkValue, Namespace: junkValue, Period: junkValue, Threshold: junkValue, Dimensions: junkValue, Metrics: junkValue }, { requiredKeys: [] })),
    AlarmRule: junkValue,
    TriggeringChildren: junkValue,
  },
  { requiredKeys: [] },
);

const message = fc.oneof(
  fc.string({ maxLength: 2000 }),
  alarmLike.map((a) => JSON.stringify(a)),
  junkValue.map((v) => JSON.stringify(v) ?? 'undefined'),
  fc.constant('x'.repeat(300_000)),
  fc.constant(JSON.stringify({ AlarmName: 'Deep', NewStateValue: 'ALARM', Trigger: { Dimensions: [{ name: 'd', value: JSON.parse('['.repeat(500) + ']'.repeat(500)) }] } })),
);

const snsRecord = fc.oneof(
  fc.record({ Sns: fc.record({ Type: fc.constant('Notification'), MessageId: fc.uuid(), TopicArn: fc.constantFrom('arn:aws:sns:us-east-1:123456789012:CriticalAlertsTopic', 'arn:aws:sns:eu-west-1:1:x', 'garbage'), Subject: fc.option(fc.string({ maxLength: 120 })), Message: message, Timestamp: fc.constant('2026-11-26T10:00:00.000Z') }) }),
  fc.record({ Sns: junkValue }),
  junkValue,
);

describe('junk never crashes parsing', () => {
  it('parseInput: any JSON value gives notifications or an InputError, nothing else', () => {
    fc.assert(
      fc.property(fc.oneof(junkValue, alarmLike, fc.record({ Records: fc.array(snsRecord, { maxLength: 3 }) })), (value) => {
        try {
          const { notifications } = parseInput(value);
          for (const n of notifications) {
            const r = route(n, defaultPolicy());
            expect(['P0', 'P1', 'P2', 'P3']).toContain(r.classification.severity);
            expect(typeof n.alarmName).toBe('string');
            expect(n.alarmName.length).toBeGreaterThan(0);
          }
        } catch (err) {
          if (!(err instanceof InputError)) throw err;
          expect(err.message.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('any SNS Message string is routed (as an alarm or a plain message), never dropped', () => {
    fc.assert(
      fc.property(message, (m) => {
        const n = parseSnsMessage({ Type: 'Notification', MessageId: 'm', TopicArn: 'arn:aws:sns:us-east-1:1:HighAlertsTopic', Subject: null, Message: m }, 'Records[0].Sns');
        expect(['alarm', 'message']).toContain(n.kind);
        for (const w of n.warnings) expect(w).toMatch(/Records\[0\]\.Sns\.Message/);
      }),
      { numRuns: 500 },
    );
  });
});

describe('junk through the alarm handler (dynalite, outbox channels)', () => {
  let rt: Runtime;
  let local: Awaited<ReturnType<typeof localStore>>;
  beforeAll(async () => {
    local = await localStore();
    const config = readConfig({ ROUTER_TABLE: local.tableName, DYNAMODB_ENDPOINT: local.endpoint });
    rt = buildRuntime(config, { db: local.db, store: local.store, notifiers: createNotifiers({}, { outbox: new OutboxBuffer(), print: () => undefined }) });
  });
  afterAll(() => local.close());

  it('every record ends routed or kept as a dead letter with its raw text; the handler never throws', async () => {
    let deadBefore = 0;
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.record({ Records: fc.array(snsRecord, { minLength: 1, maxLength: 3 }) }), junkValue), async (event) => {
        const result = await handleSnsEvent(event, rt);
        const records = Array.isArray((event as { Records?: unknown })?.Records) ? (event as { Records: unknown[] }).Records : null;
        if (records && records.length > 0) expect(result.outcomes.length + result.deadLettered.length).toBe(records.length);
        else expect(result.deadLettered).toHaveLength(1);
        const kept = (await rt.store.listDeadLetters(rt.now().toISOString().slice(0, 10))).length;
        expect(kept).toBeGreaterThanOrEqual(deadBefore + result.deadLettered.length);
        deadBefore = kept;
      }),
      { numRuns: 60 },
    );
  });
});
