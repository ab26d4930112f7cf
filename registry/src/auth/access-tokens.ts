import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { AccessTokenRow, AccessTokenTable } from '../meta/access-tokens.js';
import type { Principal } from './access.js';

/** Every personal access token starts with this, so a credential check knows which kind it holds. */
export const ACCESS_TOKEN_PREFIX = 'berth_pat_';

export const tokenNameSchema = z
  .string()
  .trim()
  .min(1, 'give the token a name')
  .max(64)
  .regex(/^[\w .@:/-]+$/, 'letters, digits, space and . _ - @ : /');

export class AccessTokenError extends Error {
  constructor(message: string, readonly kind: 'exists' | 'not-found') {
    super(message);
    this.name = 'AccessTokenError';
  }
}

export function isAccessToken(secret: string): boolean {
  return secret.startsWith(ACCESS_TOKEN_PREFIX);
}

// 256 random bits: a plain sha256 is enough to store it (no guessing to slow down), and cheap per request.
const hashOf = (secret: string) => createHash('sha256').update(secret).digest('hex');

/**
 * Personal access tokens for scripts and CI: accepted wherever a password is (Basic on /v2, /auth/token,
 * /api/v1) and as a bearer on /api/v1. A token acts as its user with the user's current role; disabling or
 * deleting the user ends it. Last use is collected in memory and written in batches, not once per request.
 */
export class AccessTokenService {
  private readonly pendingUse = new Map<number, number>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly table: AccessTokenTable,
    private readonly principalOf: (username: string) => Principal | undefined,
    flushMs = 30_000,
  ) {
    this.timer = setInterval(() => this.flush(), flushMs);
    this.timer.unref();
  }

  /** Creates a token; the secret is returned this once and never again. */
  create(username: string, name: string, expiresAt: number | null): { token: string; info: AccessTokenRow } {
    const token = ACCESS_TOKEN_PREFIX + randomBytes(32).toString('base64url');
    const row = this.table.insert(username, tokenNameSchema.parse(name), hashOf(token), expiresAt);
    if (row === 'duplicate') throw new AccessTokenError(`you already have a token named ${name}`, 'exists');
    if (row === 'no-user') throw new AccessTokenError(`no user ${username}`, 'not-found');
    return { token, info: row };
  }

  list(username: string): AccessTokenRow[] {
    return this.table.list(username).map((t) => ({ ...t, lastUsedAt: Math.max(t.lastUsedAt ?? 0, this.pendingUse.get(t.id) ?? 0) || null }));
  }

  revoke(username: string, id: number): void {
    if (!this.table.delete(username, id)) throw new AccessTokenError(`no token ${id}`, 'not-found');
    this.pendingUse.delete(id);
  }

  /**
   * The principal a token stands for, or undefined when it is unknown, expired, revoked, or its user is
   * disabled. With `username`, the token must also belong to that user (Basic auth names one).
   */
  authenticate(secret: string, username?: string, now = Date.now()): Principal | undefined {
    if (!isAccessToken(secret)) return undefined;
    const row = this.table.byHash(hashOf(secret));
    if (!row || (username !== undefined && row.username !== username)) return undefined;
    if (row.expiresAt !== null && row.expiresAt <= now) return undefined;
    const principal = this.principalOf(row.username);
    if (!principal) return undefined;
    this.pendingUse.set(row.id, now);
    return principal;
  }

  flush(): void {
    if (this.pendingUse.size === 0) return;
    const uses = new Map(this.pendingUse);
    this.pendingUse.clear();
    this.table.touchMany(uses);
  }

  close(): void {
    clearInterval(this.timer);
    this.flush();
  }
}
