/**
 * The review loop through the dashboard function and the Slack command, against dynalite and loopback Slack,
 * PagerDuty and SMTP peers: the review draft (HTML and Markdown), stakeholder updates (never paging), hygiene.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simpleParser } from 'mailparser';
import { parseIncidentCommand } from '@alert-router/core';
import { dashboardRoutes, type Runtime } from '@alert-router/aws';
import { runSlashCommand } from '../packages/aws/src/slack/commands';
import { apiGatewayEvent } from '../packages/local/src/lambda-events';
import { makeIncident } from './helpers/incident-factory';
import { routerWithPeers } from './helpers/router-runtime';

const TOKEN = 'dashboard-token-0123456789abcdef';
const bearer = { authorization: `Bearer ${TOKEN}` };

async function call(rt: Runtime, method: string, url: string, opts: { headers?: Record<string, string>; body?: string } = {}) {
  const event = apiGatewayEvent({
    method,
    url,
    headers: { host: '127.0.0.1', ...(opts.headers ?? {}) },
    body: Buffer.from(opts.body ?? ''),
    sourceIp: '127.0.0.1',
  });
  const r = await dashboardRoutes(event, rt);
  return { status: r.statusCode ?? 200, headers: (r.headers ?? {}) as Record<string, string>, body: r.body ?? '', cookies: r.cookies ?? [] };
}

describe('review loop routes', () => {
  let env: Awaited<ReturnType<typeof routerWithPeers>>;
  const p0 = makeIncident({ id: 'INC-7F3A9K2M', status: 'acknowledged', acknowledgedAt: '2024-01-15T10:08:03.000Z', acknowledgedBy: 'slack:U1 (alice)' });
  const p2 = makeIncident({ id: 'INC-2B3C4D5E', severity: 'P2', alarmName: 'DiskAlmostFull', incidentKey: 'disk', channels: ['email', 'dashboard'] });

  beforeAll(async () => {
    env = await routerWithPeers({ DASHBOARD_TOKEN: TOKEN, STAKEHOLDER_EMAILS: 'exec@example.com', DASHBOARD_URL: 'https://alerts.example.com' });
    env.rt.now = () => new Date('2024-01-15T10:30:00.000Z');
    await env.rt.store.createIncident(p0);
    await env.rt.store.createIncident(p2);
  });
  afterAll(async () => {
    await env?.close();
  });

  it('links the review draft and offers the update form on the incident page', async () => {
    const login = await call(env.rt, 'POST', '/login', {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: TOKEN, name: 'erin', next: '/' }).toString(),
    });
    const cookie = login.cookies[0].split(';')[0];
    const page = await call(env.rt, 'GET', `/incidents/${p0.id}`, { headers: { cookie } });
    expect(page.body).toContain(`href="/incidents/${p0.id}/review"`);
    expect(page.body).toContain(`action="/api/incidents/${p0.id}/updates"`);
  });

  it('serves the draft as a page and as a Markdown download (?format=md or Accept)', async () => {
    const html = await call(env.rt, 'GET', `/incidents/${p0.id}/review`, { headers: bearer });
    expect(html.status).toBe(200);
    expect(html.headers['content-type']).toMatch(/^text\/html/);
    expect(html.body).toContain(`href="/incidents/${p0.id}/review?format=md" download="${p0.id}-review.md"`);
    expect(html.body).toContain('# Post-incident review: INC-7F3A9K2M HighErrorRate');

    const md = await call(env.rt, 'GET', `/incidents/${p0.id.toLowerCase()}/review?format=md`, { headers: bearer });
    expect(md.status).toBe(200);
    expect(md.headers['content-type']).toBe('text/markdown; charset=utf-8');
    expect(md.headers['content-disposition']).toBe(`attachment; filename="${p0.id}-review.md"`);
    expect(md.body.startsWith('# Post-incident review: INC-7F3A9K2M HighErrorRate\n')).toBe(true);
    const accepted = await call(env.rt, 'GET', `/incidents/${p0.id}/review`, { headers: { ...bearer, accept: 'text/markdown' } });
    expect(accepted.body).toBe(md.body);

    expect((await call(env.rt, 'GET', '/incidents/INC-00000000/review?format=md', { headers: bearer })).status).toBe(404);
    expect((await call(env.rt, 'GET', `/incidents/${p0.id}/review?format=md`)).status).toBe(401);
  });

  it('posts a P0 update to the timeline, Slack and the stakeholders, and pages nobody', async () => {
    const before = { pd: env.pagerduty.received.length, slack: env.slack.received.length };
    const r = await call(env.rt, 'POST', `/api/incidents/${p0.id}/updates`, {
      headers: { ...bearer, 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'Failover <b>done</b>', by: 'carol' }),
    });
    expect(r.status).toBe(201);
    const body = JSON.parse(r.body) as { sent: { slack: { status: string }; email: { status: string } } };
    expect(body.sent).toMatchObject({ slack: { status: 'sent' }, email: { status: 'sent' } });
    const stored = await env.rt.store.getIncident(p0.id);
    expect(stored!.timeline.slice(-2)).toMatchObject([
      { type: 'update', by: 'dashboard:dashboard (carol)', detail: 'Failover <b>done</b>', at: '2024-01-15T10:30:00.000Z' },
      { type: 'note', by: 'router', detail: 'stakeholder update sent: Slack sent, email sent to 1 stakeholder' },
    ]);
    expect(env.pagerduty.received.length).toBe(before.pd);
    expect(env.slack.received.length).toBe(before.slack + 1);
    expect(JSON.stringify(env.slack.received.at(-1)!.body)).toContain('Failover &lt;b&gt;done&lt;/b&gt;');
    const mail = env.smtp.messages.at(-1)!;
    expect(mail.to).toEqual(['exec@example.com']);
    const parsed = await simpleParser(mail.raw);
    expect(parsed.subject).toBe('[P0] Update on INC-7F3A9K2M: HighErrorRate');
    expect(parsed.html).toContain('Failover &lt;b&gt;done&lt;/b&gt;');
    expect(parsed.text).toContain('Failover <b>done</b>');
  });

  it('does not email a P2 update, and refuses an empty one', async () => {
    const mails = env.smtp.messages.length;
    const r = await call(env.rt, 'POST', `/api/incidents/${p2.id}/updates`, {
      headers: { ...bearer, 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'Cleaning up logs' }),
    });
    expect(r.status).toBe(201);
    expect((JSON.parse(r.body) as { sent: unknown }).sent).toMatchObject({ slack: { status: 'sent' }, email: { status: 'skipped' } });
    expect(env.smtp.messages.length).toBe(mails);
    const empty = await call(env.rt, 'POST', `/api/incidents/${p2.id}/updates`, {
      headers: { ...bearer, 'content-type': 'application/json' },
      body: JSON.stringify({ text: '  \n ' }),
    });
    expect(empty.status).toBe(400);
    expect(
      (await call(env.rt, 'POST', '/api/incidents/INC-00000000/updates', { headers: { ...bearer, 'content-type': 'application/json' }, body: '{"text":"x"}' }))
        .status,
    ).toBe(404);
  });

  it('answers GET /api/hygiene for 7 and 30 days and refuses other windows', async () => {
    const week = await call(env.rt, 'GET', '/api/hygiene', { headers: bearer });
    expect(week.status).toBe(200);
    expect(JSON.parse(week.body)).toMatchObject({ days: 7, to: '2024-01-15T10:30:00.000Z', total: 2 });
    expect(JSON.parse((await call(env.rt, 'GET', '/api/hygiene?days=30', { headers: bearer })).body)).toMatchObject({ days: 30, trendBucket: 'week' });
    for (const bad of ['0', '91', 'abc', '7.5']) expect((await call(env.rt, 'GET', `/api/hygiene?days=${bad}`, { headers: bearer })).status).toBe(400);
  });

  it('/incident review and /incident update from Slack', async () => {
    const slash = (text: string) => runSlashCommand(env.rt, { command: '/incident', text, userId: 'U9', userName: 'dave', responseUrl: null });
    const review = await slash(`review ${p0.id}`);
    expect(review.response_type).toBe('ephemeral');
    expect(review.text).toContain(`<https://alerts.example.com/incidents/${p0.id}/review?format=md|Download Markdown>`);
    expect(review.text).toContain('*Time to acknowledge* 3 min (target 5 min: within target)');

    const pd = env.pagerduty.received.length;
    const update = await slash(`update ${p0.id} Customers see errors; <!channel> next update 11:00`);
    expect(update.text).toContain('Update posted on *INC-7F3A9K2M*');
    expect(update.text).toContain('Stakeholder email (1 recipient): sent');
    expect(env.pagerduty.received.length).toBe(pd);
    expect(JSON.stringify(env.slack.received.at(-1)!.body)).not.toContain('<!channel>');
    expect((await env.rt.store.getIncident(p0.id))!.timeline.at(-2)).toMatchObject({ type: 'update', by: 'slack:U9 (dave)' });
    expect((await slash('update INC-7F3A9K2M')).text).toContain('an update needs some text');
    expect((await slash('review')).text).toContain('`review` needs an incident id');
  });
});

describe('/incident review and update: parsing', () => {
  it('takes an id (forgiving, as the other subcommands) and, for update, the rest of the text as typed', () => {
    expect(parseIncidentCommand('review inc-7f3a9k2m')).toEqual({ kind: 'review', id: 'INC-7F3A9K2M' });
    expect(parseIncidentCommand('update 7F3A9K2M   Failover &lt;done&gt;  next at 11:00 ')).toEqual({
      kind: 'update',
      id: 'INC-7F3A9K2M',
      text: 'Failover <done> next at 11:00',
    });
    expect(parseIncidentCommand('review INC-7F3A9K2M extra')).toMatchObject({ kind: 'help', problem: '`review` takes one incident id' });
    expect(parseIncidentCommand('update nope hello')).toMatchObject({ kind: 'help', problem: expect.stringContaining('is not an incident id') });
    expect(parseIncidentCommand(`update INC-7F3A9K2M ${'x'.repeat(1001)}`)).toMatchObject({
      kind: 'help',
      problem: expect.stringContaining('longer than 1000 characters'),
    });
  });
});
