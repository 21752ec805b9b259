import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { ConfigError } from '@alert-router/core';
import type { PipelineLogger, PipelineMetrics } from './alarm-pipeline';
import { readEnv } from './env';

const powertools = readEnv(process.env, ['POWERTOOLS_SERVICE_NAME', 'POWERTOOLS_METRICS_NAMESPACE']);

/** Structured JSON logs (Powertools). Secrets are never passed to it; see config.secretValues for the test that checks. */
export const logger = new Logger({ serviceName: powertools.POWERTOOLS_SERVICE_NAME });

/** Powertools metrics: embedded metric format on stdout, no API call on the hot path. */
export const powertoolsMetrics = new Metrics({
  namespace: powertools.POWERTOOLS_METRICS_NAMESPACE,
  serviceName: powertools.POWERTOOLS_SERVICE_NAME,
  logger: {
    debug: console.debug,
    info: console.info,
    error: console.error,
    // Local mode runs concurrent invocations against one Metrics object: the first flush takes everybody's
    // metrics and the others find none. That is expected, not worth a line per alarm.
    warn: (message: unknown, ...rest: unknown[]) => {
      if (typeof message === 'string' && message.startsWith('No application metrics to publish')) return;
      console.warn(message, ...rest);
    },
  },
});

/**
 * Counters published as CloudWatch metrics (EMF, flushed by the handler's logMetrics middleware) and kept in
 * memory too, so the local server can show them on /health. POWERTOOLS_METRICS_DISABLED silences EMF locally.
 */
export class RouterMetrics implements PipelineMetrics {
  readonly totals = new Map<string, number>();
  /** EMF is off (local mode): only the totals are kept, nothing is stored in Powertools to be dropped at each flush. */
  private readonly emfOn: boolean;
  constructor(private readonly emf: Metrics | null) {
    this.emfOn = !readEnv(process.env, ['POWERTOOLS_METRICS_DISABLED']).POWERTOOLS_METRICS_DISABLED;
  }

  count(name: string, value = 1, dimensions?: Record<string, string>): void {
    const key = dimensions
      ? `${name}{${Object.entries(dimensions)
          .map(([k, v]) => `${k}=${v}`)
          .join(',')}}`
      : name;
    this.totals.set(key, (this.totals.get(key) ?? 0) + value);
    if (!this.emf || !this.emfOn) return;
    this.emf.addMetric(name, MetricUnit.Count, value);
    if (dimensions) {
      const single = this.emf.singleMetric();
      for (const [k, v] of Object.entries(dimensions)) single.addDimension(k, v);
      single.addMetric(name, MetricUnit.Count, value);
    }
  }

  snapshot(): Record<string, number> {
    return Object.fromEntries(this.totals);
  }
}

/** The pipeline's narrow logging interface over the Powertools logger. */
export const routerLogger: PipelineLogger = {
  info: (message, extra) => (extra ? logger.info(message, extra) : logger.info(message)),
  warn: (message, extra) => (extra ? logger.warn(message, extra) : logger.warn(message)),
  error: (message, extra) => (extra ? logger.error(message, extra) : logger.error(message)),
};

let startupErrorReported = false;

/**
 * A configuration that cannot be read at start (an invalid secret or setting) fails every invocation of the
 * container the same way: report it once per container, clearly, as a log line and a `StartupErrors` metric
 * (the ops topic's alarm, stacks/watch.ts), not as a fresh stack trace per alarm. The caller still throws, so the
 * event is retried and then kept in the dead-letter queue for a replay once the configuration is fixed.
 */
export function reportStartupError(err: unknown): void {
  if (startupErrorReported) return;
  startupErrorReported = true;
  // Our ConfigError messages name the setting, never its value; anything else may quote a secret, so only its type.
  const error = err instanceof ConfigError ? `${err.name}: ${err.message}` : `${(err as Error)?.name ?? typeof err} (message withheld: it may quote a secret)`;
  logger.error('startup error: the configuration cannot be read; every invocation fails until it is fixed and deployed', { error });
  if (readEnv(process.env, ['POWERTOOLS_METRICS_DISABLED']).POWERTOOLS_METRICS_DISABLED) return;
  const single = powertoolsMetrics.singleMetric();
  single.addMetric('StartupErrors', MetricUnit.Count, 1);
}
