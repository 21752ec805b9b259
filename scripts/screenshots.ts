/**
 * Screenshots of the dashboard for the README: `npx tsx scripts/screenshots.ts [--out docs]`.
 *
 * Runs the local router in this process (`npm start -- --demo`, channels unset: the local outbox), adds a
 * day of resolved history straight into its store (so the charts have something to show), a few more alarms
 * and an acknowledgement, then saves docs/dashboard.png and docs/incident.png from headless Chromium
 * (CHROMIUM_PATH, /usr/bin/chromium or @sparticuz/chromium: test/helpers/browser.ts).
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { incidentId, type Incident, type Severity } from '@alert-router/core';

const ROOT = resolve(new URL('..', import.meta.url).pathname);

/** A deterministic day of resolved incidents: which alarm, when, how long to ack and to resolve. */
function history(now: number, make: (o: Partial<Incident>) => Incident): Incident[] {
  const alarms: [string, Severity][] = [
    ['HighErrorRate', 'P0'],
    ['HighResponseTime', 'P1'],
    ['HighCPUUtilization', 'P1'],
    ['DatabaseHighCPU', 'P2'],
    ['RedisHighMemory', 'P2'],
    ['DiskSpaceTrend', 'P3'],
  ];
  let seed = 7;
  const rnd = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
  const out: Incident[] = [];
  for (let n = 0; n < 34; n++) {
    const [name, severity] = alarms[Math.floor(rnd() * alarms.length)];
    const opened = now - (1 + rnd() * 22.5) * 3_600_000;
    const ack = opened + (severity === 'P0' ? 60 + rnd() * 400 : 120 + rnd() * 1500) * 1000;
    const res = ack + (600 + rnd() * 3600) * 1000;
    const iso = (t: number) => new Date(t).toISOString();
    const key = `arn:aws:cloudwatch:us-east-1:123456789012:alarm:${name}`;
    out.push(
      make({
        id: incidentId(key, iso(opened)),
        alarmName: name,
        incidentKey: key,
        severity,
        status: 'resolved',
        openedAt: iso(opened),
        acknowledgedAt: iso(ack),
        acknowledgedBy: 'slack:U024BE7LH (alice)',
        resolvedAt: iso(res),
        resolvedBy: 'cloudwatch',
        updatedAt: iso(res),
        duplicates: Math.floor(rnd() * 3),
        timeline: [
          { at: iso(opened), type: 'opened', by: 'cloudwatch' },
          { at: iso(ack), type: 'acknowledged', by: 'slack:U024BE7LH (alice)' },
          { at: iso(res), type: 'resolved', by: 'cloudwatch' },
        ],
      }),
    );
  }
  return out;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { out: { type: 'string', default: 'docs' } } });
  const outDir = resolve(ROOT, values.out!);
  mkdirSync(outDir, { recursive: true });
  Object.assign(process.env, { SLACK_WEBHOOK_URL: '', PAGERDUTY_ROUTING_KEY: '', SMTP_URL: '', DASHBOARD_TOKEN: '' });
  const { applyLocalEnvDefaults } = await import('../packages/local/src/local-env');
  applyLocalEnvDefaults();
  const print = process.stdout.write.bind(process.stdout);
  process.stdout.write = (() => true) as typeof process.stdout.write; // the outbox lines
  const { startRouter } = await import('../packages/local/src/router');
  const { RUNBOOK_ALARMS, snsNotification } = await import('../packages/local/src/demo');
  const { runtime } = await import('@alert-router/aws');
  const { makeIncident } = await import('../test/helpers/incident-factory');
  const { launchChromium } = await import('../test/helpers/browser');

  const router = await startRouter({ port: 0, demo: true, schedules: false, log: () => undefined });
  try {
    const url = router.url;
    const { store } = await runtime(); // the router's own store, whichever it is
    for (const i of history(Date.now(), (o) => makeIncident(o))) await store.createIncident(i);

    const sns = async (body: unknown) => {
      const r = await fetch(`${url}/sns`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'text/plain; charset=UTF-8' } });
      if (!r.ok) throw new Error(`POST /sns: ${r.status} ${await r.text()}`);
    };
    const now = Date.now();
    await sns(
      snsNotification(
        {
          name: 'DiskSpaceTrend',
          topic: 'Low',
          namespace: 'CWAgent',
          metric: 'disk_used_percent',
          dimensions: { InstanceId: 'i-0abc123def4567890', path: '/' },
          threshold: 70,
          statistic: 'AVERAGE',
          description: 'Disk usage trending up',
        },
        'ALARM',
        new Date(now - 300_000),
      ),
    );
    await sns(
      snsNotification(
        {
          name: 'RedisHighMemory',
          topic: 'Medium',
          namespace: 'AWS/ElastiCache',
          metric: 'DatabaseMemoryUsagePercentage',
          dimensions: { CacheClusterId: 'qenergyz-production-redis' },
          threshold: 85,
          statistic: 'AVERAGE',
          description: 'Redis memory above 85%',
        },
        'ALARM',
        new Date(now - 240_000),
      ),
    );
    await sns(snsNotification(RUNBOOK_ALARMS[0], 'ALARM', new Date(now - 60_000))); // a repeat of HighErrorRate
    const list = (await (await fetch(`${url}/api/incidents`)).json()) as { incidents: { id: string; alarmName: string; status: string }[] };
    const open = (name: string) => list.incidents.find((i) => i.alarmName === name && i.status !== 'resolved')!.id;
    await fetch(`${url}/api/incidents/${open('HighCPUUtilization')}/ack`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ by: 'alice' }),
    });
    await fetch(`${url}/api/silences`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ match: '*-staging', duration: '4h', reason: 'load test on staging', by: 'bob' }),
    });

    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
      // Off-screen sections are laid out lazily (content-visibility): make the viewport as tall as the page.
      const shoot = async (path: string, file: string) => {
        await page.setViewportSize({ width: 1280, height: 900 });
        await page.goto(`${url}${path}`);
        const height = await page.evaluate(() => document.documentElement.scrollHeight);
        await page.setViewportSize({ width: 1280, height: Math.min(height, 8000) });
        await page.waitForTimeout(200);
        await page.screenshot({ path: resolve(outDir, file) });
      };
      await shoot('/', 'dashboard.png');
      await shoot(`/incidents/${open('HighErrorRate')}`, 'incident.png');
    } finally {
      await browser.close();
    }
    print(`wrote ${resolve(outDir, 'dashboard.png')} and ${resolve(outDir, 'incident.png')}\n`);
  } finally {
    await router.close();
  }
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    process.stderr.write(`screenshots: ${err.stack ?? err.message}\n`);
    process.exit(1);
  },
);
