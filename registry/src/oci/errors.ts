/**
 * The single registry of error codes. Services throw RegistryError; http/errors.ts renders it in the
 * distribution-spec envelope. Codes and statuses follow the OCI distribution spec (and Docker's extensions
 * that clients rely on, such as TOOMANYREQUESTS).
 */
export const ErrorCodes = {
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
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

const defaultMessages: Record<ErrorCode, string> = {
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
};

export class RegistryError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly detail: unknown;
  /** Extra response headers the error needs (WWW-Authenticate, Retry-After, Range …). */
  readonly headers: Record<string, string>;

  constructor(code: ErrorCode, message?: string, detail?: unknown, headers: Record<string, string> = {}) {
    super(message ?? defaultMessages[code]);
    this.name = 'RegistryError';
    this.code = code;
    this.status = ErrorCodes[code];
    this.detail = detail;
    this.headers = headers;
  }
}

export function isRegistryError(e: unknown): e is RegistryError {
  return e instanceof RegistryError;
}
