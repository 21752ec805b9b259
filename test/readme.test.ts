/** The README is self-contained: what it cites is in the repository, and nothing points outside it. */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultPolicy, parseInputText, route } from '@alert-router/core';

const ROOT = new URL('..', import.meta.url).pathname;
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const TOP_LEVEL = ['examples', 'packages', 'docs', 'test', 'scripts', 'stacks', 'functions', 'bench', '.ci'];

function trackedTextFiles(): string[] {
  const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' }).split('\n');
  return files.filter((f) => /\.(ts|mjs|md|yaml|yml|json|sh)$/.test(f) && f !== 'package-lock.json' && existsSync(join(ROOT, f)));
}

/** The paths among `paths` that git ignores (`git check-ignore` exits 1 when there are none). */
function gitIgnored(paths: string[]): string[] {
  try {
    return execFileSync('git', ['check-ignore', '--no-index', ...paths], { cwd: ROOT, encoding: 'utf8' })
      .split('\n')
      .filter(Boolean);
  } catch (err) {
    if ((err as { status?: number }).status === 1) return [];
    throw err;
  }
}

describe('README and docs stay inside the repository', () => {
  it('every repository path in a README shell block exists', () => {
    const blocks = [...README.matchAll(/```bash\n([\s\S]*?)```/g)].map((m) => m[1]).join('\n');
    const pathRe = new RegExp(`(?:^|[\\s@=])((?:${TOP_LEVEL.map((d) => d.replace('.', '\\.')).join('|')})/[\\w./-]*\\w)`, 'gm');
    const paths = [...blocks.matchAll(pathRe)].map((m) => m[1]);
    expect(paths.length).toBeGreaterThan(3);
    expect(paths.filter((p) => !existsSync(join(ROOT, p)))).toEqual([]);
  });

  it('every repository path the README names in backticks exists (the "Where it lives" table and the rest)', () => {
    const pathRe = new RegExp(`^(?:${TOP_LEVEL.map((d) => d.replace('.', '\\.')).join('|')})/[\\w./-]*$`);
    const paths = [...README.matchAll(/`([^`\s]+)`/g)].map((m) => m[1]).filter((p) => pathRe.test(p));
    expect(paths.length).toBeGreaterThan(20);
    // A git-ignored path the README names is made at run time (`npm start`'s build): it need not exist in a clone.
    const ignored = new Set(gitIgnored(paths));
    expect(ignored.size).toBeLessThan(3);
    expect(paths.filter((p) => !ignored.has(p) && !existsSync(join(ROOT, p)))).toEqual([]);
  });

  it('every relative link of the README resolves', () => {
    const links = [...README.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)].map((m) => m[1]).filter((l) => !/^[a-z]+:/.test(l));
    expect(links.length).toBeGreaterThan(0);
    expect(links.filter((l) => !existsSync(join(ROOT, l)))).toEqual([]);
  });

  it('no file cites a path outside the repository or a design document it does not have', () => {
    const outside = /\.\.\/shared|shared\/(docs|contract)|\bdesign\.md\b/;
    const hits = trackedTextFiles().filter((f) => f !== 'test/readme.test.ts' && outside.test(readFileSync(join(ROOT, f), 'utf8')));
    expect(hits).toEqual([]);
  });
});

describe('the shipped examples are what examples/README.md says', () => {
  it.each([
    ['high-response-time-alarm.http.json', 'HighResponseTime', 'ALARM', 'P1'],
    ['high-response-time-ok.http.json', 'HighResponseTime', 'OK', 'P1'],
    ['high-error-rate.event.json', 'HighErrorRate', 'ALARM', 'P0'],
  ])('%s: %s %s → %s', (file, alarmName, state, severity) => {
    const { notifications } = parseInputText(readFileSync(join(ROOT, 'examples', file), 'utf8'));
    expect(notifications).toHaveLength(1);
    const r = route(notifications[0], defaultPolicy());
    expect({ alarmName: notifications[0].alarmName, state: notifications[0].state, severity: r.classification.severity }).toEqual({
      alarmName,
      state,
      severity,
    });
  });

  it('the ALARM and its OK are one episode: same alarm, the OK later', () => {
    const [alarm, ok] = ['high-response-time-alarm.http.json', 'high-response-time-ok.http.json'].map(
      (f) => parseInputText(readFileSync(join(ROOT, 'examples', f), 'utf8')).notifications[0],
    );
    expect(ok.incidentKey).toBe(alarm.incidentKey);
    expect(Date.parse(ok.changedAt)).toBeGreaterThan(Date.parse(alarm.changedAt));
  });
});
