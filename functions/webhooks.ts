import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { handleWebhook, logger, powertoolsMetrics, runtime } from '@alert-router/aws';

/** Alerts from Sentry, Google Cloud Monitoring, Azure Monitor, Alertmanager/Grafana and generic JSON → the alarm pipeline. */
export const handler = middy(async (event: APIGatewayProxyEventV2) => handleWebhook(event, runtime()))
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(powertoolsMetrics));
