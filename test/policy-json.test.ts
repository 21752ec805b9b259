/**
 * The shipped policy is compiled at build time: packages/core/policy/default.json is default.yaml validated
 * (`npm run build:policy` writes it), so functions load it without a YAML parser or the policy schema.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defaultPolicy } from '@alert-router/core/policy';
import { DEFAULT_POLICY_PATH, parsePolicyYaml, policyJson } from '@alert-router/core/policy-file';

const JSON_PATH = DEFAULT_POLICY_PATH.replace(/\.yaml$/, '.json');

describe('default.json', () => {
  it('equals default.yaml parsed and validated (run `npm run build:policy` after editing the YAML)', () => {
    const fromYaml = parsePolicyYaml(readFileSync(DEFAULT_POLICY_PATH, 'utf8'), DEFAULT_POLICY_PATH);
    expect(JSON.parse(readFileSync(JSON_PATH, 'utf8'))).toEqual(fromYaml);
    expect(readFileSync(JSON_PATH, 'utf8')).toBe(policyJson(fromYaml));
  });

  it('is what defaultPolicy() returns, with the schema defaults and durations already applied', () => {
    const p = defaultPolicy();
    expect(p).toEqual(JSON.parse(readFileSync(JSON_PATH, 'utf8')));
    expect(p.severities.P0.responseTime).toBe(5); // "5m" in the YAML, minutes here
    expect(p.severities.P3.responseTime).toBe('next-business-day');
    expect(p.severities.P0.escalation.every((s) => s.repeat >= 1)).toBe(true); // schema default
  });
});
