/**
 * Alarm-name patterns (policy rules, silences): `*` matches any run of characters, case-insensitive
 * (`Database*`, `*-staging`). Patterns come from people (Slack, the dashboard), so they are matched without a
 * regular expression: one pass that backtracks only to the last `*`, O(pattern × name) at worst.
 */
export function globMatches(pattern: string, name: string): boolean {
  const p = pattern.toLowerCase();
  const t = name.toLowerCase();
  let pi = 0;
  let ti = 0;
  let star = -1;
  let resume = 0;
  while (ti < t.length) {
    if (pi < p.length && p[pi] === '*') {
      star = pi++;
      resume = ti;
    } else if (pi < p.length && p[pi] === t[ti]) {
      pi++;
      ti++;
    } else if (star !== -1) {
      pi = star + 1;
      ti = ++resume;
    } else return false;
  }
  while (p[pi] === '*') pi++;
  return pi === p.length;
}
