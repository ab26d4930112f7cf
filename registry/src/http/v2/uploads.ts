import { DomainError } from '../../errors.js';
import { isValidRepositoryName } from '../../oci/reference.js';
import type { AccessScope } from '../../auth/access.js';
import { rangeHeader, uploadLocation, type Registry } from '../../registry/index.js';
import type { ChunkOptions } from '../../registry/upload-service.js';
import type { Ctx } from '../state.js';
import { authorize, mayPullSync } from '../authn.js';
import { contentLength, hasBody } from '../body.js';
import type { V2Deps } from './deps.js';
import type { RouteParams } from './routes.js';
import { actorOf } from './actor.js';

/** POST /v2/<name>/blobs/uploads/: mount, single-request push (`?digest=`), or open a session. */
export async function start(ctx: Ctx, deps: V2Deps, p: RouteParams): Promise<void> {
  const mount = queryOne(ctx, 'mount');
  const from = mount !== undefined ? queryOne(ctx, 'from') : undefined;
  // A mount also needs pull on its source: ask for it in the challenge, or the client's token will lack it and
  // every mount would quietly fall back to an upload. (Only a valid name is echoed into the header.)
  const source: AccessScope[] =
    from !== undefined && isValidRepositoryName(from) ? [{ type: 'repository', name: from, actions: ['pull'] }] : [];
  await authorize(ctx, deps.auth, 'repository', p.name, 'push', source);
  const { registry } = deps;
  if (mount !== undefined) {
    const mounted = registry.blobs.mount(p.name, mount, from, actorOf(ctx), (repo) => mayPullSync(ctx, deps.auth, repo));
    if (mounted) return blobCreated(ctx, p.name, mount);
    // Not mountable: the spec says to fall back to an ordinary upload session.
  }
  const digest = queryOne(ctx, 'digest');
  if (digest !== undefined) {
    const d = await registry.uploads.monolithic(p.name, digest, ctx.req, chunkOptions(ctx), actorOf(ctx));
    return blobCreated(ctx, p.name, d.value);
  }
  const upload = await registry.uploads.start(p.name);
  ctx.req.resume();
  sessionHeaders(ctx, p.name, upload.id, 0);
  ctx.status = 202;
}

export async function status(ctx: Ctx, deps: V2Deps, p: RouteParams): Promise<void> {
  await authorize(ctx, deps.auth, 'repository', p.name, 'push');
  const upload = await deps.registry.uploads.status(p.name, p.ref);
  sessionHeaders(ctx, p.name, upload.id, upload.offset);
  ctx.status = 204;
}

export async function patch(ctx: Ctx, deps: V2Deps, p: RouteParams): Promise<void> {
  await authorize(ctx, deps.auth, 'repository', p.name, 'push');
  const upload = await deps.registry.uploads.append(p.name, p.ref, ctx.req, chunkOptions(ctx));
  sessionHeaders(ctx, p.name, upload.id, upload.offset);
  ctx.status = 202;
}

export async function complete(ctx: Ctx, deps: V2Deps, p: RouteParams): Promise<void> {
  await authorize(ctx, deps.auth, 'repository', p.name, 'push');
  const digest = queryOne(ctx, 'digest');
  if (digest === undefined) throw new DomainError('DIGEST_INVALID', 'the digest query parameter is required to finish an upload');
  const body = hasBody(ctx.req) ? ctx.req : undefined;
  const d = await completeUpload(deps.registry, p, digest, body, ctx);
  blobCreated(ctx, p.name, d);
}

export async function cancel(ctx: Ctx, deps: V2Deps, p: RouteParams): Promise<void> {
  await authorize(ctx, deps.auth, 'repository', p.name, 'push');
  await deps.registry.uploads.cancel(p.name, p.ref);
  ctx.status = 204;
}

async function completeUpload(registry: Registry, p: RouteParams, digest: string, body: Ctx['req'] | undefined, ctx: Ctx): Promise<string> {
  const d = await registry.uploads.complete(p.name, p.ref, digest, body, chunkOptions(ctx), actorOf(ctx));
  return d.value;
}

function blobCreated(ctx: Ctx, name: string, digest: string): void {
  ctx.status = 201;
  ctx.set('Location', `/v2/${name}/blobs/${digest}`);
  ctx.set('Docker-Content-Digest', digest);
  ctx.length = 0;
}

function sessionHeaders(ctx: Ctx, name: string, id: string, offset: number): void {
  ctx.set('Location', uploadLocation(name, id));
  ctx.set('Docker-Upload-UUID', id);
  ctx.set('Range', rangeHeader(offset));
  ctx.length = 0;
}

function chunkOptions(ctx: Ctx): ChunkOptions {
  const opts: ChunkOptions = {};
  const len = contentLength(ctx.req);
  if (len !== undefined) opts.contentLength = len;
  const cr = ctx.get('content-range');
  if (cr) {
    // `start-end` per the spec; `bytes start-end/total` and `bytes=start-end` from other clients
    const m = /^(?:bytes[ =])?(\d+)-(\d+)(?:\/(?:\d+|\*))?$/.exec(cr.trim());
    if (!m) throw new DomainError('RANGE_INVALID', `malformed Content-Range: ${cr.slice(0, 100)}`);
    opts.rangeStart = Number(m[1]);
    opts.rangeEnd = Number(m[2]);
    if (opts.rangeEnd < opts.rangeStart) throw new DomainError('RANGE_INVALID', 'Content-Range end is before its start');
  }
  return opts;
}

function queryOne(ctx: Ctx, key: string): string | undefined {
  const v = ctx.query[key];
  if (Array.isArray(v)) return v[0];
  return v === undefined || v === '' ? undefined : v;
}
