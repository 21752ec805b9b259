import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { ScheduledEvent } from 'aws-lambda';
import { runEscalations } from '@alert-router/aws/escalation';
import { logger, powertoolsMetrics } from '@alert-router/aws/observability';
import { runtime } from '@alert-router/aws/runtime';
import { RetryableDeliveryFailure } from '@alert-router/aws/sns-handler';

/**
 * Every minute: unacknowledged incidents past their response time get the next step of their chain, and every
 * notice whose retry is due or whose sender died is resent. A notice that failed again fails the invocation
 * (recorded first: the next sweep resends it), so that it shows in the function's errors.
 */
export const handler = middy(async (_event: ScheduledEvent) => {
  const rt = await runtime();
  const run = await runEscalations(rt);
  if (run.escalated.length > 0) logger.info('escalated', { escalated: run.escalated });
  // Heartbeat: the ops topic's alarm fires when finished sweeps stop being counted (stacks/watch.ts).
  rt.metrics.count('EscalationSweeps');
  if (run.failed.length > 0) throw new RetryableDeliveryFailure(run.failed);
  return run;
})
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(powertoolsMetrics));
