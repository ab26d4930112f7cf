/** The admin API client: JSON in and out, the session's CSRF token on every write, typed errors. */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly id: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

let csrfToken: string | null = null;
let onUnauthenticated: (() => void) | undefined;

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** For requests the JSON client cannot make (file uploads with progress). */
export function currentCsrfToken(): string | null {
  return csrfToken;
}

/** Called when a request finds the session gone (expired, signed out elsewhere). */
export function setUnauthenticatedHandler(fn: () => void): void {
  onUnauthenticated = fn;
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(`/api/v1${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
    });
  } catch {
    throw new ApiError(0, 'network', 'Berth is not reachable. Check that the server is running.');
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    throw new ApiError(res.status, 'bad_response', `unexpected response (${res.status})`);
  }
  if (!res.ok) {
    const err = (json as { error?: { id?: string; message?: string; field?: string } } | undefined)?.error;
    const e = new ApiError(res.status, err?.id ?? 'unknown', err?.message ?? `request failed (${res.status})`, err?.field);
    if (res.status === 401 && path !== '/session') onUnauthenticated?.();
    throw e;
  }
  return json as T;
}

export const get = <T,>(path: string) => api<T>('GET', path);

/** Path segment for a repository name: its slashes are encoded (library%2Falpine). */
export const seg = (s: string) => encodeURIComponent(s);
