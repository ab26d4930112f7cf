/**
 * What can go wrong talking to a remote registry, sorted by what the caller should do about it:
 * - `unavailable`: timeout, connection error, 5xx, 429 — the link or the remote is down or busy; a cache serves
 *   what it has, a circuit breaker counts it, a retry may help later.
 * - `not_found`: 404 (or the remote's NAME_UNKNOWN / MANIFEST_UNKNOWN / BLOB_UNKNOWN).
 * - `unauthorized` / `denied`: credentials missing or refused (401 after the token dance, 403).
 * - `invalid`: the remote answered something we will not accept (digest or size mismatch, oversized or
 *   malformed manifest). Never cached.
 */
export type UpstreamErrorKind = 'unavailable' | 'not_found' | 'unauthorized' | 'denied' | 'invalid';

export class UpstreamError extends Error {
  constructor(
    readonly kind: UpstreamErrorKind,
    message: string,
    readonly status?: number,
    /** Seconds the remote asked us to wait (429/503 Retry-After). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'UpstreamError';
  }
}

export function isUpstreamError(e: unknown, kind?: UpstreamErrorKind): e is UpstreamError {
  return e instanceof UpstreamError && (kind === undefined || e.kind === kind);
}

/** Network-level failures (undici / node) that mean "the remote is unreachable right now". */
export function isNetworkError(e: unknown): boolean {
  const code = (e as { code?: string } | undefined)?.code ?? '';
  const name = (e as { name?: string } | undefined)?.name ?? '';
  return (
    /^(ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN)$/.test(code) ||
    /^UND_ERR_/.test(code) ||
    name === 'AbortError' ||
    name === 'TimeoutError'
  );
}

/** The remote answered a ranged blob GET with the whole blob or other bytes: it cannot resume copies. */
export class RangeUnsupportedError extends UpstreamError {
  constructor(message: string, status?: number) {
    super('invalid', message, status);
    this.name = 'RangeUnsupportedError';
  }
}
