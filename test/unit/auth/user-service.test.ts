import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { openDatabase } from '../../../registry/src/meta/db.js';
import { UserTable } from '../../../registry/src/meta/users.js';
import { UserService } from '../../../registry/src/auth/user-service.js';
import { tempDir } from '../../helpers/test-registry.js';

// principalOf is cached (it runs on every token-authenticated request); changes made through the service
// must still show at once.
test('principalOf sees role changes, disabling, deletion and re-creation immediately', async (t) => {
  const dir = tempDir('berth-users-');
  const db = openDatabase(path.join(dir, 'berth.db'));
  t.after(() => {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const users = new UserService(new UserTable(db));
  assert.equal(users.principalOf('dev'), undefined);
  await users.create('dev', 'dev-password-1', 'developer');
  assert.deepEqual(users.principalOf('dev'), { username: 'dev', role: 'developer' });
  users.setRole('dev', 'guest');
  assert.deepEqual(users.principalOf('dev'), { username: 'dev', role: 'guest' });
  users.setDisabled('dev', true);
  assert.equal(users.principalOf('dev'), undefined);
  users.setDisabled('dev', false);
  assert.deepEqual(users.principalOf('dev'), { username: 'dev', role: 'guest' });
  users.delete('dev');
  assert.equal(users.principalOf('dev'), undefined);
  await users.create('dev', 'dev-password-2', 'admin');
  assert.deepEqual(users.principalOf('dev'), { username: 'dev', role: 'admin' });
});
