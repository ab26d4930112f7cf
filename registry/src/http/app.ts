import Koa from 'koa';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Registry } from '../registry/index.js';
import type { AuthDeps } from './authn.js';
import type { BerthState, Ctx } from './state.js';
import { renderError } from './errors.js';
import { Metrics } from './metrics.js';
import { v2Middleware } from './v2/routes.js';
import type { PullThroughCache } from '../proxy/pull-through.js';
import { tokenEndpoint } from './token-endpoint.js';
import { DomainError } from '../errors.js';
import type { DiskSpace } from '../store/disk-space.js';
import { hasBody } from './body.js';

export interface AppDeps {
  registry: Registry;
  auth: AuthDeps;
  metrics: Metrics;
  log: Logger;
  logRequests: boolean;
  /** Readiness: false while starting or shutting down. */
  ready: () => boolean;
  /** Further middleware (admin API, UI) mounted after the registry routes. */
  extra?: Koa.Middleware<BerthState>[];
  /** Pull-through cache of proxy projects. */
  proxy?: PullThroughCache;
  /** Free space and reserve of the data disk (/readyz detail, checked before every write request). */
  disk?: DiskSpace;
}

const readOnlyMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Bytes of an unread request body drained after an early error, and how long the connection may linger. */
const DRAIN_BYTES = 1024 * 1024;
const DRAIN_MS = 2_000;

/**
 * An error answered before the request body was read (413, 401, a refused chunk): the connection is closed,
 * not kept alive. Some of the body is drained first, so a client still writing gets to read the answer
 * instead of hanging on a full socket; past DRAIN_BYTES or DRAIN_MS after the answer the socket is dropped.
 */
function closeAfterUnreadBody(ctx: Ctx): void {
  const req = ctx.req;
  if (req.complete || !hasBody(req)) return;
  ctx.set('Connection', 'close');
  let drained = 0;
  req.on('data', (c: Buffer) => {
    drained += c.length;
    if (drained > DRAIN_BYTES) req.socket.destroy();
  });
  req.resume();
  ctx.res.once('finish', () => setTimeout(() => req.socket.destroy(), DRAIN_MS).unref());
}

const requestIdPattern = /^[A-Za-z0-9._-]{1,64}$/;

export function createApp(deps: AppDeps): Koa<BerthState> {
  const app = new Koa<BerthState>();
  app.silent = true;

  app.use(async (ctx: Ctx, next) => {
    const incoming = ctx.get('x-request-id');
    const requestId = requestIdPattern.test(incoming) ? incoming : randomUUID();
    ctx.state.requestId = requestId;
    ctx.state.route = '';
    ctx.state.auth = undefined;
    ctx.state.log = deps.log.child({ reqId: requestId });
    ctx.set('X-Request-Id', requestId);
    const started = performance.now();
    if (deps.logRequests) {
      ctx.res.once('close', () => {
        ctx.state.log.info(
          {
            method: ctx.method,
            url: ctx.url,
            status: ctx.status,
            ms: Math.round((performance.now() - started) * 10) / 10,
            user: ctx.state.auth?.principal.username,
            remote: ctx.ip,
          },
          'request',
        );
      });
    }
    await next();
  });
  app.use(deps.metrics.middleware());
  app.use(async (ctx: Ctx, next) => {
    try {
      await next();
    } catch (e) {
      renderError(ctx, e);
      closeAfterUnreadBody(ctx);
    }
  });
  const disk = deps.disk;
  if (disk) {
    // Before a write request, not on a timer alone: a delete arriving on a disk that just filled must find the
    // ballast already released, and an upload must be refused against current figures. statfs costs microseconds.
    app.use(async (ctx: Ctx, next) => {
      if (!readOnlyMethods.has(ctx.method)) await disk.check().catch(() => undefined);
      await next();
    });
  }

  app.use(async (ctx: Ctx, next) => {
    switch (ctx.path) {
      case '/healthz':
        ctx.state.route = 'healthz';
        ctx.body = { status: 'ok' };
        return;
      case '/readyz':
        ctx.state.route = 'readyz';
        ctx.status = deps.ready() ? 200 : 503;
        // A full disk does not make Berth unready (pulls, deletes and GC work); the detail says it.
        ctx.body = { status: deps.ready() ? 'ready' : 'not ready', ...(disk ? { disk: disk.status } : {}) };
        return;
      case '/metrics':
        ctx.state.route = 'metrics';
        ctx.set('Content-Type', deps.metrics.registry.contentType);
        ctx.body = await deps.metrics.registry.metrics();
        return;
      case '/auth/token':
        ctx.state.route = 'token';
        if (ctx.method !== 'GET' && ctx.method !== 'POST') throw new DomainError('UNSUPPORTED', 'use GET or POST');
        await tokenEndpoint(ctx, deps.auth);
        return;
      default:
        await next();
    }
  });
  app.use(v2Middleware({ registry: deps.registry, auth: deps.auth, metrics: deps.metrics, proxy: deps.proxy }));
  for (const m of deps.extra ?? []) app.use(m);
  app.use(async (ctx: Ctx) => {
    if (ctx.body === undefined && ctx.status === 404) {
      ctx.state.route = ctx.state.route || 'not_found';
      ctx.status = 404;
      ctx.body = { errors: [{ code: 'NOT_FOUND', message: `no route for ${ctx.method} ${ctx.path}`, detail: null }] };
    }
  });
  return app;
}
