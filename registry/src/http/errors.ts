import { ZodError } from 'zod';
import { RegistryError, isRegistryError } from '../oci/errors.js';
import type { Ctx } from './state.js';
import { isDiskFull } from '../store/fs-util.js';

/** Renders any error in the distribution spec's envelope: `{"errors":[{"code","message","detail"}]}`. */
export function renderError(ctx: Ctx, e: unknown): void {
  const err = toRegistryError(e);
  if (err.status >= 500 && err.code !== 'STORAGE_FULL' && err.code !== 'UPSTREAM_UNAVAILABLE') {
    ctx.state.log?.error({ err: e }, 'request failed');
  }
  ctx.status = err.status;
  for (const [k, v] of Object.entries(err.headers)) ctx.set(k, v);
  ctx.set('Content-Type', 'application/json');
  const body = { errors: [{ code: err.code, message: err.message, detail: err.detail ?? null }] };
  ctx.body = ctx.method === 'HEAD' ? null : JSON.stringify(body);
  if (ctx.method === 'HEAD') ctx.status = err.status;
}

export function toRegistryError(e: unknown): RegistryError {
  if (isRegistryError(e)) return e;
  if (e instanceof ZodError) {
    return new RegistryError('UNSUPPORTED', e.issues[0]?.message ?? 'invalid input', { issues: e.issues.slice(0, 10) });
  }
  if (isDiskFull(e)) return new RegistryError('STORAGE_FULL', 'the registry storage is full; nothing was changed');
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ECONNABORTED') {
    return new RegistryError('BLOB_UPLOAD_INVALID', 'the request body ended early; nothing was stored');
  }
  return new RegistryError('UNKNOWN', 'internal error', undefined);
}
