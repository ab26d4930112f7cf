import { z } from 'zod';
import { route } from './route.js';
import { ApiError } from './errors.js';
import { SESSION_COOKIE, apiTokenScope, cookieOptions, limitOrThrow } from './authn.js';
import { userSchema } from './schemas.js';

const sessionSchema = z.object({ user: userSchema, csrfToken: z.string().nullable() });

export const sessionRoutes = [
  route<Record<string, never>, Record<string, never>, { username: string; password: string }>({
    method: 'post',
    path: '/session',
    summary: 'Sign in: sets an HttpOnly session cookie and returns the CSRF token for later writes',
    tag: 'session',
    access: 'public',
    body: z.object({ username: z.string().min(1).max(64), password: z.string().min(1).max(256) }),
    response: sessionSchema,
    async handler(ctx, { body }, deps) {
      limitOrThrow(ctx, deps, body.username);
      const principal = await deps.users.authenticate(body.username, body.password);
      if (!principal?.username) {
        deps.limiter.fail(ctx.ip, body.username);
        throw new ApiError('unauthenticated', 'invalid username or password');
      }
      deps.limiter.succeed(ctx.ip, body.username);
      const session = deps.sessions.create(principal.username);
      ctx.cookies.set(SESSION_COOKIE, session.id, cookieOptions(ctx, deps));
      ctx.state.auth = { kind: 'session', principal };
      return { user: deps.users.get(principal.username)!, csrfToken: session.csrfToken };
    },
  }),
  route({
    method: 'get',
    path: '/session',
    summary: 'The signed-in user and CSRF token of the current session; user is null when nobody is signed in',
    tag: 'session',
    access: 'public',
    response: z.object({ user: userSchema.nullable(), csrfToken: z.string().nullable() }),
    handler(ctx, _input, deps) {
      // Public and 200 either way: the GUI asks on every load, and "not signed in" is not an error.
      const username = ctx.state.auth?.principal.username;
      if (!username) return { user: null, csrfToken: null };
      const session = ctx.state.auth?.kind === 'session' ? deps.sessions.get(ctx.cookies.get(SESSION_COOKIE)) : undefined;
      return { user: deps.users.get(username) ?? null, csrfToken: session?.csrfToken ?? null };
    },
  }),
  route({
    method: 'delete',
    path: '/session',
    summary: 'Sign out',
    tag: 'session',
    access: 'public',
    handler(ctx, _input, deps) {
      const id = ctx.cookies.get(SESSION_COOKIE);
      if (id) deps.sessions.delete(id);
      ctx.cookies.set(SESSION_COOKIE, '', { ...cookieOptions(ctx, deps), maxAge: 0 });
      return undefined;
    },
  }),
  route({
    method: 'post',
    path: '/tokens',
    summary: 'A short-lived bearer token for scripts (Authorization: Bearer …), valid for the admin API',
    tag: 'session',
    access: 'user',
    response: z.object({ token: z.string(), expiresIn: z.number().int(), issuedAt: z.string() }),
    async handler(ctx, _input, deps) {
      const t = await deps.auth.tokens.issue(ctx.state.auth!.principal.username, [apiTokenScope]);
      return { token: t.token, expiresIn: t.expiresIn, issuedAt: t.issuedAt.toISOString() };
    },
  }),
];
