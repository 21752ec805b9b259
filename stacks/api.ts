import { routerFunction, type FunctionDeps } from './functions';

/** Routes of the HTTP API, by the function that serves them (API Gateway v2 route keys). */
export const API_ROUTES = {
  slack: ['POST /slack/commands', 'POST /slack/interactions'],
  dashboard: [
    'GET /',
    'GET /api/incidents',
    'GET /api/digest',
    'POST /api/incidents/{id}/ack',
    'POST /api/incidents/{id}/resolve',
    'POST /api/silences',
    'GET /health',
    'GET /assets/{proxy+}',
  ],
} as const;

/**
 * One HTTP API (API Gateway v2) for Slack (slash command + interactivity, verified by signature in the
 * function) and the dashboard (HTML + JSON, DashboardToken required by the function). Each side is one
 * function serving its routes, so each links only its own secrets.
 */
export function api(deps: Omit<FunctionDeps, 'dashboardUrl'>) {
  const http = new sst.aws.ApiGatewayV2('Api');
  const withUrl: FunctionDeps = { ...deps, dashboardUrl: http.url };

  const slackFunction = routerFunction('SlackHandler', 'slack', withUrl, {
    description: 'Slack slash command and interactive buttons',
    // Slack waits 3 s for an answer; API Gateway gives up at 30 s.
    timeout: '10 seconds',
  });
  const dashboardFunction = routerFunction('DashboardHandler', 'dashboard', withUrl, {
    description: 'Incident dashboard (HTML) and its JSON API',
    timeout: '15 seconds',
  });

  for (const route of API_ROUTES.slack) http.route(route, slackFunction.arn);
  for (const route of API_ROUTES.dashboard) http.route(route, dashboardFunction.arn);

  return { api: http, url: http.url, slackFunction, dashboardFunction };
}
