import { randomBytes } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';
import type { AccessScope, Action } from './access.js';

/**
 * The subject of the pull-only tokens Berth gives a scanner adapter. Not a valid username (see
 * usernameSchema), so no user can be it; only this process can sign a token that names it.
 */
export const SCANNER_SUBJECT = '@scanner';

export interface TokenClaims {
  sub: string | undefined;
  access: AccessScope[];
  exp: number;
}

/**
 * Short-lived bearer tokens for the Docker token flow, HS256-signed with a key that lives only in this
 * process's memory: a restart invalidates outstanding tokens and clients simply fetch new ones.
 * Verified tokens are cached until they expire, so a pull burst costs one signature check per token.
 */
export class TokenService {
  private readonly key: Uint8Array;
  private readonly cache = new Map<string, TokenClaims>();
  private static readonly maxCached = 10_000;

  constructor(readonly issuer: string, readonly service: string, readonly ttlSeconds: number, key?: Uint8Array) {
    this.key = key ?? randomBytes(32);
  }

  async issue(subject: string | undefined, access: AccessScope[]): Promise<{ token: string; expiresIn: number; issuedAt: Date }> {
    const issuedAt = new Date();
    const token = await new SignJWT({ access })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(this.issuer)
      .setAudience(this.service)
      .setSubject(subject ?? '')
      .setIssuedAt(Math.floor(issuedAt.getTime() / 1000))
      .setExpirationTime(Math.floor(issuedAt.getTime() / 1000) + this.ttlSeconds)
      .setJti(randomBytes(8).toString('hex'))
      .sign(this.key);
    return { token, expiresIn: this.ttlSeconds, issuedAt };
  }

  /** Claims of a valid token, or undefined for anything forged, expired or malformed. */
  async verify(token: string): Promise<TokenClaims | undefined> {
    const now = Math.floor(Date.now() / 1000);
    const hit = this.cache.get(token);
    if (hit) {
      if (hit.exp > now) return hit;
      this.cache.delete(token);
      return undefined;
    }
    try {
      const { payload } = await jwtVerify(token, this.key, { issuer: this.issuer, audience: this.service, algorithms: ['HS256'] });
      const claims: TokenClaims = {
        sub: payload.sub || undefined,
        access: Array.isArray(payload.access) ? (payload.access as AccessScope[]) : [],
        exp: payload.exp ?? now,
      };
      if (this.cache.size >= TokenService.maxCached) this.evictExpired(now);
      this.cache.set(token, claims);
      return claims;
    } catch {
      return undefined;
    }
  }

  private evictExpired(now: number): void {
    for (const [k, v] of this.cache) if (v.exp <= now) this.cache.delete(k);
    if (this.cache.size >= TokenService.maxCached) this.cache.clear();
  }
}

export function tokenAllows(claims: TokenClaims, type: AccessScope['type'], name: string, action: Action): boolean {
  return claims.access.some((a) => a.type === type && a.name === name && (a.actions.includes(action) || a.actions.includes('*')));
}
