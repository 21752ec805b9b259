import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { SNSEvent } from 'aws-lambda';
import { logger, powertoolsMetrics } from '@alert-router/aws/observability';
import { runtime } from '@alert-router/aws/runtime';
import { handleSnsEvent } from '@alert-router/aws/sns-handler';

/** SNS → parse → classify → one conditional write → parallel fan-out. Thin: the work is in packages/. */
export const handler = middy(async (event: SNSEvent) => handleSnsEvent(event, await runtime()))
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(powertoolsMetrics));
