import { pipeline } from 'node:stream/promises';
import { DomainError } from '../../errors.js';
import type { PullThroughCache } from '../../proxy/pull-through.js';
import type { Ctx } from '../state.js';
import { authorize } from '../authn.js';
import type { V2Deps } from './deps.js';
import type { RouteParams } from './routes.js';
import { parseRange } from './range.js';
import { pageParams, setNextLink } from './pagination.js';
import { actorOf } from './actor.js';

/*
 * /v2 requests for proxy projects. Reads go to the pull-through cache; writes are refused with DENIED
 * (after authentication, so a client without credentials still gets its challenge first). Referrers and the
 * catalog are served from what is cached, by the ordinary handlers.
 */

const writeRoutes = new Set(['uploads_start', 'uploads']);

/**
 * Mirror routing: containerd sends `?ns=<registry>`, dockerd's registry-mirrors send unprefixed names; both are
 * rewritten to the proxy project that mirrors that registry. Only reads are routed.
 */
export function routeMirror(ctx: Ctx, proxy: PullThroughCache, routeId: string, p: RouteParams): void {
  if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return;
  if (routeId !== 'manifests' && routeId !== 'blobs' && routeId !== 'tags') return;
  const raw = ctx.query.ns;
  const ns = (Array.isArray(raw) ? raw[0] : raw) || undefined;
  const name = proxy.mirrorName(p.name, ns);
  if (name !== p.name) {
    ctx.state.log.debug({ from: p.name, to: name, ns }, 'mirror request routed to proxy project');
    p.name = name;
  }
}

/** Handles the request when the repository is in a proxy project; false otherwise. */
export async function proxyDispatch(ctx: Ctx, deps: V2Deps, proxy: PullThroughCache, routeId: string, p: RouteParams): Promise<boolean> {
  const t = proxy.target(p.name);
  const write = writeRoutes.has(routeId) || ctx.method === 'PUT' || ctx.method === 'DELETE' || ctx.method === 'PATCH' || ctx.method === 'POST';
  if (!t) {
    const detached = write ? proxy.detached(p.name) : undefined;
    if (!detached) return false;
    await authorize(ctx, deps.auth, 'repository', p.name, ctx.method === 'DELETE' ? 'delete' : 'push');
    ctx.req.resume();
    throw new DomainError('DENIED', `${detached.project} was a proxy project of the config file and is detached: its cached images are read-only until an admin deletes the project`);
  }
  if (write) {
    await authorize(ctx, deps.auth, 'repository', p.name, ctx.method === 'DELETE' ? 'delete' : 'push');
    ctx.req.resume();
    throw new DomainError('DENIED', `${t.proxy.project} is a proxy project of ${t.proxy.registry}: its content comes from upstream and cannot be pushed or deleted`);
  }
  switch (routeId) {
    case 'manifests':
      await manifest(ctx, deps, proxy, p);
      return true;
    case 'blobs':
      await blob(ctx, deps, proxy, p);
      return true;
    case 'tags':
      await tags(ctx, deps, proxy, p);
      return true;
    default:
      return false;
  }
}

async function manifest(ctx: Ctx, deps: V2Deps, proxy: PullThroughCache, p: RouteParams): Promise<void> {
  await authorize(ctx, deps.auth, 'repository', p.name, 'pull');
  const { row, bytes } = await proxy.manifest(proxy.target(p.name)!, p.name, p.ref, actorOf(ctx));
  ctx.set('Content-Type', row.mediaType);
  ctx.set('Docker-Content-Digest', row.digest);
  ctx.set('ETag', `"${row.digest}"`);
  ctx.status = 200;
  if (ctx.method === 'HEAD') {
    ctx.length = row.size;
    return;
  }
  const inm = ctx.get('if-none-match');
  if (inm && inm.replace(/"/g, '') === row.digest) {
    ctx.status = 304;
    return;
  }
  ctx.body = bytes;
}

async function blob(ctx: Ctx, deps: V2Deps, proxy: PullThroughCache, p: RouteParams): Promise<void> {
  await authorize(ctx, deps.auth, 'repository', p.name, 'pull');
  const t = proxy.target(p.name)!;
  const b = await proxy.blob(t, p.name, p.ref, ctx.method === 'HEAD');
  ctx.set('Docker-Content-Digest', p.ref);
  ctx.set('ETag', `"${p.ref}"`);
  ctx.set('Content-Type', 'application/octet-stream');
  if (b.size !== undefined) ctx.set('Accept-Ranges', 'bytes');
  const range = b.size !== undefined ? parseRange(ctx.get('range') || undefined, b.size) : undefined;
  if (range === 'unsatisfiable') {
    throw new DomainError('RANGE_INVALID', `range not satisfiable for a blob of ${b.size} bytes`, undefined, { 'Content-Range': `bytes */${b.size}` });
  }
  if (range) ctx.set('Content-Range', `bytes ${range.start}-${range.end}/${b.size}`);
  ctx.status = range ? 206 : 200;
  const length = range ? range.end - range.start + 1 : b.size;
  if (length !== undefined) ctx.length = length;
  if (ctx.method === 'HEAD') return;
  ctx.respond = false;
  ctx.res.writeHead(ctx.status, ctx.response.headers as Record<string, string>);
  try {
    if (b.send) {
      await b.send(range, ctx.res);
      ctx.res.end();
    } else {
      await pipeline(b.open(range), ctx.res);
    }
    proxy.served(t.proxy.project, length ?? 0);
  } catch (e) {
    // Status and length are out: cutting the connection is how the client learns the body is not whole.
    ctx.res.destroy();
    if ((e as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') ctx.state.log.warn({ err: (e as Error).message, digest: p.ref }, 'proxy blob download failed');
  }
}

async function tags(ctx: Ctx, deps: V2Deps, proxy: PullThroughCache, p: RouteParams): Promise<void> {
  await authorize(ctx, deps.auth, 'repository', p.name, 'pull');
  const { n, last } = pageParams(ctx);
  const page = await proxy.tags(proxy.target(p.name)!, p.name, n, last);
  setNextLink(ctx, `/v2/${p.name}/tags/list`, n, page);
  ctx.body = { name: p.name, tags: page.items };
}
