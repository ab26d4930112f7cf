import { DomainError } from '../../errors.js';
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
    throw new DomainError('RANGE_INVALID', `range not satisfiable for a blob of ${blob.size} bytes`, undefined, {
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
  ctx.length = length;
  // Written by hand with reused buffers (see store/send-file.ts) instead of piping a stream through koa.
  ctx.respond = false;
  try {
    await deps.registry.blobs.send(blob, range, ctx.res);
    ctx.res.end();
  } catch (e) {
    if (!ctx.res.headersSent) {
      // Nothing sent yet (e.g. the file vanished): answer with a proper error after all.
      ctx.respond = true;
      throw e;
    }
    // Status and length are out: cutting the connection is the only way left to say "incomplete".
    ctx.res.destroy();
    if ((e as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') ctx.state.log.warn({ err: e, digest: blob.digest.value }, 'blob download failed');
  }
}

export async function del(ctx: Ctx, deps: V2Deps, p: RouteParams): Promise<void> {
  await authorize(ctx, deps.auth, 'repository', p.name, 'delete');
  deps.registry.blobs.delete(p.name, p.ref, actorOf(ctx));
  ctx.status = 202;
  ctx.length = 0;
}
