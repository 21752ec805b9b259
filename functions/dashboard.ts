import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { dashboardRoutes, logger, runtime } from '@alert-router/aws';

/** Dashboard page and JSON API behind API Gateway (and the local server). */
export const handler = middy(async (event: APIGatewayProxyEventV2) => dashboardRoutes(event, runtime())).use(
  injectLambdaContext(logger, { resetKeys: true }),
);
