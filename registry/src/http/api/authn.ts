import type { Principal } from '../../auth/access.js';
import { checkCredentials, parseBasic } from '../authn.js';
import { isAccessToken } from '../../auth/access-tokens.js';
import type { AuthResult, Ctx } from '../state.js';
import { ApiError } from './errors.js';
import type { ApiDeps } from './deps.js';
import { SessionStore, type Session } from './session-store.js';
import type { Access } from './route.js';

export const SESSION_COOKIE = 'berth_session';
export const CSRF_HEADER = 'x-csrf-token';

/** The access entry a bearer token needs to be accepted by the admin API (issued by POST /api/v1/tokens). */
export const apiTokenScope = { type: 'registry' as const, name: 'admin-api', actions: ['*' as const] };

const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface ApiAuth {
  result: AuthResult;
  session: Session | undefined;
}

/**
 * Who is calling: a GUI session (cookie), Basic credentials or a bearer token (scripts). Failed Basic
 * attempts count against the same limiter as the login form. Cookie-authenticated writes must carry the
 * session's CSRF token; Basic and bearer are not sent by browsers on their own, so they need none.
 */
export async function authenticateApi(ctx: Ctx, deps: ApiDeps): Promise<ApiAuth | undefined> {
  const header = ctx.get('authorization');
  if (/^basic /i.test(header)) {
    const creds = parseBasic(header);
    if (!creds) throw new ApiError('unauthenticated', 'malformed Basic credentials');
    limitOrThrow(ctx, deps, creds.username);
    const checked = await checkCredentials(deps.auth, creds.username, creds.password);
    if (!checked) {
      deps.limiter.fail(ctx.ip, creds.username);
      throw new ApiError('unauthenticated', 'invalid username or password');
    }
    return { result: { kind: 'basic', principal: checked.principal, accessToken: checked.accessToken }, session: undefined };
  }
  const bearer = /^bearer /i.test(header) ? header.slice(7).trim() : undefined;
  if (bearer !== undefined && isAccessToken(bearer)) {
    // A personal access token names its user itself, so scripts can send it alone.
    const principal = deps.auth.accessTokens?.authenticate(bearer);
    if (!principal) throw new ApiError('unauthenticated', 'the access token is unknown, expired or revoked');
    return { result: { kind: 'basic', principal, accessToken: true }, session: undefined };
  }
  if (bearer !== undefined) {
    const claims = await deps.auth.tokens.verify(header.slice(7).trim());
    const mayUseApi = claims?.access.some((a) => a.type === apiTokenScope.type && a.name === apiTokenScope.name);
    const principal = claims?.sub ? deps.users.principalOf(claims.sub) : undefined;
    if (!claims || !mayUseApi || !principal) throw new ApiError('unauthenticated', 'the bearer token is invalid, expired or not an admin API token');
    return { result: { kind: 'token', principal, claims }, session: undefined };
  }
  const session = deps.sessions.get(ctx.cookies.get(SESSION_COOKIE));
  if (!session) return undefined;
  const principal = deps.users.principalOf(session.username);
  if (!principal) {
    deps.sessions.delete(session.id);
    return undefined;
  }
  if (!safeMethods.has(ctx.method) && !SessionStore.csrfMatches(session, ctx.get(CSRF_HEADER) || undefined)) {
    throw new ApiError('csrf_failed', `missing or wrong ${CSRF_HEADER} header; reload the page and sign in again if this persists`);
  }
  return { result: { kind: 'session', principal }, session };
}

export function limitOrThrow(ctx: Ctx, deps: ApiDeps, username: string): void {
  const wait = deps.limiter.retryAfter(ctx.ip, username);
  if (wait > 0) {
    throw new ApiError('rate_limited', `too many failed sign-in attempts; try again in ${wait} s`, { headers: { 'Retry-After': String(wait) } });
  }
}

export function allowed(p: Principal, access: Access): boolean {
  switch (access) {
    case 'public':
      return true;
    case 'user':
      return p.role !== undefined;
    case 'writer':
      return p.role === 'admin' || p.role === 'developer';
    case 'admin':
      return p.role === 'admin';
  }
}

/** Session cookie attributes: HttpOnly, SameSite=Strict, and Secure when the GUI is served over https. */
export function cookieOptions(ctx: Ctx, deps: ApiDeps, maxAge?: number) {
  const secure = ctx.secure || (deps.config.externalUrl?.startsWith('https:') ?? false);
  // Behind a TLS-terminating proxy the socket is plain HTTP; the cookie module refuses Secure unless told.
  if (secure) (ctx.cookies as unknown as { secure: boolean }).secure = true;
  return { httpOnly: true, sameSite: 'strict' as const, secure, path: '/', overwrite: true, ...(maxAge !== undefined ? { maxAge } : {}) };
}
