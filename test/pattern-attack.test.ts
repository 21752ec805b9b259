/**
 * Issue 11's pattern attack, black-box against `npm start -- --data DIR`: a silence pattern that makes a
 * backtracking matcher take exponential time, and `*`, are refused by Slack, the API and the dashboard's form;
 * such a silence already in the store (written before the refusal existed) leaves every alarm routed and
 * `/health` answering. Asserted by awaited answers, never by a time bound (the test timeout is the only deadline).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signSlackRequest } from '@alert-router/aws';
import { snsNotification, type DemoAlarm } from '../packages/local/src/demo';
import { withDataDir } from './helpers/data-dir';
import { startRouterProcess, type StartedRouter } from './helpers/npm-start';
import { slashCommandBody } from './helpers/slack-requests';

const SECRET = 'pattern-attack-signing-secret';
const EVIL = '*a*a*a*a*a*a*a*a*a*a*a*a*b';

function alarm(name: string): DemoAlarm {
  return {
    name,
    topic: 'Medium',
    namespace: 'Custom/PatternAttack',
    metric: 'Probe',
    dimensions: {},
    threshold: 1,
    statistic: 'SUM',
    description: 'pattern attack probe',
  };
}

describe('npm start: the silence pattern attack', () => {
  let dir: string;
  let app: StartedRouter | undefined;
  const start = () => startRouterProcess(['--data', dir], { SLACK_SIGNING_SECRET: SECRET });

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'alert-router-pattern-'));
  });
  afterAll(async () => {
    await app?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each([EVIL, '*'])('refuses %s from Slack, POST /api/silences and the dashboard form; none is stored', async (pattern) => {
    app = await start();
    try {
      const body = slashCommandBody(`silence ${pattern} 1h load test`);
      const slack = await fetch(`${app.url}/slack/commands`, { method: 'POST', body, headers: signSlackRequest(SECRET, body) });
      expect(slack.status).toBe(200);
      const reply = (await slack.json()) as { response_type: string; text: string };
      expect(reply.response_type).toBe('ephemeral');
      expect(reply.text).toMatch(/would match almost every alarm/);

      const api = await fetch(`${app.url}/api/silences`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ match: pattern, duration: '1h', reason: 'load test' }),
      });
      expect(api.status).toBe(400);
      expect(((await api.json()) as { error: string }).error).toMatch(/^match: .*would match almost every alarm/);

      // The dashboard's form, as a browser posts it: the page's session cookie and CSRF field.
      const page = await fetch(`${app.url}/`);
      const cookie = (page.headers.get('set-cookie') ?? '').split(';')[0];
      const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1];
      expect(csrf).toBeDefined();
      const form = await fetch(`${app.url}/api/silences`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
        body: new URLSearchParams({ _csrf: csrf!, redirect: '/', match: pattern, duration: '1h', reason: 'load test' }).toString(),
      });
      expect(form.status).toBe(303);
      const location = new URL(form.headers.get('location')!, app.url);
      expect(location.searchParams.get('error')).toBe('silence-pattern');
      expect(location.searchParams.get('reason')).toBe('too-broad');
    } finally {
      await app.stop();
    }
    const stored = await withDataDir(dir, ({ silences }) => silences.listActive(new Date().toISOString()));
    expect(stored.filter((s) => s.match === pattern)).toEqual([]);
  });

  it('with that silence already in the store, every alarm routes and /health answers', async () => {
    const legacy = await withDataDir(dir, ({ silences }) =>
      silences.create({
        match: EVIL,
        reason: 'written before patterns were checked',
        author: 'legacy',
        minutes: 60,
        now: new Date().toISOString(),
      }),
    );
    app = await start();
    const now = new Date();
    const post = (name: string, n: number) =>
      fetch(`${app!.url}/sns`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain; charset=UTF-8' },
        body: JSON.stringify(snsNotification(alarm(name), 'ALARM', new Date(now.getTime() + n))),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as { outcomes: { kind: string; incidentId: string | null }[] } }));

    // The worst case for a backtracking matcher (no `b`: every split is tried), and /health while it routes.
    const routing = post('a'.repeat(40), 0);
    const health = await fetch(`${app.url}/health`);
    expect(health.status).toBe(200);
    expect(((await health.json()) as { status: string }).status).toBe('ok');
    const worst = await routing;
    expect(worst.status).toBe(200);
    expect(worst.body.outcomes[0]).toMatchObject({ kind: 'opened' });

    // The legacy silence still does its job on a name it matches.
    const matched = await post(`${'a'.repeat(40)}b`, 1);
    expect(matched.status).toBe(200);
    const id = matched.body.outcomes[0].incidentId!;
    const incident = (await (await fetch(`${app.url}/api/incidents/${id}`)).json()) as { incident: { silencedBy?: string | null } };
    expect(JSON.stringify(incident.incident)).toContain(legacy.id);

    const after = await fetch(`${app.url}/health`);
    expect(after.status).toBe(200);
  }, 30_000);
});
