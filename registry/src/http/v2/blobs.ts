import { RegistryError } from '../../oci/errors.js';
import type { Ctx } from '../state.js';
import { authorize } from '../authn.js';
import type { V2Deps } from './deps.js';
import type { RouteParams } from './routes.js';
import { parseRange } from './range.js';
import { actorOf } from './actor.js';

export async function get(ctx: Ctx, deps: V2Deps, p: RouteParams): Promise<void> {
  await authorize(ctx, deps.auth, 'repository', p.name, 'pull');
  const blob = deps.registry.blobs.stat(p.name, p.ref);
  ctx.set('Docker-Content-Digest', blob.digest.value);
  ctx.set('ETag', `"${blob.digest.value}"`);
  ctx.set('Accept-Ranges', 'bytes');
  ctx.set('Content-Type', 'application/octet-stream');
  ctx.set('Cache-Control', 'max-age=31536000');
  const range = parseRange(ctx.get('range') || undefined, blob.size);
  if (range === 'unsatisfiable') {
    throw new RegistryError('RANGE_INVALID', `range not satisfiable for a blob of ${blob.size} bytes`, undefined, {
      'Content-Range': `bytes */${blob.size}`,
    });
  }
  if (range) ctx.set('Content-Range', `bytes ${range.start}-${range.end}/${blob.size}`);
  ctx.status = range ? 206 : 200;
  const length = range ? range.end - range.start + 1 : blob.size;
  if (ctx.method === 'HEAD') {
    ctx.length = length;
    return;
  }
  const stream = deps.registry.blobs.open(blob, range);
  ctx.body = stream;
  ctx.length = length;
}

export async function del(ctx: Ctx, deps: V2Deps, p: RouteParams): Promise<void> {
  await authorize(ctx, deps.auth, 'repository', p.name, 'delete');
  deps.registry.blobs.delete(p.name, p.ref, actorOf(ctx));
  ctx.status = 202;
  ctx.length = 0;
}
