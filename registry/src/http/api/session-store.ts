import { randomBytes, timingSafeEqual } from 'node:crypto';

export interface Session {
  id: string;
  username: string;
  /** Sent by the GUI in X-CSRF-Token on every state-changing request. */
  csrfToken: string;
  createdAt: number;
  lastSeenAt: number;
}

/**
 * GUI sessions, in memory: a restart signs everyone out, which is acceptable for an appliance and keeps
 * session secrets off the disk. Sessions end after `idleMs` without use or `maxAgeMs` in total.
 */
export class SessionStore {
  private readonly sessions = new Map<string, Session>();

  constructor(
    readonly idleMs = 12 * 3_600_000,
    readonly maxAgeMs = 7 * 24 * 3_600_000,
    private readonly maxSessions = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  create(username: string): Session {
    if (this.sessions.size >= this.maxSessions) this.evict();
    const t = this.now();
    const s: Session = { id: token(), username, csrfToken: token(), createdAt: t, lastSeenAt: t };
    this.sessions.set(s.id, s);
    return s;
  }

  /** The live session for a cookie value, refreshed; undefined when unknown or expired. */
  get(id: string | undefined): Session | undefined {
    if (!id) return undefined;
    const s = this.sessions.get(id);
    if (!s) return undefined;
    const t = this.now();
    if (t - s.lastSeenAt > this.idleMs || t - s.createdAt > this.maxAgeMs) {
      this.sessions.delete(id);
      return undefined;
    }
    s.lastSeenAt = t;
    return s;
  }

  delete(id: string): void {
    this.sessions.delete(id);
  }

  /** Ends every session of a user (password change, disable, delete), except optionally one. */
  revokeUser(username: string, except?: string): void {
    for (const [id, s] of this.sessions) if (s.username === username && id !== except) this.sessions.delete(id);
  }

  static csrfMatches(session: Session, presented: string | undefined): boolean {
    if (!presented) return false;
    const a = Buffer.from(session.csrfToken);
    const b = Buffer.from(presented);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  private evict(): void {
    const t = this.now();
    for (const [id, s] of this.sessions) if (t - s.lastSeenAt > this.idleMs) this.sessions.delete(id);
    if (this.sessions.size < this.maxSessions) return;
    // Still full: drop the least recently used tenth.
    const oldest = [...this.sessions.values()].sort((x, y) => x.lastSeenAt - y.lastSeenAt).slice(0, Math.ceil(this.maxSessions / 10));
    for (const s of oldest) this.sessions.delete(s.id);
  }
}

function token(): string {
  return randomBytes(32).toString('base64url');
}
