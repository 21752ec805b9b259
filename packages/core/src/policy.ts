import shipped from '../policy/default.json' with { type: 'json' };
import type { Policy } from './policy-schema';

export type { EscalationStep, Policy } from './policy-schema';

/**
 * The shipped policy that mirrors the runbook: default.yaml validated at build time (`npm run build:policy`
 * writes default.json; test/policy-json.test.ts keeps the two equal), so loading it parses no YAML and runs no schema.
 */
export function defaultPolicy(): Policy {
  return shipped as unknown as Policy;
}
