/**
 * The readers of AWS service messages and webhook bodies (packages/core/src/sources) on the shapes they recognise,
 * broken: every fixture's message with values swapped for junk or keys removed at random places. A message the
 * readers cannot make sense of must still become a notification with a title (SNS), or an InputError (webhooks);
 * never a TypeError that would fail the delivery again on every retry.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultPolicy, detectWebhookSource, InputError, parseSnsMessage, parseWebhook, route } from '@alert-router/core';

const FIXTURES = new URL('./fixtures/', import.meta.url).pathname;
/** One seed for every run, so that `npm test` cannot pass once and fail the next time; `FUZZ_SEED=n` explores others. */
const SEED = Number(process.env.FUZZ_SEED ?? 20261206);
if (!Number.isSafeInteger(SEED)) throw new Error(`FUZZ_SEED: expected an integer, got ${process.env.FUZZ_SEED}`);
const RECEIVED = '2026-12-06T10:00:00.000Z';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
const isObj = (v: unknown): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** What an SNS fixture carries: the JSON of each record's Message, of an HTTP notification's, or a bare event. */
function snsMessagesOf(v: Json): Json[] {
  if (isObj(v) && Array.isArray(v.Records) && v.Records.every((r) => isObj(r) && isObj(r.Sns)))
    return v.Records.map((r) => (r as { Sns: { Message: string } }).Sns.Message).flatMap(jsonOrNothing);
  if (isObj(v) && typeof v.Message === 'string') return jsonOrNothing(v.Message);
  return [v];
}

function jsonOrNothing(text: string): Json[] {
  try {
    return [JSON.parse(text) as Json];
  } catch {
    return []; // prose messages (Backup, CloudFormation) have no structure to break
  }
}

const load = (dir: string) =>
  readdirSync(join(FIXTURES, dir))
    .filter((f) => f.endsWith('.json'))
    .map((f) => ({ name: `${dir}/${f}`, value: JSON.parse(readFileSync(join(FIXTURES, dir, f), 'utf8')) as Json }));

const snsSeeds = load('sns').flatMap((f) => snsMessagesOf(f.value).map((value) => ({ name: f.name, value })));
const webhookSeeds = load('webhooks').flatMap((f) => {
  const source = detectWebhookSource(f.value);
  return source ? [{ name: f.name, source, value: f.value }] : [];
});

const junk: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>(null, '', 0, -1, 1e308, true, [], {}, '{', 'NaN', '2026-13-45T99:99:99Z', '\u0000', 'x'.repeat(5000)),
  fc.string({ maxLength: 20 }),
  fc.integer(),
  fc.array(fc.constantFrom<Json>(null, 1, 'a', {}), { maxLength: 3 }),
);

/** Every path to a value in `v` (objects' keys, arrays' indexes), the root excluded. */
function paths(v: Json, at: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(v)) return v.flatMap((c, i) => [[...at, i], ...paths(c, [...at, i])]);
  if (isObj(v)) return Object.entries(v).flatMap(([k, c]) => [[...at, k], ...paths(c, [...at, k])]);
  return [];
}

/** `v` with the value at `path` replaced by `by` (or removed when `by` is undefined). */
function broken(v: Json, path: (string | number)[], by: Json | undefined): Json {
  if (path.length === 0) return by ?? null;
  const [head, ...rest] = path;
  if (Array.isArray(v)) return v.flatMap((c, i) => (i !== head ? [c] : rest.length || by !== undefined ? [broken(c, rest, by)] : []));
  if (isObj(v))
    return Object.fromEntries(
      Object.entries(v).flatMap(([k, c]) => (k !== head ? [[k, c]] : rest.length || by !== undefined ? [[k, broken(c, rest, by)]] : [])),
    );
  return v;
}

/**
 * A seed with 1–4 of its values swapped for junk or removed, each at one of its paths picked uniformly (unbiased:
 * fast-check leans towards small numbers, which would break the first key of nearly every seed, its shape's key).
 */
function mutated<T extends { value: Json }>(seeds: T[]) {
  return fc
    .record({
      seed: fc.constantFrom(...seeds),
      changes: fc.array(fc.record({ at: fc.noBias(fc.nat(1_000_000)), by: fc.option(junk, { nil: undefined }) }), {
        minLength: 1,
        maxLength: 4,
      }),
    })
    .map(({ seed, changes }) => {
      let value = seed.value;
      for (const c of changes) {
        const all = paths(value);
        if (all.length) value = broken(value, all[c.at % all.length], c.by);
      }
      return { ...seed, value };
    });
}

const snsNotification = (value: Json) =>
  parseSnsMessage(
    { Type: 'Notification', MessageId: 'm-fuzz', TopicArn: 'arn:aws:sns:eu-west-1:123456789012:ops', Subject: null, Message: JSON.stringify(value) },
    'Records[0].Sns',
  );

/** The readers the unbroken seeds reach (`source.name` of their notifications). */
const readersOfSeeds = new Set(snsSeeds.map((s) => snsNotification(s.value).source?.name ?? '(none)'));

describe(`broken service messages and webhook bodies (fast-check seed ${SEED})`, () => {
  it('has seeds of every kind the readers know', () => {
    expect(snsSeeds.length).toBeGreaterThan(25);
    for (const reader of [
      'aws.guardduty',
      'aws.securityhub',
      'aws.health',
      'aws.inspector2',
      'aws.codepipeline',
      'aws.elasticache',
      'aws.ssm',
      'aws.cloudtrail',
      'aws.s3',
      'aws.ce',
      'aws.lambda',
      'aws.ses',
      'aws.rds',
      'aws.dms',
      'custom',
    ])
      expect(readersOfSeeds, reader).toContain(reader);
    expect(new Set(webhookSeeds.map((s) => s.source))).toEqual(new Set(['alertmanager', 'azure', 'gcp', 'generic', 'sentry']));
  });

  it('an SNS message of a known shape, broken anywhere, is still a notification with a title', () => {
    const reached = new Set<string>();
    fc.assert(
      fc.property(mutated(snsSeeds), ({ name, value }) => {
        const n = snsNotification(value);
        reached.add(n.source?.name ?? '(none)');
        expect(['alarm', 'message'], name).toContain(n.kind);
        // Never the message's JSON as its title (a JSON object starts `{"`; a field that is `{` is not one).
        if (n.kind === 'message') expect(n.alarmName.trim().startsWith('{"'), `${name}: ${n.alarmName}`).toBe(false);
        expect(typeof n.alarmName, name).toBe('string');
        // An alarm keeps its own name, whatever CloudWatch let it be (" " included: the channels' titles carry more);
        // a message's title is ours to make, and never blank.
        expect((n.kind === 'alarm' ? n.alarmName : n.alarmName.trim()).length, name).toBeGreaterThan(0);
        expect(['P0', 'P1', 'P2', 'P3'], name).toContain(route(n, defaultPolicy()).classification.severity);
      }),
      { numRuns: 1500, seed: SEED },
    );
    // Every reader was exercised by broken input, not only the generic fallback.
    for (const reader of readersOfSeeds) expect(reached, reader).toContain(reader);
  });

  it('a webhook body broken anywhere gives notifications with titles, or an InputError that says where', () => {
    fc.assert(
      fc.property(mutated(webhookSeeds), ({ name, source, value }) => {
        let notifications;
        try {
          notifications = parseWebhook(source, value, RECEIVED);
        } catch (err) {
          if (!(err instanceof InputError)) throw err;
          expect(err.message.length, name).toBeGreaterThan(0);
          return;
        }
        for (const n of notifications) {
          expect(typeof n.alarmName, name).toBe('string');
          expect(n.alarmName.trim().length, name).toBeGreaterThan(0);
          expect(['P0', 'P1', 'P2', 'P3'], name).toContain(route(n, defaultPolicy()).classification.severity);
        }
      }),
      { numRuns: 1500, seed: SEED },
    );
  });
});
