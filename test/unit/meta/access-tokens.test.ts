import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { migrate } from '../../../registry/src/meta/db.js';
import { migrations } from '../../../registry/src/meta/migrations.js';
import { AccessTokenTable } from '../../../registry/src/meta/access-tokens.js';
import { UserTable } from '../../../registry/src/meta/users.js';
import { AccessTokenService } from '../../../registry/src/auth/access-tokens.js';

const version = migrations.find((m) => m.name === 'personal access tokens')!.version;

test('access token migration: built at N-1 with users, migrated, tokens belong to and die with their user', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-pat-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const db = new Database(path.join(dir, 'berth.db'));
  t.after(() => db.close());
  db.pragma('foreign_keys = ON');
  migrate(db, migrations, version - 1);
  const users = new UserTable(db);
  users.insert('ci', 'x', 'developer');
  migrate(db, migrations, version);
  const table = new AccessTokenTable(db);
  const tokens = new AccessTokenService(table, (u) => (users.get(u) ? { username: u, role: users.get(u)!.role } : undefined), 60_000);
  t.after(() => tokens.close());
  const { token, info } = tokens.create('ci', 'ci job', null);
  assert.equal(table.insert('nobody', 'n', 'h', null), 'no-user');
  assert.throws(() => tokens.create('ci', 'ci job', null), /already have a token named ci job/);
  // stored as sha256 hex, never the secret
  const stored = db.prepare('SELECT token_hash FROM access_tokens WHERE id = ?').get(info.id) as { token_hash: string };
  assert.match(stored.token_hash, /^[0-9a-f]{64}$/);
  assert.notEqual(stored.token_hash, token);
  assert.deepEqual(tokens.authenticate(token, 'ci'), { username: 'ci', role: 'developer' });
  assert.equal(tokens.authenticate(token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A'), 'ci'), undefined);
  assert.equal(tokens.authenticate('not-a-token'), undefined);
  // last use waits for a flush, then lands in one write
  assert.equal(table.list('ci')[0]!.lastUsedAt, null);
  assert.ok(tokens.list('ci')[0]!.lastUsedAt! > 0);
  tokens.flush();
  assert.ok(table.list('ci')[0]!.lastUsedAt! > 0);
  users.delete('ci');
  assert.equal(tokens.authenticate(token), undefined);
  assert.equal((db.prepare('SELECT count(*) AS n FROM access_tokens').get() as { n: number }).n, 0);
});
