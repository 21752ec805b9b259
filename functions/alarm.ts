import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { SNSEvent } from 'aws-lambda';
import { handleSnsEvent, logger, powertoolsMetrics, runtime } from '@alert-router/aws';

/** SNS → parse → classify → one conditional write → parallel fan-out. Thin: the work is in packages/. */
export const handler = middy(async (event: SNSEvent) => handleSnsEvent(event, runtime()))
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(powertoolsMetrics));
