import { routerFunction, type FunctionDeps } from './functions';
import { logRetentionFor } from './settings';

/**
 * Routes of the HTTP API, by the function that serves them (API Gateway v2 route keys). Written out, not
 * imported, so that evaluating sst.config.ts does not load the application; they must equal what each
 * handler serves, which test/infra-wiring.test.ts checks against the handlers' own route tables
 * (`DASHBOARD_HTTP_ROUTES` in packages/aws/src/dashboard/routes.ts, the table in packages/aws/src/slack/routes.ts).
 * As in the local server, everything under /slack/ is the Slack function's and the rest the dashboard's.
 */
export const API_ROUTES = {
  slack: ['POST /slack/commands', 'POST /slack/interactions'],
  dashboard: [
    // open: no token needed
    'GET /health',
    'GET /assets/{proxy+}',
    'GET /login',
    'POST /login',
    'POST /logout',
    // DashboardToken (bearer or session cookie)
    'GET /',
    'GET /incidents/{id}',
    'GET /api/dashboard',
    'GET /api/incidents',
    'GET /api/incidents/{id}',
    'POST /api/incidents/{id}/ack',
    'POST /api/incidents/{id}/resolve',
    'POST /api/incidents/{id}/split',
    'POST /api/silences',
    'GET /api/digest',
    'GET /incidents/{id}/review',
    'POST /api/incidents/{id}/updates',
    'GET /api/hygiene',
  ],
  // WEBHOOK_HTTP_ROUTES in packages/aws/src/webhooks/routes.ts: Sentry signed, the others WebhookToken
  webhooks: ['POST /webhooks/sentry', 'POST /webhooks/gcp', 'POST /webhooks/azure', 'POST /webhooks/alertmanager', 'POST /webhooks/generic'],
} as const;

/** Requests per second for the whole HTTP API (steady rate and burst): far above what Slack and a few dashboards need. */
export const API_THROTTLE = { throttlingRateLimit: 50, throttlingBurstLimit: 100 } as const;

/**
 * One HTTP API (API Gateway v2) for Slack (slash command + interactivity, verified by signature in the
 * function) and the dashboard (HTML + JSON, DashboardToken required by the function). Each side is one
 * function serving its routes, so each links only its own secrets.
 */
export function api(deps: Omit<FunctionDeps, 'dashboardUrl'>) {
  const http = new sst.aws.ApiGatewayV2('Api', {
    // Slack and the dashboard's own pages are the only callers: no browser on another origin needs it.
    cors: false,
    accessLog: { retention: logRetentionFor(deps.settings.stage) },
    transform: {
      // The API is public (Slack must reach it): cap what anyone can make the functions do, login guesses included.
      stage: (args) => {
        args.defaultRouteSettings = { ...API_THROTTLE };
      },
    },
  });
  const withUrl: FunctionDeps = { ...deps, dashboardUrl: http.url };

  // Timeouts come from the budgets (stacks/timeouts.ts); API Gateway gives up at 30 s, which readSettings enforces.
  const functions = {
    slack: routerFunction('SlackHandler', 'slack', withUrl, { description: 'Slack slash command and interactive buttons' }),
    dashboard: routerFunction('DashboardHandler', 'dashboard', withUrl, { description: 'Incident dashboard (HTML) and its JSON API' }),
    webhooks: routerFunction('WebhookHandler', 'webhooks', withUrl, {
      description: 'Alerts from Sentry, Google Cloud Monitoring, Azure Monitor, Alertmanager/Grafana and generic JSON',
    }),
  };

  for (const [key, routes] of Object.entries(API_ROUTES) as [keyof typeof API_ROUTES, readonly string[]][]) {
    for (const route of routes) http.route(route, functions[key].arn);
  }

  return { api: http, url: http.url, functions };
}
