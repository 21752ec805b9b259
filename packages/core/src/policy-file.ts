import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import { PolicyError } from './errors';
import { validatePolicy, type Policy } from './policy-schema';

/**
 * Policy files (YAML) read at run time: the route CLI's --config and ROUTER_POLICY_FILE. The shipped default is
 * compiled to JSON at build time (policy.ts), so a function without a policy file never loads a YAML parser.
 */

export function parsePolicyYaml(text: string, source = 'policy'): Policy {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const reason = e.message.split('\n')[0].replace(/\s+at line \d+, column \d+:?\s*$/, '');
    throw new PolicyError(`${source}: YAML error at line ${e.linePos?.[0]?.line ?? '?'}: ${reason}`);
  }
  return validatePolicy(doc.toJS(), source);
}

export function loadPolicyFile(path: string): Policy {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new PolicyError(`${path}: cannot read policy file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { cause: err });
  }
  return parsePolicyYaml(text, path);
}

/** The shipped default policy's source; `npm run build:policy` compiles it to default.json beside it. */
export const DEFAULT_POLICY_PATH = fileURLToPath(new URL('../policy/default.yaml', import.meta.url));

/** The text of packages/core/policy/default.json for a validated policy (what build:policy writes). */
export function policyJson(policy: Policy): string {
  return `${JSON.stringify(policy, null, 2)}\n`;
}
