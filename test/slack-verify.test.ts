import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseSnsMessage } from '@alert-router/core';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import {
  buildRuntime,
  processNotification,
  ReplayCache,
  signSlackRequest,
  slackRoutes,
  slackSignature,
  TABLE,
  verifySlackRequest,
  type Runtime,
} from '@alert-router/aws';
import { claimSlackSignature, REPLAY_TTL_SECONDS, replayKey } from '../packages/aws/src/slack/replay-store';
import { RUNBOOK_ALARMS, snsNotification } from '../packages/local/src/demo';
import { apiGatewayEvent } from '../packages/local/src/lambda-events';
import { routerWithPeers } from './helpers/router-runtime';

// Slack's documented example (https://api.slack.com/authentication/verifying-requests-from-slack).
const EXAMPLE = {
  secret: '8f742231b10e8888abcd99yyyzzz85a5',
  timestamp: 1531420618,
  body: 'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c',
  signature: 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
};
const AT_EXAMPLE = new Date(EXAMPLE.timestamp * 1000);

function event(body: string | Buffer, headers: Record<string, string>, path = '/slack/commands') {
  return apiGatewayEvent({ method: 'POST', url: path, headers, body: Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8'), sourceIp: '127.0.0.1' });
}

function exampleHeaders(overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const h: Record<string, string | undefined> = {
    'content-type': 'application/x-www-form-urlencoded',
    'x-slack-request-timestamp': String(EXAMPLE.timestamp),
    'x-slack-signature': EXAMPLE.signature,
    ...overrides,
  };
  return Object.fromEntries(Object.entries(h).filter((e): e is [string, string] => e[1] !== undefined));
}

describe('Slack request signature (pure)', () => {
  it('reproduces the documented example signature', () => {
    expect(slackSignature(EXAMPLE.secret, EXAMPLE.timestamp, EXAMPLE.body)).toBe(EXAMPLE.signature);
    expect(signSlackRequest(EXAMPLE.secret, EXAMPLE.body, EXAMPLE.timestamp)['x-slack-signature']).toBe(EXAMPLE.signature);
  });

  it('accepts the example with the clock at its timestamp, plain or base64 body alike', () => {
    expect(verifySlackRequest(event(EXAMPLE.body, exampleHeaders()), { secret: EXAMPLE.secret, now: AT_EXAMPLE })).toEqual({ ok: true });
    const b64 = { ...event(EXAMPLE.body, exampleHeaders()), body: Buffer.from(EXAMPLE.body).toString('base64'), isBase64Encoded: true };
    expect(verifySlackRequest(b64, { secret: EXAMPLE.secret, now: AT_EXAMPLE })).toEqual({ ok: true });
    // Header names in any case (API Gateway v1 / other proxies keep the client's casing).
    const upper = { ...event(EXAMPLE.body, {}), headers: { 'X-Slack-Request-Timestamp': String(EXAMPLE.timestamp), 'X-Slack-Signature': EXAMPLE.signature } };
    expect(verifySlackRequest(upper, { secret: EXAMPLE.secret, now: AT_EXAMPLE })).toEqual({ ok: true });
  });

  it('signs the raw bytes: a body that is not valid UTF-8 still verifies only as sent', () => {
    const raw = Buffer.concat([Buffer.from('text=caf'), Buffer.from([0xe9]), Buffer.from('&user_id=U1')]);
    const headers = signSlackRequest('s3cret', raw, EXAMPLE.timestamp);
    const ev = { ...event(raw, headers), body: raw.toString('base64'), isBase64Encoded: true };
    expect(verifySlackRequest(ev, { secret: 's3cret', now: AT_EXAMPLE })).toEqual({ ok: true });
  });

  it.each([
    ['wrong secret', { secret: 'not-the-secret' }, {}, EXAMPLE.body, 'signature-mismatch'],
    ['no secret configured', { secret: null }, {}, EXAMPLE.body, 'no-signing-secret'],
    ['empty secret', { secret: '' }, {}, EXAMPLE.body, 'no-signing-secret'],
    ['timestamp 5 min + 1 s in the past', { now: new Date((EXAMPLE.timestamp + 301) * 1000) }, {}, EXAMPLE.body, 'stale-timestamp'],
    ['timestamp 5 min + 1 s in the future', { now: new Date((EXAMPLE.timestamp - 301) * 1000) }, {}, EXAMPLE.body, 'stale-timestamp'],
    ['tampered body', {}, {}, EXAMPLE.body.replace('text=', 'text=ack+INC-00000000'), 'signature-mismatch'],
    ['body with a trailing newline', {}, {}, `${EXAMPLE.body}\n`, 'signature-mismatch'],
    ['missing signature', {}, { 'x-slack-signature': undefined }, EXAMPLE.body, 'missing-headers'],
    ['missing timestamp', {}, { 'x-slack-request-timestamp': undefined }, EXAMPLE.body, 'missing-headers'],
    ['non-numeric timestamp', {}, { 'x-slack-request-timestamp': '1531420618.5' }, EXAMPLE.body, 'bad-timestamp'],
    ['other signature version', {}, { 'x-slack-signature': EXAMPLE.signature.replace('v0=', 'v1=') }, EXAMPLE.body, 'bad-signature-format'],
    ['truncated signature', {}, { 'x-slack-signature': EXAMPLE.signature.slice(0, -2) }, EXAMPLE.body, 'bad-signature-format'],
    ['signature of another timestamp', {}, { 'x-slack-request-timestamp': String(EXAMPLE.timestamp + 1) }, EXAMPLE.body, 'signature-mismatch'],
  ] as const)('refuses: %s', (_name, opts, headers, body, reason) => {
    const o = { secret: EXAMPLE.secret, now: AT_EXAMPLE, ...opts };
    expect(verifySlackRequest(event(body, exampleHeaders(headers)), o)).toEqual({ ok: false, reason });
  });

  it('accepts exactly 5 minutes of skew either way', () => {
    for (const skew of [300, -300]) {
      expect(verifySlackRequest(event(EXAMPLE.body, exampleHeaders()), { secret: EXAMPLE.secret, now: new Date((EXAMPLE.timestamp + skew) * 1000) })).toEqual({
        ok: true,
      });
    }
  });

  it('refuses a replay of the same signed request while remembering only authentic ones', () => {
    const replay = new ReplayCache();
    const opts = { secret: EXAMPLE.secret, now: AT_EXAMPLE, replay };
    expect(verifySlackRequest(event(EXAMPLE.body, exampleHeaders({ 'x-slack-signature': 'v0=' + '0'.repeat(64) })), opts).ok).toBe(false);
    expect(replay.size).toBe(0);
    expect(verifySlackRequest(event(EXAMPLE.body, exampleHeaders()), opts)).toEqual({ ok: true });
    expect(verifySlackRequest(event(EXAMPLE.body, exampleHeaders()), opts)).toEqual({ ok: false, reason: 'replay' });
    // Upper-case hex is the same signature.
    expect(
      verifySlackRequest(event(EXAMPLE.body, exampleHeaders({ 'x-slack-signature': EXAMPLE.signature.toUpperCase().replace('V0=', 'v0=') })), opts),
    ).toEqual({
      ok: false,
      reason: 'replay',
    });
  });

  it('keeps the replay memory bounded', () => {
    const cache = new ReplayCache(100);
    for (let i = 0; i < 1000; i++) cache.checkAndRemember(`sig-${i}`, 2000, 1000);
    expect(cache.size).toBeLessThanOrEqual(100);
    // Expired entries go first.
    const c2 = new ReplayCache();
    c2.checkAndRemember('old', 1000, 900);
    expect(c2.checkAndRemember('old', 1400, 1001)).toBe(false);
  });
});

describe('Slack routes refuse unverified requests with 401 and change nothing', () => {
  const SECRET = 'test-signing-secret-0123456789abcdef';
  let env: Awaited<ReturnType<typeof routerWithPeers>>;
  let clock: number;
  let warnings: string[];
  let incidentId: string;

  beforeEach(async () => {
    clock = Date.parse('2026-11-20T10:10:00.000Z');
    warnings = [];
    const logger = {
      info: () => undefined,
      warn: (m: string, e?: Record<string, unknown>) => warnings.push(`${m} ${JSON.stringify(e ?? {})}`),
      error: () => undefined,
    };
    env = await routerWithPeers({ SLACK_SIGNING_SECRET: SECRET }, { now: () => new Date(clock), logger });
    const body = snsNotification(RUNBOOK_ALARMS[0], 'ALARM', new Date('2026-11-20T10:00:00.000Z'));
    const out = await processNotification(parseSnsMessage({ ...body, Subject: body.Subject ?? null }, 'Sns'), env.rt);
    incidentId = out.incidentId!;
  });
  afterEach(async () => {
    await env.close();
  });

  let triggers = 0;
  function ackBody(extra = '') {
    return new URLSearchParams({
      command: '/incident',
      text: `ack ${incidentId}`,
      user_id: 'U2CERLKJA',
      user_name: 'roadrunner',
      trigger_id: `t${++triggers}${extra}`,
    }).toString();
  }

  async function snapshot() {
    return {
      incident: await env.rt.store.getIncident(incidentId),
      pagerduty: env.pagerduty.received.length,
      slack: env.slack.received.length,
      email: env.smtp.messages.length,
    };
  }

  it('answers the documented example (clock at its timestamp) and refuses its replay', async () => {
    clock = EXAMPLE.timestamp * 1000;
    const rt = { ...env.rt, config: { ...env.rt.config, slackSigningSecret: EXAMPLE.secret } };
    const first = await slackRoutes(event(EXAMPLE.body, exampleHeaders()), rt);
    expect(first.statusCode).toBe(200);
    expect(JSON.parse(first.body!)).toMatchObject({ response_type: 'ephemeral' });
    const again = await slackRoutes(event(EXAMPLE.body, exampleHeaders()), rt);
    expect(again).toMatchObject({ statusCode: 401, body: '' });
    expect(warnings.join('\n')).toContain('replay');
  });

  it.each([
    ['wrong secret', (b: string) => signSlackRequest('wrong-secret', b, Math.floor(clock / 1000))],
    ['stale (6 min old)', (b: string) => signSlackRequest(SECRET, b, Math.floor(clock / 1000) - 360)],
    ['from the future (6 min ahead)', (b: string) => signSlackRequest(SECRET, b, Math.floor(clock / 1000) + 360)],
    ['no headers', () => ({ 'content-type': 'application/x-www-form-urlencoded' })],
    ['tampered body', (b: string) => signSlackRequest(SECRET, b.replace('ack', 'list'), Math.floor(clock / 1000))],
  ])('%s: 401, no detail, incident untouched, nothing sent', async (_name, sign) => {
    const before = await snapshot();
    const body = ackBody();
    const r = await slackRoutes(event(body, sign(body)), env.rt);
    expect(r.statusCode).toBe(401);
    expect(r.body).toBe('');
    expect(await snapshot()).toEqual(before);
    expect(before.incident?.status).toBe('open');
  });

  /** A signed ack accepted by the first runtime, then the same request 30 s later to `replayTo`. */
  async function ackThenReplay(replayTo: Runtime) {
    const body = ackBody();
    const headers = signSlackRequest(SECRET, body, Math.floor(clock / 1000));
    const first = await slackRoutes(event(body, headers), env.rt);
    expect(first.statusCode).toBe(200);
    const after = await snapshot();
    expect(after.incident?.status).toBe('acknowledged');
    clock += 30_000;
    warnings = [];
    const replayed = await slackRoutes(event(body, headers), replayTo);
    expect(replayed).toMatchObject({ statusCode: 401, body: '' });
    expect(await snapshot()).toEqual(after);
    return { headers };
  }

  it('a replayed signed ack is refused and changes nothing more', async () => {
    await ackThenReplay(env.rt);
  });

  it('two containers sharing the table: a signed ack accepted by one is refused by the other (401, nothing changes); fresh requests still work', async () => {
    // A second "Lambda container": its own runtime built from the same config (own DynamoDB client, own replay
    // memory), on the same table.
    const second = buildRuntime(env.rt.config, { now: () => new Date(clock), logger: env.rt.logger });
    try {
      const { headers } = await ackThenReplay(second);
      expect(warnings.join('\n')).toContain('replay');

      // The claim: one item under the hashed signature, TTL ~10 minutes ahead.
      const claim = await env.local.db.send(new GetCommand({ TableName: env.local.tableName, Key: replayKey(headers['x-slack-signature']) }));
      expect(claim.Item?.[TABLE.partitionKey]).toMatch(/^REPLAY#[0-9a-f]{64}$/);
      expect(claim.Item?.[TABLE.ttlAttribute]).toBe(Number(headers['x-slack-request-timestamp']) + REPLAY_TTL_SECONDS);

      // A fresh signed request is accepted by the second container, and its replay refused by the first.
      const resolve = new URLSearchParams({
        command: '/incident',
        text: `resolve ${incidentId} rolled back`,
        user_id: 'U2CERLKJA',
        user_name: 'roadrunner',
        trigger_id: 't-fresh',
      }).toString();
      const resolveHeaders = signSlackRequest(SECRET, resolve, Math.floor(clock / 1000));
      const fresh = await slackRoutes(event(resolve, resolveHeaders), second);
      expect(fresh.statusCode).toBe(200);
      const resolved = await snapshot();
      expect(resolved.incident?.status).toBe('resolved');
      expect(await slackRoutes(event(resolve, resolveHeaders), env.rt)).toMatchObject({ statusCode: 401, body: '' });
      expect(await snapshot()).toEqual(resolved);
    } finally {
      second.db.destroy();
    }
  });

  it('when the replay claim cannot be written, the request is not acted on and the person is told', async () => {
    // The incident store works, the claim fails (its table unreachable): the command would succeed if it ran.
    const rt = { ...env.rt, replayClaims: () => claimSlackSignature(env.rt.db, 'no-such-table', 'v0=x', { nowSeconds: 0, requestTimestamp: 0 }) };
    const before = await snapshot();
    const body = ackBody();
    const r = await slackRoutes(event(body, signSlackRequest(SECRET, body, Math.floor(clock / 1000))), rt);
    expect(r.statusCode).toBe(200);
    expect(JSON.parse(r.body!)).toMatchObject({ response_type: 'ephemeral', text: expect.stringContaining('Something went wrong on our side') });
    expect(await snapshot()).toEqual(before);
  });

  it('with no signing secret configured, refuses even a correctly signed request and warns about the config', async () => {
    const rt = { ...env.rt, config: { ...env.rt.config, slackSigningSecret: null } };
    const before = await snapshot();
    const body = ackBody();
    const r = await slackRoutes(event(body, signSlackRequest(SECRET, body, Math.floor(clock / 1000))), rt);
    expect(r.statusCode).toBe(401);
    expect(await snapshot()).toEqual(before);
    expect(warnings.join('\n')).toMatch(/SLACK_SIGNING_SECRET.*not set/);
    // The warning never carries a secret.
    expect(warnings.join('\n')).not.toContain(SECRET);
  });

  it('refuses interactions the same way', async () => {
    const payload = JSON.stringify({
      type: 'block_actions',
      user: { id: 'U1', username: 'mallory' },
      actions: [{ action_id: 'incident_ack', value: incidentId }],
      response_url: env.slack.url,
    });
    const body = new URLSearchParams({ payload }).toString();
    const before = await snapshot();
    const r = await slackRoutes(event(body, signSlackRequest('wrong-secret', body, Math.floor(clock / 1000)), '/slack/interactions'), env.rt);
    expect(r.statusCode).toBe(401);
    expect(await snapshot()).toEqual(before);
  });
});
