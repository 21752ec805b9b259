import { defaultPolicy, loadPolicyFile, noticeLinks, type Notifier, type Policy, type SendChannel } from '@alert-router/core';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { PipelineDeps } from './alarm-pipeline';
import { readConfig, secretRedactor, type RouterConfig } from './config';
import { createDocumentClient } from './dynamo';
import { createNotifiers, deliverWithRetry } from './notifiers/index';
import { powertoolsMetrics, reportStartupError, routerLogger, RouterMetrics } from './observability';
import { SilenceCache, SilenceStore } from './silences';
import { DynamoIncidentStore } from './store';

/** Everything a handler needs, built once per cold start from the environment. */
export interface Runtime extends PipelineDeps {
  config: RouterConfig;
  db: DynamoDBDocumentClient;
  metrics: RouterMetrics;
  silences: SilenceStore;
  silenceCache: SilenceCache;
  /** Strips every configured secret from a text before it is logged, stored or thrown. */
  redact: (text: string) => string;
  /** Milliseconds clock for request deadlines (Slack's 3 s); default Date.now, injectable for tests. */
  deadlineClock?: () => number;
}

export function buildRuntime(config: RouterConfig, overrides: Partial<Runtime> = {}): Runtime {
  const policy: Policy = overrides.policy ?? (config.policyFile ? loadPolicyFile(config.policyFile) : defaultPolicy());
  const db = overrides.db ?? createDocumentClient({ region: config.region, endpoint: config.dynamoEndpoint });
  const notifiers: Record<SendChannel, Notifier> =
    overrides.notifiers ??
    createNotifiers({
      slackWebhookUrl: config.slackWebhookUrl ?? undefined,
      pagerdutyRoutingKey: config.pagerdutyRoutingKey ?? undefined,
      pagerdutyEventsUrl: config.pagerdutyEventsUrl ?? undefined,
      smtpUrl: config.smtpUrl ?? undefined,
      emailFrom: config.emailFrom ?? undefined,
      emailTo: config.emailTo,
      sesRegion: config.sesRegion ?? undefined,
    });
  const silences = overrides.silences ?? new SilenceStore(db, config.tableName);
  const now = overrides.now ?? (() => new Date());
  const silenceCache = overrides.silenceCache ?? new SilenceCache(silences, policy, 15_000, () => now().getTime());
  return {
    config,
    silences,
    silenceCache,
    db,
    policy,
    notifiers,
    store: overrides.store ?? new DynamoIncidentStore(db, config.tableName),
    deliver: overrides.deliver ?? ((notifier, notice) => deliverWithRetry(notifier, notice, { budgetMs: config.deliveryBudgetMs })),
    links: overrides.links ?? ((incident) => noticeLinks(incident, policy, { dashboardUrl: config.dashboardUrl })),
    leaseMs: config.leaseMs,
    redact: overrides.redact ?? secretRedactor(config),
    now,
    logger: overrides.logger ?? routerLogger,
    metrics: overrides.metrics ?? new RouterMetrics(powertoolsMetrics),
    silencedBy:
      overrides.silencedBy ??
      (async (n) => {
        await silenceCache.current();
        const s = silenceCache.match(n.alarmName, now().toISOString());
        return s ? `${s.id} by ${s.author}: ${s.reason}` : null;
      }),
  };
}

let current: Runtime | undefined;

/** The process-wide runtime (one per Lambda container, one per local server). */
export function runtime(): Runtime {
  try {
    current ??= buildRuntime(readConfig());
  } catch (err) {
    reportStartupError(err);
    throw err;
  }
  return current;
}

/** Tests and the local server may install a runtime built with overrides (same handlers, other peers). */
export function setRuntime(rt: Runtime | undefined): void {
  current = rt;
}
