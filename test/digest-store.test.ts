/**
 * The digest against dynalite and real peers on loopback: it reads only the window's days (by-day index) plus
 * the unresolved index, and sends Block Kit to a Slack webhook peer and a multipart email (HTML + text + the
 * chart as an inline PNG) to an SMTP peer.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { simpleParser } from 'mailparser';
import type { Incident } from '@alert-router/core';
import { buildRuntime, loadDigest, readConfig, runDigest, setRuntime, TABLE } from '@alert-router/aws';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { handler } from '../functions/digest';
import { lambdaContext, scheduledEvent } from '../packages/local/src/lambda-events';
import { makeIncident } from './helpers/incident-factory';
import { localStore } from './helpers/local-dynamo';
import { routerWithPeers } from './helpers/router-runtime';

const TO = '2024-01-16T08:00:00.000Z';

function inc(id: string, alarmName: string, severity: Incident['severity'], openedAt: string, o: Partial<Incident> = {}): Incident {
  return makeIncident({
    id,
    alarmName,
    incidentKey: `arn:aws:cloudwatch:eu-west-1:123456789012:alarm:${alarmName}`,
    severity,
    openedAt,
    updatedAt: openedAt,
    ...o,
  });
}
const acked = (at: string) => ({ acknowledgedAt: at, acknowledgedBy: 'slack:U1 (alice)' });
const resolved = (at: string) => ({ status: 'resolved' as const, resolvedAt: at, resolvedBy: 'cloudwatch' });

/** The window's incidents (9, over two UTC days), one just before it, and one open from the day before. */
const DAY: Incident[] = [
  inc('INC-AAAAAAAA', 'HighErrorRate', 'P0', '2024-01-15T10:00:00.000Z', { ...acked('2024-01-15T10:03:20.000Z'), ...resolved('2024-01-15T10:45:00.000Z') }),
  inc('INC-BBBBBBBB', 'HighErrorRate', 'P0', '2024-01-15T14:00:00.000Z', {
    ...acked('2024-01-15T14:07:30.000Z'),
    ...resolved('2024-01-15T15:00:00.000Z'),
    duplicates: 3,
  }),
  inc('INC-CCCCCCCC', 'HighResponseTime', 'P1', '2024-01-15T09:00:00.000Z', { ...acked('2024-01-15T09:10:00.000Z'), ...resolved('2024-01-15T09:40:00.000Z') }),
  inc('INC-DDDDDDDD', 'HighCPUUtilization', 'P1', '2024-01-15T20:00:00.000Z'),
  inc('INC-EEEEEEEE', 'DatabaseHighCPU', 'P2', '2024-01-15T12:00:00.000Z', { ...resolved('2024-01-15T12:30:00.000Z'), flapping: true, duplicates: 5 }),
  inc('INC-GGGGGGGG', 'DiskSpaceTrend', 'P3', '2024-01-15T16:00:00.000Z'),
  inc('INC-JJJJJJJJ', 'LoginFailures', 'P0', '2024-01-15T22:00:00.000Z', resolved('2024-01-15T22:20:00.000Z')),
  inc('INC-KKKKKKKK', 'PaymentsLatency', 'P1', '2024-01-15T23:00:00.000Z', { silencedBy: 'SIL-ABC123 by carol: deploy' }),
  inc('INC-MMMMMMMM', 'QueueDepth', 'P2', '2024-01-16T05:00:00.000Z', { status: 'acknowledged', ...acked('2024-01-16T05:20:00.000Z') }),
];
const BEFORE = inc('INC-HHHHHHHH', 'HighResponseTime', 'P1', '2024-01-15T07:59:59.000Z', resolved('2024-01-15T08:30:00.000Z'));
const OLD_OPEN = inc('INC-FFFFFFFF', 'RedisHighMemory', 'P2', '2024-01-15T03:00:00.000Z', { status: 'acknowledged', ...acked('2024-01-15T03:30:00.000Z') });

/** Ten earlier days of 30 resolved incidents each: what the digest must not read. */
function history(): Incident[] {
  const out: Incident[] = [];
  for (let d = 1; d <= 10; d++) {
    for (let n = 0; n < 30; n++) {
      const opened = new Date(Date.parse('2024-01-15T00:00:00.000Z') - d * 86_400_000 + n * 2_700_000).toISOString();
      out.push(
        inc(
          `INC-H${String(d).padStart(2, '0')}${String(n).padStart(5, '0')}`,
          `Old${n % 7}`,
          'P2',
          opened,
          resolved(new Date(Date.parse(opened) + 600_000).toISOString()),
        ),
      );
    }
  }
  return out;
}

async function seed(store: { createIncident(i: Incident): Promise<boolean> }, items: Incident[]) {
  for (let k = 0; k < items.length; k += 25) await Promise.all(items.slice(k, k + 25).map((i) => store.createIncident(i)));
}

/** Query responses seen by a client: index, Count and ScannedCount. */
function watchQueries(db: { middlewareStack: { add: (mw: never, opts: { step: 'initialize'; name: string }) => void } }) {
  const reads: { index: string; count: number; scanned: number }[] = [];
  const mw =
    (next: (a: unknown) => Promise<{ output: { Count?: number; ScannedCount?: number } }>, context: { commandName?: string }) =>
    async (args: { input: { IndexName?: string } }) => {
      const out = await next(args);
      if (context.commandName === 'QueryCommand')
        reads.push({ index: args.input.IndexName ?? 'table', count: out.output.Count ?? 0, scanned: out.output.ScannedCount ?? 0 });
      return out;
    };
  db.middlewareStack.add(mw as never, { step: 'initialize', name: 'queryWatcher' });
  return reads;
}

type Env = Awaited<ReturnType<typeof routerWithPeers>>;

describe('daily digest against dynalite, Slack and SMTP peers', () => {
  let env: Env | undefined;
  afterEach(async () => {
    setRuntime(undefined);
    await env?.close();
    env = undefined;
  });

  it('reads only the window (by-day index, the two days it spans) and the unresolved index — never a scan', async () => {
    env = await routerWithPeers({}, { now: () => new Date(TO) });
    const old = history();
    await seed(env.local.store, [...old, ...DAY, BEFORE, OLD_OPEN]);
    await env.rt.silences.create({ match: 'Payments*', reason: 'deploy', author: 'carol', minutes: 600, now: '2024-01-15T22:50:00.000Z' });
    const reads = watchQueries(env.local.db as never);
    env.local.requests.reset();

    const run = await runDigest(env.rt);

    const byIndex = (name: string) => reads.filter((r) => r.index === name);
    expect(byIndex('byDay')).toHaveLength(2);
    expect(byIndex('byDay').reduce((n, r) => n + r.scanned, 0)).toBe(DAY.length); // not BEFORE, not the 300 older ones
    // Only the unresolved one opened before the window (F): the window's open ones came with the by-day read.
    expect(byIndex('byStatus').reduce((n, r) => n + r.scanned, 0)).toBe(1);
    expect(byIndex('table').reduce((n, r) => n + r.scanned, 0)).toBe(1); // the silences partition
    expect(env.local.requests.byCommand.get('ScanCommand')).toBeUndefined();
    expect(env.local.requests.byCommand.get('QueryCommand')).toBe(4);
    expect(env.local.requests.byCommand.get('GetItemCommand')).toBeUndefined(); // rows say whether they paged
    const scanned = reads.reduce((n, r) => n + r.scanned, 0);
    expect(scanned).toBe(DAY.length + 1 + 1);
    expect(scanned).toBeLessThan(old.length / 10);

    const r = run.report;
    expect(r).toMatchObject({ total: 9, bySeverity: { P0: 3, P1: 3, P2: 2, P3: 1 }, byState: { open: 3, acknowledged: 1, resolved: 5 } });
    expect(r.mtta.all).toMatchObject({ count: 4, meanSeconds: 613 });
    expect(r.mttr.all).toMatchObject({ count: 5, meanSeconds: 2340 });
    expect(r.breaches.map((b) => [b.id, b.lateSeconds])).toEqual([
      ['INC-DDDDDDDD', 42_300],
      ['INC-JJJJJJJJ', 900],
      ['INC-BBBBBBBB', 150],
    ]);
    expect(r.stillOpen.map((o) => o.id)).toEqual(['INC-DDDDDDDD', 'INC-KKKKKKKK', 'INC-FFFFFFFF', 'INC-MMMMMMMM', 'INC-GGGGGGGG']);
    expect(r.silences.map((s) => s.match)).toEqual(['Payments*']);

    // Sent: Block Kit to the webhook, multipart email with the chart inline.
    expect(run.slack).toEqual({ status: 'sent', attempts: 1 });
    expect(run.email).toEqual({ status: 'sent', attempts: 1 });
    expect(env.slack.received).toHaveLength(1);
    const slack = env.slack.received[0].body as { text: string; blocks: { type: string; text?: { text: string } }[] };
    expect(slack.blocks[0]).toMatchObject({ type: 'header', text: { text: 'Alert digest: last 24 h' } });
    expect(JSON.stringify(slack.blocks)).toContain('INC-DDDDDDDD');

    expect(env.smtp.messages).toHaveLength(1);
    const mail = await simpleParser(env.smtp.messages[0].raw, { keepCidLinks: true });
    expect(mail.subject).toBe('Alert digest, last 24 h: 9 incidents (P0 3 · P1 3 · P2 2 · P3 1), 3 response-time breaches, 5 still open');
    expect(mail.text).toContain('P0   5 min 25 s (n=2)');
    expect(mail.html).toContain('src="cid:digest-chart@alert-router"');
    expect(mail.attachments).toHaveLength(1);
    const png = mail.attachments[0];
    expect(png).toMatchObject({ contentType: 'image/png', cid: 'digest-chart@alert-router', filename: 'incidents-per-hour.png' });
    expect([...png.content.subarray(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47]);
    expect(env.smtp.messages[0].raw).toMatch(/Content-Type: multipart\/related/i);
  });

  it('rows an older build wrote (no `paged`) have their incidents read: the same report, in batches', async () => {
    env = await routerWithPeers({}, { now: () => new Date(TO) });
    const paging = { 'trigger:pagerduty': { status: 'delivered' as const, attempts: 1, at: TO, event: 'trigger' as const, channel: 'pagerduty' as const } };
    const stale = new Set(['INC-AAAAAAAA', 'INC-JJJJJJJJ', 'INC-FFFFFFFF']);
    const seeded = [...DAY, BEFORE, OLD_OPEN].map((i) => (stale.has(i.id) || i.id === 'INC-BBBBBBBB' ? { ...i, deliveries: paging } : i));
    await seed(env.local.store, seeded);
    const fresh = await loadDigest(env.rt);
    expect(fresh.folding.paged).toBe(3);
    for (const id of stale)
      await env.local.db.send(new UpdateCommand({ TableName: env.local.tableName, Key: { pk: `INC#${id}`, sk: 'INC' }, UpdateExpression: 'REMOVE paged' }));
    env.local.requests.reset();
    expect(await loadDigest(env.rt)).toEqual(fresh);
    // One batch per page that has such rows: the window's day (A, J), the unresolved before it (F).
    expect(env.local.requests.byCommand.get('BatchGetItemCommand')).toBe(2);
    expect(env.local.requests.byCommand.get('GetItemCommand')).toBeUndefined();
  });

  it('an empty day is one line on each channel (no chart); the scheduled handler runs it', async () => {
    env = await routerWithPeers({}, { now: () => new Date(TO) });
    setRuntime(env.rt);
    const out = (await handler(scheduledEvent('digest'), lambdaContext('digest'))) as { empty: boolean; slack: { status: string }; email: { status: string } };
    expect(out).toMatchObject({ empty: true, slack: { status: 'sent' }, email: { status: 'sent' } });
    const slack = env.slack.received[0].body as { blocks: unknown[]; text: string };
    expect(slack.blocks).toHaveLength(1);
    expect(slack.text).toContain('no incidents, nothing open');
    const mail = await simpleParser(env.smtp.messages[0].raw);
    expect(mail.subject).toBe('Alert digest, last 24 h: no incidents');
    expect(mail.attachments).toHaveLength(0);
    expect((mail.text ?? '').trim().split('\n')).toHaveLength(1);
  });

  it('retries Slack under the shared rule (500 then 200) and still sends the email once', async () => {
    env = await routerWithPeers({}, { now: () => new Date(TO) });
    await seed(env.local.store, DAY);
    env.slack.script.push({ status: 500, body: 'oops' });
    const run = await runDigest(env.rt, { retry: { baseDelayMs: 1, maxDelayMs: 2 } });
    expect(run.slack).toEqual({ status: 'sent', attempts: 2 });
    expect(env.slack.received).toHaveLength(2);
    expect(env.smtp.messages).toHaveLength(1);
  });

  it('without channels configured, prints to the local outbox', async () => {
    const local = await localStore();
    try {
      const rt = buildRuntime(readConfig({ ROUTER_TABLE: local.tableName, DYNAMODB_ENDPOINT: local.endpoint }), {
        db: local.db,
        store: local.store,
        now: () => new Date(TO),
      });
      await seed(local.store, DAY);
      const lines: string[] = [];
      const run = await runDigest(rt, { print: (l) => lines.push(l) });
      expect(run.slack).toEqual({ status: 'outbox' });
      expect(run.email).toEqual({ status: 'outbox' });
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(/^\[outbox\] .* slack +Alert digest, last 24 h: 9 incidents/);
    } finally {
      await local.close();
    }
  });

  it('keeps the by-day index keys the store writes (digest reads depend on them)', () => {
    expect(TABLE.indexes.byDay).toMatchObject({ partitionKey: 'gsi2pk', sortKey: 'gsi2sk' });
  });
});
