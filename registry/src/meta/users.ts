import type { Db } from './db.js';

export type Role = 'admin' | 'developer' | 'guest';

export interface UserRow {
  id: number;
  username: string;
  passwordHash: string;
  role: Role;
  disabled: boolean;
  createdAt: number;
  updatedAt: number;
}

interface Raw {
  id: number;
  username: string;
  password_hash: string;
  role: Role;
  disabled: number;
  created_at: number;
  updated_at: number;
}

const toRow = (r: Raw): UserRow => ({
  id: r.id,
  username: r.username,
  passwordHash: r.password_hash,
  role: r.role,
  disabled: r.disabled === 1,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export class UserTable {
  private readonly byName;
  private readonly insertStmt;
  private readonly updatePwStmt;
  private readonly updateRoleStmt;
  private readonly setDisabledStmt;
  private readonly deleteStmt;
  private readonly listStmt;
  private readonly countStmt;

  constructor(db: Db) {
    this.byName = db.prepare<[string], Raw>('SELECT * FROM users WHERE username = ?');
    this.insertStmt = db.prepare('INSERT INTO users (username, password_hash, role, created_at, updated_at) VALUES (?, ?, ?, ?, ?)');
    this.updatePwStmt = db.prepare('UPDATE users SET password_hash = ?, updated_at = ? WHERE username = ?');
    this.updateRoleStmt = db.prepare('UPDATE users SET role = ?, updated_at = ? WHERE username = ?');
    this.setDisabledStmt = db.prepare('UPDATE users SET disabled = ?, updated_at = ? WHERE username = ?');
    this.deleteStmt = db.prepare('DELETE FROM users WHERE username = ?');
    this.listStmt = db.prepare<[], Raw>('SELECT * FROM users ORDER BY username');
    this.countStmt = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM users');
  }

  get(username: string): UserRow | undefined {
    const r = this.byName.get(username);
    return r && toRow(r);
  }
  insert(username: string, passwordHash: string, role: Role, now = Date.now()): void {
    this.insertStmt.run(username, passwordHash, role, now, now);
  }
  setPassword(username: string, passwordHash: string, now = Date.now()): boolean {
    return this.updatePwStmt.run(passwordHash, now, username).changes > 0;
  }
  setRole(username: string, role: Role, now = Date.now()): boolean {
    return this.updateRoleStmt.run(role, now, username).changes > 0;
  }
  setDisabled(username: string, disabled: boolean, now = Date.now()): boolean {
    return this.setDisabledStmt.run(disabled ? 1 : 0, now, username).changes > 0;
  }
  delete(username: string): boolean {
    return this.deleteStmt.run(username).changes > 0;
  }
  list(): UserRow[] {
    return this.listStmt.all().map(toRow);
  }
  count(): number {
    return this.countStmt.get()!.n;
  }
}
