import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  classify,
  defaultPolicy,
  GLOB_RULES,
  globMatches,
  globProblem,
  matchingSilence,
  parseSnsMessage,
  type GlobMeter,
  type Policy,
  type Silence,
} from '@alert-router/core';
import { RUNBOOK_ALARMS, snsNotification } from '../packages/local/src/demo';

/** The pattern: 12 stars-and-a's then b. A backtracking regex needs seconds at 30 characters. */
const ATTACK = `${'*a'.repeat(12)}*b`;

/** Textbook dynamic-programming wildcard match: obviously right, O(n·m) memory; the reference for the fast one. */
function reference(pattern: string, text: string): boolean {
  const p = Array.from(pattern.toLowerCase());
  const t = Array.from(text.toLowerCase());
  let row = [true, ...t.map(() => false)];
  for (const c of p) {
    const next = [c === '*' && row[0]];
    for (let j = 1; j <= t.length; j++) next[j] = c === '*' ? row[j] || next[j - 1] : row[j - 1] && (c === '?' || c === t[j - 1]);
    row = next;
  }
  return row[t.length];
}

function steps(pattern: string, text: string): { matched: boolean; steps: number } {
  const meter: GlobMeter = { steps: 0 };
  return { matched: globMatches(pattern, text, meter), steps: meter.steps };
}

describe('the alarm-name matcher (no regular expression)', () => {
  it('agrees with the reference matcher on random patterns and names (seeded)', () => {
    const seed = Number(process.env.GLOB_SEED ?? 20261201);
    console.log('glob property seed', seed);
    const pattern = fc.string({ unit: fc.constantFrom('a', 'B', 'b', '*', '?', '-'), maxLength: 10 });
    const name = fc.string({ unit: fc.constantFrom('a', 'A', 'b', '-', 'é'), maxLength: 14 });
    fc.assert(
      fc.property(pattern, name, (p, n) => globMatches(p, n) === reference(p, n)),
      { seed, numRuns: 2000 },
    );
  });

  it('literal regex characters, ? and case', () => {
    expect(globMatches('api (v2) p99+', 'API (V2) P99+')).toBe(true);
    expect(globMatches('api (v2) p99+', 'api v2 p999')).toBe(false);
    expect(globMatches('db-?-cpu', 'db-7-cpu')).toBe(true);
    expect(globMatches('db-?-cpu', 'db-17-cpu')).toBe(false);
    expect(globMatches('*-staging', 'checkout-STAGING')).toBe(true);
    expect(globMatches('Database*', 'xDatabaseHighCPU')).toBe(false);
  });

  it.each([30, 5000])('the attack pattern against "a" x %i: no match, and at most (n+1)(m+1) positions visited', (n) => {
    const text = 'a'.repeat(n);
    const r = steps(ATTACK, text);
    expect(r.matched).toBe(false);
    expect(r.steps).toBeLessThanOrEqual((n + 1) * (ATTACK.length + 1));
    // The greedy matcher even stays linear here: one backtrack point, so about 2n steps, not 2^12.
    expect(r.steps).toBeLessThanOrEqual(3 * n + ATTACK.length);
  });

  it('its worst case stays within (n+1)(m+1) for every pattern of stars and letters (seeded)', () => {
    const seed = Number(process.env.GLOB_SEED ?? 11);
    console.log('glob bound seed', seed);
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom('a', 'b', '*', '?'), maxLength: 30 }),
        fc.string({ unit: fc.constantFrom('a', 'b'), maxLength: 300 }),
        (p, t) => {
          const r = steps(p, t);
          return r.steps <= (t.length + 1) * (p.length + 1);
        },
      ),
      { seed, numRuns: 500 },
    );
  });

  it('classify and silences use it: the attack pattern in a rule and a silence decides on a 5000-character name', () => {
    // Patterns this broad are refused at every entry point now; one could still be stored from before.
    const policy: Policy = { ...defaultPolicy(), rules: [{ alarmName: ATTACK, severity: 'P0' }] };
    const [errorRate] = RUNBOOK_ALARMS;
    const body = snsNotification({ ...errorRate, name: 'a'.repeat(5000), description: '' }, 'ALARM', new Date('2026-12-01T00:00:00Z'));
    const n = { ...parseSnsMessage({ ...body, Subject: body.Subject ?? null }, 'Sns'), sns: null }; // no topic: the rules decide
    expect(n.alarmName).toBe('a'.repeat(5000));
    expect(classify(n, policy).by).not.toBe('rule');
    expect(classify({ ...n, alarmName: `${'a'.repeat(5000)}b` }, policy)).toMatchObject({ severity: 'P0', by: 'rule' });
    const silence: Silence = {
      id: 'SIL-A77ACC',
      match: ATTACK,
      reason: 'x',
      author: 'eve',
      startsAt: '2026-01-01T00:00:00Z',
      endsAt: '2027-01-01T00:00:00Z',
      createdAt: '2026-01-01T00:00:00Z',
    };
    expect(matchingSilence([silence], n, '2026-12-01T00:00:00Z')).toBeNull();
    expect(matchingSilence([silence], { alarmName: 'ab'.repeat(12) }, '2026-12-01T00:00:00Z')).toBe(silence);
  });

  it('no source file builds a regular expression at run time, except the HTTP router from its own route table', () => {
    const root = join(import.meta.dirname, '..');
    const files = ['packages', 'functions'].flatMap((d) => walk(join(root, d))).filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(20);
    const building = files.filter((f) => /\bRegExp\s*\(/.test(readFileSync(f, 'utf8'))).map((f) => relative(root, f));
    expect(building).toEqual(['packages/aws/src/api/http.ts']);
  });
});

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.name === 'node_modules' ? [] : e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)],
  );
}

describe('the one pattern validation', () => {
  it.each([
    ['', 'empty'],
    ['   ', 'empty'],
    ['*', 'too-broad'],
    ['**', 'too-broad'],
    ['?*', 'too-broad'],
    ['*?*', 'too-broad'],
    ['*e*a*s*', 'too-broad'],
    ['ab*', 'too-broad'],
    ['a b*', 'too-broad'],
    [ATTACK, 'too-broad'],
    ['x'.repeat(GLOB_RULES.maxLength + 1), 'too-long'],
    ['Database\n*', 'control-characters'],
    ['Data\u0000base*', 'control-characters'],
    ['Data\u202ebase*', 'control-characters'],
  ])('%j is refused: %s', (pattern, problem) => {
    expect(globProblem(pattern)).toBe(problem);
  });

  it.each(['Database*', '*-staging', 'db-?-cpu', 'HighErrorRate', 'prod-*-5xx', 'api (v2) p99+', 'x'.repeat(GLOB_RULES.maxLength)])(
    '%j is accepted',
    (pattern) => {
      expect(globProblem(pattern)).toBeNull();
    },
  );
});
