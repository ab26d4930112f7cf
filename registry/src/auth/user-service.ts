import fs from 'node:fs';
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { UserTable, Role, UserRow } from '../meta/users.js';
import { hashPassword, verifyPassword, generatePassword } from './password.js';
import type { Principal } from './access.js';

export const usernameSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9._-]*$/, 'lower-case letters, digits, dot, dash and underscore; starting with a letter or digit');
export const passwordSchema = z.string().min(8, 'the password must have at least 8 characters').max(256, 'the password must have at most 256 characters');
export const roleSchema = z.enum(['admin', 'developer', 'guest']);

export class UserError extends Error {
  constructor(message: string, readonly kind: 'invalid' | 'exists' | 'not-found') {
    super(message);
    this.name = 'UserError';
  }
}

export type PublicUser = Omit<UserRow, 'passwordHash'>;

/**
 * Users and credential checks. A successful check is remembered for a minute (keyed by a hash of the
 * credentials, never the password itself), so Basic auth on every request does not cost a scrypt each time.
 */
export class UserService {
  private readonly verified = new Map<string, { principal: Principal; until: number }>();
  private static readonly cacheMs = 60_000;
  private readonly principals = new Map<string, { principal: Principal | undefined; until: number }>();
  private static readonly principalCacheMs = 5_000;

  constructor(private readonly users: UserTable) {}

  async create(username: string, password: string, role: Role): Promise<PublicUser> {
    usernameSchema.parse(username);
    passwordSchema.parse(password);
    if (this.users.get(username)) throw new UserError(`user ${username} already exists`, 'exists');
    this.users.insert(username, await hashPassword(password), role);
    this.principals.delete(username);
    return this.get(username)!;
  }

  async setPassword(username: string, password: string): Promise<void> {
    passwordSchema.parse(password);
    if (!this.users.setPassword(username, await hashPassword(password))) throw new UserError(`no user ${username}`, 'not-found');
    this.forgetCached();
  }

  setRole(username: string, role: Role): void {
    if (!this.users.setRole(username, role)) throw new UserError(`no user ${username}`, 'not-found');
    this.forgetCached();
  }

  setDisabled(username: string, disabled: boolean): void {
    if (!this.users.setDisabled(username, disabled)) throw new UserError(`no user ${username}`, 'not-found');
    this.forgetCached();
  }

  delete(username: string): void {
    if (!this.users.delete(username)) throw new UserError(`no user ${username}`, 'not-found');
    this.forgetCached();
  }

  get(username: string): PublicUser | undefined {
    const u = this.users.get(username);
    if (!u) return undefined;
    const { passwordHash: _omit, ...rest } = u;
    return rest;
  }

  list(): PublicUser[] {
    return this.users.list().map(({ passwordHash: _omit, ...rest }) => rest);
  }

  /** The principal for valid credentials of an enabled user, else undefined. */
  async authenticate(username: string, password: string): Promise<Principal | undefined> {
    const key = createHash('sha256').update(username).update('\u0000').update(password).digest('base64');
    const now = Date.now();
    const hit = this.verified.get(key);
    if (hit && hit.until > now) return hit.principal;
    const user = this.users.get(username);
    if (!user || user.disabled) return undefined;
    if (!(await verifyPassword(password, user.passwordHash))) return undefined;
    const principal: Principal = { username: user.username, role: user.role };
    if (this.verified.size > 10_000) this.verified.clear();
    this.verified.set(key, { principal, until: now + UserService.cacheMs });
    return principal;
  }

  /** Current role of a user named in a token (tokens outlive role changes by at most their TTL). */
  principalOf(username: string): Principal | undefined {
    // Every token-authenticated request asks this: remember answers briefly (changes made here forget them at
    // once; the TTL bounds how long a change made by another process, e.g. the CLI, goes unseen).
    const now = Date.now();
    const hit = this.principals.get(username);
    if (hit && hit.until > now) return hit.principal;
    const u = this.users.get(username);
    const principal = u && !u.disabled ? { username: u.username, role: u.role } : undefined;
    if (this.principals.size > 10_000) this.principals.clear();
    this.principals.set(username, { principal, until: now + UserService.principalCacheMs });
    return principal;
  }

  private forgetCached(): void {
    this.verified.clear();
    this.principals.clear();
  }

  /**
   * First start: create `admin`. With a password from the environment, use it; otherwise generate one and
   * write it to `passwordFile` (mode 0600) so the operator can read it once. Returns what was done.
   */
  async bootstrapAdmin(envPassword: string | undefined, passwordFile: string): Promise<{ created: boolean; generated?: string }> {
    if (this.users.count() > 0) return { created: false };
    if (envPassword) {
      await this.create('admin', envPassword, 'admin');
      return { created: true };
    }
    const generated = generatePassword();
    await this.create('admin', generated, 'admin');
    fs.writeFileSync(passwordFile, `${generated}\n`, { mode: 0o600 });
    return { created: true, generated };
  }
}
