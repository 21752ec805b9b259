/**
 * The browser the tests bring along: with no CHROMIUM_PATH and no system Chromium, the build inside
 * @sparticuz/chromium starts and renders a page (whatever this machine has installed).
 */
import { describe, expect, it } from 'vitest';
import { launchChromium, resolveChromium } from '../helpers/browser';

const SKIP = process.env.SKIP_BROWSER_TESTS === '1';

(SKIP ? describe.skip : describe)('Chromium for the browser tests', () => {
  it('CHROMIUM_PATH wins, then the system browser', async () => {
    expect(await resolveChromium({ CHROMIUM_PATH: '/opt/chrome/chrome' }, '/usr/bin/env')).toMatchObject({
      executablePath: '/opt/chrome/chrome',
      source: 'CHROMIUM_PATH',
    });
    expect(await resolveChromium({}, '/usr/bin/env')).toMatchObject({ executablePath: '/usr/bin/env', source: 'system' });
    expect(await resolveChromium({ CHROMIUM_PATH: '@sparticuz/chromium' }, '/usr/bin/env')).toMatchObject({ source: '@sparticuz/chromium' });
  });

  it('without either, the packaged headless build starts and renders a page', async () => {
    const choice = await resolveChromium({}, '/nonexistent/chromium');
    expect(choice.source).toBe('@sparticuz/chromium');
    expect(choice.args).toContain('--disable-background-networking');
    expect(choice.args).not.toContain('--single-process');
    const browser = await launchChromium(choice);
    try {
      const page = await browser.newPage();
      await page.setContent('<title>packaged</title><p id="p">rendered</p>');
      expect(await page.title()).toBe('packaged');
      expect(await page.locator('#p').textContent()).toBe('rendered');
    } finally {
      await browser.close();
    }
  });
});
