import { ZodError } from 'zod';
import { DomainError, isDomainError, type DomainCode } from '../errors.js';
import type { Ctx } from './state.js';
import { isDiskFull } from '../store/fs-util.js';

/**
 * The /v2 mapping table: each domain code's HTTP status, as the OCI distribution spec gives it (and Docker's
 * extensions that clients rely on, such as TOOMANYREQUESTS).
 */
export const v2Status: Record<DomainCode, number> = {
  BLOB_UNKNOWN: 404,
  BLOB_UPLOAD_INVALID: 400,
  BLOB_UPLOAD_UNKNOWN: 404,
  DIGEST_INVALID: 400,
  MANIFEST_BLOB_UNKNOWN: 400, // as Docker's registry API documents (and Distribution answers) for a manifest PUT
  MANIFEST_INVALID: 400,
  MANIFEST_UNKNOWN: 404,
  NAME_INVALID: 400,
  NAME_UNKNOWN: 404,
  SIZE_INVALID: 400,
  UNAUTHORIZED: 401,
  DENIED: 403,
  // 405 as in Distribution: every use on /v2 is a method an endpoint does not offer (sent with Allow).
  UNSUPPORTED: 405,
  TOOMANYREQUESTS: 429,
  RANGE_INVALID: 416,
  PAGINATION_NUMBER_INVALID: 400,
  TAG_INVALID: 400,
  MANIFEST_TOO_LARGE: 413,
  STORAGE_FULL: 507,
  UPSTREAM_UNAVAILABLE: 502,
  UNKNOWN: 500,
  INVALID: 400,
  NOT_FOUND: 404,
  CONFLICT: 409,
  TOO_LARGE: 413,
  UNPROCESSABLE: 422,
  UNAVAILABLE: 503,
};

/** Renders any error in the distribution spec's envelope: `{"errors":[{"code","message","detail"}]}`. */
export function renderError(ctx: Ctx, e: unknown): void {
  const err = toDomainError(e);
  const status = v2Status[err.code];
  if (status >= 500 && err.code !== 'STORAGE_FULL' && err.code !== 'UPSTREAM_UNAVAILABLE') {
    ctx.state.log?.error({ err: e }, 'request failed');
  }
  ctx.status = status;
  for (const [k, v] of Object.entries(err.headers)) ctx.set(k, v);
  ctx.set('Content-Type', 'application/json');
  const body = { errors: [{ code: err.code, message: err.message, detail: err.detail ?? null }] };
  ctx.body = ctx.method === 'HEAD' ? null : JSON.stringify(body);
  if (ctx.method === 'HEAD') ctx.status = status;
}

export function toDomainError(e: unknown): DomainError {
  if (isDomainError(e)) return e;
  if (e instanceof ZodError) {
    return new DomainError('UNSUPPORTED', e.issues[0]?.message ?? 'invalid input', { issues: e.issues.slice(0, 10) });
  }
  if (isDiskFull(e)) return new DomainError('STORAGE_FULL', 'the registry storage is full; nothing was changed');
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ECONNABORTED') {
    return new DomainError('BLOB_UPLOAD_INVALID', 'the request body ended early; nothing was stored');
  }
  return new DomainError('UNKNOWN', 'internal error', undefined);
}
