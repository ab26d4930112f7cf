import { MAX_MANIFEST_BYTES } from '../../oci/manifest.js';
import type { Ctx } from '../state.js';
import { authorize } from '../authn.js';
import { readSmallBody } from '../body.js';
import type { V2Deps } from './deps.js';
import type { RouteParams } from './routes.js';
import { actorOf } from './actor.js';

export async function get(ctx: Ctx, deps: V2Deps, p: RouteParams): Promise<void> {
  await authorize(ctx, deps.auth, 'repository', p.name, 'pull');
  const { manifests } = deps.registry;
  if (ctx.method === 'HEAD') {
    const { row } = manifests.resolve(p.name, p.ref);
    headers(ctx, row.mediaType, row.digest);
    ctx.status = 200;
    ctx.length = row.size;
    return;
  }
  const inm = ctx.get('if-none-match');
  const { row, bytes } = await manifests.get(p.name, p.ref, actorOf(ctx));
  headers(ctx, row.mediaType, row.digest);
  if (inm && inm.replace(/"/g, '') === row.digest) {
    ctx.status = 304;
    return;
  }
  ctx.status = 200;
  ctx.body = bytes;
}

export async function put(ctx: Ctx, deps: V2Deps, p: RouteParams): Promise<void> {
  await authorize(ctx, deps.auth, 'repository', p.name, 'push');
  const body = await readSmallBody(ctx.req, MAX_MANIFEST_BYTES, 'MANIFEST_TOO_LARGE');
  const result = await deps.registry.manifests.put(p.name, p.ref, body, ctx.get('content-type') || undefined, actorOf(ctx));
  ctx.status = 201;
  ctx.set('Location', `/v2/${p.name}/manifests/${result.digest}`);
  ctx.set('Docker-Content-Digest', result.digest);
  if (result.subject) ctx.set('OCI-Subject', result.subject);
  ctx.length = 0;
}

export async function del(ctx: Ctx, deps: V2Deps, p: RouteParams): Promise<void> {
  await authorize(ctx, deps.auth, 'repository', p.name, 'delete');
  deps.registry.manifests.delete(p.name, p.ref, actorOf(ctx));
  ctx.status = 202;
  ctx.length = 0;
}

function headers(ctx: Ctx, mediaType: string, digest: string): void {
  ctx.set('Content-Type', mediaType);
  ctx.set('Docker-Content-Digest', digest);
  ctx.set('ETag', `"${digest}"`);
}
