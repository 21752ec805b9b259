import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import { PolicyError } from './errors';
import { holidayDatesFromIcs } from './holidays-ics';
import { validatePolicy, type Policy } from './policy-schema';

/**
 * Policy files (YAML) read at run time: the route CLI's --config and ROUTER_POLICY_FILE. The shipped default is
 * compiled to JSON at build time (policy.ts), so a function without a policy file never loads a YAML parser.
 */

/**
 * Adds the dates of `holidaysFile` (iCalendar, relative to `baseDir`: the policy file's folder) to `holidays`.
 * A file that cannot be read or parsed is a PolicyError naming the key.
 */
function withHolidaysFile(policy: Policy, baseDir: string, source: string): Policy {
  if (!policy.holidaysFile) return policy;
  const file = resolve(baseDir, policy.holidaysFile);
  let dates: string[];
  try {
    dates = holidayDatesFromIcs(readFileSync(file, 'utf8'));
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message.split('\n')[0];
    throw new PolicyError(`${source}: holidaysFile: cannot use "${policy.holidaysFile}" (${why})`, { cause: err });
  }
  return { ...policy, holidays: [...new Set([...policy.holidays, ...dates])].sort() };
}

/** `baseDir` resolves `holidaysFile` (default: the working directory). */
export function parsePolicyYaml(text: string, source = 'policy', baseDir = process.cwd()): Policy {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const reason = e.message.split('\n')[0].replace(/\s+at line \d+, column \d+:?\s*$/, '');
    throw new PolicyError(`${source}: YAML error at line ${e.linePos?.[0]?.line ?? '?'}: ${reason}`);
  }
  return withHolidaysFile(validatePolicy(doc.toJS(), source), baseDir, source);
}

export function loadPolicyFile(path: string): Policy {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new PolicyError(`${path}: cannot read policy file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { cause: err });
  }
  return parsePolicyYaml(text, path, dirname(path));
}

/** The shipped default policy's source; `npm run build:policy` compiles it to default.json beside it. */
export const DEFAULT_POLICY_PATH = fileURLToPath(new URL('../policy/default.yaml', import.meta.url));

/** The text of packages/core/policy/default.json for a validated policy (what build:policy writes). */
export function policyJson(policy: Policy): string {
  return `${JSON.stringify(policy, null, 2)}\n`;
}
