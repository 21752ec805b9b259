import type { Secrets } from './secrets';
import {
  FUNCTION_SECRETS,
  HANDLERS,
  METRICS_NAMESPACE,
  POLICY_IN_BUNDLE,
  POLICY_SOURCE,
  POWERTOOLS_SERVICE_NAME,
  RUNTIME,
  logRetentionFor,
  type FunctionKey,
  type Settings,
} from './settings';

/** What every router function depends on. */
export interface FunctionDeps {
  table: sst.aws.Dynamo;
  secrets: Secrets;
  settings: Settings;
  /** The API's base URL, put into notifications as links (DASHBOARD_URL). */
  dashboardUrl: $util.Input<string>;
}

/**
 * One router Lambda: the shared runtime, bundle contents, environment and logging, linked to the table
 * and to the secrets listed for it in FUNCTION_SECRETS, and nothing else.
 *
 * A linked secret reaches the function only inside SST's encrypted `resource.enc`, read at run time with
 * `Resource` from `sst/resource` (packages/aws/src/config.ts): secret values never appear in the
 * function's environment or configuration.
 */
export function routerFunction(name: string, key: FunctionKey, deps: FunctionDeps, extra: Partial<sst.aws.FunctionArgs> = {}): sst.aws.Function {
  const secretNames = FUNCTION_SECRETS[key];
  const { settings } = deps;
  return new sst.aws.Function(name, {
    handler: HANDLERS[key],
    runtime: RUNTIME,
    memory: '512 MB',
    timeout: '30 seconds',
    link: [deps.table, ...secretNames.map((n) => deps.secrets[n])],
    copyFiles: [{ from: POLICY_SOURCE, to: POLICY_IN_BUNDLE }],
    environment: {
      ROUTER_TABLE: deps.table.name,
      ROUTER_POLICY_FILE: POLICY_IN_BUNDLE,
      EMAIL_FROM: settings.emailFrom,
      EMAIL_TO: settings.emailTo.join(','),
      DASHBOARD_URL: deps.dashboardUrl,
      POWERTOOLS_SERVICE_NAME,
      POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      LOG_LEVEL: settings.logLevel,
    },
    logging: { retention: logRetentionFor(settings.stage), format: 'json' },
    ...extra,
  });
}
