import fc from 'fast-check';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError, latchKey, parseInput, parseSnsMessage, route, defaultPolicy, RouterError, type Incident, type Notification } from '@alert-router/core';
import { buildRuntime, createNotifiers, OutboxBuffer, readConfig, setRuntime, TABLE, type DeadLetter, type Runtime } from '@alert-router/aws';
import { handler } from '../functions/alarm';
import { ensureTable } from '../packages/local/src/dynalite';
import { lambdaContext } from '../packages/local/src/lambda-events';
import { localStore } from './helpers/local-dynamo';
import { ungroupedPolicy } from './helpers/policies';

/** Values that look like what CloudWatch sends, and everything around it. */
const junkValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.string(),
    fc.string({ unit: 'grapheme', maxLength: 40 }),
    fc.constantFrom(
      '',
      '\u0000',
      '\u202e',
      '🚨'.repeat(50),
      'ALARM',
      'OK',
      'INSUFFICIENT_DATA',
      'PENDING',
      '2024-01-15T10:11:58.402+0000',
      'arn:aws:cloudwatch:eu-west-1:1:alarm:x',
      '<!channel>',
    ),
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
    AlarmName: fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'grapheme', maxLength: 60 }), junkValue),
    NewStateValue: fc.oneof(fc.constantFrom('ALARM', 'OK', 'INSUFFICIENT_DATA', 'BOGUS'), junkValue),
    OldStateValue: junkValue,
    NewStateReason: fc.oneof(fc.string({ maxLength: 500 }), junkValue),
    StateChangeTime: fc.oneof(fc.constant('2024-01-15T10:11:58.402+0000'), junkValue),
    AlarmArn: fc.oneof(fc.constant('arn:aws:cloudwatch:eu-west-1:123456789012:alarm:Fuzz'), junkValue),
    Region: junkValue,
    AlarmDescription: junkValue,
    Trigger: fc.oneof(
      junkValue,
      fc.record(
        { MetricName: junkValue, Namespace: junkValue, Period: junkValue, Threshold: junkValue, Dimensions: junkValue, Metrics: junkValue },
        { requiredKeys: [] },
      ),
    ),
    AlarmRule: junkValue,
    TriggeringChildren: junkValue,
  },
  { requiredKeys: [] },
);

/** A CloudWatch alarm message that validates, with odd but legal content. */
const validAlarm = fc.record(
  {
    AlarmName: fc.oneof(
      fc.string({ minLength: 1, maxLength: 120 }),
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }),
      fc.constantFrom('<!channel> *bold*', '\u202eevil', 'a\nb', '🚨'.repeat(50)),
    ),
    NewStateValue: fc.constantFrom('ALARM', 'OK', 'INSUFFICIENT_DATA', 'alarm'),
    OldStateValue: fc.constantFrom('ALARM', 'OK', 'INSUFFICIENT_DATA'),
    NewStateReason: fc.option(fc.string({ unit: 'grapheme', maxLength: 200 }), { nil: undefined }),
    AlarmDescription: fc.option(fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'grapheme', maxLength: 60 })), { nil: undefined }),
    StateChangeTime: fc
      .date({ min: new Date('2026-01-01T00:00:00Z'), max: new Date('2026-12-31T00:00:00Z'), noInvalidDate: true })
      .map((d) => d.toISOString().replace('Z', '+0000')),
    AlarmArn: fc.constantFrom('arn:aws:cloudwatch:eu-west-1:123456789012:alarm:Fuzz', 'arn:aws:cloudwatch:us-east-1:210987654321:alarm:Other'),
    Trigger: fc.option(
      fc.record({
        MetricName: fc.string({ maxLength: 20 }),
        Namespace: fc.constantFrom('AWS/EC2', 'AWS/RDS', 'Custom'),
        Period: fc.nat(3600),
        Threshold: fc.oneof({ arbitrary: fc.double({ min: -1e12, max: 1e12, noNaN: true }), weight: 5 }, fc.double({ noNaN: true, noDefaultInfinity: true })),
      }),
      { nil: undefined },
    ),
  },
  { requiredKeys: ['AlarmName', 'NewStateValue'] },
);

/** SNS caps a message at 256 KiB: "huge" stays under that, as it would in production. */
const HUGE = 250_000;
const huge = fc.constantFrom(
  JSON.stringify({
    AlarmName: 'Huge',
    NewStateValue: 'ALARM',
    AlarmArn: 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:Huge',
    AlarmDescription: 'd'.repeat(HUGE),
  }),
  JSON.stringify({
    AlarmName: 'HugeEmoji',
    NewStateValue: 'ALARM',
    AlarmArn: 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:HugeEmoji',
    NewStateReason: '🚨'.repeat(60_000),
  }),
  JSON.stringify({ AlarmName: 404, NewStateValue: 'ALARM', Pad: 'x'.repeat(HUGE) }),
  JSON.stringify({ AlarmName: 'Deep', NewStateValue: 'ALARM', Trigger: { Dimensions: [{ name: 'd', value: JSON.parse('['.repeat(500) + ']'.repeat(500)) }] } }),
  JSON.stringify({ AlarmName: 'DeepExtra', NewStateValue: 'ALARM', Extra: JSON.parse('{"a":'.repeat(2000) + '1' + '}'.repeat(2000)) }),
  '['.repeat(1900) + ']'.repeat(1900),
);

const message = fc.oneof(
  { arbitrary: validAlarm.map((a) => JSON.stringify(a)), weight: 3 },
  fc.string({ maxLength: 2000 }),
  fc.string({ unit: 'grapheme', maxLength: 300 }),
  fc.string({ unit: 'binary', maxLength: 60 }),
  alarmLike.map((a) => JSON.stringify(a)),
  junkValue.map((v) => JSON.stringify(v) ?? 'undefined'),
  huge,
);

const topicArn = fc.oneof(
  fc.constantFrom('arn:aws:sns:us-east-1:123456789012:CriticalAlertsTopic', 'arn:aws:sns:eu-west-1:1:x', 'garbage'),
  fc.string({ maxLength: 30 }),
);

/** Real envelopes, envelopes with missing or mistyped fields, and records that are not envelopes at all. */
const realEnvelope = fc.record({
  EventSource: fc.constant('aws:sns'),
  Sns: fc.record({
    Type: fc.constant('Notification'),
    MessageId: fc.uuid(),
    TopicArn: topicArn,
    Subject: fc.option(fc.string({ maxLength: 100 })),
    Message: message,
    Timestamp: fc.constant('2026-11-26T10:00:00.000Z'),
  }),
});
const oddEnvelope = fc.record({
  Sns: fc.record(
    {
      Type: fc.oneof(fc.constant('Notification'), junkValue),
      MessageId: fc.oneof(fc.uuid(), junkValue),
      TopicArn: fc.oneof(topicArn, junkValue),
      Subject: junkValue,
      Message: fc.oneof(message, junkValue),
      Timestamp: junkValue,
    },
    { requiredKeys: [] },
  ),
});
const snsRecord = fc.oneof(
  { arbitrary: realEnvelope, weight: 5 },
  { arbitrary: oddEnvelope, weight: 2 },
  fc.record({ Sns: fc.oneof(junkValue, fc.constant({ Message: 7, Pad: 'p'.repeat(HUGE) })) }),
  junkValue,
);

const snsEvent = fc.oneof({ arbitrary: fc.record({ Records: fc.array(snsRecord, { minLength: 1, maxLength: 3 }) }), weight: 4 }, junkValue);

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
        const n = parseSnsMessage(
          { Type: 'Notification', MessageId: 'm', TopicArn: 'arn:aws:sns:us-east-1:1:HighAlertsTopic', Subject: null, Message: m },
          'Records[0].Sns',
        );
        expect(['alarm', 'message']).toContain(n.kind);
        for (const w of n.warnings) expect(w).toMatch(/Records\[0\]\.Sns\.Message/);
      }),
      { numRuns: 500 },
    );
  });
});

// ---------------------------------------------------------------------------------------------------------------
// The deployed handler (functions/alarm.ts: middy + Powertools) on dynalite, one fresh table per generated event.

const NOW = new Date('2026-11-26T10:00:05.000Z');
const DAY = NOW.toISOString().slice(0, 10);
/** What sns-handler keeps as a dead letter's raw text for a value (a string as is, anything else as JSON). */
const rawText = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

type SnsLike = { Message?: unknown; MessageId?: unknown; TopicArn?: unknown };
function snsOf(record: unknown): SnsLike | null {
  const sns = (record as { Sns?: unknown } | null)?.Sns;
  return sns && typeof sns === 'object' && !Array.isArray(sns) ? (sns as SnsLike) : null;
}

/** The notification one record becomes, when it is a readable envelope (null: it must be dead-lettered). */
function notificationOf(record: unknown): Notification | null {
  try {
    return parseInput({ Records: [record] }).notifications[0];
  } catch (err) {
    if (err instanceof InputError) return null;
    throw err;
  }
}

/**
 * Batches this property does not judge: one alarm twice in a batch (the second is a duplicate or, with the same
 * change time, a redelivery of the first), which the pipeline tests cover.
 */
function knownGap(records: unknown[]): string | null {
  const keys = new Set<string>();
  for (const record of records) {
    const n = notificationOf(record);
    if (!n) continue;
    if (keys.has(latchKey(n))) return 'same alarm twice in one batch';
    keys.add(latchKey(n));
  }
  return null;
}

interface Stored {
  deadLetters: (DeadLetter & { truncated?: boolean })[];
  incidents: Incident[];
  latches: { alarmName?: string; lastMessageId?: string }[];
}

/** Why a record is not accounted for, or null when it is: kept whole as a dead letter, or routed with its content. */
function unaccounted(record: unknown, i: number, s: Stored): string | null {
  const path = `Records[${i}]`;
  const raw = rawText(record);
  const kept = (text: string, at: string) =>
    s.deadLetters.some((d) => d.raw === text && !d.truncated && d.source === 'sns' && d.reason.startsWith(at) && /: \S/.test(d.reason));
  if (kept(raw, path)) return null;

  const sns = snsOf(record);
  const m = sns?.Message;
  if (typeof m !== 'string') return `${path}: unreadable, and no dead letter holds its raw text`;
  const topic = typeof sns?.TopicArn === 'string' ? sns.TopicArn : null;
  const ofTopic = s.incidents.filter((x) => x.alarm.topicArn === topic);

  // A plain message (or an alarm that did not validate): the incident keeps its text; text too long for the
  // incident must then be whole in a dead letter.
  for (const x of ofTopic.filter((x) => x.alarm.kind === 'message' && x.alarm.text !== null)) {
    const text = x.alarm.text!;
    if (text === m) return null;
    const keptWhole = kept(m, `alarm routed as a plain message: ${path}.Sns.Message`) || kept(m, `${path}.Sns.Message: a plain message of`);
    if (text.endsWith('…') && m.startsWith(text.slice(0, -1)) && keptWhole) return null;
  }

  // An alarm: the incident carries what it said (CloudWatch's JSON is not kept verbatim, its fields are).
  let parsed: Record<string, unknown> | null = null;
  try {
    const v: unknown = JSON.parse(m);
    if (v && typeof v === 'object' && !Array.isArray(v)) parsed = v as Record<string, unknown>;
  } catch {
    // not JSON: only the plain-message forms above apply
  }
  if (parsed && typeof parsed.AlarmName === 'string') {
    const name = parsed.AlarmName;
    const str = (v: unknown) => (typeof v === 'string' ? v : null);
    const state = str(parsed.NewStateValue);
    if (state?.toUpperCase() === 'OK') {
      // A recovery with no episode open (one alarm per batch here): recorded on the alarm's latch (a record without a
      // MessageId leaves it empty there).
      const messageId = typeof sns?.MessageId === 'string' ? sns.MessageId : '';
      if (s.latches.some((l) => l.alarmName === name && l.lastMessageId === messageId)) return null;
      return `${path}: OK for ${JSON.stringify(name.slice(0, 40))} neither resolved an incident nor was recorded`;
    }
    const match = ofTopic.find(
      (x) =>
        x.alarm.kind === 'alarm' &&
        x.alarmName === name &&
        x.alarm.rawState === state &&
        x.alarm.description === str(parsed.AlarmDescription) &&
        x.alarm.reason === str(parsed.NewStateReason),
    );
    if (match) return null;
    // Fields too long for an incident are trimmed on it (it must fit the store); the message is then kept whole.
    if (ofTopic.some((x) => x.alarm.kind === 'alarm') && kept(m, `${path}.Sns.Message: an alarm message of`)) return null;
  }
  return `${path}: Message (${m.length} chars) is neither on an incident nor kept whole as a dead letter`;
}

describe('junk through the deployed alarm handler (functions/alarm.ts, dynalite, outbox channels)', () => {
  let local: Awaited<ReturnType<typeof localStore>>;
  let tables = 0;
  beforeAll(async () => {
    local = await localStore();
  });
  afterAll(async () => {
    setRuntime(undefined);
    await local.close();
  });

  /** A runtime on a fresh table, installed where the handler finds it (as `npm start` and the Lambda do). */
  async function freshRuntime(): Promise<Runtime> {
    const tableName = `fuzz-${tables++}`;
    await ensureTable(local.endpoint, tableName);
    const config = readConfig({ ROUTER_TABLE: tableName, DYNAMODB_ENDPOINT: local.endpoint });
    // Grouping off: the checks find each alarm's content on an incident of its own (grouping has its own tests).
    const rt = buildRuntime(config, {
      db: local.db,
      now: () => NOW,
      policy: ungroupedPolicy(),
      notifiers: createNotifiers({}, { outbox: new OutboxBuffer(), print: () => undefined }),
    });
    setRuntime(rt);
    return rt;
  }

  async function stored(rt: Runtime): Promise<Stored> {
    const items = (await local.db.send(new ScanCommand({ TableName: rt.config.tableName }))).Items ?? [];
    return {
      deadLetters: await rt.store.listDeadLetters(DAY),
      incidents: await rt.store.listByDay(DAY),
      latches: items.filter((i) => String(i[TABLE.partitionKey]).startsWith('KEY#')),
    };
  }

  it('each record is routed with its content or kept whole as a dead letter with a reason; no crash', async () => {
    await fc.assert(
      fc.asyncProperty(snsEvent, async (generated) => {
        const event: unknown = JSON.parse(JSON.stringify(generated) ?? 'null'); // what Lambda hands over is JSON
        const records = (event as { Records?: unknown })?.Records;
        const batch = Array.isArray(records) && records.length > 0 ? records : null;
        fc.pre(!batch || knownGap(batch) === null);

        const rt = await freshRuntime();
        try {
          await handler(event as never, lambdaContext('alarm'));
        } catch (err) {
          // Allowed: a clear RouterError (e.g. a failed delivery to be retried). Not: TypeError, URIError, SDK errors.
          expect(err).toBeInstanceOf(RouterError);
          expect((err as Error).message).toMatch(/\S/);
        }
        const s = await stored(rt);
        if (!batch) {
          expect(s.deadLetters.map((d) => [d.raw, d.reason.startsWith('Records: ')])).toContainEqual([rawText(event), true]);
          return;
        }
        expect(batch.map((r, i) => unaccounted(r, i, s)).filter(Boolean)).toEqual([]);
      }),
      { numRuns: 150, maxSkipsPerRun: 1000 },
    );
  }, 60_000);

  // Edge cases the fuzzer found once (each was a lost message before its fix).
  async function deliver(...records: object[]) {
    const rt = await freshRuntime();
    await handler({ Records: records } as never, lambdaContext('alarm'));
    return { rt, s: await stored(rt) };
  }
  let messageIds = 0;
  const envelope = (Message: string, extra: Record<string, unknown> = {}) => ({
    Sns: {
      Type: 'Notification',
      MessageId: `m-${++messageIds}`,
      TopicArn: 'arn:aws:sns:us-east-1:123456789012:T',
      Subject: null,
      Message,
      Timestamp: '2026-11-26T10:00:00.000Z',
      ...extra,
    },
  });

  it('G1: a plain message longer than 4000 characters is kept whole somewhere', async () => {
    const record = envelope(`Budget report\n${'line of text\n'.repeat(1000)}`);
    const { s } = await deliver(record);
    expect(unaccounted(record, 0, s)).toBeNull();
  });

  it('G2: a name cut at 256 code units inside an emoji does not crash the handler', async () => {
    const record = envelope('🚨'.repeat(200));
    const { s } = await deliver(record);
    expect(unaccounted(record, 0, s)).toBeNull();
  });

  it('G3: an AlarmName over the DynamoDB key limit gives a clear error or a dead letter', async () => {
    const record = envelope(JSON.stringify({ AlarmName: 'a'.repeat(3000), NewStateValue: 'ALARM' }));
    const { s } = await deliver(record);
    expect(unaccounted(record, 0, s)).toBeNull();
  });

  it('G4: a Threshold beyond 2^53 (10 PB in bytes) is stored or dead-lettered', async () => {
    const record = envelope(
      JSON.stringify({ AlarmName: 'BucketSize', NewStateValue: 'ALARM', Trigger: { MetricName: 'BucketSizeBytes', Namespace: 'AWS/S3', Threshold: 1e16 } }),
    );
    const { s } = await deliver(record);
    expect(unaccounted(record, 0, s)).toBeNull();
  });
});
