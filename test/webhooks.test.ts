import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleWebhook, setRuntime, type HttpEvent } from '@alert-router/aws';
import { LOCAL_HANDLERS } from '../packages/local/src/handlers';
import { startLocalServer } from '../packages/local/src/server';
import { startRouterProcess } from './helpers/npm-start';
import { routerWithPeers } from './helpers/router-runtime';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const fixtureText = (path: string): string => readFileSync(`${ROOT}test/fixtures/webhooks/${path}`, 'utf8');
const fixture = <T = Record<string, unknown>>(path: string): T => JSON.parse(fixtureText(path)) as T;

/** The parts of the sample bodies the tests change. */
interface AzureBody {
  data: { essentials: { alertId: string; monitorCondition: string; resolvedDateTime?: string } };
}
interface AlertmanagerBody {
  status: string;
  alerts: { status: string; endsAt: string }[];
}

const SENTRY_SECRET = 'sentry-client-secret-for-tests-0123456789';
const TOKEN = 'webhook-token-for-tests-0123456789';
const sign = (body: string, secret = SENTRY_SECRET) => createHmac('sha256', secret).update(body).digest('hex');
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

interface Reply {
  status: number;
  json: { alerts: { kind: string; incidentId: string | null; severity: string; incidentKey: string }[]; path?: string; error?: string };
}

interface ApiIncident {
  id: string;
  incidentKey: string;
  alarmName: string;
  severity: string;
  status: string;
  channels: string[];
  timeline: { type: string; by?: string }[];
  deliveries: Record<string, { status: string }>;
}

describe('npm start: POST /webhooks/{source}', () => {
  let app: Awaited<ReturnType<typeof startRouterProcess>>;
  const post = async (path: string, body: string, headers: Record<string, string> = {}): Promise<Reply> => {
    const r = await fetch(`${app.url}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
    return { status: r.status, json: (await r.json().catch(() => null)) as Reply['json'] };
  };
  const incidents = async (): Promise<ApiIncident[]> =>
    ((await (await fetch(`${app.url}/api/incidents?hours=2160`)).json()) as { incidents: ApiIncident[] }).incidents;
  const byKey = async (key: string) => (await incidents()).filter((i) => i.incidentKey === key);

  beforeAll(async () => {
    // npm start with the webhook secrets set, as a user runs it; then HTTP only
    app = await startRouterProcess([], { DASHBOARD_TOKEN: '', SENTRY_CLIENT_SECRET: SENTRY_SECRET, WEBHOOK_TOKEN: TOKEN });
  }, 20_000);
  afterAll(async () => {
    await app?.stop();
  });

  /** Opens with `fire`, redelivers it (nothing changes), resolves with `resolve`; checks the incident each time. */
  async function lifecycle(o: {
    path: string;
    fire: string;
    resolve: string;
    headers: (body: string) => Record<string, string>;
    key: string;
    severity: string;
    name: string;
  }) {
    const opened = await post(o.path, o.fire, o.headers(o.fire));
    expect(opened.status, JSON.stringify(opened.json)).toBe(200);
    expect(opened.json.alerts[0]).toMatchObject({ kind: 'opened', severity: o.severity, incidentKey: o.key });
    // The sends finish after the answer: wait until their outcomes are recorded, so that the redelivery below is the
    // only thing that could change the incident.
    const pending = async () => Object.values((await byKey(o.key))[0]?.deliveries ?? {}).filter((d) => d.status === 'pending').length;
    await expect.poll(pending, { timeout: 10_000 }).toBe(0);
    let list = await byKey(o.key);
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ status: 'open', severity: o.severity, alarmName: o.name });
    expect(list[0].timeline[0]).toMatchObject({ type: 'opened', by: o.key.split(':')[0] });

    const again = await post(o.path, o.fire, o.headers(o.fire));
    expect(again.status).toBe(200);
    expect(again.json.alerts[0].kind).toBe('redelivery');
    const after = await byKey(o.key);
    expect(after).toHaveLength(1);
    expect(after[0].timeline).toEqual(list[0].timeline);

    const resolved = await post(o.path, o.resolve, o.headers(o.resolve));
    expect(resolved.status, JSON.stringify(resolved.json)).toBe(200);
    expect(resolved.json.alerts[0]).toMatchObject({ kind: 'resolved', incidentId: list[0].id });
    list = await byKey(o.key);
    expect(list).toHaveLength(1);
    expect(list[0].status).toBe('resolved');
  }

  it('Sentry metric alert (signed): critical opens a P0, a redelivery changes nothing, resolved resolves it', async () => {
    await lifecycle({
      path: '/webhooks/sentry',
      fire: fixtureText('sentry-metric-alert-critical.derived.json'),
      resolve: fixtureText('sentry-metric-alert-resolved.json'),
      headers: (b) => ({ 'sentry-hook-resource': 'metric_alert', 'sentry-hook-signature': sign(b) }),
      key: 'sentry:metric-alert:2931',
      severity: 'P0',
      name: 'Checkout 5xx rate above 2%',
    });
  });

  it('Sentry issue alert (signed) opens a P1; the issue resolved webhook resolves it', async () => {
    const resolve = JSON.stringify({
      action: 'resolved',
      data: { issue: { id: '4810573921', title: "TypeError: Cannot read properties of undefined (reading 'total')" } },
    });
    await lifecycle({
      path: '/webhooks/sentry',
      fire: fixtureText('sentry-issue-alert.json'),
      resolve,
      headers: (b) => ({ 'sentry-hook-resource': b === resolve ? 'issue' : 'event_alert', 'sentry-hook-signature': sign(b) }),
      key: 'sentry:issue:4810573921',
      severity: 'P1',
      name: "TypeError: Cannot read properties of undefined (reading 'total')",
    });
  });

  it('Google Cloud Monitoring (token in the URL for open, basic auth for closed)', async () => {
    const open = fixtureText('gcp-open.json');
    await lifecycle({
      path: `/webhooks/gcp?token=${TOKEN}`,
      fire: open,
      resolve: fixtureText('gcp-closed.json'),
      headers: (b): Record<string, string> => (b === open ? {} : { authorization: basic('monitoring', TOKEN) }),
      key: 'gcp:0.n4k8q2w7x1zb',
      severity: 'P2',
      name: 'checkout - uptime: Uptime check on checkout.example.com',
    });
  });

  it('Azure Monitor common alert schema (bearer): Fired Sev4 opens a P3, Resolved resolves it', async () => {
    const fired = fixture<AzureBody>('azure-fired.json');
    // The same alert instance resolving: Azure sends the same essentials with monitorCondition Resolved.
    const resolved = structuredClone(fired);
    resolved.data.essentials.monitorCondition = 'Resolved';
    resolved.data.essentials.resolvedDateTime = '2026-11-24T11:17:52.0941776Z';
    await lifecycle({
      path: '/webhooks/azure',
      fire: JSON.stringify(fired),
      resolve: JSON.stringify(resolved),
      headers: () => ({ authorization: `Bearer ${TOKEN}` }),
      key: `azure:${fired.data.essentials.alertId}`,
      severity: 'P3',
      name: 'ledger-vm-heartbeat-missing',
    });
  });

  it('Alertmanager (bearer): firing opens a P1 keyed by fingerprint, resolved resolves it', async () => {
    const firing = fixture<AlertmanagerBody>('alertmanager-firing.json');
    const resolved = structuredClone(firing);
    resolved.status = 'resolved';
    resolved.alerts[0].status = 'resolved';
    resolved.alerts[0].endsAt = '2026-11-24T13:21:42.847Z';
    await lifecycle({
      path: '/webhooks/alertmanager',
      fire: JSON.stringify(firing),
      resolve: JSON.stringify(resolved),
      headers: () => ({ authorization: `Bearer ${TOKEN}` }),
      key: 'alertmanager:3a7f1c9e5b2d8046',
      severity: 'P1',
      name: 'CheckoutLatencyHigh: p99 latency above 800ms',
    });
  });

  it('generic JSON (bearer): trigger opens a P1, action resolve resolves it', async () => {
    const trigger = { ...fixture('generic-trigger.constructed.json'), timestamp: '2026-11-30T10:00:00Z' };
    await lifecycle({
      path: '/webhooks/generic',
      fire: JSON.stringify(trigger),
      resolve: JSON.stringify({ ...fixture('generic-resolve.constructed.json'), timestamp: '2026-11-30T10:05:00Z' }),
      headers: () => ({ authorization: `Bearer ${TOKEN}` }),
      key: 'generic:export-job/nightly',
      severity: 'P1',
      name: 'Nightly export failed',
    });
  });

  it('a wrong or missing signature or token gets 401 and changes nothing', async () => {
    const before = (await incidents()).length;
    const sentry = fixtureText('sentry-issue-alert.json');
    const wrongSecret = sign(sentry, 'not-the-client-secret');
    const tampered = sentry.replace('Checkout errors page the on-call', 'Another rule');
    const refused = await Promise.all([
      post('/webhooks/sentry', sentry, { 'sentry-hook-resource': 'event_alert' }),
      post('/webhooks/sentry', sentry, { 'sentry-hook-resource': 'event_alert', 'sentry-hook-signature': wrongSecret }),
      post('/webhooks/sentry', tampered, { 'sentry-hook-resource': 'event_alert', 'sentry-hook-signature': sign(sentry) }),
      post('/webhooks/gcp', fixtureText('gcp-open.json')),
      post('/webhooks/gcp?token=wrong', fixtureText('gcp-open.json')),
      post('/webhooks/azure', fixtureText('azure-fired.json'), { authorization: `Bearer ${TOKEN}x` }),
      post('/webhooks/alertmanager', fixtureText('alertmanager-firing.json'), { authorization: basic('am', 'nope') }),
      post('/webhooks/generic', fixtureText('generic-trigger.constructed.json'), { authorization: TOKEN }),
      // the Sentry signature does not open the token sources, nor the token Sentry
      post('/webhooks/sentry', sentry, { 'sentry-hook-resource': 'event_alert', authorization: `Bearer ${TOKEN}` }),
    ]);
    expect(refused.map((r) => r.status)).toEqual(refused.map(() => 401));
    expect((await incidents()).length).toBe(before);
  });

  it('a malformed body gets 400 with the path of what is wrong, and is kept as a dead letter', async () => {
    const before = (await incidents()).length;
    const bad = fixture<AzureBody>('azure-fired.json');
    bad.data.essentials.monitorCondition = 'Sleeping';
    const r = await post('/webhooks/azure', JSON.stringify(bad), { authorization: `Bearer ${TOKEN}` });
    expect(r.status).toBe(400);
    expect(r.json.path).toBe('data.essentials.monitorCondition');
    expect(r.json.error).toMatch(/^data\.essentials\.monitorCondition: .*Fired.*Resolved/);

    const notJson = await post('/webhooks/generic', '{"title": ', { authorization: `Bearer ${TOKEN}` });
    expect(notJson.status).toBe(400);
    expect(notJson.json.error).toMatch(/^not JSON/);

    expect((await incidents()).length).toBe(before);
  });

  it('an unknown source is 404', async () => {
    expect((await post('/webhooks/nagios', '{}', { authorization: `Bearer ${TOKEN}` })).status).toBe(404);
  });
});

describe('webhook handler in process: dead letters in the store, PagerDuty hears the resolution', () => {
  let env: Awaited<ReturnType<typeof routerWithPeers>>;
  beforeAll(async () => {
    env = await routerWithPeers();
  });
  afterAll(async () => {
    await env?.close();
  });
  const secrets = { sentryClientSecret: SENTRY_SECRET, webhookToken: TOKEN };
  const event = (path: string, body: string, headers: Record<string, string>): HttpEvent =>
    ({ rawPath: path, headers, body, isBase64Encoded: false, requestContext: { http: { method: 'POST' } } }) as unknown as HttpEvent;

  it('a Sentry metric alert that resolves resolves its incident, on PagerDuty too', async () => {
    const fire = fixtureText('sentry-metric-alert-critical.derived.json');
    const r1 = await handleWebhook(event('/webhooks/sentry', fire, { 'sentry-hook-signature': sign(fire), 'sentry-hook-resource': 'metric_alert' }), env.rt, {
      secrets,
    });
    expect(r1.statusCode).toBe(200);
    const id = JSON.parse(r1.body!).alerts[0].incidentId as string;
    const resolve = fixtureText('sentry-metric-alert-resolved.json');
    const r2 = await handleWebhook(event('/webhooks/sentry', resolve, { 'sentry-hook-signature': sign(resolve) }), env.rt, { secrets });
    expect(JSON.parse(r2.body!).alerts[0]).toMatchObject({ kind: 'resolved', incidentId: id });
    expect((await env.rt.store.getIncident(id))?.status).toBe('resolved');
    await expect
      .poll(() => env.pagerduty.received.map((x) => (x.body as { event_action: string }).event_action), { timeout: 10_000 })
      .toEqual(['trigger', 'resolve']);
  });

  it('the local server keeps a malformed body whole as a dead letter with the reason (400 with the path)', async () => {
    const body = JSON.stringify({ receiver: 'x', alerts: [{ status: 'pending', labels: { alertname: 'A' } }] });
    process.env.WEBHOOK_TOKEN = TOKEN;
    setRuntime(env.rt);
    const server = await startLocalServer({ handlers: LOCAL_HANDLERS, port: 0, log: () => {} });
    try {
      const r = await fetch(`${server.url}/webhooks/alertmanager`, { method: 'POST', body, headers: { authorization: `Bearer ${TOKEN}` } });
      expect(r.status).toBe(400);
      expect(((await r.json()) as { path: string }).path).toBe('alerts[0].status');
    } finally {
      await server.close();
      setRuntime(undefined);
      delete process.env.WEBHOOK_TOKEN;
    }
    const day = env.rt.now().toISOString().slice(0, 10);
    const kept = await env.rt.store.listDeadLetters(day);
    expect(kept).toContainEqual(
      expect.objectContaining({ source: 'webhook:alertmanager', raw: body, reason: expect.stringMatching(/^alerts\[0\]\.status: /) }),
    );
  });

  it('with no secrets configured every webhook is refused', async () => {
    const body = fixtureText('generic-trigger.constructed.json');
    const none = { sentryClientSecret: null, webhookToken: null };
    expect((await handleWebhook(event('/webhooks/generic', body, { authorization: 'Bearer ' }), env.rt, { secrets: none })).statusCode).toBe(401);
    expect((await handleWebhook(event('/webhooks/sentry', body, { 'sentry-hook-signature': sign(body) }), env.rt, { secrets: none })).statusCode).toBe(401);
  });
});
