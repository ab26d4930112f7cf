import type { Db } from './db.js';

export interface AccessTokenRow {
  id: number;
  username: string;
  name: string;
  createdAt: number;
  expiresAt: number | null;
  lastUsedAt: number | null;
}

interface Raw {
  id: number;
  username: string;
  name: string;
  created_at: number;
  expires_at: number | null;
  last_used_at: number | null;
}

const toRow = (r: Raw): AccessTokenRow => ({
  id: r.id,
  username: r.username,
  name: r.name,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  lastUsedAt: r.last_used_at,
});

const columns = 't.id, u.username, t.name, t.created_at, t.expires_at, t.last_used_at';

/** Personal access tokens: only a hash of the secret is kept; a token belongs to (and dies with) its user. */
export class AccessTokenTable {
  private readonly insertStmt;
  private readonly byHashStmt;
  private readonly listStmt;
  private readonly deleteStmt;
  private readonly touchStmt;
  private readonly userIdStmt;

  constructor(private readonly db: Db) {
    this.userIdStmt = db.prepare<[string], { id: number }>('SELECT id FROM users WHERE username = ?');
    this.insertStmt = db.prepare('INSERT INTO access_tokens (user_id, name, token_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?)');
    this.byHashStmt = db.prepare<[string], Raw>(`SELECT ${columns} FROM access_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = ?`);
    this.listStmt = db.prepare<[string], Raw>(`SELECT ${columns} FROM access_tokens t JOIN users u ON u.id = t.user_id WHERE u.username = ? ORDER BY t.created_at DESC, t.id DESC`);
    this.deleteStmt = db.prepare('DELETE FROM access_tokens WHERE id = ? AND user_id = (SELECT id FROM users WHERE username = ?)');
    this.touchStmt = db.prepare('UPDATE access_tokens SET last_used_at = max(coalesce(last_used_at, 0), ?) WHERE id = ?');
  }

  /** Inserts a token for an existing user; undefined when the user does not exist, 'duplicate' on a taken name. */
  insert(username: string, name: string, tokenHash: string, expiresAt: number | null, now = Date.now()): AccessTokenRow | 'no-user' | 'duplicate' {
    const user = this.userIdStmt.get(username);
    if (!user) return 'no-user';
    try {
      const id = Number(this.insertStmt.run(user.id, name, tokenHash, now, expiresAt).lastInsertRowid);
      return { id, username, name, createdAt: now, expiresAt, lastUsedAt: null };
    } catch (e) {
      if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') return 'duplicate';
      throw e;
    }
  }
  byHash(tokenHash: string): AccessTokenRow | undefined {
    const r = this.byHashStmt.get(tokenHash);
    return r && toRow(r);
  }
  list(username: string): AccessTokenRow[] {
    return this.listStmt.all(username).map(toRow);
  }
  delete(username: string, id: number): boolean {
    return this.deleteStmt.run(id, username).changes > 0;
  }
  /** Records last-use times collected in memory, in one transaction. */
  touchMany(uses: ReadonlyMap<number, number>): void {
    this.db.transaction(() => {
      for (const [id, at] of uses) this.touchStmt.run(at, id);
    })();
  }
}
