import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

/** A policy file (for ROUTER_POLICY_FILE) that is the shipped default with grouping off. */
export function ungroupedPolicyFile(): string {
  if (ungroupedFile) return ungroupedFile;
  const file = join(mkdtempSync(join(tmpdir(), 'router-policy-')), 'ungrouped.yaml');
  writeFileSync(file, policyYamlWithGrouping('off'));
  ungroupedFile = file;
  return file;
}
