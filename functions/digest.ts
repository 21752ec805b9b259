import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { ScheduledEvent } from 'aws-lambda';
import { redactedError, runDigest } from '@alert-router/aws/digest/digest';
import { logger, powertoolsMetrics } from '@alert-router/aws/observability';
import { runtime, type Runtime } from '@alert-router/aws/runtime';

/** Load, send, log; throws when every configured channel failed (channel errors are already redacted). */
async function digest(rt: Runtime) {
  const run = await runDigest(rt, { timeZone: rt.config.digestTimeZone ?? undefined });
  const r = run.report;
  const summary = {
    from: r.from,
    to: r.to,
    empty: r.empty,
    total: r.total,
    breaches: r.breaches.length,
    stillOpen: r.stillOpen.length,
    slack: run.slack,
    email: run.email,
  };
  const tried = [run.slack, run.email].filter((c) => c.status !== 'outbox');
  if (tried.length > 0 && tried.every((c) => c.status === 'failed')) {
    logger.error('digest not delivered', summary);
    throw new Error(rt.redact(`digest not delivered: ${tried.map((c) => (c.status === 'failed' ? c.error : '')).join('; ')}`));
  }
  if (tried.some((c) => c.status === 'failed')) logger.error('digest partly delivered', summary);
  else logger.info('digest sent', summary);
  return summary;
}

/**
 * Daily (DIGEST_TIME in DIGEST_TIMEZONE on AWS; the local scheduler in `npm start`): the last 24 hours to
 * Slack and email. Fails only when every configured channel failed, so a retry never sends a channel twice.
 */
export const handler = middy(async (_event: ScheduledEvent) => {
  const rt = await runtime();
  // Channel errors are redacted where they are made (digest.ts); whatever is thrown is redacted once more here.
  try {
    return await digest(rt);
  } catch (err) {
    throw redactedError(err, rt.redact);
  }
})
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(powertoolsMetrics));
