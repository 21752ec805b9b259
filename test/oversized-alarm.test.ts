/**
 * Issue 11: a 301 KB alarm (over SNS's 256 KB, under the local server's 512 KiB body limit) posted to
 * `npm start -- --data DIR` with loopback Slack and PagerDuty peers: the incident is visible, its pages are sent
 * and recorded (none stranded pending), and the whole message is kept as a raw record (docs/delivery.md).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Incident } from '@alert-router/core';
import { alarmMessage, snsNotification, type DemoAlarm } from '../packages/local/src/demo';
import { withDataDir } from './helpers/data-dir';
import { startRouterProcess } from './helpers/npm-start';
import { startPagerDutyPeer, startSlackPeer, type HttpPeer } from './helpers/peers';

const TARGET_BYTES = 301 * 1024;

const probe: DemoAlarm = {
  name: 'OversizedAlarmProbe',
  topic: 'Critical',
  namespace: 'Custom/Oversized',
  metric: 'Probe',
  dimensions: { Probe: 'big' },
  threshold: 1,
  statistic: 'SUM',
  description: 'oversized alarm probe',
};

describe('npm start: a 301 KB alarm', () => {
  let slack: HttpPeer;
  let pd: HttpPeer;
  let dir: string;
  beforeAll(async () => {
    [slack, pd] = await Promise.all([startSlackPeer(), startPagerDutyPeer()]);
    dir = mkdtempSync(join(tmpdir(), 'alert-router-oversized-'));
  });
  afterAll(async () => {
    await Promise.all([slack?.close(), pd?.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('opens a visible incident, strands no page and keeps the raw message', async () => {
    const at = new Date();
    const base = JSON.stringify(alarmMessage(probe, 'ALARM', at)).length;
    const sns = snsNotification(probe, 'ALARM', at);
    const message = { ...alarmMessage(probe, 'ALARM', at), AlarmDescription: 'x'.repeat(TARGET_BYTES - base) };
    sns.Message = JSON.stringify(message);
    const body = JSON.stringify(sns);
    expect(Buffer.byteLength(body)).toBeGreaterThan(TARGET_BYTES);
    expect(Buffer.byteLength(body)).toBeLessThan(512 * 1024);

    const app = await startRouterProcess(['--data', dir], {
      SLACK_WEBHOOK_URL: slack.url,
      PAGERDUTY_ROUTING_KEY: 'oversized-probe-key',
      PAGERDUTY_EVENTS_URL: pd.url,
    });
    let incident: Incident;
    try {
      const r = await fetch(`${app.url}/sns`, { method: 'POST', body, headers: { 'content-type': 'text/plain; charset=UTF-8' } });
      expect(r.status).toBe(200);
      const out = (await r.json()) as { outcomes: { kind: string; incidentId: string }[] };
      expect(out.outcomes[0]).toMatchObject({ kind: 'opened' });

      // The answer comes once the incident and its pages are recorded; the pages go out right after it.
      const read = async () => {
        const got = await fetch(`${app.url}/api/incidents/${out.outcomes[0].incidentId}`);
        expect(got.status).toBe(200);
        return ((await got.json()) as { incident: Incident }).incident;
      };
      await expect.poll(async () => Object.values((await read()).deliveries).filter((d) => d.status === 'pending').length, { timeout: 20_000 }).toBe(0);
      incident = await read();
      expect(incident).toMatchObject({ alarmName: probe.name, severity: 'P0', status: 'open' });
      expect(Object.entries(incident.deliveries).map(([k, d]) => `${k}:${d.status}`)).toEqual(
        expect.arrayContaining(['trigger:pagerduty:delivered', 'trigger:slack:delivered']),
      );
      expect(Object.values(incident.deliveries).filter((d) => d.status === 'pending')).toEqual([]);
      expect(pd.received.map((m) => (m.body as { event_action: string }).event_action)).toEqual(['trigger']);
      expect(slack.received).toHaveLength(1);
      expect(JSON.stringify(incident).length).toBeLessThan(400 * 1024);
    } finally {
      await app.stop();
    }

    const kept = await withDataDir(dir, ({ incidents }) => incidents.listDeadLetters(at.toISOString().slice(0, 10)));
    const whole = kept.filter((d) => d.raw === sns.Message);
    expect(whole).toHaveLength(1);
    expect(whole[0].reason).toMatch(/an alarm message of \d+ characters; the incident keeps its fields trimmed/);
  });
});
