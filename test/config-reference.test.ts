/** The README's "Configuration reference" and the schema (packages/aws/src/env.ts) list the same variables. */
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENV } from '@alert-router/aws';

const ROOT = new URL('..', import.meta.url).pathname;

function referenceSection(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Configuration reference');
  expect(start, 'README has a "## Configuration reference" section').toBeGreaterThan(-1);
  const end = readme.slice(start + 1).search(/\n##+ /);
  return readme.slice(start, end === -1 ? undefined : start + 1 + end);
}

/** The variable names of the reference table: upper-case names in backticks in each row's first cell. */
function documentedNames(): string[] {
  const rows = referenceSection()
    .split('\n')
    .filter((l) => l.startsWith('| `'));
  return rows.flatMap((row) => [...row.split('|')[1].matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1]));
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    // packages/local/.build is npm start's bundle of these same sources (git-ignored), not source.
    if (e.isDirectory()) return e.name === 'node_modules' || e.name === '.build' ? [] : sourceFiles(p);
    return /\.(ts|mjs)$/.test(e.name) ? [p] : [];
  });
}

describe('configuration reference', () => {
  it('documents exactly the variables the schema reads', () => {
    const documented = new Set(documentedNames());
    const read = new Set(Object.keys(ENV));
    expect(documented.size).toBeGreaterThan(10);
    expect({
      documentedButNotRead: [...documented].filter((n) => !read.has(n)).sort(),
      readButUndocumented: [...read].filter((n) => !documented.has(n)).sort(),
    }).toEqual({ documentedButNotRead: [], readButUndocumented: [] });
  });

  it('the router reads no variable past the schema', () => {
    const schemaFile = join(ROOT, 'packages/aws/src/env.ts');
    // `env.NAME` or `process.env.NAME` read (not assigned, not defaulted with ||= / ??=).
    const read = /\b(?:process\.)?env\.([A-Z][A-Z0-9_]+)\b(?!\s*(?:\|\|=|\?\?=|=(?!=)))|process\.env\[/g;
    const bypasses = [...sourceFiles(join(ROOT, 'packages')), ...sourceFiles(join(ROOT, 'functions'))]
      .filter((f) => f !== schemaFile)
      .flatMap((f) => [...readFileSync(f, 'utf8').matchAll(read)].map((m) => `${relative(ROOT, f)}: ${m[0]}`));
    expect(bypasses).toEqual([]);
  });
});
