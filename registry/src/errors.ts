/**
 * The one error type of Berth's services. A service throws `DomainError` with a code that says what went wrong
 * in the registry's own terms; it knows nothing of HTTP. Each protocol maps codes in one table:
 * http/errors.ts (the /v2 OCI envelope and status), http/api/errors.ts (the admin API's ids), the CLI's exit
 * lines (cli-errors.ts). Anything that is not a DomainError is a bug or an environment failure: those tables
 * log it and answer 500 UNKNOWN / internal in one place.
 *
 * The registry codes are the distribution spec's own (a manifest or a blob is unknown, a name invalid): the
 * domain speaks them, so they are the codes here too. The general codes after them serve the other services.
 */
export const domainCodes = [
  // The distribution spec's codes (and Docker's extensions clients rely on).
  'BLOB_UNKNOWN',
  'BLOB_UPLOAD_INVALID',
  'BLOB_UPLOAD_UNKNOWN',
  'DIGEST_INVALID',
  'MANIFEST_BLOB_UNKNOWN',
  'MANIFEST_INVALID',
  'MANIFEST_UNKNOWN',
  'NAME_INVALID',
  'NAME_UNKNOWN',
  'SIZE_INVALID',
  'UNAUTHORIZED',
  'DENIED',
  'UNSUPPORTED',
  'TOOMANYREQUESTS',
  'RANGE_INVALID',
  'PAGINATION_NUMBER_INVALID',
  'TAG_INVALID',
  'MANIFEST_TOO_LARGE',
  'STORAGE_FULL',
  'UPSTREAM_UNAVAILABLE',
  'UNKNOWN',
  // General codes for the other services (admin API, CLI, transfer, replication, policies …).
  'INVALID', // the request is malformed or names something impossible (the message names the field)
  'NOT_FOUND', // a named object (project, user, rule, registry …) does not exist
  'CONFLICT', // it exists already, or its state forbids the change (config-owned, running, in use)
  'TOO_LARGE', // more bytes than a limit allows
  'UNPROCESSABLE', // well-formed but cannot be processed (an unreadable layer, a corrupt archive entry)
  'UNAVAILABLE', // a local facility is not there or not ready (no vulnerability DB, a tool missing)
] as const;

export type DomainCode = (typeof domainCodes)[number];

const defaultMessages: Record<DomainCode, string> = {
  BLOB_UNKNOWN: 'blob unknown to registry',
  BLOB_UPLOAD_INVALID: 'blob upload invalid',
  BLOB_UPLOAD_UNKNOWN: 'blob upload unknown to registry',
  DIGEST_INVALID: 'provided digest did not match uploaded content',
  MANIFEST_BLOB_UNKNOWN: 'manifest references a manifest or blob unknown to registry',
  MANIFEST_INVALID: 'manifest invalid',
  MANIFEST_UNKNOWN: 'manifest unknown to registry',
  NAME_INVALID: 'invalid repository name',
  NAME_UNKNOWN: 'repository name not known to registry',
  SIZE_INVALID: 'provided length did not match content length',
  UNAUTHORIZED: 'authentication required',
  DENIED: 'requested access to the resource is denied',
  UNSUPPORTED: 'the operation is unsupported',
  TOOMANYREQUESTS: 'too many requests',
  RANGE_INVALID: 'invalid content range',
  PAGINATION_NUMBER_INVALID: 'invalid number of results requested',
  TAG_INVALID: 'manifest tag did not match URI',
  MANIFEST_TOO_LARGE: 'manifest too large',
  STORAGE_FULL: 'insufficient storage',
  UPSTREAM_UNAVAILABLE: 'upstream registry unavailable',
  UNKNOWN: 'unknown error',
  INVALID: 'invalid request',
  NOT_FOUND: 'not found',
  CONFLICT: 'conflict',
  TOO_LARGE: 'too large',
  UNPROCESSABLE: 'cannot be processed',
  UNAVAILABLE: 'unavailable',
};

export class DomainError extends Error {
  readonly code: DomainCode;
  readonly detail: unknown;
  /**
   * Extra response headers the error needs (WWW-Authenticate, Retry-After, Range …). Protocol hints that
   * travel with the error; the mapping tables decide whether their protocol uses them.
   */
  readonly headers: Record<string, string>;

  constructor(code: DomainCode, message?: string, detail?: unknown, headers: Record<string, string> = {}) {
    super(message ?? defaultMessages[code]);
    this.name = 'DomainError';
    this.code = code;
    this.detail = detail;
    this.headers = headers;
  }
}

export function isDomainError(e: unknown, code?: DomainCode): e is DomainError {
  return e instanceof DomainError && (code === undefined || e.code === code);
}
