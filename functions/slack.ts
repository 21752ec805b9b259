import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { logger, powertoolsMetrics } from '@alert-router/aws/observability';
import { runtime } from '@alert-router/aws/runtime';
import { slackRoutes } from '@alert-router/aws/slack/routes';

/** Slack slash command (`/incident …`) and buttons behind API Gateway (and the local server). Signed requests only. */
export const handler = middy(async (event: APIGatewayProxyEventV2) => slackRoutes(event, await runtime()))
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(powertoolsMetrics));
