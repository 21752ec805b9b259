/**
 * The dashboard in headless Chromium against `npm start` (a child process, HTTP only), as an on-call engineer
 * uses it. Chromium: CHROMIUM_PATH, else /usr/bin/chromium, else @sparticuz/chromium (test/helpers/browser.ts),
 * driven by playwright-core.
 * If it cannot start these tests FAIL; set SKIP_BROWSER_TESTS=1 to skip them on purpose.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium as launch } from '../helpers/browser';
import { RUNBOOK_ALARMS, snsNotification, type DemoAlarm } from '../../packages/local/src/demo';
import { startRouterProcess, type StartedRouter } from '../helpers/npm-start';
import { withDataDir } from '../helpers/data-dir';
import { makeIncident } from '../helpers/incident-factory';
import { ACTIVE_PAGE, ACTIVE_SCAN } from '../../packages/aws/src/dashboard/data';

const SKIP = process.env.SKIP_BROWSER_TESTS === '1';
const TOKEN = 'e2e-dashboard-token-5f1c0a9b';
const HOSTILE_NAME = '<img src=x onerror=alert(1)><script>alert(2)</script>';

type Router = StartedRouter;

/** `npm start` on a free port; resolves once it listens (and, with --demo, once the demo replay is done). */
async function startRouter(args: string[], env: Record<string, string> = {}): Promise<Router> {
  const router = await startRouterProcess(args, { DASHBOARD_TOKEN: '', DASHBOARD_POLL_MS: '1000', ...env });
  if (args.includes('--demo')) await router.waitForOutput('HighResponseTime OK');
  return router;
}

async function sns(url: string, body: unknown): Promise<void> {
  const r = await fetch(`${url}/sns`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'text/plain; charset=UTF-8' } });
  if (r.status !== 200) throw new Error(`POST /sns → ${r.status}: ${await r.text()}`);
}

const hostileAlarm: DemoAlarm = {
  name: HOSTILE_NAME,
  topic: 'Medium',
  namespace: 'Custom/App',
  metric: 'Errors',
  dimensions: { Service: '"><svg onload=alert(3)>' },
  threshold: 1,
  statistic: 'SUM',
  description: '<iframe src="javascript:alert(4)"></iframe>',
};

async function incidents(url: string, headers: Record<string, string> = {}) {
  const r = await fetch(`${url}/api/incidents`, { headers });
  return ((await r.json()) as { incidents: { id: string; alarmName: string; status: string; severity: string; acknowledgedBy: string | null }[] }).incidents;
}

/** Relative luminance contrast of two CSS rgb() colours. */
function contrastScript() {
  return () => {
    const parse = (c: string) => (c.match(/[\d.]+/g) ?? []).map(Number);
    const lum = ([r, g, b]: number[]) => {
      const f = (v: number) => {
        const s = v / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      };
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const bg = (el: Element | null): number[] => {
      for (let e = el; e; e = e.parentElement) {
        const c = parse(getComputedStyle(e).backgroundColor);
        if (c.length >= 3 && (c.length < 4 || c[3] > 0)) return c.slice(0, 3);
      }
      return [255, 255, 255];
    };
    const out: { sel: string; text: string; ratio: number }[] = [];
    const sels = [
      'body',
      'h1',
      'h2',
      'a',
      'th',
      'td',
      '.sev-P0',
      '.sev-P1',
      '.sev-P2',
      '.sev-P3',
      '.state-open',
      '.state-acknowledged',
      '.state-resolved',
      '.muted',
      '.tag',
      'button',
      '.button.secondary',
      'label',
      '.count',
      '.card-sub',
      'figcaption',
      '.flash',
      '.top a',
    ];
    for (const sel of sels) {
      document.querySelectorAll(sel).forEach((el, n) => {
        if (n > 5 || !(el as HTMLElement).offsetParent) return;
        const fg = parse(getComputedStyle(el).color);
        const b = bg(el);
        const [l1, l2] = [lum(fg), lum(b)].sort((x, y) => y - x);
        out.push({ sel, text: (el.textContent ?? '').trim().slice(0, 30), ratio: (l1 + 0.05) / (l2 + 0.05) });
      });
    }
    return out;
  };
}

(SKIP ? describe.skip : describe)('dashboard in Chromium (npm start --demo, no token)', () => {
  let browser: Browser;
  let router: Router;
  let context: BrowserContext;
  let page: Page;
  const dialogs: string[] = [];
  const cspErrors: string[] = [];

  beforeAll(async () => {
    browser = await launch();
    router = await startRouter(['--demo']);
    await sns(router.url, snsNotification(hostileAlarm, 'ALARM', new Date()));
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) cspErrors.push(m.text());
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await router?.stop();
  });

  it('lists the open incidents grouped by severity, and the recently resolved one', async () => {
    const res = await page.goto(`${router.url}/`);
    expect(res?.status()).toBe(200);
    expect(res?.headers()['content-security-policy']).toContain("script-src 'self'");
    await page.locator('h1').waitFor({ timeout: 20_000 });
    expect(await page.locator('h1').textContent()).toBe('Incidents');
    expect(await page.locator('section.group h3').allTextContents()).toEqual([
      expect.stringMatching(/^P0 Critical 1 open, 0 acknowledged/),
      expect.stringMatching(/^P1 High 1 open, 0 acknowledged/),
      expect.stringMatching(/^P2 Medium 2 open, 0 acknowledged/),
    ]);
    expect(await page.locator('.group-P0 .alarm-name').allTextContents()).toEqual(['HighErrorRate']);
    expect(await page.locator('.group-P1 .alarm-name').allTextContents()).toEqual(['HighCPUUtilization']);
    expect(await page.locator('.group-P2 .alarm-name').allTextContents()).toEqual(['DatabaseHighCPU', HOSTILE_NAME]);
    expect(await page.locator('#resolved .alarm-name').allTextContents()).toEqual(['HighResponseTime']);
    expect(await page.locator('.group-P0 td time[data-rel="until"]').textContent()).toMatch(/^in \d+ min( \d+ s)?$/);
    expect(await page.locator('#outbox').textContent()).toContain('[P0] ALARM: HighErrorRate');
    expect(await page.locator('svg.chart').count()).toBe(2);
  });

  it('renders a hostile alarm name as text: no dialog, no injected element, the text visible', async () => {
    await page.goto(`${router.url}/`);
    const name = page.locator('.group-P2 .alarm-name', { hasText: '<img src=x' });
    await name.waitFor({ state: 'visible', timeout: 20_000 });
    expect(await name.textContent()).toBe(HOSTILE_NAME);
    const id = (await incidents(router.url)).find((i) => i.alarmName === HOSTILE_NAME)!.id;
    await page.goto(`${router.url}/incidents/${id}`);
    expect(await page.locator('h1 .alarm-name').textContent()).toBe(HOSTILE_NAME);
    expect(await page.getByText('<iframe src="javascript:alert(4)"></iframe>').isVisible()).toBe(true);
    // Two polls of this page answered (and so the first one applied): whatever they carried is in the DOM now.
    const poll = (r: { url(): string }) => r.url().includes(`/api/incidents/${id}`) && r.url().includes('etag=');
    await page.waitForResponse(poll);
    await page.waitForResponse(poll);
    expect(await page.locator('img[src="x"], iframe, svg[onload], main script').count()).toBe(0);
    expect(await page.locator('script').count()).toBe(1); // /assets/app.js only
    expect(dialogs).toEqual([]);
    expect(cspErrors).toEqual([]);
  });

  it('the detail page shows the timeline, deliveries, alarm facts and runbook steps', async () => {
    await page.goto(`${router.url}/`);
    await page.locator('.group-P0 a', { hasText: /^INC-/ }).first().click();
    await page.waitForURL(/\/incidents\/INC-/);
    expect(await page.locator('h1').textContent()).toContain('HighErrorRate');
    const timeline = await page.locator('table.timeline tbody tr').allTextContents();
    expect(timeline.join('\n')).toMatch(/opened[\s\S]*cloudwatch/);
    expect(timeline.join('\n')).toContain('trigger via pagerduty: delivered after 1 attempt');
    expect(timeline.join('\n')).toContain('trigger via slack: delivered after 1 attempt');
    const facts = await page.locator('#alarm-h + dl').textContent();
    expect(facts).toContain('Threshold Crossed: 2 out of the last 2 datapoints');
    expect(facts).toContain('AWS/ApplicationELB HTTPCode_Target_5XX_Count');
    expect(facts).toContain('LoadBalancer=app/qenergyz-production-alb/50dc6c495c0c9188');
    expect(await page.locator('ol.steps li').count()).toBe(3);
    expect(await page.locator('#runbook-h ~ h3').textContent()).toBe('High Error Rate');
  });

  it('Ack works: the incident is acknowledged and moves below the open ones', async () => {
    await page.goto(`${router.url}/`);
    const row = page.locator('.group-P2 tbody tr', { hasText: 'DatabaseHighCPU' });
    expect(await page.locator('.group-P2 tbody tr').first().textContent()).toContain('DatabaseHighCPU');
    await row.getByRole('button', { name: /^Acknowledge/ }).click();
    await page.waitForURL(/done=ack/);
    expect(await page.locator('.flash-ok').textContent()).toMatch(/^INC-[0-9A-Z]{8} acknowledged\.$/);
    const rows = page.locator('.group-P2 tbody tr');
    expect(await rows.nth(0).textContent()).toContain('<img src=x');
    expect(await rows.nth(1).textContent()).toContain('DatabaseHighCPU');
    expect(await rows.nth(1).locator('.state').textContent()).toBe('acknowledged');
    expect(await page.locator('.group-P2 h3').textContent()).toContain('1 open, 1 acknowledged');
    const db = (await incidents(router.url)).find((i) => i.alarmName === 'DatabaseHighCPU')!;
    expect(db).toMatchObject({ status: 'acknowledged', acknowledgedBy: 'dashboard:dashboard (dashboard)' });
  });

  it('updates itself without a reload when a new alarm arrives', async () => {
    await page.goto(`${router.url}/`);
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
    const live: DemoAlarm = { ...RUNBOOK_ALARMS[0], name: 'LiveUpdateAlarm', topic: 'Critical' };
    await sns(router.url, snsNotification(live, 'ALARM', new Date()));
    await page.locator('.group-P0 .alarm-name', { hasText: 'LiveUpdateAlarm' }).waitFor();
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42);
    expect(await page.locator('#live-status').textContent()).toMatch(/^Updated at /);
  });

  it('works with JavaScript disabled: reading, and Ack by form POST + redirect', async () => {
    const ctx = await browser.newContext({ javaScriptEnabled: false });
    try {
      const p = await ctx.newPage();
      await p.goto(`${router.url}/`);
      expect(await p.locator('.group-P1 .alarm-name').allTextContents()).toEqual(['HighCPUUtilization']);
      await p
        .locator('.group-P1 tbody tr')
        .getByRole('button', { name: /^Acknowledge/ })
        .click();
      await p.waitForURL(/done=ack/);
      expect(await p.locator('.group-P1 .state').textContent()).toBe('acknowledged');
      await p.locator('#f-severity').selectOption('P2');
      await p.getByRole('button', { name: 'Apply' }).click();
      await p.waitForURL(/severity=P2/);
      expect(await p.locator('section.group').count()).toBe(1);
    } finally {
      await ctx.close();
    }
  });

  it('is accessible: landmarks, one h1, labelled controls, visible keyboard focus, AA contrast', async () => {
    await page.goto(`${router.url}/`);
    expect(await page.locator('header[role="banner"]').count()).toBe(1);
    expect(await page.locator('main#main').count()).toBe(1);
    expect(await page.locator('nav[aria-label="Main"]').count()).toBe(1);
    expect(await page.locator('footer[role="contentinfo"]').count()).toBe(1);
    expect(await page.locator('h1').count()).toBe(1);
    const unlabelled = await page.evaluate(() =>
      Array.from(document.querySelectorAll('input:not([type=hidden]), select, textarea'))
        .filter((e) => (e as HTMLInputElement).labels?.length === 0 && !e.getAttribute('aria-label'))
        .map((e) => e.outerHTML),
    );
    expect(unlabelled).toEqual([]);
    const unnamedButtons = await page.evaluate(
      () => Array.from(document.querySelectorAll('button')).filter((b) => !(b.textContent ?? '').trim() && !b.getAttribute('aria-label')).length,
    );
    expect(unnamedButtons).toBe(0);

    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    for (let n = 0; n < 3; n++) await page.keyboard.press('Tab');
    const outline = await page.evaluate(() => {
      const s = getComputedStyle(document.activeElement!);
      return { style: s.outlineStyle, width: Number.parseFloat(s.outlineWidth) };
    });
    expect(outline.style).not.toBe('none');
    expect(outline.width).toBeGreaterThanOrEqual(2);

    const ratios = await page.evaluate(contrastScript());
    expect(ratios.length).toBeGreaterThan(20);
    expect(ratios.filter((r) => r.ratio < 4.5).map((r) => `${r.sel} "${r.text}" ${r.ratio.toFixed(2)}:1`)).toEqual([]);
  });
});

(SKIP ? describe.skip : describe)('dashboard in Chromium with DASHBOARD_TOKEN', () => {
  let browser: Browser;
  let router: Router;

  beforeAll(async () => {
    browser = await launch();
    router = await startRouter(['--demo'], { DASHBOARD_TOKEN: TOKEN });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await router?.stop();
  });

  it('refuses without the token (401 + login form, 401 JSON), signs in with it, sets a safe cookie', async () => {
    const ctx = await browser.newContext();
    try {
      const page = await ctx.newPage();
      const res = await page.goto(`${router.url}/`);
      expect(res?.status()).toBe(401);
      expect(await page.locator('#login-token').isVisible()).toBe(true);
      expect(await page.locator('.group').count()).toBe(0);
      const api = await page.request.get(`${router.url}/api/incidents`);
      expect(api.status()).toBe(401);
      expect((await page.request.get(`${router.url}/health`)).status()).toBe(200);

      await page.locator('#login-token').fill('wrong');
      await page.getByRole('button', { name: 'Sign in' }).click();
      expect(await page.locator('.flash-error').textContent()).toBe('That token is not right.');

      await page.locator('#login-token').fill(TOKEN);
      await page.locator('#login-name').fill('carol');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(`${router.url}/`);
      expect(await page.locator('.group-P0 .alarm-name').allTextContents()).toEqual(['HighErrorRate']);
      const cookies = await ctx.cookies();
      expect(cookies).toHaveLength(1);
      expect(cookies[0]).toMatchObject({ name: 'ar_session', httpOnly: true, secure: true, sameSite: 'Strict', path: '/' });
      expect(cookies[0].value).not.toContain(TOKEN);
      expect(await page.evaluate(() => document.cookie)).toBe('');

      await page
        .locator('.group-P0 tbody tr')
        .getByRole('button', { name: /^Acknowledge/ })
        .click();
      await page.waitForURL(/done=ack/);
      const list = await incidents(router.url, { authorization: `Bearer ${TOKEN}` });
      expect(list.find((i) => i.alarmName === 'HighErrorRate')).toMatchObject({ status: 'acknowledged', acknowledgedBy: 'dashboard:dashboard (carol)' });

      await page.getByRole('button', { name: /^Sign out/ }).click();
      await page.waitForURL(/\/login$/);
      expect((await page.goto(`${router.url}/`))?.status()).toBe(401);
    } finally {
      await ctx.close();
    }
  });
});

(SKIP ? describe.skip : describe)('dashboard in Chromium with 1,000 incidents', () => {
  let browser: Browser;
  let router: Router;

  beforeAll(async () => {
    browser = await launch();
    router = await startRouter([]);
    const topics: DemoAlarm['topic'][] = ['Critical', 'High', 'Medium', 'Low'];
    const alarms = Array.from({ length: 1000 }, (_, n): DemoAlarm => ({
      ...RUNBOOK_ALARMS[n % 4],
      name: `LoadTest-${String(n).padStart(4, '0')}-${RUNBOOK_ALARMS[n % 4].name}`,
      topic: topics[n % 4],
    }));
    const at = new Date();
    for (let k = 0; k < alarms.length; k += 25) await Promise.all(alarms.slice(k, k + 25).map((a) => sns(router.url, snsNotification(a, 'ALARM', at))));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await router?.stop();
  });

  it('shows the newest page of the 1,000 from one document, counts of the newest read (N+), and an older link that pages on: no request per incident', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const requested: string[] = [];
    page.on('request', (r) => requested.push(new URL(r.url()).pathname));
    const res = await page.goto(`${router.url}/`, { waitUntil: 'load' });
    expect(res?.status()).toBe(200);
    expect(await page.locator('tbody tr.row-open').count()).toBe(ACTIVE_PAGE);
    // The cards count the newest ACTIVE_SCAN read, and say there are more.
    const counts = await page.locator('.card-num').allTextContents();
    expect(counts.every((c) => /^\d+\+$/.test(c))).toBe(true);
    expect(counts.reduce((a, c) => a + Number(c.slice(0, -1)), 0)).toBe(ACTIVE_SCAN);
    expect(requested.filter((p) => p !== '/favicon.ico').sort()).toEqual(['/', '/assets/app.css', '/assets/app.js']);
    expect((await res!.body()).length).toBeLessThan(512 * 1024);
    const first = await page.locator('tbody tr.row-open').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-id')));
    // Awaited as an event (the older page loaded), not polled for a second: on a busy machine it takes longer.
    await page.locator('#older-link').click();
    await page.locator('#newest-link').waitFor({ state: 'visible', timeout: 20_000 });
    const second = await page.locator('tbody tr.row-open').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-id')));
    expect(second).toHaveLength(ACTIVE_PAGE);
    expect(second.filter((id) => first.includes(id))).toEqual([]);
  });
});

(SKIP ? describe.skip : describe)('a group of alarms in Chromium (npm start --data, no token)', () => {
  let browser: Browser;
  let router: Router;
  let dir: string;
  const GROUP_ID = 'INC-GRP0E2E1';

  beforeAll(async () => {
    browser = await launch();
    dir = mkdtempSync(join(tmpdir(), 'e2e-group-'));
    const at = (min: number) => new Date(Date.now() - min * 60_000).toISOString();
    const member = (n: number, name: string, state: 'firing' | 'recovered', fired = 1) => ({
      incidentKey: `arn:aws:cloudwatch:eu-west-1:123456789012:alarm:Member${n}`,
      alarmName: name,
      severity: 'P1' as const,
      state,
      episodeId: `INC-MEMBER0${n}`,
      firedAt: at(30 - n),
      joinedAt: at(30 - n),
      recoveredAt: state === 'recovered' ? at(10) : null,
      fired,
      reason: `Threshold crossed ${name}`,
    });
    // Seeded as the grouping work will store it: the group is one incident, its alarms its members.
    await withDataDir(dir, ({ incidents }) =>
      incidents.createIncident(
        makeIncident({
          id: GROUP_ID,
          alarmName: 'HighErrorRate',
          openedAt: at(30),
          updatedAt: at(10),
          groupKey: '123456789012/eu-west-1',
          members: [member(0, 'HighErrorRate', 'firing'), member(1, HOSTILE_NAME, 'firing'), member(2, 'HighResponseTime', 'recovered', 2)],
        }),
      ),
    );
    router = await startRouter(['--data', dir]);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await router?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the list says "3 alarms", the incident page has the members table with each alarm as text, and the API lists the members', async () => {
    const page = await browser.newPage();
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await page.goto(`${router.url}/`);
    expect(await page.locator(`tr[data-id="${GROUP_ID}"] .tag-group`).textContent()).toBe('3 alarms · 1 recovered');
    await page.goto(`${router.url}/incidents/${GROUP_ID}`);
    const rows = page.locator('table.members tbody tr');
    expect(await rows.count()).toBe(3);
    expect(await page.locator('table.members .alarm-name').allTextContents()).toEqual(['HighErrorRate', HOSTILE_NAME, 'HighResponseTime']);
    expect(await rows.locator('td:nth-child(3)').allTextContents()).toEqual(['firing', 'firing', 'recovered']);
    expect(await rows.nth(2).locator('td:nth-child(6)').textContent()).toBe('2 times');
    expect(await rows.nth(2).locator('td:nth-child(5) time').count()).toBe(1);
    expect(await rows.nth(0).locator('td:nth-child(5)').textContent()).toBe('—');
    expect(await page.locator('img[src="x"], main script').count()).toBe(0);
    expect(dialogs).toEqual([]);
    const list = (await (await fetch(`${router.url}/api/incidents`)).json()) as {
      incidents: { id: string; members: { alarmName: string; state: string }[] }[];
    };
    expect(list.incidents.find((i) => i.id === GROUP_ID)?.members.map((m) => [m.alarmName, m.state])).toEqual([
      ['HighErrorRate', 'firing'],
      [HOSTILE_NAME, 'firing'],
      ['HighResponseTime', 'recovered'],
    ]);
  });
});

(SKIP ? describe.skip : describe)('review draft in Chromium (npm start --demo, no token)', () => {
  let browser: Browser;
  let router: Router;

  beforeAll(async () => {
    browser = await launch();
    router = await startRouter(['--demo']);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await router?.stop();
  });

  it('from an incident page: a stakeholder update lands on the timeline, the review draft opens and downloads', async () => {
    const ctx = await browser.newContext({ acceptDownloads: true });
    try {
      const page = await ctx.newPage();
      const id = (await incidents(router.url)).find((i) => i.alarmName === 'HighErrorRate')!.id;
      await page.goto(`${router.url}/incidents/${id}`);
      await page.getByLabel(/^Stakeholder update/).fill('Failover under way <b>now</b>');
      await page.getByRole('button', { name: 'Post update' }).click();
      await page.waitForURL(/done=update/);
      expect(await page.locator('.flash-ok').textContent()).toBe(`Update on ${id} posted.`);
      expect(await page.locator('table.timeline').textContent()).toContain('Failover under way <b>now</b>');

      await page.locator('#review-link').click();
      await page.waitForURL(`${router.url}/incidents/${id}/review`);
      expect(await page.locator('h1').textContent()).toContain('Post-incident review draft');
      const draft = (await page.locator('#review-markdown').textContent())!;
      expect(draft.startsWith(`# Post-incident review: ${id} HighErrorRate`)).toBe(true);
      expect(draft).toContain('## Root cause');
      expect(await page.locator('table.timeline').textContent()).toContain('Stakeholder update: Failover under way <b>now</b>');
      expect(await page.locator('main b').count()).toBe(0);

      const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#review-download').click()]);
      expect(download.suggestedFilename()).toBe(`${id}-review.md`);
      const path = await download.path();
      const { readFile } = await import('node:fs/promises');
      const text = await readFile(path, 'utf8');
      expect(text).toBe(`${draft}`);
      expect(text).toContain('Stakeholder update\\: Failover under way \\<b\\>now\\</b\\>');
    } finally {
      await ctx.close();
    }
  });
});
