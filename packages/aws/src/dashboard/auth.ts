/**
 * Dashboard authentication and CSRF.
 *
 * - With DASHBOARD_TOKEN set (always when deployed) every page and API call needs it: either
 *   `Authorization: Bearer <token>` (API clients) or a session cookie from the /login form.
 * - The cookie never holds the token: it is `payload.mac`, the payload (name, issue time, nonce) signed with
 *   HMAC-SHA256 under a key derived from the token (so rotating the token signs everyone out). HttpOnly,
 *   Secure, SameSite=Strict, 12 h.
 * - CSRF: a per-session token (HMAC of the session nonce) in a hidden field of every form, checked with a
 *   constant-time compare. Bearer-header clients are exempt (a browser never adds that header on its own).
 * - Without a token (local mode) the dashboard is open, but forms still carry a CSRF token tied to an
 *   anonymous session cookie signed with a per-process random key.
 * - Deployed (in Lambda: AWS_LAMBDA_FUNCTION_NAME set) without a token (the secret missing or "unset"), it fails
 *   closed: nobody is let in, by any means (Bearer, cookie, JSON), and nothing can be changed. Only the routes
 *   answered before authentication (GET /health, the static assets) stay open.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { header, type HttpEvent } from '../api/http';
import { readEnv } from '../env';

export const SESSION_COOKIE = 'ar_session';
export const SESSION_MAX_AGE_S = 12 * 3600;

/** Constant-time string equality (both sides hashed first, so lengths do not leak either). */
export function safeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a, 'utf8').digest();
  const hb = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(ha, hb);
}

let processKey: Buffer | null = null;
const derived = new Map<string, Buffer>();

/** The signing key: derived from the token, or a per-process random key when there is none (local mode). */
export function sessionKey(token: string | null): Buffer {
  if (!token) return (processKey ??= randomBytes(32));
  let k = derived.get(token);
  if (!k) {
    k = createHmac('sha256', token).update('alert-router/dashboard/session/v1').digest();
    derived.clear();
    derived.set(token, k);
  }
  return k;
}

export interface Session {
  /** Display name given at sign-in (null: none). */
  user: string | null;
  /** Issued at (epoch seconds). */
  iat: number;
  nonce: string;
  /** Local mode's anonymous session (no token configured). */
  anonymous: boolean;
}

function mac(key: Buffer, data: string): string {
  return createHmac('sha256', key).update(data).digest('base64url');
}

export function issueSession(key: Buffer, s: { user: string | null; anonymous: boolean; nowMs: number }): string {
  const payload = Buffer.from(
    JSON.stringify({ u: s.user, a: s.anonymous ? 1 : 0, iat: Math.floor(s.nowMs / 1000), n: randomBytes(16).toString('base64url') }),
    'utf8',
  ).toString('base64url');
  return `${payload}.${mac(key, `session|${payload}`)}`;
}

/** The session a cookie value carries, or null when it is forged, malformed or expired. */
export function readSession(key: Buffer, value: string | null | undefined, nowMs: number): Session | null {
  if (!value || value.length > 2048) return null;
  const dot = value.indexOf('.');
  if (dot <= 0) return null;
  const payload = value.slice(0, dot);
  const sig = value.slice(dot + 1);
  if (!safeEqual(sig, mac(key, `session|${payload}`))) return null;
  try {
    const p = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { u?: unknown; a?: unknown; iat?: unknown; n?: unknown };
    if (typeof p.iat !== 'number' || typeof p.n !== 'string') return null;
    const age = nowMs / 1000 - p.iat;
    if (age > SESSION_MAX_AGE_S || age < -300) return null;
    return { user: typeof p.u === 'string' && p.u ? p.u : null, iat: p.iat, nonce: p.n, anonymous: p.a === 1 };
  } catch {
    return null;
  }
}

/** The CSRF token of a session (what its forms carry). */
export function csrfToken(key: Buffer, session: Session): string {
  return mac(key, `csrf|${session.nonce}`);
}

export function sessionCookie(value: string): string {
  return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=${SESSION_MAX_AGE_S}`;
}

export function clearedSessionCookie(): string {
  return `${SESSION_COOKIE}=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0`;
}

/** A cookie's value from the event (API Gateway v2 `cookies`, or a Cookie header). */
export function cookieValue(event: HttpEvent, name: string): string | null {
  const all = [...(event.cookies ?? []), ...(header(event, 'cookie')?.split(/;\s*/) ?? [])];
  for (const c of all) {
    const eq = c.indexOf('=');
    if (eq > 0 && c.slice(0, eq).trim() === name) return c.slice(eq + 1).trim();
  }
  return null;
}

export function bearerToken(event: HttpEvent): string | null {
  const h = header(event, 'authorization');
  const m = h ? /^Bearer\s+(.+)$/i.exec(h.trim()) : null;
  return m ? m[1].trim() : null;
}

/** The one-line reason a deployed dashboard without a token refuses everyone. */
export const DASHBOARD_DISABLED = 'dashboard disabled: DashboardToken is not set';

/** Why the dashboard lets nobody in, or null: running in Lambda with no token configured. */
export function dashboardDisabled(token: string | null, env: NodeJS.ProcessEnv = process.env): string | null {
  return !token && Boolean(readEnv(env, ['AWS_LAMBDA_FUNCTION_NAME']).AWS_LAMBDA_FUNCTION_NAME) ? DASHBOARD_DISABLED : null;
}

export type AuthResult =
  | { ok: true; via: 'bearer'; session: null; user: null }
  | { ok: true; via: 'session'; session: Session; user: string | null }
  /** No token configured and no (valid) anonymous session yet: open, forms need a session first. */
  | { ok: true; via: 'open'; session: null; user: null }
  | { ok: false; reason: 'missing' | 'invalid' }
  /** Deployed without a token: fail closed (see dashboardDisabled). */
  | { ok: false; reason: 'disabled'; message: string };

export function authenticate(event: HttpEvent, token: string | null, nowMs: number): AuthResult {
  const disabled = dashboardDisabled(token);
  if (disabled) return { ok: false, reason: 'disabled', message: disabled };
  const key = sessionKey(token);
  const bearer = bearerToken(event);
  if (token) {
    if (bearer !== null) return safeEqual(bearer, token) ? { ok: true, via: 'bearer', session: null, user: null } : { ok: false, reason: 'invalid' };
    const s = readSession(key, cookieValue(event, SESSION_COOKIE), nowMs);
    if (s && !s.anonymous) return { ok: true, via: 'session', session: s, user: s.user };
    return { ok: false, reason: cookieValue(event, SESSION_COOKIE) ? 'invalid' : 'missing' };
  }
  const s = readSession(key, cookieValue(event, SESSION_COOKIE), nowMs);
  return s ? { ok: true, via: 'session', session: s, user: s.user } : { ok: true, via: 'open', session: null, user: null };
}

/**
 * Whether a state-changing request passes the CSRF check: Bearer clients do; a session needs its token (form
 * field `_csrf` or header `x-csrf-token`); local mode without a session accepts only `application/json`
 * (a cross-site form cannot send that without a CORS preflight, which is never granted).
 */
export function csrfOk(event: HttpEvent, auth: AuthResult, token: string | null, provided: string | null): boolean {
  if (!auth.ok) return false;
  if (auth.via === 'bearer') return true;
  if (auth.via === 'session') return provided !== null && safeEqual(provided, csrfToken(sessionKey(token), auth.session));
  return !token && !dashboardDisabled(token) && /^application\/json\b/i.test(header(event, 'content-type') ?? '');
}
