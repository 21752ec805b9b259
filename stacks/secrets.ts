import { SECRET_NAMES, type SecretName } from './settings';

export type Secrets = Record<SecretName, sst.Secret>;

/**
 * One `sst.Secret` per credential, set per stage with `npx sst secret set <Name> <value> --stage <stage>`.
 * None has a placeholder: a deploy stops with SST's "Set a value for <Name>" until every one is set. To
 * run without a channel, set its secret to the literal `unset` (the code treats that as not configured).
 */
export function secrets(): Secrets {
  return Object.fromEntries(SECRET_NAMES.map((name) => [name, new sst.Secret(name)])) as Secrets;
}
