import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultPolicy, DEFAULT_POLICY_PATH, parsePolicyYaml, type Policy } from '@alert-router/core';

/**
 * The shipped policy with grouping off: the tests written for one incident per alarm (lifecycle, delivery, crash
 * recovery) run on it; test/grouping*.test.ts run on the shipped default.
 */
export function ungroupedPolicy(): Policy {
  return { ...defaultPolicy(), grouping: 'off' };
}

/** The shipped default.yaml with its `grouping:` block replaced (`off`, or other YAML lines). */
export function policyYamlWithGrouping(grouping: string): string {
  const text = readFileSync(DEFAULT_POLICY_PATH, 'utf8');
  const replaced = text.replace(/^grouping:[^\n]*\n(?:(?:[ #][^\n]*)?\n)*/m, `grouping: ${grouping}\n\n`);
  if (replaced === text) throw new Error('default.yaml has no grouping block to replace');
  parsePolicyYaml(replaced, 'test policy'); // fails here, not in the router, when the block is wrong
  return replaced;
}

let ungroupedFile: string | null = null;

/** Where cachedTextFile keeps its files: the clone's own cache, not the machine's shared temporary folder. */
const SHARED_FILES = fileURLToPath(new URL('../../node_modules/.cache/alert-router-test-files/', import.meta.url));

/**
 * A file with this text, named by its content: every process (test workers, bench runs) that needs the same text
 * shares one file, so runs leave nothing behind that grows (a temporary folder per process did: test workers end
 * without an exit event). Written to a file of its own first, then renamed, so that a reader never sees it half
 * written.
 */
export function cachedTextFile(name: string, text: string): string {
  const dir = SHARED_FILES;
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${createHash('sha256').update(text).digest('hex').slice(0, 16)}-${name}`);
  if (!existsSync(file)) {
    const part = `${file}.${process.pid}.${randomUUID()}.part`;
    writeFileSync(part, text);
    renameSync(part, file);
  }
  return file;
}

/** A policy file (for ROUTER_POLICY_FILE) that is the shipped default with grouping off. */
export function ungroupedPolicyFile(): string {
  ungroupedFile ??= cachedTextFile('ungrouped.yaml', policyYamlWithGrouping('off'));
  return ungroupedFile;
}
