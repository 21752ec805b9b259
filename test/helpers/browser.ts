/**
 * The headless Chromium the browser tests (and scripts/screenshots.ts) drive with playwright-core:
 * CHROMIUM_PATH if set, else Debian's /usr/bin/chromium if installed, else the build shipped inside the
 * `@sparticuz/chromium` devDependency (extracted to the temp dir on first use), so `npm test` needs no system browser.
 * `CHROMIUM_PATH=@sparticuz/chromium` picks the packaged build even where a system Chromium is installed.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const SYSTEM_CHROMIUM = '/usr/bin/chromium';
const PACKAGED = '@sparticuz/chromium';

/** Ours on every browser: no update checks, sync or other background traffic (tests never reach the internet). */
const QUIET_ARGS = ['--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const SYSTEM_ARGS = ['--no-sandbox', '--disable-gpu'];
/**
 * Of the package's Lambda flags: one process for everything ends the browser when a test closes its context,
 * and the dashboard's security tests need the same-origin policy a real browser has.
 */
const NOT_OFF_LAMBDA = new Set(['--single-process', '--disable-web-security', '--allow-running-insecure-content']);

export interface ChromiumChoice {
  executablePath: string;
  args: string[];
  /** Where it came from, for error messages. */
  source: 'CHROMIUM_PATH' | 'system' | '@sparticuz/chromium';
}

export async function resolveChromium(env: NodeJS.ProcessEnv = process.env, systemPath = SYSTEM_CHROMIUM): Promise<ChromiumChoice> {
  if (env.CHROMIUM_PATH && env.CHROMIUM_PATH !== PACKAGED)
    return { executablePath: env.CHROMIUM_PATH, args: [...SYSTEM_ARGS, ...QUIET_ARGS], source: 'CHROMIUM_PATH' };
  if (!env.CHROMIUM_PATH && existsSync(systemPath)) return { executablePath: systemPath, args: [...SYSTEM_ARGS, ...QUIET_ARGS], source: 'system' };
  const { default: packaged } = await import('@sparticuz/chromium');
  packaged.setGraphicsMode = false; // the dashboard needs no WebGL
  return {
    executablePath: await packaged.executablePath(),
    args: [...packaged.args.filter((a) => !NOT_OFF_LAMBDA.has(a)), ...QUIET_ARGS],
    source: '@sparticuz/chromium',
  };
}

/** Launches the chosen Chromium; the error says which one failed and how to pick another or skip. */
export async function launchChromium(choice?: ChromiumChoice): Promise<Browser> {
  choice ??= await resolveChromium();
  try {
    return await chromium.launch({ executablePath: choice.executablePath, args: choice.args, timeout: 30_000 });
  } catch (err) {
    throw new Error(
      `Chromium did not start (${choice.executablePath}, from ${choice.source}): ${(err as Error).message.split('\n')[0]}\n` +
        'Set CHROMIUM_PATH to another Chromium, or SKIP_BROWSER_TESTS=1 to skip the browser tests deliberately.',
      { cause: err },
    );
  }
}
