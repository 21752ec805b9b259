import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { dashboardRoutes } from '@alert-router/aws/dashboard/routes';
import { logger } from '@alert-router/aws/observability';
import { runtime } from '@alert-router/aws/runtime';

/** Dashboard page and JSON API behind API Gateway (and the local server). */
export const handler = middy(async (event: APIGatewayProxyEventV2) => dashboardRoutes(event, await runtime())).use(
  injectLambdaContext(logger, { resetKeys: true }),
);
