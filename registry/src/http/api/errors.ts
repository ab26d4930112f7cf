import { ZodError, type z } from 'zod';
import { isDomainError, type DomainCode } from '../../errors.js';
import { v2Status } from '../errors.js';
import { OwnershipError } from '../../config/ownership.js';
import { UserError } from '../../auth/user-service.js';
import { ScanError } from '../../scan/scanner.js';
import type { Ctx } from '../state.js';
import { isDiskFull } from '../../store/fs-util.js';

/**
 * Stable error ids of the admin API. Clients (the GUI, scripts) switch on `id`; `message` is for people.
 * Rendered as `{"error":{"id","message","field"?,"issues"?}}`.
 */
export const apiErrorStatus = {
  unauthenticated: 401,
  forbidden: 403,
  csrf_failed: 403,
  validation_failed: 400,
  not_found: 404,
  repository_not_found: 404,
  manifest_not_found: 404,
  user_not_found: 404,
  project_not_found: 404,
  conflict: 409,
  /** The artifact could not be scanned (an unreadable layer, not an image); the message says why. */
  scan_failed: 422,
  rate_limited: 429,
  payload_too_large: 413,
  unsupported_media_type: 415,
  method_not_allowed: 405,
  storage_full: 507,
  unavailable: 503,
  internal: 500,
} as const;

export type ApiErrorId = keyof typeof apiErrorStatus;

export interface ApiIssue {
  /** Where the value came from (body, query, path) and its dotted path inside it. */
  in: 'body' | 'query' | 'path';
  field: string;
  message: string;
}

export class ApiError extends Error {
  readonly status: number;
  constructor(
    readonly id: ApiErrorId,
    message: string,
    readonly extra: { field?: string; issues?: ApiIssue[]; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = 'ApiError';
    this.status = apiErrorStatus[id];
  }
}

/** A zod failure on one input location, naming the first offending field in the message. */
export function validationError(where: ApiIssue['in'], e: ZodError): ApiError {
  const issues: ApiIssue[] = e.issues.slice(0, 20).map((i) => ({ in: where, field: i.path.map(String).join('.') || '(root)', message: i.message }));
  const first = issues[0]!;
  return new ApiError('validation_failed', `${where} ${first.field}: ${first.message}`, { field: first.field, issues });
}

const registryErrorIds: Partial<Record<DomainCode, ApiErrorId>> = {
  NAME_UNKNOWN: 'repository_not_found',
  MANIFEST_UNKNOWN: 'manifest_not_found',
  BLOB_UNKNOWN: 'not_found',
  NAME_INVALID: 'validation_failed',
  TAG_INVALID: 'validation_failed',
  DIGEST_INVALID: 'validation_failed',
  UNAUTHORIZED: 'unauthenticated',
  DENIED: 'forbidden',
  TOOMANYREQUESTS: 'rate_limited',
  STORAGE_FULL: 'storage_full',
  UNSUPPORTED: 'method_not_allowed',
  INVALID: 'validation_failed',
  NOT_FOUND: 'not_found',
  CONFLICT: 'conflict',
  TOO_LARGE: 'payload_too_large',
  UNPROCESSABLE: 'scan_failed',
  UNAVAILABLE: 'unavailable',
};

export function toApiError(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  if (e instanceof ZodError) return validationError('body', e);
  // The artifact could not be scanned (unreadable layer, failing scanner adapter): its problem, not the server's.
  if (e instanceof ScanError) return new ApiError('scan_failed', e.message);
  // The config file owns this definition (config/ownership.ts): the API must not diverge from the file.
  if (e instanceof OwnershipError) return new ApiError('conflict', e.message);
  if (e instanceof UserError) {
    return new ApiError(e.kind === 'exists' ? 'conflict' : e.kind === 'not-found' ? 'user_not_found' : 'validation_failed', e.message);
  }
  if (isDomainError(e)) {
    const id = registryErrorIds[e.code];
    if (id) return new ApiError(id, e.message);
    // Domain errors of other services (proxy, replication …) keep their status under a generic id.
    const status = v2Status[e.code];
    return new ApiError(status >= 500 ? 'internal' : status === 404 ? 'not_found' : status === 409 ? 'conflict' : 'validation_failed', e.message);
  }
  if (isDiskFull(e)) return new ApiError('storage_full', 'the data disk is full; nothing was changed');
  return new ApiError('internal', 'internal error');
}

export function renderApiError(ctx: Ctx, e: unknown): void {
  const err = toApiError(e);
  if (err.id === 'internal') ctx.state.log.error({ err: e }, 'admin API request failed');
  ctx.status = err.status;
  for (const [k, v] of Object.entries(err.extra.headers ?? {})) ctx.set(k, v);
  ctx.set('Cache-Control', 'no-store');
  const body: Record<string, unknown> = { id: err.id, message: err.message };
  if (err.extra.field !== undefined) body.field = err.extra.field;
  if (err.extra.issues) body.issues = err.extra.issues;
  ctx.body = { error: body };
}

/** The error schema, for the OpenAPI document. */
export function errorSchema(zod: typeof z) {
  return zod
    .object({
      error: zod.object({
        id: zod.enum(Object.keys(apiErrorStatus) as [ApiErrorId, ...ApiErrorId[]]),
        message: zod.string(),
        field: zod.string().optional(),
        issues: zod.array(zod.object({ in: zod.enum(['body', 'query', 'path']), field: zod.string(), message: zod.string() })).optional(),
      }),
    })
    .meta({ id: 'Error' });
}
