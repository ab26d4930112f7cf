import Database from 'better-sqlite3';
import { migrations as defaultMigrations, type Migration } from './migrations.js';

export type Db = Database.Database;

export class DatabaseTooNewError extends Error {
  constructor(found: number, known: number) {
    super(`database schema version ${found} is newer than this Berth understands (${known}); upgrade Berth`);
    this.name = 'DatabaseTooNewError';
  }
}

/**
 * Opens the metadata database: WAL for concurrent readers, foreign keys on, synchronous=FULL so a row that
 * was acknowledged to a client survives a power loss (blob bytes are fsynced before their row is written).
 */
export function openDatabase(file: string, migrations: Migration[] = defaultMigrations): Db {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db, migrations);
  return db;
}

export function migrate(db: Db, migrations: Migration[] = defaultMigrations, target?: number): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  const latest = migrations.reduce((m, x) => Math.max(m, x.version), 0);
  if (current > latest) throw new DatabaseTooNewError(current, latest);
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (m.version <= current || (target !== undefined && m.version > target)) continue;
    db.transaction(() => {
      m.up(db);
      db.pragma(`user_version = ${m.version}`);
    })();
  }
}

export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}
