import { getIncidentRoute, healthRoute, listIncidentsRoute } from '../api/incidents-api';
import { router, type HttpEvent, type HttpResult } from '../api/http';
import type { Runtime } from '../runtime';

const routes = router<Runtime>([
  { method: 'GET', path: '/health', handler: (_e, _p, rt) => healthRoute(rt) },
  { method: 'GET', path: '/api/incidents', handler: (e, _p, rt) => listIncidentsRoute(e, rt) },
  { method: 'GET', path: '/api/incidents/{id}', handler: (_e, p, rt) => getIncidentRoute(p.id, rt) },
]);

export function dashboardRoutes(event: HttpEvent, rt: Runtime): Promise<HttpResult> {
  return routes(event, rt);
}
