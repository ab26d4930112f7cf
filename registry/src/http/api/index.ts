import Router, { type RouterMiddleware } from '@koa/router';
import type { Middleware } from 'koa';
import type { BerthState, Ctx } from '../state.js';
import { readSmallBody, hasBody } from '../body.js';
import { baseMediaType } from '../../oci/media-types.js';
import { ApiError, renderApiError, validationError } from './errors.js';
import { allowed, authenticateApi } from './authn.js';
import type { ApiDeps } from './deps.js';
import { API_PREFIX, type ApiRoute } from './route.js';

export { API_PREFIX } from './route.js';
import { sessionRoutes } from './session.js';
import { meRoutes } from './me.js';
import { systemRoutes } from './system.js';
import { repositoryRoutes } from './repositories.js';
import { userRoutes } from './users.js';
import { projectRoutes } from './projects.js';
import { gcRoutes } from './gc.js';
import { auditRoutes } from './audit.js';
import { metricsRoutes } from './metrics.js';
import { eventRoutes } from './events.js';
import { openApiDocument } from './openapi.js';
import { accessTokenRoutes } from './access-tokens.js';

const MAX_BODY = 256 * 1024;

/** The core's routes; other services add theirs through ApiDeps.extraRoutes. */
export const coreRoutes: ApiRoute[] = [
  ...sessionRoutes,
  ...meRoutes,
  ...accessTokenRoutes,
  ...systemRoutes,
  ...repositoryRoutes,
  ...userRoutes,
  ...projectRoutes,
  ...gcRoutes,
  ...auditRoutes,
  ...metricsRoutes,
  ...eventRoutes,
];

/** The admin API as one koa middleware, mounted by createApp's `extra` option. */
export function apiMiddleware(deps: ApiDeps): Middleware<BerthState> {
  const routes = [...coreRoutes, ...(deps.extraRoutes ?? [])];
  const router = new Router<BerthState>({ prefix: API_PREFIX });
  let openapi: string | undefined;
  router.get('/openapi.json', (ctx) => {
    ctx.state.route = 'api.openapi';
    openapi ??= JSON.stringify(openApiDocument(routes, deps.version));
    ctx.type = 'application/json';
    ctx.body = openapi;
  });
  for (const r of routes) router[r.method](koaPath(r.path), handle(r, deps));

  const dispatch = router.routes();
  const methods = router.allowedMethods({ throw: true });
  return async (ctx: Ctx, next) => {
    if (ctx.path !== API_PREFIX && !ctx.path.startsWith(`${API_PREFIX}/`)) return next();
    ctx.set('Cache-Control', 'no-store');
    ctx.set('X-Content-Type-Options', 'nosniff');
    try {
      // The router's context type adds params; ours is the same object at run time.
      const rctx = ctx as Parameters<typeof dispatch>[0];
      await dispatch(rctx, async () => {
        await methods(rctx as Parameters<typeof methods>[0], async () => undefined);
      });
      if (ctx.status === 404 && ctx.body === undefined) throw new ApiError('not_found', `no API route for ${ctx.method} ${ctx.path}`);
    } catch (e) {
      const status = (e as { status?: number }).status;
      if (status === 405 || status === 501) renderApiError(ctx, new ApiError('method_not_allowed', `${ctx.method} is not allowed on ${ctx.path}`));
      else renderApiError(ctx, e);
    }
  };
}

function koaPath(openApiPath: string): string {
  return openApiPath.replace(/\{(\w+)\}/g, ':$1');
}

/** rate limit (login only, inside its handler) → authenticate → authorize → validate → handler. */
function handle(r: ApiRoute, deps: ApiDeps): RouterMiddleware<BerthState> {
  return async (ctx) => {
    ctx.state.route = `api.${r.tag}`;
    const auth = await authenticateApi(ctx, deps);
    if (auth) ctx.state.auth = auth.result;
    if (r.access !== 'public') {
      if (!auth) throw new ApiError('unauthenticated', 'sign in first');
      if (!allowed(auth.result.principal, r.access)) {
        throw new ApiError('forbidden', `${auth.result.principal.username ?? 'this user'} (${auth.result.principal.role ?? 'no role'}) may not do this; it needs the ${r.access === 'admin' ? 'admin' : 'admin or developer'} role`);
      }
    }
    const params = parse('path', r.params, ctx.params);
    const query = parse('query', r.query, ctx.query);
    let body: unknown;
    if (r.body) {
      if (!hasBody(ctx.req)) throw new ApiError('validation_failed', 'a JSON body is required', { field: '(root)' });
      // JSON only: a cross-site HTML form cannot send it, which backs up the CSRF token.
      if (baseMediaType(ctx.get('content-type')) !== 'application/json') {
        throw new ApiError('unsupported_media_type', 'send the body as application/json');
      }
      const raw = await readSmallBody(ctx.req, MAX_BODY).catch(() => {
        throw new ApiError('payload_too_large', `the body is larger than ${MAX_BODY} bytes`);
      });
      let json: unknown;
      try {
        json = JSON.parse(raw.toString('utf8'));
      } catch (e) {
        throw new ApiError('validation_failed', `the body is not valid JSON: ${(e as Error).message}`, { field: '(root)' });
      }
      body = parse('body', r.body, json);
    }
    const result = await r.handler(ctx, { params, query, body }, deps);
    if (r.raw) return;
    ctx.status = r.status ?? (result === undefined ? 204 : 200);
    if (result !== undefined) ctx.body = result;
  };
}

function parse(where: 'path' | 'query' | 'body', schema: ApiRoute['params'], value: unknown): unknown {
  if (!schema) return where === 'body' ? undefined : {};
  const r = schema.safeParse(value);
  if (!r.success) throw validationError(where, r.error);
  return r.data;
}
