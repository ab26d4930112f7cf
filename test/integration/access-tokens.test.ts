import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createTestRegistry, tempDir, type TestRegistry } from '../helpers/test-registry.js';
import { ApiSession, assertMatchesSchema, pushImage } from '../helpers/api-client.js';
import { makeImage } from '../helpers/oci-image.js';
import { skopeo } from '../helpers/processes.js';

const DAY = 24 * 60 * 60 * 1000;

describe('personal access tokens', () => {
  let reg: TestRegistry;
  let admin: ApiSession;
  const data = tempDir();
  before(async () => {
    reg = await createTestRegistry({ data });
    admin = await ApiSession.login(reg);
    assert.equal((await admin.call('POST', '/users', { username: 'ci', password: 'ci-password-1', role: 'developer' })).status, 201);
    await pushImage(reg, 'team/app', 'v1', await makeImage({ files: { 'hello.txt': 'hi' } }));
  });
  after(async () => {
    await reg.close();
    fs.rmSync(data, { recursive: true, force: true });
  });

  const create = async (s: ApiSession, name: string, expiresInDays: number | null = 30) => s.call('POST', '/me/tokens', { name, expiresInDays });

  test('created once with its secret, listed without it, stored only as a hash', async () => {
    const ci = await ApiSession.login(reg, 'ci', 'ci-password-1');
    const r = await create(ci, 'build server');
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assertMatchesSchema('post', '/me/tokens', r.body);
    assert.match(r.body.token, /^berth_pat_[A-Za-z0-9_-]{43}$/);
    assert.ok(Math.abs(r.body.expiresAt - (Date.now() + 30 * DAY)) < 60_000);
    const list = await ci.call('GET', '/me/tokens');
    assertMatchesSchema('get', '/me/tokens', list.body);
    assert.deepEqual(list.body.items.map((t: { name: string }) => t.name), ['build server']);
    assert.equal(JSON.stringify(list.body).includes(r.body.token), false, 'the secret is never shown again');
    // Another user does not see it.
    assert.deepEqual((await admin.call('GET', '/me/tokens')).body.items, []);
    // Nothing in the database holds the secret in plaintext.
    await reg.server.close();
    const db = fs.readFileSync(`${reg.data}/berth.db`);
    const wal = fs.existsSync(`${reg.data}/berth.db-wal`) ? fs.readFileSync(`${reg.data}/berth.db-wal`) : Buffer.alloc(0);
    assert.equal(Buffer.concat([db, wal]).includes(r.body.token.slice(10)), false);
    reg = await createTestRegistry({ data: reg.data });
    admin = await ApiSession.login(reg);
  });

  test('bad input gets precise errors', async () => {
    const ci = await ApiSession.login(reg, 'ci', 'ci-password-1');
    const empty = await create(ci, '   ');
    assert.equal(empty.status, 400);
    assert.equal(empty.body.error.field, 'name');
    const long = await create(ci, 'x', 5000);
    assert.equal(long.status, 400);
    assert.equal(long.body.error.field, 'expiresInDays');
    assert.equal((await create(ci, 'dup')).status, 201);
    const dup = await create(ci, 'dup');
    assert.equal(dup.status, 409);
    assert.match(dup.body.error.message, /already have a token named dup/);
    assert.equal((await ci.call('DELETE', '/me/tokens/999999')).status, 404);
  });

  test('works as the password on /v2 and /auth/token and as a bearer on /api/v1; revoke is immediate', async () => {
    const ci = await ApiSession.login(reg, 'ci', 'ci-password-1');
    const { body: t } = await create(ci, 'pipeline');
    const creds = { username: 'ci', password: t.token };
    // Basic on /v2: pull and push (a developer may push).
    const m = await reg.fetch('/v2/team/app/manifests/v1', { auth: creds, headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
    assert.equal(m.status, 200);
    // docker login: the token endpoint takes it as the password and grants what the user may do.
    const tok = await reg.fetch('/auth/token?service=berth&scope=repository:team/app:pull,push', { auth: creds });
    assert.equal(tok.status, 200);
    const jwt = ((await tok.json()) as { token: string }).token;
    const claims = JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as { sub: string; access: { actions: string[] }[] };
    assert.equal(claims.sub, 'ci');
    assert.deepEqual(claims.access[0]!.actions.sort(), ['pull', 'push']);
    // Admin API: Basic and Bearer; the role is the user's (developer: no admin routes).
    assert.equal((await reg.fetch('/api/v1/me', { auth: creds })).status, 200);
    const me = await reg.fetch('/api/v1/me', { auth: false, headers: { authorization: `Bearer ${t.token}` } });
    assert.equal(((await me.json()) as { user: { username: string } }).user.username, 'ci');
    assert.equal((await reg.fetch('/api/v1/users', { auth: false, headers: { authorization: `Bearer ${t.token}` } })).status, 403);
    // A token names its user: another username with it is refused.
    assert.equal((await reg.fetch('/v2/team/app/tags/list', { auth: { username: 'admin', password: t.token } })).status, 401);
    // A token cannot mint more tokens.
    const mint = await reg.fetch('/api/v1/me/tokens', { method: 'POST', auth: false, headers: { authorization: `Bearer ${t.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'more' }) });
    assert.equal(mint.status, 403);
    // Last use is shown (collected in memory, written in batches).
    const listed = (await ci.call('GET', '/me/tokens')).body.items.find((x: { name: string }) => x.name === 'pipeline');
    assert.ok(listed.lastUsedAt >= t.createdAt);

    assert.equal((await ci.call('DELETE', `/me/tokens/${t.id}`)).status, 204);
    assert.equal((await reg.fetch('/v2/team/app/tags/list', { auth: creds })).status, 401);
    assert.equal((await reg.fetch('/auth/token?service=berth&scope=repository:team/app:pull', { auth: creds })).status, 401);
    assert.equal((await reg.fetch('/api/v1/me', { auth: false, headers: { authorization: `Bearer ${t.token}` } })).status, 401);
  });

  test('an expired token is refused; a disabled user\'s tokens stop working', async () => {
    const ci = await ApiSession.login(reg, 'ci', 'ci-password-1');
    const { body: t } = await create(ci, 'short', 1);
    const creds = { username: 'ci', password: t.token };
    assert.equal((await reg.fetch('/v2/team/app/tags/list', { auth: creds })).status, 200);
    // Let a day pass: the token's check compares its expiry with the clock.
    const tokens = reg.server.auth.accessTokens!;
    assert.ok(tokens.authenticate(t.token, 'ci', Date.now()));
    assert.equal(tokens.authenticate(t.token, 'ci', Date.now() + DAY + 1000), undefined);
    reg.server.core.meta.db.prepare('UPDATE access_tokens SET expires_at = ? WHERE id = ?').run(Date.now() - 1, t.id);
    assert.equal((await reg.fetch('/v2/team/app/tags/list', { auth: creds })).status, 401);
    assert.equal((await reg.fetch('/auth/token?service=berth&scope=repository:team/app:pull', { auth: creds })).status, 401);

    const { body: t2 } = await create(ci, 'forever', null);
    assert.equal(t2.expiresAt, null);
    const creds2 = { username: 'ci', password: t2.token };
    assert.equal((await reg.fetch('/v2/team/app/tags/list', { auth: creds2 })).status, 200);
    assert.equal((await admin.call('PATCH', '/users/ci', { disabled: true })).status, 200);
    assert.equal((await reg.fetch('/v2/team/app/tags/list', { auth: creds2 })).status, 401);
    assert.equal((await admin.call('PATCH', '/users/ci', { disabled: false })).status, 200);
  });

  test('last use survives a restart (flushed on close)', async () => {
    const ci = await ApiSession.login(reg, 'ci', 'ci-password-1');
    const { body: t } = await create(ci, 'restart');
    assert.equal((await reg.fetch('/v2/team/app/tags/list', { auth: { username: 'ci', password: t.token } })).status, 200);
    await reg.server.close();
    reg = await createTestRegistry({ data: reg.data });
    admin = await ApiSession.login(reg);
    const again = await ApiSession.login(reg, 'ci', 'ci-password-1');
    const row = (await again.call('GET', '/me/tokens')).body.items.find((x: { name: string }) => x.name === 'restart');
    assert.ok(row.lastUsedAt !== null && row.lastUsedAt >= t.createdAt);
  });

  test('skopeo pulls with a token as the password (token flow)', async () => {
    const ci = await ApiSession.login(reg, 'ci', 'ci-password-1');
    const { body: t } = await create(ci, 'skopeo');
    const out = tempDir('skopeo-pat-');
    try {
      await skopeo(['copy', '--src-tls-verify=false', '--src-creds', `ci:${t.token}`, `docker://${reg.host}/team/app:v1`, `oci:${out}:v1`]);
      assert.ok(fs.existsSync(`${out}/index.json`));
      await ci.call('DELETE', `/me/tokens/${t.id}`);
      await assert.rejects(
        skopeo(['copy', '--src-tls-verify=false', '--src-creds', `ci:${t.token}`, `docker://${reg.host}/team/app:v1`, `oci:${out}:v2`]),
        /401|unauthorized|authentication required|invalid username or password/i,
      );
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});
