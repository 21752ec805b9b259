import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { logger, powertoolsMetrics } from '@alert-router/aws/observability';
import { runtime } from '@alert-router/aws/runtime';
import { handleWebhook } from '@alert-router/aws/webhooks/routes';

/** Alerts from Sentry, Google Cloud Monitoring, Azure Monitor, Alertmanager/Grafana and generic JSON → the alarm pipeline. */
export const handler = middy(async (event: APIGatewayProxyEventV2) => handleWebhook(event, await runtime()))
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(powertoolsMetrics));
