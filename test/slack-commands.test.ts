import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { normaliseIncidentId, parseIncidentCommand, parseSnsMessage, type Incident } from '@alert-router/core';
import { handleSnsEvent, processNotification, setRuntime, signSlackRequest, SLACK_CHANNEL_BUDGET_MS, SLACK_DEADLINE_MS } from '@alert-router/aws';
import { handler } from '../functions/slack';
import { RUNBOOK_ALARMS, snsNotification, type DemoAlarm } from '../packages/local/src/demo';
import { apiGatewayEvent, lambdaContext, snsEventFromHttp } from '../packages/local/src/lambda-events';
import { listReply, LIST_MAX_LINES } from '../packages/aws/src/slack/replies';
import { makeIncident } from './helpers/incident-factory';
import { startSlackPeer, type HttpPeer } from './helpers/peers';
import { routerWithPeers } from './helpers/router-runtime';

const SECRET = 'slack-commands-test-secret';
const [errorRate, responseTime, , dbCpu] = RUNBOOK_ALARMS;
const T0 = new Date(Date.now() - 20 * 60_000);
/** Makes each request body (so its signature) unique, as Slack's trigger ids do. */
let triggers = 0;

interface Reply {
  response_type: 'ephemeral' | 'in_channel';
  text: string;
}
interface PdEvent {
  event_action: string;
  dedup_key: string;
}
interface Block {
  type: string;
  elements?: { type: string; text?: string; action_id?: string }[];
  text?: { text: string };
}
interface ResponseUrlBody {
  replace_original?: boolean;
  response_type?: string;
  text: string;
  blocks?: Block[];
  attachments?: { blocks?: Block[] }[];
}

function notification(alarm: DemoAlarm = errorRate, state: 'ALARM' | 'OK' = 'ALARM', at = T0) {
  const body = snsNotification(alarm, state, at);
  return parseSnsMessage({ ...body, Subject: body.Subject ?? null }, 'Sns');
}

/** Types an id the way people do: lower case, no prefix, 0→O and 1→I. */
function sloppy(id: string): string {
  return id.slice(4).toLowerCase().replace(/0/g, 'o').replace(/1/g, 'i');
}

describe('/incident and the buttons, signed, against dynalite and loopback peers', () => {
  let env: Awaited<ReturnType<typeof routerWithPeers>>;
  let responses: HttpPeer;
  let clock: number;

  beforeEach(async () => {
    clock = Date.now();
    env = await routerWithPeers({ SLACK_SIGNING_SECRET: SECRET }, { now: () => new Date(clock), deadlineClock: () => 0 });
    responses = await startSlackPeer();
    setRuntime(env.rt);
  });
  afterEach(async () => {
    setRuntime(undefined);
    await responses.close();
    await env.close();
  });

  async function post(path: string, body: string, headers = signSlackRequest(SECRET, body, Math.floor(clock / 1000))) {
    const event = apiGatewayEvent({ method: 'POST', url: path, headers, body: Buffer.from(body), sourceIp: '127.0.0.1' });
    const r = await handler(event, lambdaContext('slack'));
    return r as { statusCode: number; body: string; headers: Record<string, string> };
  }

  async function command(text: string, user = { id: 'U2CERLKJA', name: 'roadrunner' }): Promise<Reply> {
    const body = new URLSearchParams({
      token: 'legacy-token-ignored',
      team_id: 'T1DC2JH3J',
      channel_id: 'C0INCIDENT',
      user_id: user.id,
      user_name: user.name,
      command: '/incident',
      text,
      response_url: `${responses.url}/commands/T1DC2JH3J/1/x`,
      trigger_id: `${clock}.${++triggers}`,
    }).toString();
    const r = await post('/slack/commands', body);
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/^application\/json/);
    return JSON.parse(r.body) as Reply;
  }

  async function open(alarm: DemoAlarm = errorRate, at = T0): Promise<string> {
    const out = await processNotification(notification(alarm, 'ALARM', at), env.rt);
    expect(out.kind).toBe('opened');
    return out.incidentId!;
  }

  const get = async (id: string) => (await env.rt.store.getIncident(id)) as Incident;

  it('ack ID (typed loosely) acknowledges: who, when, timeline, PagerDuty acknowledge with the same dedup_key', async () => {
    const id = await open();
    expect(normaliseIncidentId(sloppy(id))).toBe(id);
    expect((await env.rt.store.listDue(new Date(clock + 7 * 86_400_000).toISOString())).map((d) => d.id)).toContain(id);
    const slackBefore = env.slack.received.length;

    const reply = await command(`ack ${sloppy(id)}`);
    expect(reply.response_type).toBe('in_channel');
    expect(reply.text).toContain(id);
    expect(reply.text).toContain('@roadrunner');
    expect(reply.text).not.toContain(':warning:');

    const i = await get(id);
    expect(i.status).toBe('acknowledged');
    expect(i.acknowledgedBy).toContain('U2CERLKJA');
    expect(i.acknowledgedBy).toContain('roadrunner');
    expect(i.acknowledgedAt).not.toBeNull();
    expect(i.timeline).toContainEqual(expect.objectContaining({ type: 'acknowledged', by: 'slack:U2CERLKJA (roadrunner)' }));
    // Escalation stopped: the incident is no longer due for a next step, however late it gets.
    expect((await env.rt.store.listDue(new Date(clock + 7 * 86_400_000).toISOString())).map((d) => d.id)).not.toContain(id);

    const pd = env.pagerduty.received.map((r) => r.body as PdEvent);
    expect(pd.map((e) => e.event_action)).toEqual(['trigger', 'acknowledge']);
    expect(pd[1].dedup_key).toBe(pd[0].dedup_key);
    expect(i.deliveries['acknowledge:pagerduty']?.status).toBe('delivered');
    // Slack is skipped: the person is looking at Slack (the button path updates its own message).
    expect(env.slack.received.length).toBe(slackBefore);

    // Acking again says who did it; nothing new is sent.
    const again = await command(`ack ${id}`, { id: 'U999', name: 'wile' });
    expect(again.response_type).toBe('ephemeral');
    expect(again.text).toMatch(/already acknowledged by roadrunner \(slack\)/);
    expect(env.pagerduty.received).toHaveLength(2);
    expect((await get(id)).acknowledgedBy).toBe('slack:U2CERLKJA (roadrunner)');
  });

  it('resolve ID note resolves with the note; then ack and resolve say it is already resolved', async () => {
    const id = await open();
    const reply = await command(`resolve ${id} rolled back deploy 4312 & <restarted> pods`);
    expect(reply.response_type).toBe('in_channel');
    expect(reply.text).toContain('resolved');
    // The note is echoed escaped, and stored as typed.
    expect(reply.text).toContain('rolled back deploy 4312 &amp; &lt;restarted&gt; pods');
    const i = await get(id);
    expect(i.status).toBe('resolved');
    expect(i.resolvedBy).toBe('slack:U2CERLKJA (roadrunner)');
    expect(i.timeline).toContainEqual(expect.objectContaining({ type: 'resolved', detail: 'rolled back deploy 4312 & <restarted> pods' }));
    const pd = env.pagerduty.received.map((r) => r.body as PdEvent);
    expect(pd.map((e) => e.event_action)).toEqual(['trigger', 'resolve']);
    expect(pd[1].dedup_key).toBe(pd[0].dedup_key);

    const ack = await command(`ack ${id}`);
    expect(ack.response_type).toBe('ephemeral');
    expect(ack.text).toMatch(/already resolved by roadrunner/);
    const resolveAgain = await command(`resolve ${id}`);
    expect(resolveAgain.text).toMatch(/already resolved/);
    expect(env.pagerduty.received).toHaveLength(2);
    expect((await get(id)).timeline.filter((e) => e.type === 'resolved')).toHaveLength(1);
  });

  it('ack of an unknown incident says so', async () => {
    const reply = await command('ack INC-ZZZZZZZZ');
    expect(reply.response_type).toBe('ephemeral');
    expect(reply.text).toContain('No incident *INC-ZZZZZZZZ*');
  });

  it('list [severity] shows unresolved incidents with age and status; show prints the timeline', async () => {
    const p0 = await open(errorRate);
    const p1 = await open(responseTime, new Date(T0.getTime() + 1000));
    clock += 14 * 60_000;
    await command(`ack ${p1}`);
    clock += 60_000;

    const all = await command('list');
    expect(all.response_type).toBe('ephemeral');
    expect(all.text).toContain('2 unresolved incidents');
    const lines = all.text.split('\n');
    expect(lines.findIndex((l) => l.includes(p0))).toBeLessThan(lines.findIndex((l) => l.includes(p1)));
    expect(lines.find((l) => l.includes(p0))).toMatch(/P0 HighErrorRate — \*open\*, 15 min old/);
    expect(lines.find((l) => l.includes(p1))).toMatch(/P1 HighResponseTime — acknowledged by roadrunner \(slack\), 15 min old/);

    const onlyP0 = await command('list p0');
    expect(onlyP0.text).toContain(p0);
    expect(onlyP0.text).not.toContain(p1);
    expect((await command('list P3')).text).toMatch(/No unresolved P3 incidents/);

    const show = await command(`show ${sloppy(p1)}`);
    expect(show.response_type).toBe('ephemeral');
    expect(show.text).toContain(p1);
    expect(show.text).toContain('HighResponseTime');
    expect(show.text).toMatch(/\*Timeline\*/);
    expect(show.text).toMatch(/acknowledged · by roadrunner \(slack\)/);
    expect(show.text).toMatch(/opened/);
    expect(show.text).toMatch(/delivery · slack · trigger · delivered/);
  });

  it('list stays within ~20 lines', () => {
    const many = Array.from({ length: 35 }, (_, n) => makeIncident({ id: `INC-${String(n).padStart(8, '0')}`, severity: 'P1', status: 'open' }));
    const r = listReply(many, null, new Date('2024-01-15T12:00:00Z'), 'https://router.example.com');
    const lines = r.text.split('\n');
    expect(lines.length).toBeLessThanOrEqual(LIST_MAX_LINES + 2);
    expect(r.text).toContain('…and 15 more');
    expect(r.text.length).toBeLessThan(4000);
  });

  it('escapes alarm names (attacker-controlled) in every reply', async () => {
    const evil: DemoAlarm = { ...dbCpu, name: '<!channel> <https://evil.example|click> & co' };
    const id = await open(evil);
    for (const text of [(await command('list')).text, (await command(`show ${id}`)).text, (await command(`ack ${id}`)).text]) {
      expect(text).toContain('&lt;!channel&gt; &lt;https://evil.example|click&gt; &amp; co');
      expect(text).not.toContain('<!channel>');
      expect(text).not.toContain('<https://evil');
    }
    const u = await command(`ack ${id}`, { id: 'U3', name: '<!here>' });
    expect(u.text).not.toContain('<!here>');
  });

  it('a silence pattern stored before patterns were checked cannot freeze routing: a×40 against *a*a…*b routes and notifies', async () => {
    const attack = `${'*a'.repeat(12)}*b`;
    expect((await command(`silence ${attack} 1h x`)).text).toMatch(/would match almost every alarm/);
    // The store takes it as-is (as an item written by an older version would be).
    await env.rt.silences.create({ match: attack, reason: 'x', author: 'slack:U666 (eve)', minutes: 60, now: new Date(clock).toISOString() });
    env.rt.silenceCache.invalidate();
    const out = await handleSnsEvent(snsEventFromHttp(snsNotification({ ...errorRate, name: 'a'.repeat(40) }, 'ALARM', T0)), env.rt);
    expect(out.outcomes[0]).toMatchObject({ kind: 'opened', severity: 'P0' });
    expect((await get(out.outcomes[0].incidentId!)).silencedBy).toBeNull();
    expect(env.pagerduty.received).toHaveLength(1);
  });

  it('silence Database* 2h maintenance window: the alarm is recorded but nobody is notified; unsilence ends it', async () => {
    const reply = await command('silence Database* 2h maintenance window');
    expect(reply.response_type).toBe('in_channel');
    const silenceId = /SIL-[0-9A-F]{6}/.exec(reply.text)?.[0];
    expect(silenceId).toBeDefined();
    expect(reply.text).toContain('maintenance window');
    const active = await env.rt.silences.listActive(new Date().toISOString());
    expect(active).toEqual([
      expect.objectContaining({ id: silenceId, match: 'Database*', reason: 'maintenance window', author: 'slack:U2CERLKJA (roadrunner)' }),
    ]);
    expect(Date.parse(active[0].endsAt) - Date.parse(active[0].startsAt)).toBe(2 * 3_600_000);

    const slackBefore = env.slack.received.length;
    const out = await handleSnsEvent(snsEventFromHttp(snsNotification(dbCpu, 'ALARM', T0)), env.rt);
    expect(out.outcomes[0]).toMatchObject({ kind: 'opened', severity: 'P2' });
    const i = await get(out.outcomes[0].incidentId!);
    expect(i.silencedBy).toContain(silenceId);
    expect(env.smtp.messages).toHaveLength(0);
    expect(env.slack.received).toHaveLength(slackBefore);
    expect(env.pagerduty.received).toHaveLength(0);
    expect((await command('list P2')).text).toContain(i.id);

    const un = await command(`unsilence ${silenceId!.toLowerCase()}`);
    expect(un.response_type).toBe('in_channel');
    expect(un.text).toContain(silenceId);
    expect(await env.rt.silences.listActive(new Date().toISOString())).toEqual([]);
    expect((await command(`unsilence ${silenceId}`)).text).toMatch(/No active silence/);

    // Back to normal: the alarm clears, fires again, and the team is emailed.
    await handleSnsEvent(snsEventFromHttp(snsNotification(dbCpu, 'OK', new Date(T0.getTime() + 60_000))), env.rt);
    const again = await handleSnsEvent(snsEventFromHttp(snsNotification(dbCpu, 'ALARM', new Date(T0.getTime() + 120_000))), env.rt);
    expect(again.outcomes[0]?.kind).toBe('opened');
    expect(env.smtp.messages.length).toBeGreaterThan(0);
  });

  it.each([
    ['', null],
    ['help', null],
    ['frobnicate everything', /unknown subcommand `frobnicate`/],
    ['ack', /needs an incident id/],
    ['ack not-an-id', /is not an incident id/],
    ['list P7', /not a severity/],
    ['silence Database* 2h', /needs a reason/],
    ['silence Database* forever because', /not a duration/],
    ['silence * 1h everything is on fire', /would match almost every alarm/],
    ['silence *a*a*a*a*a*a*a*a*a*a*a*a*b 1h x', /would match almost every alarm/],
    [`silence ${'x'.repeat(257)} 1h x`, /longer than 256 characters/],
    ['unsilence', /needs a silence id/],
    ['<!channel> &', /unknown subcommand `&lt;!channel&gt;`/],
  ])('"%s" answers with the help, ephemeral, 200', async (text, problem) => {
    const reply = await command(text);
    expect(reply.response_type).toBe('ephemeral');
    expect(reply.text).toContain('/incident ack INC-7F3A9K2M');
    expect(reply.text).toContain('/incident silence ALARM-PATTERN DURATION REASON');
    if (problem) expect(reply.text).toMatch(problem);
    expect(reply.text).not.toContain('<!channel>');
    expect(await env.rt.silences.listActive(new Date().toISOString())).toEqual([]);
  });

  it('a failing store is answered politely (200, ephemeral), not with a 500', async () => {
    const id = await open();
    const store = env.rt.store;
    const broken = Object.create(store) as typeof store;
    broken.updateIncident = async () => {
      throw Object.assign(new Error('Throughput exceeds the current capacity'), { name: 'ProvisionedThroughputExceededException' });
    };
    setRuntime({ ...env.rt, store: broken });
    const reply = await command(`ack ${id}`);
    expect(reply.response_type).toBe('ephemeral');
    expect(reply.text).toMatch(/went wrong/);
    expect((await get(id)).status).toBe('open');
  });

  it("keeps Slack's 3 s when PagerDuty hangs: the channel gets 1.5 s, the ack is stored, the slow delivery recorded as failed", async () => {
    const id = await open();
    env.pagerduty.script.push({ status: 202, delayMs: 6000 }, { status: 202, delayMs: 6000 });
    const reply = await command(`ack ${id}`);
    expect(reply.response_type).toBe('in_channel');
    const i = await get(id);
    expect(i.status).toBe('acknowledged');
    expect(i.deliveries['acknowledge:pagerduty']).toMatchObject({ status: 'failed', retryable: true });
    // The attempt was cut at the Slack path's channel budget, not the runtime's (3 s here, 8 s by default).
    const cut = /timed out after (\d+) ms/.exec(i.deliveries['acknowledge:pagerduty']?.error ?? '');
    expect(Number(cut?.[1])).toBeGreaterThan(0);
    expect(Number(cut?.[1])).toBeLessThanOrEqual(SLACK_CHANNEL_BUDGET_MS);
    // Nothing resends a human ack later, so the person is told to finish the job in PagerDuty.
    expect(reply.text).toMatch(/PagerDuty did not confirm in time and was not updated: acknowledge it there too/);
    expect(responses.received).toHaveLength(0);
  });

  it('when the work overshoots 3 s anyway, the reply also goes to response_url', async () => {
    const id = await open();
    const store = env.rt.store;
    const slow = Object.create(store) as typeof store;
    let ms = 0; // the deadline clock: only the slow write moves it
    slow.updateIncident = async (...args: Parameters<typeof store.updateIncident>) => {
      ms += SLACK_DEADLINE_MS + 100;
      return store.updateIncident(...args);
    };
    setRuntime({ ...env.rt, store: slow, deadlineClock: () => ms });
    const reply = await command(`ack ${id}`);
    expect((await get(id)).status).toBe('acknowledged');
    expect(responses.received).toHaveLength(1);
    expect(responses.received[0].body).toEqual(reply);
  });

  describe('buttons', () => {
    async function press(
      actionId: 'incident_ack' | 'incident_resolve',
      id: string,
      message: unknown,
      responseUrl = `${responses.url}/actions/T1/2/y`,
      user = { id: 'U024BE7LH', username: 'alice' },
    ) {
      const payload = {
        type: 'block_actions',
        team: { id: 'T1DC2JH3J', domain: 'testteamnow' },
        user: { ...user, name: user.username, team_id: 'T1DC2JH3J' },
        api_app_id: 'A0ROUTER',
        container: { type: 'message', message_ts: '1700000000.000100', channel_id: 'C0INCIDENT', is_ephemeral: false },
        trigger_id: `${clock}.${++triggers}`,
        channel: { id: 'C0INCIDENT', name: 'incidents' },
        message,
        response_url: responseUrl,
        actions: [
          {
            type: 'button',
            action_id: actionId,
            block_id: `incident:${id}`,
            value: id,
            text: { type: 'plain_text', text: 'Acknowledge' },
            action_ts: String(Date.now() / 1000),
          },
        ],
      };
      return post('/slack/interactions', new URLSearchParams({ payload: JSON.stringify(payload) }).toString());
    }

    /** The message the pipeline posted to the Slack webhook, as Slack would hand it back in the payload. */
    function postedMessage(): ResponseUrlBody & Record<string, unknown> {
      const sent = env.slack.received[0].body as ResponseUrlBody;
      return { type: 'message', ts: '1700000000.000100', ...sent };
    }

    function allBlocks(b: ResponseUrlBody): Block[] {
      return [...(b.blocks ?? []), ...(b.attachments ?? []).flatMap((a) => a.blocks ?? [])];
    }

    it('Acknowledge: acknowledges, and replaces the original message without buttons, saying who and when', async () => {
      const id = await open();
      const original = postedMessage();
      expect(allBlocks(original).some((b) => b.type === 'actions')).toBe(true);

      const r = await press('incident_ack', id, original);
      expect(r.statusCode).toBe(200);
      expect(r.body).toBe('');

      const i = await get(id);
      expect(i.status).toBe('acknowledged');
      expect(i.acknowledgedBy).toBe('slack:U024BE7LH (alice)');
      expect(env.pagerduty.received.map((e) => (e.body as PdEvent).event_action)).toEqual(['trigger', 'acknowledge']);

      expect(responses.received).toHaveLength(1);
      expect(responses.received[0].path).toBe('/actions/T1/2/y');
      const update = responses.received[0].body as ResponseUrlBody;
      expect(update.replace_original).toBe(true);
      expect(typeof update.text).toBe('string');
      expect(allBlocks(update).some((b) => b.type === 'actions')).toBe(false);
      const context = update.blocks!.find((b) => b.type === 'context');
      expect(context?.elements?.[0].text).toMatch(/^:eyes: Acknowledged by @alice at \d{4}-\d\d-\d\d \d\d:\d\d UTC$/);
      // The rest of the message (header, facts in the coloured attachment) is kept.
      expect(update.blocks![0]).toEqual(original.blocks![0]);
      expect(allBlocks(update).length).toBe(allBlocks(original).length);
    });

    it('Resolve resolves; a later Acknowledge on the stale message says it is already resolved', async () => {
      const id = await open();
      const original = postedMessage();
      expect((await press('incident_resolve', id, original)).statusCode).toBe(200);
      expect((await get(id)).status).toBe('resolved');
      const update = responses.received[0].body as ResponseUrlBody;
      expect(update.replace_original).toBe(true);
      expect(update.blocks!.find((b) => b.type === 'context')?.elements?.[0].text).toMatch(/Resolved by @alice at/);

      expect((await press('incident_ack', id, original, undefined, { id: 'U777', username: 'bob' })).statusCode).toBe(200);
      expect((await get(id)).status).toBe('resolved');
      const bodies = responses.received.slice(1).map((r) => r.body as ResponseUrlBody);
      expect(bodies).toHaveLength(2);
      const replaced = bodies.find((b) => b.replace_original === true)!;
      expect(replaced.blocks!.find((b) => b.type === 'context')?.elements?.[0].text).toMatch(/Resolved by alice \(slack\)/);
      const note = bodies.find((b) => b.replace_original === false)!;
      expect(note).toMatchObject({ response_type: 'ephemeral' });
      expect(note.text).toMatch(/already resolved/);
    });

    it('a response_url that fails or is unreachable never turns into an error for Slack', async () => {
      const id = await open();
      responses.script.push({ status: 500, body: 'boom' });
      expect((await press('incident_ack', id, postedMessage())).statusCode).toBe(200);
      expect((await get(id)).status).toBe('acknowledged');

      const id2 = await open(responseTime, new Date(T0.getTime() + 5000));
      const closed = await startSlackPeer();
      await closed.close();
      expect((await press('incident_resolve', id2, postedMessage(), `${closed.url}/gone`)).statusCode).toBe(200);
      expect((await get(id2)).status).toBe('resolved');
    });

    it('ignores other interactions and unknown actions with a 200; a payload that is not JSON is a 400', async () => {
      const id = await open();
      const other = new URLSearchParams({ payload: JSON.stringify({ type: 'view_submission', user: { id: 'U1' } }) }).toString();
      expect((await post('/slack/interactions', other)).statusCode).toBe(200);
      const unknown = new URLSearchParams({
        payload: JSON.stringify({
          type: 'block_actions',
          user: { id: 'U1' },
          actions: [{ action_id: 'something_else', value: id }],
          response_url: responses.url,
        }),
      }).toString();
      expect((await post('/slack/interactions', unknown)).statusCode).toBe(200);
      expect((await post('/slack/interactions', 'payload=%7Bnot-json')).statusCode).toBe(400);
      expect((await get(id)).status).toBe('open');
      expect(responses.received).toHaveLength(0);
    });
  });
});

describe('parseIncidentCommand (pure)', () => {
  it.each([
    ['ack inc-7f3a9k2m', { kind: 'ack', id: 'INC-7F3A9K2M' }],
    ['  ACK   7F3A9K2M ', { kind: 'ack', id: 'INC-7F3A9K2M' }],
    ['resolve INC-7F3A9K2M', { kind: 'resolve', id: 'INC-7F3A9K2M', note: null }],
    ['resolve INC-7F3A9K2M  disk   cleaned', { kind: 'resolve', id: 'INC-7F3A9K2M', note: 'disk   cleaned' }],
    ['list', { kind: 'list', severity: null }],
    ['list p2', { kind: 'list', severity: 'P2' }],
    ['show inc7f3a9k2m', { kind: 'show', id: 'INC-7F3A9K2M' }],
    ['silence *-staging 1h30m load test &amp; soak', { kind: 'silence', match: '*-staging', minutes: 90, reason: 'load test & soak' }],
    ['unsilence sil-0a1b2c', { kind: 'unsilence', id: 'SIL-0A1B2C' }],
    ['silence Database* 31d too long', { kind: 'help' }],
  ])('%s', (text, expected) => {
    expect(parseIncidentCommand(text)).toMatchObject(expected);
  });
});
