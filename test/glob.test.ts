import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { globMatches } from '@alert-router/core';

/** The meaning of a pattern, as a regular expression: fine here, where the inputs are small and ours. */
function reference(pattern: string, name: string): boolean {
  const body = pattern
    .split('*')
    .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`, 'is').test(name);
}

describe('alarm-name patterns', () => {
  it.each([
    ['Database*', 'DatabaseHighCPU', true],
    ['database*', 'DatabaseHighCPU', true],
    ['*-staging', 'api-errors-staging', true],
    ['*-staging', 'api-errors-staging-2', false],
    ['High*Rate', 'HighErrorRate', true],
    ['High*Rate', 'HighErrorRates', false],
    ['*', '', true],
    ['', '', true],
    ['', 'x', false],
    ['a.b', 'aXb', false],
    ['**a**', 'bab', true],
    ['*a*a*a*a*a*a*a*a*a*a*b', 'a'.repeat(200), false],
  ])('%j against %j → %s', (pattern, name, want) => {
    expect(globMatches(pattern, name)).toBe(want);
  });

  it('agrees with the regular-expression meaning on random patterns (fast-check prints its seed on failure)', () => {
    const ch = fc.constantFrom('a', 'b', 'A', '*', '.', '-');
    fc.assert(
      fc.property(fc.string({ unit: ch, maxLength: 8 }), fc.string({ unit: fc.constantFrom('a', 'b', 'B', '.', '-'), maxLength: 12 }), (pattern, name) => {
        expect(globMatches(pattern, name)).toBe(reference(pattern, name));
      }),
      { numRuns: 2000 },
    );
  });
});
