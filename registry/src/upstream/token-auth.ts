import type { Dispatcher } from 'undici';
import { undici } from './undici.js';
import { parseChallenge, type Challenge } from './challenge.js';
import { UpstreamError, isNetworkError } from './errors.js';

export interface Credentials {
  username: string | undefined;
  /** Read when needed (from the SecretStore); never kept longer than a token request. */
  password: () => Promise<string | undefined>;
}

interface CachedToken {
  token: string;
  expiresAt: number;
}

/**
 * Docker registry authentication, client side: remembers the challenge the remote sent, answers Basic
 * challenges with the credentials, and for Bearer challenges fetches a token from the realm
 * (`GET realm?service=…&scope=repository:NAME:pull,push`, with Basic credentials when configured), cached per
 * scope until shortly before it expires.
 */
export class TokenAuth {
  private challenge: Challenge | undefined;
  private readonly tokens = new Map<string, CachedToken>();
  private readonly pending = new Map<string, Promise<string>>();

  constructor(
    private readonly creds: Credentials,
    private readonly dispatcher: () => Promise<Dispatcher>,
    private readonly headersTimeoutMs: number,
  ) {}

  /** The Authorization header for a request in `scope`, if we know how to authenticate already. */
  async header(scope: string | undefined): Promise<string | undefined> {
    const c = this.challenge;
    if (!c) return undefined;
    if (c.scheme === 'basic') return this.basic();
    if (c.scheme !== 'bearer') return undefined;
    const key = scope ?? '';
    const cached = this.tokens.get(key);
    if (cached && cached.expiresAt > Date.now()) return `Bearer ${cached.token}`;
    let p = this.pending.get(key);
    if (!p) {
      p = this.fetchToken(c, scope).finally(() => this.pending.delete(key));
      this.pending.set(key, p);
    }
    return `Bearer ${await p}`;
  }

  /**
   * Learns from a 401. Returns true when a retry with new credentials may succeed (first challenge, or a
   * token that expired early); false when we already answered this challenge and were refused.
   */
  onUnauthorized(wwwAuthenticate: string | undefined, scope: string | undefined, sentAuth: string | undefined): boolean {
    const c = parseChallenge(wwwAuthenticate);
    if (!c) return false;
    const known = this.challenge;
    this.challenge = c;
    if (sentAuth === undefined) return true;
    if (c.scheme === 'bearer') {
      // The token we sent was refused (expired, revoked, or fetched before the password was set): drop it and
      // let the caller try once more with a fresh one. The caller allows one retry per request.
      this.tokens.delete(scope ?? '');
      return true;
    }
    // Basic: the password is read fresh for every request, so retrying this one cannot help.
    return known?.scheme !== 'basic';
  }

  private async basic(): Promise<string | undefined> {
    const password = await this.creds.password();
    if (this.creds.username === undefined || password === undefined) return undefined;
    return `Basic ${Buffer.from(`${this.creds.username}:${password}`).toString('base64')}`;
  }

  private async fetchToken(c: Challenge, scope: string | undefined): Promise<string> {
    const realm = c.params.realm;
    if (!realm) throw new UpstreamError('unauthorized', 'the remote sent a Bearer challenge without a realm');
    const u = new URL(realm);
    if (c.params.service) u.searchParams.set('service', c.params.service);
    if (scope) u.searchParams.set('scope', scope);
    const headers: Record<string, string> = { accept: 'application/json' };
    const basic = await this.basic();
    if (basic) headers.authorization = basic;
    let res: Dispatcher.ResponseData;
    try {
      res = await (await undici()).request(u, { method: 'GET', headers, dispatcher: await this.dispatcher(), headersTimeout: this.headersTimeoutMs });
    } catch (e) {
      if (isNetworkError(e)) throw new UpstreamError('unavailable', `token endpoint ${u.host} unreachable: ${(e as Error).message}`);
      throw e;
    }
    const text = await res.body.text();
    if (res.statusCode === 401 || res.statusCode === 403) {
      throw new UpstreamError(res.statusCode === 401 ? 'unauthorized' : 'denied', `token endpoint refused the credentials (${res.statusCode})`, res.statusCode);
    }
    if (res.statusCode >= 500 || res.statusCode === 429) {
      throw new UpstreamError('unavailable', `token endpoint answered ${res.statusCode}`, res.statusCode);
    }
    if (res.statusCode !== 200) throw new UpstreamError('unauthorized', `token endpoint answered ${res.statusCode}`, res.statusCode);
    let body: { token?: string; access_token?: string; expires_in?: number };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw new UpstreamError('invalid', 'token endpoint answered something that is not JSON');
    }
    const token = body.token ?? body.access_token;
    if (!token) throw new UpstreamError('invalid', 'token endpoint answered without a token');
    // The spec's default lifetime is 60 s; renew a little early.
    const ttl = Math.max(10, (typeof body.expires_in === 'number' ? body.expires_in : 60) - 10);
    this.tokens.set(scope ?? '', { token, expiresAt: Date.now() + ttl * 1000 });
    return token;
  }
}
