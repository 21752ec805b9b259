import type { Notifier } from '@alert-router/core/notifier';
import { defaultPolicy, type Policy } from '@alert-router/core/policy';
import { ConfigError } from '@alert-router/core/errors';
import { noticeLinks } from '@alert-router/core/render/links';
import type { SendChannel } from '@alert-router/core/types';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { PipelineDeps } from './alarm-pipeline';
import { readConfig, secretRedactor, type RouterConfig } from './config';
import { createDocumentClient } from './dynamo';
import { createNotifiers } from './notifiers/channels';
import { deliverWithRetry } from './notifiers/retry';
import { powertoolsMetrics, reportStartupError, routerLogger, RouterMetrics } from './observability';
import { DynamoSilenceStore, SilenceCache, type SilenceStore } from './silences';
import type { ReplayClaims } from './slack/replay-store';
import { DynamoIncidentStore } from './store';

/** Everything a handler needs, built once per cold start from the environment. */
export interface Runtime extends PipelineDeps {
  config: RouterConfig;
  db: DynamoDBDocumentClient;
  metrics: RouterMetrics;
  silences: SilenceStore;
  /** Slack replay protection shared by every container; default: the table (slack/replay-store.ts). */
  replayClaims?: ReplayClaims;
  silenceCache: SilenceCache;
  /** Strips every configured secret from a text before it is logged, stored or thrown. */
  redact: (text: string) => string;
  /** Milliseconds clock for request deadlines (Slack's 3 s); default Date.now, injectable for tests. */
  deadlineClock?: () => number;
}

/**
 * The policy to route by: ROUTER_POLICY_FILE when set (the YAML parser and the policy schema are loaded only
 * then), else the shipped default, compiled to JSON at build time.
 */
export async function loadPolicy(config: RouterConfig): Promise<Policy> {
  if (!config.policyFile) return defaultPolicy();
  const { loadPolicyFile } = await import('@alert-router/core/policy-file');
  return loadPolicyFile(config.policyFile);
}

/** Builds a runtime; with ROUTER_POLICY_FILE set, pass `policy` from loadPolicy(config) (reading it is async). */
export function buildRuntime(config: RouterConfig, overrides: Partial<Runtime> = {}): Runtime {
  if (!overrides.policy && config.policyFile) {
    throw new ConfigError('ROUTER_POLICY_FILE: load it with loadPolicy(config) and pass it as overrides.policy');
  }
  const policy: Policy = overrides.policy ?? defaultPolicy();
  const db = overrides.db ?? createDocumentClient({ region: config.region, endpoint: config.dynamoEndpoint });
  const notifiers: Record<SendChannel, Notifier> = overrides.notifiers ?? createNotifiers(config);
  const silences = overrides.silences ?? new DynamoSilenceStore(db, config.tableName);
  const now = overrides.now ?? (() => new Date());
  const silenceCache = overrides.silenceCache ?? new SilenceCache(silences, policy, 15_000, () => now().getTime());
  return {
    config,
    silences,
    silenceCache,
    replayClaims: overrides.replayClaims,
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
let building: Promise<Runtime> | undefined;

/** The process-wide runtime (one per Lambda container, one per local server), built on the first call. */
export async function runtime(): Promise<Runtime> {
  if (current) return current;
  building ??= (async () => {
    try {
      const config = readConfig();
      const policy = await loadPolicy(config);
      current ??= buildRuntime(config, { policy });
      return current;
    } catch (err) {
      reportStartupError(err);
      throw err;
    }
  })().finally(() => {
    building = undefined;
  });
  return building;
}

/** Tests and the local server may install a runtime built with overrides (same handlers, other peers). */
export function setRuntime(rt: Runtime | undefined): void {
  current = rt;
}
