/**
 * The dashboard function: HTML pages, their JSON twins for polling, the JSON API of docs/contracts.md, login, and the
 * two static assets. Authentication, CSRF and security headers are applied here for every route.
 *
 *   GET  /health                          open (no secrets)
 *   GET  /assets/app.css, /assets/app.js  open (static)
 *   GET  /login · POST /login · POST /logout
 *   GET  /                                dashboard (filters: severity, status, alarm, hours)
 *   GET  /incidents/{id}                  incident detail
 *   GET  /api/dashboard                   the dashboard's live regions (polling)
 *   GET  /api/incidents[?status=…]        {"incidents": [...], "next": cursor|null}, newest first, paged
 *   GET  /api/incidents/{id}              {"incident": …} (?sections=1: the detail page's live regions)
 *   POST /api/incidents/{id}/ack|resolve  JSON in → JSON out; form in → 303 back to the page
 *   POST /api/incidents/{id}/split        a group's member (`incidentKey`) into an incident of its own
 *   POST /api/silences                    JSON or form
 *   GET  /api/digest?hours=24             the digest's numbers
 *   GET  /incidents/{id}/review           review draft (HTML; ?format=md or Accept: text/markdown → Markdown)
 *   POST /api/incidents/{id}/updates      stakeholder update (JSON or form)
 *   GET  /api/hygiene?days=7              the alert-hygiene numbers
 */
import {
  GLOB_PROBLEMS,
  GLOB_RULES,
  globProblem,
  headerSafe,
  normaliseIncidentId,
  parseDuration,
  renderDashboardPage,
  renderDashboardSections,
  renderErrorPage,
  renderIncidentPage,
  renderIncidentSections,
  renderLoginPage,
  type DashboardSession,
  type Flash,
  type GlobProblem,
  type Incident,
} from '@alert-router/core';
import { acknowledgeIncident, resolveIncident, type ActionResult, type Actor } from '../actions';
import { splitOut } from '../split';
import { bodyText, header, json, query, router, type HttpEvent, type HttpResult, type Route } from '../api/http';
import { getIncidentRoute, healthRoute, listIncidentsRoute, rangedNumber } from '../api/incidents-api';
import { loadDigestCached } from '../digest/digest';
import { hygieneRoute, reviewRoute, stakeholderUpdate } from './review-routes';
import type { Runtime } from '../runtime';
import { ASSETS } from './assets';
import {
  authenticate,
  clearedSessionCookie,
  csrfOk,
  dashboardDisabled,
  csrfToken,
  issueSession,
  readSession,
  safeEqual,
  sessionCookie,
  sessionKey,
  type AuthResult,
  type Session,
} from './auth';
import { dashboardFilters, filtersQuery, incidentEtag, loadDashboard } from './data';

export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

interface Ctx {
  rt: Runtime;
  auth: Extract<AuthResult, { ok: true }>;
  /** The session forms are tied to (may be new: then `cookies` sets it). */
  session: Session | null;
  cookies: string[];
  body: Record<string, unknown>;
  form: boolean;
}

// ---------------------------------------------------------------- helpers

function htmlPage(statusCode: number, body: string, extra: Partial<HttpResult> = {}): HttpResult {
  return { statusCode, headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }, body, ...extra };
}

function redirect(location: string, cookies: string[] = []): HttpResult {
  return { statusCode: 303, headers: { location, 'cache-control': 'no-store' }, body: '', ...(cookies.length ? { cookies } : {}) };
}

function wantsJson(event: HttpEvent): boolean {
  const path = event.rawPath || '/';
  return path.startsWith('/api/') || /application\/json/i.test(header(event, 'accept') ?? '');
}

function isForm(event: HttpEvent): boolean {
  return /^application\/x-www-form-urlencoded\b/i.test(header(event, 'content-type') ?? '');
}

/** A local path to go back to (never another origin: `//evil`, `/\evil`, `https:`…). */
export function safeLocalPath(value: unknown, fallback = '/'): string {
  if (typeof value !== 'string' || !value.startsWith('/') || value.startsWith('//') || /[\\\s]/.test(value) || value.length > 2000) return fallback;
  return value;
}

function withFlash(path: string, params: Record<string, string>): string {
  const u = new URL(path, 'http://local');
  for (const k of ['done', 'error', 'id', 'reason']) u.searchParams.delete(k);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  return `${u.pathname}${u.search}`;
}

const FLASH_ID = /^(INC|SIL)-[0-9A-Z]{6,8}$/;

/** Flash messages come from fixed texts keyed by code; only a validated id is echoed. */
function flashFrom(event: HttpEvent): Flash | null {
  const id = query(event, 'id');
  const shown = id && FLASH_ID.test(id) ? id : 'The incident';
  const done = query(event, 'done');
  const error = query(event, 'error');
  if (done === 'ack') return { kind: 'ok', text: `${shown} acknowledged.` };
  if (done === 'resolve') return { kind: 'ok', text: `${shown} resolved.` };
  if (done === 'update') return { kind: 'ok', text: `Update on ${shown} posted.` };
  if (done === 'split') return { kind: 'ok', text: `Split out into ${shown}.` };
  if (error === 'split-refused') return { kind: 'error', text: 'That alarm cannot be split out (it recovered, or it is the last one firing).' };
  if (error === 'update-invalid') return { kind: 'error', text: 'An update needs some text (up to 1000 characters).' };
  if (error === 'timeline-full') return { kind: 'error', text: `${shown} has too many timeline entries for more updates.` };
  if (done === 'silence') return { kind: 'ok', text: `Silence ${id && FLASH_ID.test(id) ? id : ''} created.`.replace('  ', ' ') };
  if (error === 'already-resolved') return { kind: 'error', text: `${shown} was already resolved.` };
  if (error === 'already-acknowledged') return { kind: 'error', text: `${shown} was already acknowledged.` };
  if (error === 'not-found') return { kind: 'error', text: `No such incident.` };
  const pattern = query(event, 'reason');
  if (error === 'silence-pattern' && pattern && Object.hasOwn(GLOB_PROBLEMS, pattern))
    return { kind: 'error', text: `Silence refused: ${GLOB_PROBLEMS[pattern as GlobProblem]}.` };
  if (error === 'silence-invalid') return { kind: 'error', text: 'A silence needs an alarm name pattern, a duration (up to 30 days) and a reason.' };
  return null;
}

function sessionView(ctx: Ctx): DashboardSession {
  const key = sessionKey(ctx.rt.config.dashboardToken);
  return {
    csrf: ctx.session ? csrfToken(key, ctx.session) : null,
    user: ctx.session?.user ?? null,
    authEnabled: Boolean(ctx.rt.config.dashboardToken),
  };
}

function str(v: unknown, max: number): string | null {
  if (typeof v !== 'string' && typeof v !== 'number') return null;
  const s = String(v).trim();
  return s ? s.slice(0, max) : null;
}

function actorFor(ctx: Ctx): Actor {
  const fromBody = ctx.auth.via === 'bearer' || ctx.auth.via === 'open' ? str(ctx.body.by, 64) : null;
  const name = headerSafe(ctx.session?.user ?? fromBody ?? 'dashboard').slice(0, 64) || 'dashboard';
  return { id: 'dashboard', name, via: 'dashboard' };
}

function parseBody(event: HttpEvent): Record<string, unknown> | string {
  const text = bodyText(event);
  if (isForm(event)) return Object.fromEntries(new URLSearchParams(text));
  if (!text.trim()) return {};
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : 'body: expected a JSON object';
  } catch {
    return 'body is not JSON';
  }
}

// ---------------------------------------------------------------- pages

async function dashboardPage(event: HttpEvent, ctx: Ctx): Promise<HttpResult> {
  const f = dashboardFilters(event);
  const now = ctx.rt.now();
  const data = await loadDashboard(ctx.rt, f, now);
  const q = filtersQuery(f);
  const html = renderDashboardPage(
    { now: now.toISOString(), policy: ctx.rt.policy, filters: f, ...data, session: sessionView(ctx), flash: flashFrom(event) },
    { path: `/${q}`, poll: `/api/dashboard${q}`, etag: data.etag, pollMs: ctx.rt.config.dashboardPollMs },
  );
  return htmlPage(200, html, ctx.cookies.length ? { cookies: ctx.cookies } : {});
}

async function dashboardPoll(event: HttpEvent, ctx: Ctx): Promise<HttpResult> {
  const f = dashboardFilters(event);
  const now = ctx.rt.now();
  const data = await loadDashboard(ctx.rt, f, now);
  if (query(event, 'etag') === data.etag) return json(200, { now: now.toISOString(), etag: data.etag, changed: false });
  const sections = renderDashboardSections({ now: now.toISOString(), policy: ctx.rt.policy, filters: f, ...data, session: sessionView(ctx) });
  return json(200, { now: now.toISOString(), etag: data.etag, changed: true, sections });
}

async function findIncident(rt: Runtime, raw: string): Promise<Incident | null> {
  const id = normaliseIncidentId(raw) ?? raw;
  return rt.store.getIncident(id);
}

async function incidentPage(event: HttpEvent, id: string, ctx: Ctx): Promise<HttpResult> {
  const incident = await findIncident(ctx.rt, id);
  if (!incident)
    return htmlPage(
      404,
      renderErrorPage(404, 'No such incident', `There is no incident ${id}.`, sessionView(ctx)),
      ctx.cookies.length ? { cookies: ctx.cookies } : {},
    );
  const html = renderIncidentPage(
    { incident, now: ctx.rt.now().toISOString(), policy: ctx.rt.policy, session: sessionView(ctx), flash: flashFrom(event) },
    { poll: `/api/incidents/${encodeURIComponent(incident.id)}?sections=1`, etag: incidentEtag(incident), pollMs: ctx.rt.config.dashboardPollMs },
  );
  return htmlPage(200, html, ctx.cookies.length ? { cookies: ctx.cookies } : {});
}

async function incidentJson(event: HttpEvent, id: string, ctx: Ctx): Promise<HttpResult> {
  if (query(event, 'sections') !== '1') return getIncidentRoute(normaliseIncidentId(id) ?? id, ctx.rt);
  const incident = await findIncident(ctx.rt, id);
  if (!incident) return json(404, { error: `no incident ${id}` });
  const now = ctx.rt.now().toISOString();
  const etag = incidentEtag(incident);
  if (query(event, 'etag') === etag) return json(200, { now, etag, changed: false });
  const sections = renderIncidentSections({ incident, now, policy: ctx.rt.policy, session: sessionView(ctx) });
  return json(200, { now, etag, changed: true, sections });
}

// ---------------------------------------------------------------- actions

const CONFLICT: Record<Exclude<ActionResult['kind'], 'done' | 'not-found'>, string> = {
  'already-resolved': 'is already resolved',
  'already-acknowledged': 'is already acknowledged',
};

async function incidentAction(kind: 'ack' | 'resolve', rawId: string, ctx: Ctx): Promise<HttpResult> {
  const id = normaliseIncidentId(rawId) ?? rawId;
  const actor = actorFor(ctx);
  const note = str(ctx.body.note, 1000) ?? undefined;
  const r = kind === 'ack' ? await acknowledgeIncident(ctx.rt, id, actor) : await resolveIncident(ctx.rt, id, actor, { note });
  if (ctx.form) {
    const back = safeLocalPath(ctx.body.redirect, `/incidents/${encodeURIComponent(id)}`);
    if (r.kind === 'done') return redirect(withFlash(back, { done: kind, id: r.incident.id }));
    return redirect(withFlash(back, { error: r.kind, id }));
  }
  if (r.kind === 'done') return json(200, { incident: r.incident });
  if (r.kind === 'not-found') return json(404, { error: `no incident ${rawId}` });
  return json(409, { error: `${id} ${CONFLICT[r.kind]}`, incident: r.incident });
}

/** Splits a member out of its group; the form goes back to the new incident's page. */
async function splitAction(rawId: string, ctx: Ctx): Promise<HttpResult> {
  const id = normaliseIncidentId(rawId) ?? rawId;
  const incidentKey = str(ctx.body.incidentKey, 2048);
  if (!incidentKey)
    return ctx.form
      ? redirect(withFlash(`/incidents/${encodeURIComponent(id)}`, { error: 'split-refused', id }))
      : json(400, { error: "incidentKey: expected the member alarm's key" });
  const r = await splitOut(ctx.rt, id, incidentKey, actorFor(ctx));
  if (ctx.form) {
    if (r.kind === 'done') return redirect(withFlash(`/incidents/${encodeURIComponent(r.incident.id)}`, { done: 'split', id: r.incident.id }));
    return redirect(withFlash(`/incidents/${encodeURIComponent(id)}`, { error: r.kind === 'not-found' ? 'not-found' : 'split-refused', id }));
  }
  if (r.kind === 'done') return json(200, { group: r.group, incident: r.incident });
  if (r.kind === 'not-found') return json(404, { error: `no incident ${rawId}` });
  return json(409, { error: r.why });
}

async function createSilence(ctx: Ctx): Promise<HttpResult> {
  const match = str(ctx.body.match, GLOB_RULES.maxLength + 1);
  const reason = str(ctx.body.reason, 500);
  const minutes = typeof ctx.body.minutes === 'number' ? ctx.body.minutes : parseDuration(str(ctx.body.duration, 20) ?? '');
  const valid = match && reason && minutes !== null && Number.isFinite(minutes) && minutes > 0 && minutes <= 30 * 1440;
  const back = safeLocalPath(ctx.body.redirect, '/');
  const patternProblem = match ? globProblem(match) : null;
  if (patternProblem) {
    if (ctx.form) return redirect(withFlash(back, { error: 'silence-pattern', reason: patternProblem }));
    return json(400, { error: `match: ${GLOB_PROBLEMS[patternProblem]}` });
  }
  if (!valid) {
    if (ctx.form) return redirect(withFlash(back, { error: 'silence-invalid' }));
    const problem = !match
      ? 'match: required (alarm name pattern, * as wildcard)'
      : !reason
        ? 'reason: required'
        : 'duration: expected 30m, 2h, 1d… up to 30d (or minutes)';
    return json(400, { error: problem });
  }
  const actor = actorFor(ctx);
  const silence = await ctx.rt.silences.create({ match, reason, author: `${actor.name} (dashboard)`, minutes, now: ctx.rt.now().toISOString() });
  ctx.rt.silenceCache.invalidate();
  if (ctx.form) return redirect(withFlash(back, { done: 'silence', id: silence.id }));
  return json(201, { silence });
}

async function updateAction(rawId: string, ctx: Ctx): Promise<HttpResult> {
  const id = normaliseIncidentId(rawId) ?? rawId;
  const r = await stakeholderUpdate(ctx.rt, id, actorFor(ctx), ctx.body.text);
  if (!ctx.form) return json(r.status, r.body);
  const back = safeLocalPath(ctx.body.redirect, `/incidents/${encodeURIComponent(id)}`);
  return redirect(withFlash(back, r.kind === 'posted' ? { done: 'update', id } : { error: r.kind, id }));
}

/** `GET /api/digest?hours=`: the documented range. */
const DIGEST_HOURS = { min: 1, max: 720 } as const;

async function digestRoute(event: HttpEvent, rt: Runtime): Promise<HttpResult> {
  const hours = rangedNumber(event, 'hours', DIGEST_HOURS, 24);
  if (typeof hours === 'string') return json(400, { error: hours });
  return json(200, await loadDigestCached(rt, hours));
}

/** The routes behind authentication (and, for POST, the CSRF check). */
const ROUTE_TABLE: Route<Ctx>[] = [
  { method: 'GET', path: '/', handler: (e, _p, c) => dashboardPage(e, c) },
  { method: 'GET', path: '/incidents/{id}', handler: (e, p, c) => incidentPage(e, p.id, c) },
  { method: 'GET', path: '/api/dashboard', handler: (e, _p, c) => dashboardPoll(e, c) },
  { method: 'GET', path: '/api/incidents', handler: (e, _p, c) => listIncidentsRoute(e, c.rt) },
  { method: 'GET', path: '/api/incidents/{id}', handler: (e, p, c) => incidentJson(e, p.id, c) },
  { method: 'POST', path: '/api/incidents/{id}/ack', handler: (_e, p, c) => incidentAction('ack', p.id, c) },
  { method: 'POST', path: '/api/incidents/{id}/resolve', handler: (_e, p, c) => incidentAction('resolve', p.id, c) },
  { method: 'POST', path: '/api/incidents/{id}/split', handler: (_e, p, c) => splitAction(p.id, c) },
  { method: 'POST', path: '/api/silences', handler: (_e, _p, c) => createSilence(c) },
  { method: 'GET', path: '/api/digest', handler: (e, _p, c) => digestRoute(e, c.rt) },
  { method: 'GET', path: '/incidents/{id}/review', handler: (e, p, c) => reviewRoute(e, p.id, c.rt, sessionView(c)) },
  { method: 'POST', path: '/api/incidents/{id}/updates', handler: (_e, p, c) => updateAction(p.id, c) },
  { method: 'GET', path: '/api/hygiene', handler: (e, _p, c) => hygieneRoute(e, c.rt) },
];
const routes = router<Ctx>(ROUTE_TABLE);

// ---------------------------------------------------------------- login

function loginNext(v: unknown): string {
  const p = safeLocalPath(v, '/');
  return p.startsWith('/login') || p.startsWith('/logout') ? '/' : p;
}

async function login(event: HttpEvent, rt: Runtime): Promise<HttpResult> {
  const token = rt.config.dashboardToken;
  const method = event.requestContext?.http?.method ?? 'GET';
  if (method === 'GET') {
    const next = loginNext(query(event, 'next'));
    if (!token) return redirect(next);
    const auth = authenticate(event, token, rt.now().getTime());
    if (auth.ok) return redirect(next);
    return htmlPage(200, renderLoginPage({ next }));
  }
  const body = isForm(event) ? Object.fromEntries(new URLSearchParams(bodyText(event))) : {};
  const next = loginNext(body.next);
  if (!token) return redirect(next);
  if (typeof body.token !== 'string' || !safeEqual(body.token, token)) {
    return htmlPage(401, renderLoginPage({ next, error: 'That token is not right.' }));
  }
  const name = headerSafe(typeof body.name === 'string' ? body.name : '').slice(0, 64) || null;
  const value = issueSession(sessionKey(token), { user: name, anonymous: false, nowMs: rt.now().getTime() });
  return redirect(next, [sessionCookie(value)]);
}

function logout(rt: Runtime): HttpResult {
  return redirect(rt.config.dashboardToken ? '/login' : '/', [clearedSessionCookie()]);
}

function unauthorized(event: HttpEvent): HttpResult {
  // A form posted after the session expired gets the login page, not JSON.
  if (wantsJson(event) && !isForm(event)) {
    return json(
      401,
      { error: 'authentication required: Authorization: Bearer <DASHBOARD_TOKEN>, or sign in at /login' },
      { 'www-authenticate': 'Bearer realm="alert-router"' },
    );
  }
  const path = event.rawPath || '/';
  const next = event.requestContext?.http?.method === 'GET' ? `${path}${event.rawQueryString ? `?${event.rawQueryString}` : ''}` : '/';
  return htmlPage(401, renderLoginPage({ next: loginNext(next) }), {
    headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'www-authenticate': 'Bearer realm="alert-router"' },
  });
}

function forbidden(event: HttpEvent, message: string): HttpResult {
  if (wantsJson(event) && !isForm(event)) return json(403, { error: message });
  return htmlPage(403, renderErrorPage(403, 'Refused', message));
}

// ---------------------------------------------------------------- entry

function securityHeaders(res: HttpResult, rt: Runtime): HttpResult {
  return {
    ...res,
    headers: {
      ...(res.headers ?? {}),
      'content-security-policy': CONTENT_SECURITY_POLICY,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'x-frame-options': 'DENY',
      'cross-origin-opener-policy': 'same-origin',
      ...(rt.config.inLambda ? { 'strict-transport-security': 'max-age=31536000; includeSubDomains' } : {}),
    },
  };
}

async function handle(event: HttpEvent, rt: Runtime): Promise<HttpResult> {
  const method = event.requestContext?.http?.method ?? 'GET';
  const path = event.rawPath || '/';
  if (path === '/health' && method === 'GET') return healthRoute(rt);
  if (path.startsWith('/assets/') && method === 'GET') {
    const a = ASSETS[path.slice('/assets/'.length)];
    if (!a) return json(404, { error: `no asset ${path}` });
    if (header(event, 'if-none-match') === a.etag) return { statusCode: 304, headers: { etag: a.etag }, body: '' };
    return { statusCode: 200, headers: { 'content-type': a.type, 'cache-control': 'public, max-age=300', etag: a.etag }, body: a.body };
  }
  const token = rt.config.dashboardToken;
  const disabled = dashboardDisabled(token);
  if (disabled) return json(503, { error: disabled });
  if (path === '/login' && (method === 'GET' || method === 'POST')) return login(event, rt);
  if (path === '/logout' && method === 'POST') return logout(rt);

  const nowMs = rt.now().getTime();
  const auth = authenticate(event, token, nowMs);
  if (!auth.ok) return unauthorized(event);

  const ctx: Ctx = { rt, auth, session: auth.session, cookies: [], body: {}, form: false };
  if (method === 'POST') {
    const body = parseBody(event);
    if (typeof body === 'string') return json(400, { error: body });
    ctx.body = body;
    ctx.form = isForm(event);
    const provided = str(body._csrf, 200) ?? header(event, 'x-csrf-token') ?? null;
    if (!csrfOk(event, auth, token, provided)) {
      return forbidden(event, 'The form has expired or did not come from this dashboard (CSRF check failed). Reload the page and try again.');
    }
  } else if (auth.via === 'open' && !wantsJson(event)) {
    // Local mode without a token: an anonymous session so that the page's forms can carry a CSRF token.
    const value = issueSession(sessionKey(null), { user: null, anonymous: true, nowMs });
    ctx.cookies.push(sessionCookie(value));
    ctx.session = readSession(sessionKey(null), value, nowMs);
  }
  return routes(event, ctx);
}

/**
 * Every method + path this function serves: the open routes `handle` answers before authentication, then the
 * route table. `{name}` is one path segment and `{name+}` the rest of the path, as in API Gateway route keys;
 * stacks/api.ts routes exactly these to the dashboard function (test/infra-wiring.test.ts holds them equal).
 */
export const DASHBOARD_HTTP_ROUTES: readonly { method: 'GET' | 'POST'; path: string }[] = [
  { method: 'GET', path: '/health' },
  { method: 'GET', path: '/assets/{proxy+}' },
  { method: 'GET', path: '/login' },
  { method: 'POST', path: '/login' },
  { method: 'POST', path: '/logout' },
  ...ROUTE_TABLE.map(({ method, path }) => ({ method, path })),
];

export async function dashboardRoutes(event: HttpEvent, rt: Runtime): Promise<HttpResult> {
  return securityHeaders(await handle(event, rt), rt);
}
