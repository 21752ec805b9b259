import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

export type HttpEvent = APIGatewayProxyEventV2;
export type HttpResult = APIGatewayProxyStructuredResultV2;

export interface Route<C> {
  method: 'GET' | 'POST';
  /** `/api/incidents/{id}/ack` style; `{name}` captures one segment. */
  path: string;
  handler: (event: HttpEvent, params: Record<string, string>, ctx: C) => Promise<HttpResult> | HttpResult;
}

function compile(path: string): RegExp {
  const pattern = path.replace(/[.+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, '(?<$1>[^/]+)');
  return new RegExp(`^${pattern}$`);
}

/** Minimal method+path router for API Gateway v2 events (404 / 405 with a one-line reason). */
export function router<C>(routes: Route<C>[]) {
  const compiled = routes.map((r) => ({ ...r, re: compile(r.path) }));
  return async (event: HttpEvent, ctx: C): Promise<HttpResult> => {
    const method = event.requestContext?.http?.method ?? 'GET';
    const path = event.rawPath || '/';
    let pathMatched = false;
    for (const r of compiled) {
      const m = r.re.exec(path);
      if (!m) continue;
      pathMatched = true;
      if (r.method !== method) continue;
      const params: Record<string, string> = {};
      for (const [k, v] of Object.entries(m.groups ?? {})) params[k] = decodeURIComponent(v);
      return r.handler(event, params, ctx);
    }
    return pathMatched ? json(405, { error: `method ${method} not allowed on ${path}` }) : json(404, { error: `no route ${method} ${path}` });
  };
}

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResult {
  return {
    statusCode,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers },
    body: JSON.stringify(body),
  };
}

export function header(event: HttpEvent, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(event.headers ?? {})) if (k.toLowerCase() === lower) return v;
  return undefined;
}

/** The raw request body as text (API Gateway may base64 it). */
export function bodyText(event: HttpEvent): string {
  if (!event.body) return '';
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
}

export function query(event: HttpEvent, name: string): string | undefined {
  const v = event.queryStringParameters?.[name];
  return v === undefined || v === '' ? undefined : v;
}
