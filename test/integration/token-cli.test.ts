import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createTestRegistry, tempDir, basic } from '../helpers/test-registry.js';
import { runBerth } from '../helpers/processes.js';

/* `berth token`: personal access tokens for headless installs, made offline and used against the server. */


test('berth token create, list, revoke; the token works over /v2 and /api/v1 until revoked', async (t) => {
  const data = tempDir('berth-token-cli-');
  t.after(() => fs.rmSync(data, { recursive: true, force: true }));
  await (await createTestRegistry({ data })).close(); // creates the admin user

  const created = await runBerth(['token', 'create', 'admin', 'ci-pipeline', '--data', data, '--expires-in-days', '7']);
  assert.equal(created.status, 0, created.stderr);
  const secret = created.stdout.trim();
  assert.match(secret, /^berth_pat_[A-Za-z0-9_-]{43}$/);
  assert.match(created.stderr, /^token \d+ "ci-pipeline" for admin, expires \d{4}-\d{2}-\d{2}; it is shown only now$/m);
  assert.equal((await runBerth(['token', 'create', 'admin', 'ci-pipeline', '--data', data])).status, 2, 'a second token of that name is refused');
  const nobody = await runBerth(['token', 'create', 'nobody', 'x', '--data', data]);
  assert.equal(nobody.status, 2);
  assert.match(nobody.stderr, /no user nobody/);
  assert.match((await runBerth(['token', 'create', 'admin', 'y', '--data', data, '--expires-in-days', 'soon'])).stderr, /--expires-in-days must be a whole number/);

  const list = await runBerth(['token', 'list', 'admin', '--data', data]);
  assert.equal(list.status, 0);
  assert.match(list.stdout, /^(\d+)\tci-pipeline\tcreated \d{4}-\d{2}-\d{2}\texpires \d{4}-\d{2}-\d{2}\tlast used -$/m);
  assert.ok(!list.stdout.includes(secret), 'the secret is never listed');
  const id = /^(\d+)\tci-pipeline/m.exec(list.stdout)![1]!;

  const reg = await createTestRegistry({ data });
  try {
    assert.equal((await reg.fetch('/v2/_catalog', { headers: { authorization: basic('admin', secret) } })).status, 200);
    const me = await reg.fetch('/api/v1/me', { headers: { authorization: `Bearer ${secret}` } });
    assert.equal(me.status, 200);
    const running = await runBerth(['token', 'revoke', 'admin', id, '--data', data]);
    assert.equal(running.status, 2);
    assert.match(running.stderr, /is serving .*; stop it first, or use the GUI/);
  } finally {
    await reg.close();
  }

  assert.equal((await runBerth(['token', 'revoke', 'admin', '999', '--data', data])).status, 2);
  const revoked = await runBerth(['token', 'revoke', 'admin', id, '--data', data]);
  assert.equal(revoked.status, 0, revoked.stderr);
  assert.equal(revoked.stdout, `revoked token ${id} of admin\n`);
  const again = await createTestRegistry({ data });
  try {
    assert.equal((await again.fetch('/v2/_catalog', { headers: { authorization: basic('admin', secret) } })).status, 401);
  } finally {
    await again.close();
  }
});
