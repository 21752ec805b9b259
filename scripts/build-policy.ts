/** Compiles packages/core/policy/default.yaml (validated) to default.json, which the functions load instead. */
import { writeFileSync } from 'node:fs';
import { DEFAULT_POLICY_PATH, loadPolicyFile, policyJson } from '@alert-router/core/policy-file';

const out = DEFAULT_POLICY_PATH.replace(/\.yaml$/, '.json');
writeFileSync(out, policyJson(loadPolicyFile(DEFAULT_POLICY_PATH)));
console.log(`build:policy: ${DEFAULT_POLICY_PATH} -> ${out}`);
