/**
 * The dashboard function (functions/dashboard.ts → dashboardRoutes) against dynalite, through API Gateway v2
 * events as the local server builds them: authentication, sessions, CSRF, security headers, escaping, the JSON
 * API contract, polling and the 1,000-incident budget.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { escapeHtml, GLOB_PROBLEMS, type Incident } from '@alert-router/core';
import { buildRuntime, DASHBOARD_HTTP_ROUTES, dashboardRoutes, readConfig, type Runtime } from '@alert-router/aws';
import { ACTIVE_PAGE, RESOLVED_LOOKBACK_HOURS } from '../packages/aws/src/dashboard/data';
import { authenticate, DASHBOARD_DISABLED, issueSession, sessionKey } from '../packages/aws/src/dashboard/auth';
import { apiGatewayEvent } from '../packages/local/src/lambda-events';
import { makeIncident } from './helpers/incident-factory';
import { localStore } from './helpers/local-dynamo';

const TOKEN = 'dashboard-token-0123456789abcdef';
const HOSTILE = '<img src=x onerror=alert(1)><script>alert(2)</script>';

type Local = Awaited<ReturnType<typeof localStore>>;

interface Reply {
  status: number;
  headers: Record<string, string>;
  cookies: string[];
  body: string;
  json: () => Record<string, unknown>;
}

async function call(rt: Runtime, method: string, url: string, opts: { headers?: Record<string, string>; body?: string; cookie?: string } = {}): Promise<Reply> {
  const headers: Record<string, string> = { host: '127.0.0.1', ...(opts.headers ?? {}) };
  if (opts.cookie) headers.cookie = opts.cookie;
  const event = apiGatewayEvent({ method, url, headers, body: Buffer.from(opts.body ?? ''), sourceIp: '127.0.0.1' });
  const r = await dashboardRoutes(event, rt);
  return {
    status: r.statusCode ?? 200,
    headers: Object.fromEntries(Object.entries(r.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)])),
    cookies: r.cookies ?? [],
    body: r.body ?? '',
    json: () => JSON.parse(r.body ?? 'null') as Record<string, unknown>,
  };
}

const form = (fields: Record<string, string>) => ({
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
});
const jsonBody = (v: unknown, headers: Record<string, string> = {}) => ({
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(v),
});
const bearer = { authorization: `Bearer ${TOKEN}` };

function cookiePair(setCookie: string): string {
  return setCookie.split(';')[0];
}

function csrfFrom(html: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!m) throw new Error('no CSRF field in the page');
  return m[1];
}

function ago(ms: number): string {
  return new Date(Date.now() - ms).toISOString();
}

function incident(id: string, o: Partial<Incident> = {}): Incident {
  const openedAt = o.openedAt ?? ago(10 * 60_000);
  return makeIncident({
    id,
    incidentKey: `arn:aws:cloudwatch:eu-west-1:123456789012:alarm:${o.alarmName ?? 'HighErrorRate'}`,
    openedAt,
    updatedAt: openedAt,
    escalation: {
      step: 0,
      count: 0,
      nextAt: new Date(Date.parse(openedAt) + 5 * 60_000).toISOString(),
      chain: [{ notify: ['pagerduty', 'slack'], tier: 'onCall', repeat: 1, afterMinutes: 5 }],
    },
    ...o,
  });
}

async function runtimeOn(local: Local, env: Record<string, string> = {}): Promise<Runtime> {
  return buildRuntime(readConfig({ ROUTER_TABLE: local.tableName, DYNAMODB_ENDPOINT: local.endpoint, ...env }), { db: local.db, store: local.store });
}

async function signIn(rt: Runtime, name = 'alice'): Promise<{ cookie: string; csrf: string }> {
  const r = await call(rt, 'POST', '/login', form({ token: TOKEN, name, next: '/' }));
  expect(r.status).toBe(303);
  const cookie = cookiePair(r.cookies[0]);
  const page = await call(rt, 'GET', '/', { cookie });
  expect(page.status).toBe(200);
  return { cookie, csrf: csrfFrom(page.body) };
}

describe('dashboard with DASHBOARD_TOKEN set', () => {
  let local: Local;
  let rt: Runtime;
  beforeAll(async () => {
    local = await localStore();
    rt = await runtimeOn(local, { DASHBOARD_TOKEN: TOKEN, SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T000/B000/SECRETSECRET' });
  });
  afterAll(async () => {
    await local.close();
  });
  beforeEach(async () => {
    await local.store.createIncident(incident('INC-0PEN0001', { alarmName: 'HighErrorRate', severity: 'P0' }));
  });

  it('refuses every page and API call without the token: 401 and the login form, or 401 JSON', async () => {
    for (const path of ['/', '/incidents/INC-0PEN0001', '/?severity=P0']) {
      const r = await call(rt, 'GET', path);
      expect(r.status).toBe(401);
      expect(r.headers['content-type']).toMatch(/text\/html/);
      expect(r.body).toContain('<form method="post" action="/login">');
      expect(r.body).not.toContain('class="incidents"');
      expect(r.body).not.toContain('HighErrorRate');
    }
    for (const [method, path] of [
      ['GET', '/api/incidents'],
      ['GET', '/api/incidents/INC-0PEN0001'],
      ['GET', '/api/digest?hours=24'],
      ['GET', '/api/dashboard'],
      ['POST', '/api/incidents/INC-0PEN0001/ack'],
      ['POST', '/api/silences'],
    ]) {
      const r = await call(rt, method, path, method === 'POST' ? jsonBody({}) : {});
      expect(r.status, `${method} ${path}`).toBe(401);
      expect(r.headers['www-authenticate']).toMatch(/^Bearer/);
      expect(r.json().error).toMatch(/authentication required/);
    }
    const expiredForm = await call(rt, 'POST', '/api/incidents/INC-0PEN0001/ack', form({ _csrf: 'x', redirect: '/' }));
    expect(expiredForm.status).toBe(401);
    expect(expiredForm.body).toContain('action="/login"');
    expect((await call(rt, 'GET', '/nope')).status).toBe(401);
    expect((await call(rt, 'GET', '/api/incidents', { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await call(rt, 'GET', '/api/incidents', { headers: { authorization: `Bearer ${TOKEN}x` } })).status).toBe(401);
  });

  it('GET /health stays open and reveals no secret', async () => {
    const r = await call(rt, 'GET', '/health');
    expect(r.status).toBe(200);
    expect(r.body).not.toContain(TOKEN);
    expect(r.body).not.toContain('SECRETSECRET');
    expect(r.json()).toMatchObject({ status: 'ok', channels: { slack: 'live' } });
  });

  it('serves the two assets without a session; the script and style are not inline', async () => {
    const js = await call(rt, 'GET', '/assets/app.js');
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toMatch(/javascript/);
    expect(js.body).toContain('data-poll');
    const css = await call(rt, 'GET', '/assets/app.css');
    expect(css.headers['content-type']).toMatch(/text\/css/);
    expect((await call(rt, 'GET', '/assets/app.js', { headers: { 'if-none-match': js.headers.etag } })).status).toBe(304);
    expect((await call(rt, 'GET', '/assets/nope.js')).status).toBe(404);
    expect((await call(rt, 'GET', '/assets/../../etc/passwd')).status).not.toBe(200);
  });

  it('Bearer clients get the JSON API', async () => {
    const r = await call(rt, 'GET', '/api/incidents', { headers: bearer });
    expect(r.status).toBe(200);
    expect((r.json().incidents as Incident[]).map((i) => i.id)).toContain('INC-0PEN0001');
  });

  it('/login sets an HttpOnly, Secure, SameSite=Strict cookie holding an HMAC-derived value, never the token', async () => {
    const wrong = await call(rt, 'POST', '/login', form({ token: 'nope', next: '/' }));
    expect(wrong.status).toBe(401);
    expect(wrong.cookies).toEqual([]);
    expect(wrong.body).toContain('That token is not right.');

    const r = await call(rt, 'POST', '/login', form({ token: TOKEN, name: 'alice', next: '/incidents/INC-0PEN0001' }));
    expect(r.status).toBe(303);
    expect(r.headers.location).toBe('/incidents/INC-0PEN0001');
    expect(r.cookies).toHaveLength(1);
    const c = r.cookies[0];
    expect(c).toMatch(/^ar_session=[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+;/);
    for (const flag of ['HttpOnly', 'Secure', 'SameSite=Strict', 'Path=/']) expect(c).toContain(flag);
    expect(c).not.toContain(TOKEN);
    expect(Buffer.from(cookiePair(c).split('=')[1].split('.')[0], 'base64url').toString()).not.toContain(TOKEN);

    const cookie = cookiePair(c);
    const page = await call(rt, 'GET', '/incidents/INC-0PEN0001', { cookie });
    expect(page.status).toBe(200);
    expect(page.body).toContain('Sign out');
    expect(page.body).toContain('alice');

    // A forged or altered cookie is refused.
    const [name, value] = cookie.split('=');
    const [payload, mac] = value.split('.');
    const forgedPayload = Buffer.from(JSON.stringify({ u: 'mallory', a: 0, iat: Math.floor(Date.now() / 1000), n: 'x' })).toString('base64url');
    for (const bad of [`${name}=${payload}.${mac.slice(0, -2)}AA`, `${name}=${forgedPayload}.${mac}`, `${name}=${TOKEN}`]) {
      expect((await call(rt, 'GET', '/', { cookie: bad })).status).toBe(401);
    }
  });

  it('a session from another token (rotated) or past 12 h is refused', async () => {
    const { cookie } = await signIn(rt);
    const rotated = await runtimeOn(local, { DASHBOARD_TOKEN: `${TOKEN}-rotated` });
    expect((await call(rotated, 'GET', '/', { cookie })).status).toBe(401);
    const later = buildRuntime(rt.config, { db: local.db, store: local.store, now: () => new Date(Date.now() + 13 * 3600_000) });
    expect((await call(later, 'GET', '/', { cookie })).status).toBe(401);
  });

  it('never redirects off-site after login', async () => {
    for (const next of ['//evil.example/', 'https://evil.example/', '/\\evil.example', 'javascript:alert(1)']) {
      const r = await call(rt, 'POST', '/login', form({ token: TOKEN, next }));
      expect(r.headers.location).toBe('/');
    }
  });

  it('forms need the session CSRF token (constant-time checked); Bearer clients are exempt', async () => {
    const { cookie, csrf } = await signIn(rt, 'alice');
    const missing = await call(rt, 'POST', '/api/incidents/INC-0PEN0001/ack', { cookie, ...form({ redirect: '/' }) });
    expect(missing.status).toBe(403);
    const wrongToken = await call(rt, 'POST', '/api/incidents/INC-0PEN0001/ack', {
      cookie,
      ...form({ _csrf: `${csrf.slice(0, -1)}${csrf.endsWith('A') ? 'B' : 'A'}`, redirect: '/' }),
    });
    expect(wrongToken.status).toBe(403);
    const otherSession = await signIn(rt, 'bob');
    expect((await call(rt, 'POST', '/api/incidents/INC-0PEN0001/ack', { cookie, ...form({ _csrf: otherSession.csrf }) })).status).toBe(403);
    // JSON with the cookie but no CSRF header: refused as well.
    expect((await call(rt, 'POST', '/api/incidents/INC-0PEN0001/ack', { cookie, ...jsonBody({}) })).status).toBe(403);
    expect((await rt.store.getIncident('INC-0PEN0001'))!.status).toBe('open');

    const ok = await call(rt, 'POST', '/api/incidents/INC-0PEN0001/ack', { cookie, ...form({ _csrf: csrf, redirect: '/?severity=P0' }) });
    expect(ok.status).toBe(303);
    expect(ok.headers.location).toBe('/?severity=P0&done=ack&id=INC-0PEN0001');
    const acked = (await rt.store.getIncident('INC-0PEN0001'))!;
    expect(acked).toMatchObject({ status: 'acknowledged', acknowledgedBy: 'dashboard:dashboard (alice)' });
    expect(acked.timeline.at(-1)).toMatchObject({ type: 'acknowledged', by: 'dashboard:dashboard (alice)' });
    const back = await call(rt, 'GET', ok.headers.location, { cookie });
    expect(back.body).toContain('INC-0PEN0001 acknowledged.');

    const viaHeader = await call(rt, 'POST', '/api/incidents/INC-0PEN0001/resolve', { cookie, ...jsonBody({ note: 'fixed' }, { 'x-csrf-token': csrf }) });
    expect(viaHeader.status).toBe(200);
  });

  it('JSON API: ack/resolve answer JSON; 404 for an unknown id; 409 with a message when already resolved', async () => {
    await local.store.createIncident(incident('INC-APPAPP01', { alarmName: 'ApiAlarm', severity: 'P1' }));
    const ack = await call(rt, 'POST', '/api/incidents/INC-APPAPP01/ack', { headers: bearer });
    expect(ack.status).toBe(200);
    expect(ack.json().incident).toMatchObject({ id: 'INC-APPAPP01', status: 'acknowledged', acknowledgedBy: 'dashboard:dashboard (dashboard)' });
    const again = await call(rt, 'POST', '/api/incidents/INC-APPAPP01/ack', { headers: bearer });
    expect(again.status).toBe(409);
    expect(again.json().error).toBe('INC-APPAPP01 is already acknowledged');
    const res = await call(rt, 'POST', '/api/incidents/inc-appapp01/resolve', { ...jsonBody({ by: 'ci-bot', note: 'rolled back' }, bearer) });
    expect(res.status).toBe(200);
    expect(res.json().incident).toMatchObject({ status: 'resolved', resolvedBy: 'dashboard:dashboard (ci-bot)' });
    const twice = await call(rt, 'POST', '/api/incidents/INC-APPAPP01/resolve', { headers: bearer });
    expect(twice.status).toBe(409);
    expect(twice.json().error).toBe('INC-APPAPP01 is already resolved');
    expect((await call(rt, 'POST', '/api/incidents/INC-NOPE0000/ack', { headers: bearer })).status).toBe(404);
    expect((await call(rt, 'POST', '/api/incidents/INC-NOPE0000/resolve', { headers: bearer })).status).toBe(404);
    expect((await call(rt, 'GET', '/api/incidents/INC-NOPE0000', { headers: bearer })).status).toBe(404);
    expect((await call(rt, 'GET', '/api/incidents/INC-APPAPP01', { headers: bearer })).json().incident).toMatchObject({ id: 'INC-APPAPP01' });
    expect(
      (await call(rt, 'POST', '/api/incidents/INC-APPAPP01/ack', { headers: { ...bearer, 'content-type': 'application/json' }, body: '{nope' })).status,
    ).toBe(400);
  });

  it('POST /api/silences creates a silence (and refreshes the cache); bad input is a 400 with the key', async () => {
    const r = await call(rt, 'POST', '/api/silences', jsonBody({ match: 'Database*', duration: '2h', reason: 'maintenance', by: 'ops' }, bearer));
    expect(r.status).toBe(201);
    const s = r.json().silence as { id: string; match: string; author: string; startsAt: string; endsAt: string };
    expect(s).toMatchObject({ match: 'Database*', author: 'ops (dashboard)' });
    expect(Date.parse(s.endsAt) - Date.parse(s.startsAt)).toBe(2 * 3600_000);
    expect(rt.silenceCache.match('DatabaseHighCPU', new Date().toISOString())).toBeNull(); // cache invalidated: refreshed on next ready()
    await rt.silenceCache.refresh();
    expect(rt.silenceCache.match('DatabaseHighCPU', new Date().toISOString())?.id).toBe(s.id);
    expect((await call(rt, 'POST', '/api/silences', jsonBody({ match: 'XYZ*', duration: '45d', reason: 'r' }, bearer))).json().error).toMatch(/^duration:/);
    expect((await call(rt, 'POST', '/api/silences', jsonBody({ duration: '1h', reason: 'r' }, bearer))).json().error).toMatch(/^match:/);
    expect((await call(rt, 'POST', '/api/silences', jsonBody({ match: 'XYZ*', duration: '1h' }, bearer))).status).toBe(400);
    const page = await call(rt, 'GET', '/', { headers: bearer });
    expect(page.body).toContain('<code>Database*</code>');
  });

  it('POST /api/silences refuses a pattern that matches (almost) everything with a 400 that says why; nothing is stored', async () => {
    const before = (await rt.silences.listActive(new Date().toISOString())).length;
    for (const match of ['*', '**', '?*', `${'*a'.repeat(12)}*b`]) {
      const r = await call(rt, 'POST', '/api/silences', jsonBody({ match, duration: '1h', reason: 'everything is on fire' }, bearer));
      expect(r.status, match).toBe(400);
      expect(r.json().error).toBe(`match: ${GLOB_PROBLEMS['too-broad']}`);
    }
    const long = await call(rt, 'POST', '/api/silences', jsonBody({ match: `Db${'x'.repeat(300)}`, duration: '1h', reason: 'r' }, bearer));
    expect(long.json().error).toBe(`match: ${GLOB_PROBLEMS['too-long']}`);
    expect(await rt.silences.listActive(new Date().toISOString())).toHaveLength(before);
  });

  it('GET /api/digest?hours=N answers the digest numbers', async () => {
    const r = await call(rt, 'GET', '/api/digest?hours=24', { headers: bearer });
    expect(r.status).toBe(200);
    for (const k of ['bySeverity', 'byState', 'mtta', 'mttr', 'breaches', 'noisiest', 'stillOpen', 'silences', 'flapping']) expect(r.json()).toHaveProperty(k);
    expect(r.json().hours).toBe(24);
    expect((await call(rt, 'GET', '/api/digest?hours=0', { headers: bearer })).status).toBe(400);
    expect((await call(rt, 'GET', '/api/digest?hours=abc', { headers: bearer })).status).toBe(400);
  });

  it('every response carries the CSP (no inline script), nosniff, Referrer-Policy and frame-ancestors none', async () => {
    const { cookie } = await signIn(rt);
    for (const r of [
      await call(rt, 'GET', '/', { cookie }),
      await call(rt, 'GET', '/api/incidents', { headers: bearer }),
      await call(rt, 'GET', '/'),
      await call(rt, 'GET', '/health'),
    ]) {
      const csp = r.headers['content-security-policy'];
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("default-src 'none'");
      expect(csp).not.toContain('unsafe-inline');
      expect(r.headers['x-content-type-options']).toBe('nosniff');
      expect(r.headers['referrer-policy']).toBe('no-referrer');
    }
    const page = await call(rt, 'GET', '/', { cookie });
    expect(page.body.match(/<script/g)).toEqual(['<script']);
    expect(page.body).toContain('<script src="/assets/app.js" defer></script>');
    expect(page.body).not.toMatch(/ on[a-z]+=/i);
    expect(page.body).not.toMatch(/style="/);
  });
});

describe('deployed (in Lambda) without a dashboard token: fails closed', () => {
  let local: Local;
  let rt: Runtime;
  const before = process.env.AWS_LAMBDA_FUNCTION_NAME;
  const inLambda = () => {
    process.env.AWS_LAMBDA_FUNCTION_NAME = 'alert-router-dashboard';
  };
  const restore = () => {
    if (before === undefined) delete process.env.AWS_LAMBDA_FUNCTION_NAME;
    else process.env.AWS_LAMBDA_FUNCTION_NAME = before;
  };
  beforeAll(async () => {
    local = await localStore();
    rt = await runtimeOn(local, { DASHBOARD_TOKEN: 'unset' });
    expect(rt.config.dashboardToken).toBeNull();
  });
  afterAll(async () => {
    restore();
    await local.close();
  });
  afterEach(restore);
  beforeEach(async () => {
    inLambda();
    await local.store.createIncident(incident('INC-0PEN0002', { alarmName: 'ClosedDoorAlarm', severity: 'P0' }));
  });

  /** Refused: 503 with the one-line reason, nothing of the incidents, no session. */
  function expectRefused(r: Reply, what: string) {
    expect(r.status, what).toBe(503);
    expect(r.body, what).not.toContain('ClosedDoorAlarm');
    expect(r.body, what).not.toContain('class="incidents"');
    expect(
      r.cookies.filter((c) => c.startsWith('ar_session=') && !/Max-Age=0/.test(c)),
      `${what}: no session is handed out`,
    ).toEqual([]);
    expect(r.body, what).toContain(DASHBOARD_DISABLED);
  }

  it('every page and API route is refused, whatever the request carries; /health and the assets stay open', async () => {
    const anonymous = `ar_session=${issueSession(sessionKey(null), { user: null, anonymous: true, nowMs: Date.now() })}`;
    const named = `ar_session=${issueSession(sessionKey(null), { user: 'mallory', anonymous: false, nowMs: Date.now() })}`;
    const variants: { label: string; headers?: Record<string, string>; cookie?: string }[] = [
      { label: 'nothing' },
      { label: 'JSON', headers: { 'content-type': 'application/json', accept: 'application/json' } },
      { label: 'any Bearer', headers: { authorization: 'Bearer x', 'content-type': 'application/json' } },
      { label: 'Bearer "unset"', headers: { authorization: 'Bearer unset' } },
      { label: 'anonymous session', cookie: anonymous },
      { label: 'forged named session', cookie: named },
    ];
    const guarded = DASHBOARD_HTTP_ROUTES.filter((r) => !['/health', '/assets/{proxy+}', '/login', '/logout'].includes(r.path));
    expect(guarded.length).toBeGreaterThanOrEqual(9);
    for (const route of guarded) {
      const path = route.path.replace('{id}', 'INC-0PEN0002');
      for (const v of variants) {
        const body = route.method === 'POST' ? JSON.stringify({ by: 'mallory', match: '*', duration: '30d', reason: 'x' }) : undefined;
        expectRefused(await call(rt, route.method, path, { headers: v.headers, cookie: v.cookie, body }), `${route.method} ${path} with ${v.label}`);
      }
    }
    // /login and /logout sign nobody in: whatever they answer, no session, and where they lead is refused too.
    for (const [method, path, opts] of [
      ['GET', '/login?next=/', {}],
      ['POST', '/login', form({ token: 'unset', next: '/' })],
      ['POST', '/login', form({ token: '', next: '/' })],
      ['POST', '/logout', {}],
    ] as const) {
      const r = await call(rt, method, path, opts);
      expect(
        r.cookies.filter((c) => !/Max-Age=0/.test(c)),
        `${method} ${path}`,
      ).toEqual([]);
      expect(r.body).not.toContain('ClosedDoorAlarm');
      expectRefused(r, `${method} ${path}`);
    }
    expect((await call(rt, 'GET', '/health')).status).toBe(200);
    expect((await call(rt, 'GET', '/assets/app.js')).status).toBe(200);
  });

  it('no action goes through: the incident stays open and no silence is created', async () => {
    const attempts = [
      call(rt, 'POST', '/api/incidents/INC-0PEN0002/ack', jsonBody({ by: 'mallory' })),
      call(rt, 'POST', '/api/incidents/INC-0PEN0002/resolve', jsonBody({ by: 'mallory' }, { authorization: 'Bearer anything' })),
      call(rt, 'POST', '/api/incidents/INC-0PEN0002/ack', { ...form({ redirect: '/' }) }),
      call(rt, 'POST', '/api/silences', jsonBody({ match: 'ClosedDoorAlarm', duration: '30m', reason: 'mallory' })),
    ];
    for (const r of await Promise.all(attempts)) expectRefused(r, 'action');
    const stored = await local.store.getIncident('INC-0PEN0002');
    expect(stored).toMatchObject({ status: 'open', acknowledgedAt: null, resolvedAt: null });
    expect(await rt.silences.listActive(new Date().toISOString())).toEqual([]);
  });

  it('authenticate() says why: disabled, with the one-line reason; with a token configured nothing changes', () => {
    const event = apiGatewayEvent({ method: 'GET', url: '/', headers: { authorization: `Bearer ${TOKEN}` }, body: Buffer.alloc(0), sourceIp: '127.0.0.1' });
    expect(authenticate(event, null, Date.now())).toEqual({ ok: false, reason: 'disabled', message: 'dashboard disabled: DashboardToken is not set' });
    expect(authenticate(event, TOKEN, Date.now())).toMatchObject({ ok: true, via: 'bearer' });
  });

  it('local mode (no AWS_LAMBDA_FUNCTION_NAME, as `npm start`) stays open without a token', async () => {
    delete process.env.AWS_LAMBDA_FUNCTION_NAME;
    await local.store.createIncident(incident('INC-10CA1002', { alarmName: 'OpenDoorAlarm', severity: 'P1' }));
    const page = await call(rt, 'GET', '/');
    expect(page.status).toBe(200);
    expect(page.body).toContain('OpenDoorAlarm');
    expect(page.cookies.some((c) => c.startsWith('ar_session='))).toBe(true);
    expect((await call(rt, 'GET', '/api/incidents')).status).toBe(200);
    const ack = await call(rt, 'POST', '/api/incidents/INC-10CA1002/ack', jsonBody({ by: 'local' }));
    expect(ack.status).toBe(200);
    expect(ack.json().incident).toMatchObject({ status: 'acknowledged' });
  });
});

describe('dashboard rendering', () => {
  let local: Local;
  let rt: Runtime;
  beforeAll(async () => {
    local = await localStore();
    rt = await runtimeOn(local);
  });
  afterAll(async () => {
    await local.close();
  });

  it('escapes hostile alarm names, descriptions, reasons and dimensions everywhere', async () => {
    const hostile = incident('INC-H0ST11E0', {
      alarmName: HOSTILE,
      severity: 'P2',
      alarm: {
        ...makeIncident().alarm,
        description: `"><svg onload=alert(3)>`,
        reason: `</td><script>alert(4)</script>`,
        dimensions: { '<b>k</b>': `"'><iframe src=javascript:alert(5)>` },
      },
    });
    await local.store.createIncident(hostile);
    await rt.silences.create({
      match: '<script>alert(6)</script>',
      reason: '<img src=y onerror=alert(7)>',
      author: '<b>eve</b>',
      minutes: 60,
      now: new Date().toISOString(),
    });
    for (const path of ['/', '/incidents/INC-H0ST11E0', '/?alarm=%3Cimg']) {
      const r = await call(rt, 'GET', path);
      expect(r.status, path).toBe(200);
      expect(r.body).not.toMatch(/<img src=[xy]|<script>alert|<svg onload|<iframe|<b>/);
      expect(r.body.match(/<script/g)).toEqual(['<script']);
    }
    const detail = await call(rt, 'GET', '/incidents/INC-H0ST11E0');
    expect(detail.body).toContain('&lt;img src=x onerror=alert(1)&gt;&lt;script&gt;alert(2)&lt;/script&gt;');
    expect(detail.body).toContain('&quot;&gt;&lt;svg onload=alert(3)&gt;');
    const poll = await call(rt, 'GET', '/api/dashboard');
    expect(JSON.stringify(poll.json().sections)).not.toMatch(/<img src=x|<script>alert/);
    // The filter value is echoed escaped.
    const filtered = await call(rt, 'GET', `/?alarm=${encodeURIComponent('"><script>alert(8)</script>')}`);
    expect(filtered.body).toContain('value="&quot;&gt;&lt;script&gt;alert(8)&lt;/script&gt;"');
  });

  it('groups unresolved incidents by severity (open before acknowledged), with age and time left before escalation', async () => {
    await local.store.createIncident(incident('INC-P0A00001', { alarmName: 'HighErrorRate', severity: 'P0', openedAt: ago(2 * 60_000) }));
    await local.store.createIncident(
      incident('INC-P1A00001', {
        alarmName: 'HighResponseTime',
        severity: 'P1',
        status: 'acknowledged',
        acknowledgedAt: ago(60_000),
        acknowledgedBy: 'slack:U1 (alice)',
      }),
    );
    await local.store.createIncident(incident('INC-P1B00001', { alarmName: 'HighCPUUtilization', severity: 'P1' }));
    const r = await call(rt, 'GET', '/');
    const body = r.body;
    const pos = (s: string) => body.indexOf(s);
    expect(pos('id="g-P0"')).toBeGreaterThan(0);
    expect(pos('id="g-P0"')).toBeLessThan(pos('id="g-P1"'));
    expect(pos('id="g-P1"')).toBeLessThan(pos('id="g-P2"'));
    expect(pos('INC-P1B00001')).toBeLessThan(pos('INC-P1A00001')); // open first
    expect(body).toMatch(/data-rel="until"[^>]*>in (2 min 5\d s|3 min)</);
    expect(body).toContain('stopped (acknowledged)');
    expect(body).toContain('id="resolved-h"');
    expect(body).toContain('Incidents opened per hour, by severity');
    expect(body).toContain('<svg class="chart"');
    // Without a token: no sign-in needed, an anonymous session is set for the forms' CSRF token.
    expect(r.cookies[0]).toMatch(/^ar_session=.*HttpOnly; Secure; SameSite=Strict/);
    expect(csrfFrom(body)).toBeTruthy();
  });

  it('detail page: timeline, deliveries per channel, alarm facts and the runbook steps', async () => {
    const at = ago(20 * 60_000);
    await local.store.createIncident(
      incident('INC-DETA1100', {
        alarmName: 'HighErrorRate',
        severity: 'P0',
        openedAt: at,
        deliveries: {
          'trigger:pagerduty': { status: 'delivered', attempts: 1, at },
          'trigger:slack': { status: 'failed', attempts: 4, at, error: 'slack: HTTP 500: oops' },
        },
        timeline: [
          { at, type: 'opened', by: 'cloudwatch', detail: 'ALARM · P0 by topic' },
          { at, type: 'delivery', channel: 'pagerduty', event: 'trigger', outcome: 'delivered', attempts: 1 },
          { at, type: 'delivery', channel: 'slack', event: 'trigger', outcome: 'failed', attempts: 4, detail: 'slack: HTTP 500: oops' },
          { at, type: 'acknowledged', by: 'slack:U024BE7LH (alice)' },
        ],
      }),
    );
    const r = await call(rt, 'GET', '/incidents/inc-deta1100');
    expect(r.status).toBe(200);
    for (const text of [
      'trigger via pagerduty: delivered after 1 attempt',
      'trigger via slack: failed after 4 attempts',
      'slack:U024BE7LH (alice)',
      'Threshold Crossed: 2 datapoints',
      'AWS/ApplicationELB HTTPCode_Target_5XX_Count',
      'LoadBalancer=app/qenergyz-production-alb/50dc6c495c0c9188',
      'Sum &gt; 10 (2 periods of 5 min)',
      'High Error Rate',
      'Check application logs',
      'https://github.com/your-org/ops/blob/main/runbook.md#high-error-rate',
      'Open the alarm in the CloudWatch console',
    ])
      expect(r.body).toContain(text);
    expect((await call(rt, 'GET', '/incidents/INC-NOPE0000')).status).toBe(404);
  });

  it('local mode: forms carry the anonymous session CSRF token; cross-site forms and text/plain are refused; JSON is accepted', async () => {
    await local.store.createIncident(incident('INC-10CA1000', { alarmName: 'LocalAlarm', severity: 'P3' }));
    const page = await call(rt, 'GET', '/');
    const cookie = cookiePair(page.cookies[0]);
    const csrf = csrfFrom(page.body);
    expect((await call(rt, 'POST', '/api/incidents/INC-10CA1000/ack', form({ redirect: '/' }))).status).toBe(403);
    expect((await call(rt, 'POST', '/api/incidents/INC-10CA1000/ack', { headers: { 'content-type': 'text/plain' }, body: '{}' })).status).toBe(403);
    expect((await call(rt, 'POST', '/api/incidents/INC-10CA1000/ack', { cookie, ...form({ redirect: '/' }) })).status).toBe(403);
    const ok = await call(rt, 'POST', '/api/incidents/INC-10CA1000/ack', { cookie, ...form({ _csrf: csrf, redirect: '/' }) });
    expect(ok.status).toBe(303);
    const curl = await call(rt, 'POST', '/api/incidents/INC-10CA1000/resolve', jsonBody({ by: 'curl' }));
    expect(curl.status).toBe(200);
    expect(curl.json().incident).toMatchObject({ status: 'resolved', resolvedBy: 'dashboard:dashboard (curl)' });
    const silence = await call(rt, 'POST', '/api/silences', {
      cookie,
      ...form({ _csrf: csrf, match: 'LocalAlarm', duration: '30m', reason: 'testing', redirect: '/incidents/INC-10CA1000' }),
    });
    expect(silence.status).toBe(303);
    expect(silence.headers.location).toMatch(/^\/incidents\/INC-10CA1000\?done=silence&id=SIL-[0-9A-F]{6}$/);
    const bad = await call(rt, 'POST', '/api/silences', {
      cookie,
      ...form({ _csrf: csrf, match: 'LocalAlarm', duration: 'forever', reason: 'x', redirect: '/' }),
    });
    expect(bad.headers.location).toBe('/?error=silence-invalid');
    // The form refuses `*` like Slack and the JSON API, and the page says why.
    const all = await call(rt, 'POST', '/api/silences', { cookie, ...form({ _csrf: csrf, match: '*', duration: '30m', reason: 'x', redirect: '/' }) });
    expect(all.status).toBe(303);
    expect(all.headers.location).toBe('/?error=silence-pattern&reason=too-broad');
    const shown = await call(rt, 'GET', all.headers.location, { cookie });
    expect(shown.body).toContain(escapeHtml(`Silence refused: ${GLOB_PROBLEMS['too-broad']}.`));
    const stored = (await rt.silences.listActive(new Date().toISOString())).map((s) => s.match);
    expect(stored).toContain('LocalAlarm');
    expect(stored).not.toContain('*');
  });

  it('"recently resolved" lists what was resolved in the range, newest resolution first, even if it opened days before', async () => {
    const resolvedInc = (id: string, openedAgoMs: number, resolvedAgoMs: number) =>
      incident(id, {
        alarmName: `RecentlyResolved-${id}`,
        severity: 'P2',
        status: 'resolved',
        openedAt: ago(openedAgoMs),
        resolvedAt: ago(resolvedAgoMs),
        resolvedBy: 'cloudwatch',
        escalation: null,
        updatedAt: ago(resolvedAgoMs),
      });
    const H = 3_600_000;
    for (const i of [
      resolvedInc('INC-RRA00000', 72 * H, 5 * 60_000), // opened 3 days ago, resolved 5 min ago
      resolvedInc('INC-RRB00000', 1 * H, 50 * 60_000), // opened 1 h ago, resolved 50 min ago
      resolvedInc('INC-RRC00000', 30 * H, 25 * H), // resolved before the 24 h range
      resolvedInc('INC-RRD00000', 10 * 24 * H, 10 * 60_000), // opened before the 7-day lookback
    ])
      await local.store.createIncident(i);
    const ids = (section: string) => [...section.matchAll(/INC-RR[A-D]00000/g)].map((m) => m[0]).filter((id, n, all) => all.indexOf(id) === n);
    const resolvedOf = (body: string) => /data-live="resolved">([\s\S]*?)<\/section>/.exec(body)?.[1] ?? '';
    const page = await call(rt, 'GET', '/?alarm=RecentlyResolved');
    expect(ids(resolvedOf(page.body))).toEqual(['INC-RRA00000', 'INC-RRB00000']);
    // The poll endpoint's region and the "resolved" filter agree; the 1 h range keeps both (resolved in it).
    const poll = (await call(rt, 'GET', '/api/dashboard?alarm=RecentlyResolved')).json();
    expect(ids((poll.sections as Record<string, string>).resolved)).toEqual(['INC-RRA00000', 'INC-RRB00000']);
    expect(ids(resolvedOf((await call(rt, 'GET', '/?alarm=RecentlyResolved&status=resolved')).body))).toEqual(['INC-RRA00000', 'INC-RRB00000']);
    expect(ids(resolvedOf((await call(rt, 'GET', '/?alarm=RecentlyResolved&hours=1')).body))).toEqual(['INC-RRA00000', 'INC-RRB00000']);
    // 3 days: C (resolved 25 h ago) comes in, after the two newer resolutions.
    expect(ids(resolvedOf((await call(rt, 'GET', '/?alarm=RecentlyResolved&hours=72')).body))).toEqual(['INC-RRA00000', 'INC-RRB00000', 'INC-RRC00000']);
    // Read cost: the status index once, the by-day index once per UTC day each read spans, no scan. The page reads
    // [now − lookback, now − 24 h] and [now − 24 h, now + 1 min]: on a clock of its own, so that the count is exact
    // whatever the time of day (in the last minute before midnight the second range spans three days).
    const at = new Date();
    const pinned = buildRuntime(rt.config, { db: local.db, store: local.store, now: () => at });
    const utcDays = (fromMs: number, toMs: number) => Math.floor(toMs / 86_400_000) - Math.floor(fromMs / 86_400_000) + 1;
    const t = at.getTime();
    const dayQueries = utcDays(t - RESOLVED_LOOKBACK_HOURS * H, t - 24 * H) + utcDays(t - 24 * H, t + 60_000);
    const sent: string[] = [];
    const send = pinned.db.send.bind(pinned.db);
    pinned.db.send = ((command: { constructor: { name: string }; input: { IndexName?: string } }, ...rest: unknown[]) => {
      sent.push(`${command.constructor.name}:${command.input.IndexName ?? 'table'}`);
      return (send as (...a: unknown[]) => unknown)(command, ...rest);
    }) as typeof pinned.db.send;
    try {
      await call(pinned, 'GET', '/');
    } finally {
      pinned.db.send = send;
    }
    expect(sent.filter((c) => !c.startsWith('QueryCommand:'))).toEqual([]);
    expect(sent.filter((c) => c === 'QueryCommand:byStatus')).toHaveLength(1);
    expect(sent.filter((c) => c === 'QueryCommand:byDay')).toHaveLength(dayQueries);
    // The charts still count incidents opened in the range only: B alone in the last 24 h.
    expect(page.body).toContain('<desc id="ch-hourly-d">1 incidents; P0 0, P1 0, P2 1, P3 0</desc>');
  });

  it('the poll endpoint answers "unchanged" for the same etag and the changed regions after an ack', async () => {
    await local.store.createIncident(incident('INC-P0KK0000', { alarmName: 'PollAlarm', severity: 'P1' }));
    const first = (await call(rt, 'GET', '/api/dashboard?severity=P1')).json();
    expect(first).toMatchObject({ changed: true });
    expect(Object.keys(first.sections as object).sort()).toEqual(['active', 'charts', 'outbox', 'resolved', 'silences']);
    const same = (await call(rt, 'GET', `/api/dashboard?severity=P1&etag=${first.etag as string}`)).json();
    expect(same).toMatchObject({ changed: false, etag: first.etag });
    expect(same).not.toHaveProperty('sections');
    await call(rt, 'POST', '/api/incidents/INC-P0KK0000/ack', jsonBody({}));
    const after = (await call(rt, 'GET', `/api/dashboard?severity=P1&etag=${first.etag as string}`)).json();
    expect(after.changed).toBe(true);
    expect((after.sections as Record<string, string>).active).toMatch(/INC-P0KK0000[\s\S]*acknowledged/);
    const detail = (await call(rt, 'GET', '/api/incidents/INC-P0KK0000?sections=1')).json();
    expect(Object.keys(detail.sections as object).sort()).toEqual(['deliveries', 'facts', 'timeline']);
    expect((await call(rt, 'GET', `/api/incidents/INC-P0KK0000?sections=1&etag=${detail.etag as string}`)).json().changed).toBe(false);
  });
});

describe('1,000 incidents', () => {
  let local: Local;
  let rt: Runtime;
  beforeAll(async () => {
    local = await localStore();
    rt = await runtimeOn(local, { DASHBOARD_TOKEN: TOKEN });
    const sev = ['P0', 'P1', 'P2', 'P3'] as const;
    const items: Incident[] = [];
    for (let n = 0; n < 1000; n++) {
      const openedAt = ago((n + 1) * 80_000); // spread over the last ~22 h
      const base = { alarmName: `Alarm-${n % 120}-${'x'.repeat(20)}`, severity: sev[n % 4], openedAt };
      items.push(
        n % 5 < 2
          ? incident(`INC-${String(n).padStart(8, '0')}`, base)
          : incident(`INC-${String(n).padStart(8, '0')}`, {
              ...base,
              status: 'resolved',
              acknowledgedAt: new Date(Date.parse(openedAt) + 120_000).toISOString(),
              acknowledgedBy: 'slack:U1 (a)',
              resolvedAt: new Date(Date.parse(openedAt) + 900_000).toISOString(),
              resolvedBy: 'cloudwatch',
            }),
      );
    }
    for (let k = 0; k < items.length; k += 50) await Promise.all(items.slice(k, k + 50).map((i) => local.store.createIncident(i)));
  }, 120_000);
  afterAll(async () => {
    await local.close();
  });

  it('renders the dashboard from a bounded number of reads (queries only, no scan, no read per incident)', async () => {
    await call(rt, 'GET', '/', { headers: bearer }); // warm
    local.requests.reset();
    const r = await call(rt, 'GET', '/', { headers: bearer });
    expect(r.status).toBe(200);
    // One page of the 400 unresolved (the newest), counted in full: the cards add up to 400, with no "N+".
    expect(r.body.match(/<tr class="row-open"/g)).toHaveLength(ACTIVE_PAGE);
    const cards = [...r.body.matchAll(/class="card-num">(\d+)(\+?)</g)];
    expect(cards.reduce((n, m) => n + Number(m[1]), 0)).toBe(400);
    expect(cards.every((m) => m[2] === '')).toBe(true);
    // The status index (a page or two) and the by-day index once per UTC day of the week: about 10, not 1,000.
    expect([...local.requests.byCommand.keys()]).toEqual(['QueryCommand']);
    expect(local.requests.total).toBeLessThanOrEqual(14);
    // The "older" links reach every unresolved incident once, newest first.
    const seen: string[] = [];
    for (let path: string | null = '/', pages = 0; path; pages++) {
      expect(pages).toBeLessThan(10);
      const page = await call(rt, 'GET', path, { headers: bearer });
      seen.push(...[...page.body.matchAll(/<tr class="row-open" data-id="([^"]+)"/g)].map((m) => m[1]));
      path = /href="([^"]+)" id="older-link"/.exec(page.body)?.[1]?.replaceAll('&amp;', '&') ?? null;
    }
    expect(seen).toHaveLength(400);
    expect(new Set(seen).size).toBe(400);
    const digest = await call(rt, 'GET', '/api/digest', { headers: bearer });
    expect((digest.json() as { total: number }).total).toBe(1000);
    expect((digest.json() as { mtta: { all: { meanSeconds: number } } }).mtta.all.meanSeconds).toBe(120);
  });
});
