/**
 * Alarm-name patterns (silences, policy rules): `*` matches any run of characters, `?` exactly one,
 * everything else itself, case-insensitively. Patterns come from people (Slack, the dashboard, the policy
 * file), so they are never turned into a regular expression: a backtracking engine takes exponential time
 * on `*a*a*a*a*b`. The matcher below is the classic two-pointer wildcard match with one backtrack point
 * (the last `*`), which visits at most (text length + 1) × (pattern length + 1) positions.
 */

/** What every entry point enforces; documented in the README (Security, policy file). */
export const GLOB_RULES = {
  maxLength: 256,
  /** A pattern must contain this many literal characters in a row (not `*`, `?` or whitespace). */
  minLiteralRun: 3,
} as const;

export type GlobProblem = 'empty' | 'too-long' | 'control-characters' | 'too-broad';

export const GLOB_PROBLEMS: Record<GlobProblem, string> = {
  empty: 'the alarm pattern is empty',
  'too-long': `the alarm pattern is longer than ${GLOB_RULES.maxLength} characters`,
  'control-characters': 'the alarm pattern contains control or invisible formatting characters',
  'too-broad': `the alarm pattern would match almost every alarm: it needs at least ${GLOB_RULES.minLiteralRun} characters in a row other than *, ? and spaces (e.g. Database*, *-staging)`,
};

const CONTROL = /[\p{Cc}\p{Cf}\u2028\u2029]/u;

/** The one validation of an alarm-name pattern: null when acceptable, otherwise what is wrong with it. */
export function globProblem(pattern: string): GlobProblem | null {
  if (pattern.trim() === '') return 'empty';
  if (pattern.length > GLOB_RULES.maxLength) return 'too-long';
  if (CONTROL.test(pattern)) return 'control-characters';
  if (longestLiteralRun(pattern) < GLOB_RULES.minLiteralRun) return 'too-broad';
  return null;
}

function longestLiteralRun(pattern: string): number {
  let best = 0;
  let run = 0;
  for (const ch of pattern) {
    run = ch === '*' || ch === '?' || /\s/.test(ch) ? 0 : run + 1;
    if (run > best) best = run;
  }
  return best;
}

/** Counts the positions the matcher visits (tests bound it; production passes nothing). */
export interface GlobMeter {
  steps: number;
}

const compiled = new Map<string, string[]>();
function codePoints(pattern: string): string[] {
  let cps = compiled.get(pattern);
  if (!cps) {
    cps = Array.from(pattern.toLowerCase());
    if (compiled.size > 1000) compiled.clear();
    compiled.set(pattern, cps);
  }
  return cps;
}

/** Whether `text` matches `pattern` as a whole, case-insensitively, in O(|text| × |pattern|) steps at worst. */
export function globMatches(pattern: string, text: string, meter?: GlobMeter): boolean {
  const p = codePoints(pattern);
  const t = Array.from(text.toLowerCase());
  let ti = 0;
  let pi = 0;
  let starPi = -1;
  let starTi = 0;
  while (ti < t.length) {
    if (meter) meter.steps++;
    if (pi < p.length && p[pi] === '*') {
      starPi = pi++;
      starTi = ti;
    } else if (pi < p.length && (p[pi] === '?' || p[pi] === t[ti])) {
      pi++;
      ti++;
    } else if (starPi >= 0) {
      // Let the last `*` swallow one more character and retry from just after it. Earlier stars never need
      // revisiting (whatever they matched, the last one can absorb), which bounds the work by n × m.
      pi = starPi + 1;
      ti = ++starTi;
    } else {
      return false;
    }
  }
  while (pi < p.length && p[pi] === '*') {
    if (meter) meter.steps++;
    pi++;
  }
  return pi === p.length;
}
