/**
 * Screenshots of the dashboard for the README: `npx tsx scripts/screenshots.ts [--out docs]`.
 *
 * Starts `npm start -- --demo` (port 0, channels unset: the local outbox), adds a few more alarms (a P3, a
 * repeat, an acknowledgement) so every part of the page has something to show, and saves
 * docs/dashboard.png and docs/incident.png from headless Chromium (/usr/bin/chromium or CHROMIUM_PATH).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { RUNBOOK_ALARMS, snsNotification, type DemoAlarm } from '../packages/local/src/demo';

const ROOT = resolve(new URL('..', import.meta.url).pathname);
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

async function startRouter(): Promise<{ url: string; proc: ChildProcess }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'packages/local/src/start.ts', '--port', '0', '--demo'], {
    cwd: ROOT,
    env: { ...process.env, SLACK_WEBHOOK_URL: '', PAGERDUTY_ROUTING_KEY: '', SMTP_URL: '', DASHBOARD_TOKEN: '', PORT: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (c) => (out += c));
  proc.stderr!.on('data', (c) => (out += c));
  const started = Date.now();
  while (Date.now() - started < 20_000) {
    const m = /listening on (http:\/\/[\d.]+:\d+)/.exec(out);
    if (m && out.includes('HighResponseTime OK')) return { url: m[1], proc };
    if (proc.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  proc.kill();
  throw new Error(`router did not start:\n${out}`);
}

async function sns(url: string, body: unknown): Promise<void> {
  const r = await fetch(`${url}/sns`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'text/plain; charset=UTF-8' } });
  if (!r.ok) throw new Error(`POST /sns: ${r.status} ${await r.text()}`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { out: { type: 'string', default: 'docs' } } });
  const outDir = resolve(ROOT, values.out!);
  mkdirSync(outDir, { recursive: true });
  const { url, proc } = await startRouter();
  try {
    const now = Date.now();
    const extra: DemoAlarm[] = [
      { name: 'DiskSpaceTrend', topic: 'Low', namespace: 'CWAgent', metric: 'disk_used_percent', dimensions: { InstanceId: 'i-0abc123def4567890', path: '/' }, threshold: 70, statistic: 'AVERAGE', description: 'Disk usage trending up' },
      { name: 'RedisHighMemory', topic: 'Medium', namespace: 'AWS/ElastiCache', metric: 'DatabaseMemoryUsagePercentage', dimensions: { CacheClusterId: 'qenergyz-production-redis' }, threshold: 85, statistic: 'AVERAGE', description: 'Redis memory above 85%' },
    ];
    for (const a of extra) await sns(url, snsNotification(a, 'ALARM', new Date(now - 5 * 60_000)));
    await sns(url, snsNotification(RUNBOOK_ALARMS[0], 'ALARM', new Date(now - 60_000))); // a repeat of HighErrorRate
    const list = (await (await fetch(`${url}/api/incidents`)).json()) as { incidents: { id: string; alarmName: string }[] };
    const byName = Object.fromEntries(list.incidents.map((i) => [i.alarmName, i.id]));
    await fetch(`${url}/api/incidents/${byName.HighCPUUtilization}/ack`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ by: 'alice' }) });

    const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
      await page.goto(`${url}/`);
      await page.screenshot({ path: resolve(outDir, 'dashboard.png'), fullPage: true });
      await page.goto(`${url}/incidents/${byName.HighErrorRate}`);
      await page.screenshot({ path: resolve(outDir, 'incident.png'), fullPage: true });
    } finally {
      await browser.close();
    }
    process.stdout.write(`wrote ${resolve(outDir, 'dashboard.png')} and ${resolve(outDir, 'incident.png')}\n`);
  } finally {
    proc.kill('SIGTERM');
  }
}

main().catch((err: Error) => {
  process.stderr.write(`screenshots: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
