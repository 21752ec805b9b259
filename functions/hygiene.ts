import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { ScheduledEvent } from 'aws-lambda';
import { redactedError } from '@alert-router/aws/digest/broadcast';
import { logger, powertoolsMetrics } from '@alert-router/aws/observability';
import { runHygiene } from '@alert-router/aws/review/hygiene';
import { runtime } from '@alert-router/aws/runtime';

/** The weekly run looks back 7 days; the monthly schedule sends `detail.days = 30`. */
function daysOf(event: ScheduledEvent | undefined): 7 | 30 {
  return (event?.detail as { days?: unknown } | undefined)?.days === 30 ? 30 : 7;
}

/**
 * Weekly (and monthly) alert hygiene, beside the daily digest and to the same channels: which alarms to tune.
 * Fails only when every configured channel failed, so a retry never sends a channel twice.
 */
export const handler = middy(async (event: ScheduledEvent) => {
  const rt = await runtime();
  try {
    const run = await runHygiene(rt, { days: daysOf(event) });
    const r = run.report;
    const summary = { from: r.from, to: r.to, days: r.days, total: r.total, suggestions: r.suggestions.length, slack: run.slack, email: run.email };
    const tried = [run.slack, run.email].filter((c) => c.status === 'sent' || c.status === 'failed');
    if (tried.length > 0 && tried.every((c) => c.status === 'failed')) {
      logger.error('hygiene report not delivered', summary);
      throw new Error(`hygiene report not delivered: ${tried.map((c) => (c.status === 'failed' ? c.error : '')).join('; ')}`);
    }
    logger.info('hygiene report sent', summary);
    return summary;
  } catch (err) {
    throw redactedError(err, rt.redact);
  }
})
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(powertoolsMetrics));
