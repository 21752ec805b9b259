import type { Secrets } from './secrets';
import {
  FUNCTION_SECRETS,
  HANDLERS,
  metricsNamespaceFor,
  POWERTOOLS_SERVICE_NAME,
  RUNTIME,
  logRetentionFor,
  type FunctionKey,
  type Settings,
} from './settings';
import { seconds } from './timeouts';

/** What every router function depends on. */
export interface FunctionDeps {
  table: sst.aws.Dynamo;
  secrets: Secrets;
  settings: Settings;
  /** The API's base URL, put into notifications as links (DASHBOARD_URL). */
  dashboardUrl: $util.Input<string>;
  /** Every function built so far, by component name: the ops topic alarms on each (stacks/watch.ts). */
  built: Record<string, sst.aws.Function>;
}

/**
 * Amazon SES through nodemailer's SES transport: SESv2 SendEmail with raw MIME content, which IAM authorises
 * as `ses:SendRawEmail` (plain `ses:SendEmail` kept for the simple-content form of the same call).
 */
export const SES_SEND_ACTIONS = ['ses:SendEmail', 'ses:SendRawEmail'];

/** What a function is given beyond the shared settings; `permissions` and `environment` add to the shared ones. */
export type FunctionExtra = Partial<Omit<sst.aws.FunctionArgs, 'permissions' | 'environment' | 'timeout' | 'logging'>> & {
  permissions?: sst.aws.FunctionPermissionArgs[];
  environment?: Record<string, $util.Input<string>>;
};

type FunctionTransform = NonNullable<sst.aws.FunctionArgs['transform']>['function'];

/**
 * Lambda's application log level (advanced logging controls) set to LOG_LEVEL: with JSON logs and no level
 * set, Lambda keeps INFO and drops DEBUG lines whatever the logger is told. System lines: WARN and above.
 */
export function logLevelTransform(level: Settings['logLevel']): FunctionTransform {
  return (args) => {
    args.loggingConfig = $util.output(args.loggingConfig).apply((c) => ({
      logFormat: 'JSON',
      ...c,
      applicationLogLevel: level,
      systemLogLevel: 'WARN',
    }));
  };
}

/**
 * The environment a function reads (packages/aws/src/config.ts readConfig, plus the few per-function
 * variables): settings that are unset stay out, so the code's defaults apply.
 */
function environmentFor(key: FunctionKey, deps: FunctionDeps): Record<string, $util.Input<string>> {
  const { settings } = deps;
  const { tuning } = settings;
  const optional: Record<string, string | null> = {
    SES_REGION: settings.sesRegion,
    SLACK_CHANNEL: settings.slackChannel,
    PAGERDUTY_EVENTS_URL: tuning.pagerdutyEventsUrl,
    DELIVERY_BUDGET_MS: tuning.deliveryBudgetMs === null ? null : String(tuning.deliveryBudgetMs),
    DELIVERY_LEASE_MS: tuning.deliveryLeaseMs === null ? null : String(tuning.deliveryLeaseMs),
    // functions/digest.ts: the hour labels of the digest chart, in the zone the digest is scheduled in.
    DIGEST_TIMEZONE: key === 'digest' ? settings.digestTimezone : null,
    STAKEHOLDER_EMAILS: (key === 'slack' || key === 'dashboard') && settings.stakeholderEmails.length ? settings.stakeholderEmails.join(',') : null,
    DASHBOARD_POLL_MS: key === 'dashboard' && tuning.dashboardPollMs !== null ? String(tuning.dashboardPollMs) : null,
  };
  return {
    ROUTER_TABLE: deps.table.name,
    EMAIL_FROM: settings.emailFrom,
    EMAIL_TO: settings.emailTo.join(','),
    DASHBOARD_URL: deps.dashboardUrl,
    POWERTOOLS_SERVICE_NAME,
    POWERTOOLS_METRICS_NAMESPACE: metricsNamespaceFor(settings.stage),
    LOG_LEVEL: settings.logLevel,
    ...Object.fromEntries(Object.entries(optional).filter((e): e is [string, string] => e[1] !== null)),
  };
}

/**
 * One router Lambda: the shared runtime, bundle contents, environment and logging, linked to the table
 * and to the secrets listed for it in FUNCTION_SECRETS, and nothing else. Every function may send email
 * (notices, escalations, ack/resolve updates, the digest), so with SES_REGION set each may use SES.
 *
 * A linked secret reaches the function only inside SST's encrypted `resource.enc`, read at run time with
 * `Resource` from `sst/resource` (packages/aws/src/config.ts): secret values never appear in the
 * function's environment or configuration.
 */
export function routerFunction(name: string, key: FunctionKey, deps: FunctionDeps, extra: FunctionExtra = {}): sst.aws.Function {
  const secretNames = FUNCTION_SECRETS[key];
  const { settings } = deps;
  const { permissions = [], environment = {}, transform = {}, ...rest } = extra;
  const ses: sst.aws.FunctionPermissionArgs[] = settings.sesRegion ? [{ actions: SES_SEND_ACTIONS, resources: ['*'] }] : [];
  const fn = new sst.aws.Function(name, {
    handler: HANDLERS[key],
    runtime: RUNTIME,
    memory: '512 MB',
    // Derived from DELIVERY_BUDGET_MS and DELIVERY_LEASE_MS, validated by readSettings (stacks/timeouts.ts).
    timeout: seconds(settings.timeouts[key]),
    link: [deps.table, ...secretNames.map((n) => deps.secrets[n])],
    // The default policy is inside the bundle (compiled JSON); dynamic imports (nodemailer, the YAML policy
    // loader) become chunks that load on first use, so a cold start loads only what it runs.
    nodejs: { splitting: true },
    environment: { ...environmentFor(key, deps), ...environment },
    ...(ses.length + permissions.length > 0 ? { permissions: [...ses, ...permissions] } : {}),
    logging: { retention: logRetentionFor(settings.stage), format: 'json' },
    ...rest,
    transform: { function: logLevelTransform(settings.logLevel), ...transform },
  });
  deps.built[name] = fn;
  return fn;
}
