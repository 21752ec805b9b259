import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUNBOOK_ALARMS, snsNotification } from '../packages/local/src/demo';
import { startRouterProcess, type StartedRouter } from './helpers/npm-start';

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const r = await fetch(url, {
    method: 'POST',
    body: typeof body === 'string' ? body : JSON.stringify(body),
    headers: { 'content-type': 'text/plain; charset=UTF-8', ...headers },
  });
  return { status: r.status, json: (await r.json().catch(() => null)) as Record<string, unknown> | null };
}

interface ApiIncident {
  id: string;
  alarmName: string;
  severity: string;
  status: string;
  incidentKey: string;
  openedAt: string;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  resolvedAt: string | null;
  channels: string[];
  timeline: { type: string }[];
}

async function incidents(url: string, query = ''): Promise<ApiIncident[]> {
  const r = await fetch(`${url}/api/incidents${query}`);
  expect(r.status).toBe(200);
  return ((await r.json()) as { incidents: ApiIncident[] }).incidents;
}

describe('npm start: the embedded default over HTTP', () => {
  let app: StartedRouter;
  beforeAll(async () => {
    app = await startRouterProcess();
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('answers /health with store and channel status', async () => {
    const r = await fetch(`${app.url}/health`);
    expect(r.status).toBe(200);
    const body = (await r.json()) as { status: string; store: string; channels: Record<string, string> };
    expect(body).toMatchObject({ status: 'ok', store: 'ok', channels: { pagerduty: 'outbox', slack: 'outbox', email: 'outbox' } });
  });

  it('routes the runbook alarms with the right severity; a redelivery changes nothing; an OK resolves', async () => {
    const t = Date.now() - 600_000;
    const deliveries = RUNBOOK_ALARMS.map((a, i) => snsNotification(a, 'ALARM', new Date(t + i * 1000)));
    for (const d of deliveries) expect((await post(`${app.url}/sns`, d, { 'x-amz-sns-message-type': 'Notification' })).status).toBe(200);

    const list = await incidents(app.url);
    const byName = Object.fromEntries(list.map((i) => [i.alarmName, i]));
    expect(byName.HighErrorRate).toMatchObject({ severity: 'P0', status: 'open', channels: ['pagerduty', 'slack', 'dashboard'] });
    expect(byName.HighResponseTime).toMatchObject({ severity: 'P1', status: 'open', channels: ['slack', 'email', 'dashboard'] });
    expect(byName.HighCPUUtilization).toMatchObject({ severity: 'P1', status: 'open' });
    expect(byName.DatabaseHighCPU).toMatchObject({ severity: 'P2', status: 'open', channels: ['email', 'dashboard'] });
    for (const i of list) {
      for (const key of [
        'id',
        'incidentKey',
        'alarmName',
        'severity',
        'status',
        'openedAt',
        'acknowledgedAt',
        'acknowledgedBy',
        'resolvedAt',
        'channels',
        'timeline',
      ])
        expect(i).toHaveProperty(key);
    }

    const again = await post(`${app.url}/sns`, deliveries[0]);
    expect(again.status).toBe(200);
    const after = await incidents(app.url);
    expect(after).toHaveLength(list.length);
    expect(after.find((i) => i.alarmName === 'HighErrorRate')).toEqual(byName.HighErrorRate);

    const ok = await post(`${app.url}/sns`, snsNotification(RUNBOOK_ALARMS[1], 'OK', new Date(t + 300_000)));
    expect(ok.status).toBe(200);
    const resolved = await incidents(app.url, '?status=resolved');
    expect(resolved.map((i) => i.alarmName)).toEqual(['HighResponseTime']);
    expect(resolved[0].resolvedAt).not.toBeNull();
    expect((await incidents(app.url, '?status=open')).map((i) => i.alarmName).sort()).toEqual(['DatabaseHighCPU', 'HighCPUUtilization', 'HighErrorRate']);
  });

  it('refuses bad requests with a one-line reason and stays up', async () => {
    const notJson = await post(`${app.url}/sns`, '{"Type": "Notification", ');
    expect(notJson.status).toBe(400);
    expect(notJson.json?.error).toMatch(/not JSON/);
    const wrongType = await post(`${app.url}/sns`, { Type: 'Bogus', Message: '{}' });
    expect(wrongType.status).toBe(400);
    expect(wrongType.json?.error).toMatch(/^Type: /);
    const huge = await post(`${app.url}/sns`, { Type: 'Notification', Message: 'x'.repeat(1024 * 1024) });
    expect(huge.status).toBe(413);
    const get = await fetch(`${app.url}/sns`);
    expect(get.status).toBe(405);
    const badFilter = await fetch(`${app.url}/api/incidents?status=nope`);
    expect(badFilter.status).toBe(400);
    expect((await fetch(`${app.url}/health`)).status).toBe(200);
  });

  it('answers an SNS SubscriptionConfirmation and logs the SubscribeURL', async () => {
    const r = await post(
      `${app.url}/sns`,
      {
        Type: 'SubscriptionConfirmation',
        MessageId: 'c1',
        TopicArn: 'arn:aws:sns:us-east-1:123456789012:CriticalAlertsTopic',
        Message: 'You have chosen to subscribe',
        SubscribeURL: 'https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&Token=abc',
      },
      { 'x-amz-sns-message-type': 'SubscriptionConfirmation' },
    );
    expect(r.status).toBe(200);
    await app.waitForOutput('Action=ConfirmSubscription&Token=abc');
    expect(await incidents(app.url)).not.toContainEqual(expect.objectContaining({ alarmName: 'You have chosen to subscribe' }));
  });
});

describe('npm start -- --demo', () => {
  it('replays the runbook alarms so the dashboard is not empty', async () => {
    const app = await startRouterProcess(['--demo']);
    try {
      await app.waitForOutput('HighResponseTime OK');
      const list = await incidents(app.url);
      expect(list.map((i) => `${i.alarmName}:${i.severity}:${i.status}`).sort()).toEqual([
        'DatabaseHighCPU:P2:open',
        'HighCPUUtilization:P1:open',
        'HighErrorRate:P0:open',
        'HighResponseTime:P1:resolved',
      ]);
      expect(app.output()).toMatch(/\[outbox\].*pagerduty.*HighErrorRate/);
    } finally {
      await app.stop();
    }
  });
});

describe('npm start -- --data DIR', () => {
  it('keeps incidents across a restart', async () => {
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'router-data-'));
    const first = await startRouterProcess(['--data', dir]);
    await post(`${first.url}/sns`, snsNotification(RUNBOOK_ALARMS[0], 'ALARM', new Date()));
    const before = await incidents(first.url);
    await first.stop();
    const second = await startRouterProcess(['--data', dir]);
    try {
      expect(await incidents(second.url)).toEqual(before);
    } finally {
      await second.stop();
    }
  });
});
