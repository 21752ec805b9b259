import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { logger, powertoolsMetrics, runtime, slackRoutes } from '@alert-router/aws';

/** Slack slash command (`/incident …`) and buttons behind API Gateway (and the local server). Signed requests only. */
export const handler = middy(async (event: APIGatewayProxyEventV2) => slackRoutes(event, runtime()))
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(powertoolsMetrics));
