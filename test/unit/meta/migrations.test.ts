import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { openDatabase, migrate, schemaVersion, DatabaseTooNewError } from '../../../registry/src/meta/db.js';
import { migrations, type Migration } from '../../../registry/src/meta/migrations.js';

function tempDb(t: { after(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-meta-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return path.join(dir, 'berth.db');
}

const latest = Math.max(...migrations.map((m) => m.version));
const tables = (db: Database.Database): string[] =>
  (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((r) => r.name);

test('migration versions are unique and increasing from 1', () => {
  assert.deepEqual(
    migrations.map((m) => m.version),
    migrations.map((_, i) => i + 1),
  );
});

test('a fresh database is migrated to the latest version, in WAL mode with foreign keys on', (t) => {
  const file = tempDb(t);
  const db = openDatabase(file);
  try {
    assert.equal(schemaVersion(db), latest);
    for (const name of ['projects', 'repositories', 'blobs', 'repo_blobs', 'manifests', 'manifest_refs', 'tags', 'users', 'audit', 'settings']) {
      assert.ok(tables(db).includes(name), `table ${name}`);
    }
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(db.pragma('foreign_keys', { simple: true }), 1);
  } finally {
    db.close();
  }
  // reopening is a no-op and keeps data
  const again = openDatabase(file);
  assert.equal(schemaVersion(again), latest);
  again.close();
});

test('migrating from each earlier version keeps seeded rows', (t) => {
  for (const m of migrations) {
    if (m.version === 1) continue;
    const file = tempDb(t);
    const db = new Database(file);
    migrate(db, migrations, m.version - 1);
    assert.equal(schemaVersion(db), m.version - 1);
    db.prepare("INSERT INTO users (username, password_hash, role, created_at, updated_at) VALUES ('seed', 'x', 'guest', 0, 0)").run();
    migrate(db, migrations);
    assert.equal(schemaVersion(db), latest);
    assert.equal((db.prepare("SELECT count(*) AS n FROM users WHERE username = 'seed'").get() as { n: number }).n, 1);
    db.close();
  }
});

test('a database newer than the code is refused and left untouched', (t) => {
  const file = tempDb(t);
  const db = new Database(file);
  db.pragma(`user_version = ${latest + 1}`);
  db.close();
  assert.throws(() => openDatabase(file), (e: unknown) => e instanceof DatabaseTooNewError && /newer/.test(e.message));
  const check = new Database(file);
  assert.equal(check.pragma('user_version', { simple: true }), latest + 1);
  assert.deepEqual(tables(check), []);
  check.close();
});

test('a migration that fails is rolled back whole: no half-made schema, version unchanged', (t) => {
  const file = tempDb(t);
  const db = new Database(file);
  t.after(() => db.close());
  const broken: Migration[] = [
    ...migrations,
    {
      version: latest + 1,
      name: 'broken',
      up(d) {
        d.exec('CREATE TABLE half_done (x INTEGER)');
        d.exec("INSERT INTO users (username, password_hash, role, created_at, updated_at) VALUES ('ghost', 'x', 'guest', 0, 0)");
        d.exec('THIS IS NOT SQL');
      },
    },
  ];
  assert.throws(() => migrate(db, broken));
  assert.equal(schemaVersion(db), latest, 'the earlier migrations committed, the broken one did not');
  assert.ok(!tables(db).includes('half_done'));
  assert.equal((db.prepare("SELECT count(*) AS n FROM users WHERE username = 'ghost'").get() as { n: number }).n, 0);
});

test('migration 9 adds detached_at to registries and proxy projects; existing definitions stay attached', (t) => {
  const file = tempDb(t);
  const db = new Database(file);
  migrate(db, migrations, 8);
  db.prepare("INSERT INTO remote_registries (name, spec, source, created_at, updated_at) VALUES ('hq', '{}', 'file', 1, 1)").run();
  assert.throws(() => db.prepare('SELECT detached_at FROM remote_registries').get(), /no such column/);
  migrate(db, migrations, 9);
  assert.deepEqual(db.prepare('SELECT name, source, detached_at FROM remote_registries').all(), [{ name: 'hq', source: 'file', detached_at: null }]);
  assert.deepEqual(db.prepare('SELECT detached_at FROM proxy_projects').all(), []);
  db.close();
});
