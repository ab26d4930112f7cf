import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createTestRegistry, basic, ADMIN_PASSWORD, type TestRegistry } from '../helpers/test-registry.js';
import { ApiSession, assertMatchesSchema } from '../helpers/api-client.js';

describe('admin API: authentication, sessions, CSRF, validation', () => {
  let reg: TestRegistry;
  before(async () => {
    reg = await createTestRegistry();
  });
  after(() => reg.close());

  test('nothing but sign-in and the OpenAPI document is open to anonymous callers', async () => {
    for (const p of ['/me', '/system', '/repositories', '/users', '/gc', '/audit', '/metrics/summary', '/events']) {
      const r = await reg.fetch(`/api/v1${p}`, { auth: false });
      assert.equal(r.status, 401, p);
      const body = (await r.json()) as { error: { id: string } };
      assert.equal(body.error.id, 'unauthenticated', p);
      assert.equal(r.headers.get('www-authenticate'), null, 'no Basic challenge, so browsers never pop up a password dialog');
    }
    const s = await new ApiSession(reg).call('GET', '/session');
    assert.deepEqual(s.body, { user: null, csrfToken: null });
  });

  test('login sets an HttpOnly SameSite=Strict cookie; the session works until logout', async () => {
    const s = new ApiSession(reg);
    const r = await s.call('POST', '/session', { username: 'admin', password: ADMIN_PASSWORD });
    assert.equal(r.status, 200);
    assertMatchesSchema('post', '/session', r.body);
    const cookie = r.headers.get('set-cookie')!;
    assert.match(cookie, /^berth_session=[A-Za-z0-9_-]{40,};/);
    assert.match(cookie, /httponly/i);
    assert.match(cookie, /samesite=strict/i);
    assert.doesNotMatch(cookie, /secure/i, 'plain http: no Secure flag, or the browser would drop the cookie');
    assert.equal(r.body.user.username, 'admin');
    assert.equal('passwordHash' in r.body.user, false);
    assert.equal((await s.call('GET', '/me')).body.permissions.admin, true);
    const again = await s.call('GET', '/session');
    assert.equal(again.body.csrfToken, s.csrf);
    assert.equal((await s.call('DELETE', '/session')).status, 204);
    assert.equal((await s.call('GET', '/me')).status, 401);
  });

  test('the cookie is Secure when Berth is reached over https (externalUrl)', async () => {
    const tls = await createTestRegistry({ externalUrl: 'https://berth.example.test' });
    try {
      const r = await new ApiSession(tls).call('POST', '/session', { username: 'admin', password: ADMIN_PASSWORD });
      assert.equal(r.status, 200);
      assert.match(r.headers.get('set-cookie')!, /;\s*secure/i);
    } finally {
      await tls.close();
    }
  });

  test('state-changing requests with a session cookie need the CSRF token', async () => {
    const s = await ApiSession.login(reg);
    const without = await s.call('POST', '/gc', { dryRun: true }, { 'x-csrf-token': '' });
    assert.equal(without.status, 403);
    assert.equal(without.body.error.id, 'csrf_failed');
    const wrong = await s.call('POST', '/gc', { dryRun: true }, { 'x-csrf-token': 'x'.repeat(43) });
    assert.equal(wrong.body.error.id, 'csrf_failed');
    const right = await s.call('POST', '/gc', { dryRun: true });
    assert.equal(right.status, 200, JSON.stringify(right.body));
    // Reads need no token.
    assert.equal((await s.call('GET', '/gc')).status, 200);
  });

  test('bodies must be JSON (a cross-site form cannot post one)', async () => {
    const s = await ApiSession.login(reg);
    const r = await s.call('POST', '/gc', undefined, { 'content-type': 'application/x-www-form-urlencoded' });
    assert.equal(r.body.error.id, 'validation_failed', 'no body at all');
    const form = await reg.fetch('/api/v1/users', {
      method: 'POST',
      headers: { cookie: s.cookie, 'x-csrf-token': s.csrf!, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'username=x&password=yyyyyyyy&role=admin',
      auth: false,
    });
    assert.equal(form.status, 415);
    assert.equal(((await form.json()) as { error: { id: string } }).error.id, 'unsupported_media_type');
  });

  test('Basic credentials work for scripts without CSRF; a bearer token from /tokens too', async () => {
    const r = await reg.fetch('/api/v1/gc', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"dryRun":true}' });
    assert.equal(r.status, 200);
    const t = await reg.fetch('/api/v1/tokens', { method: 'POST' });
    assert.equal(t.status, 200);
    const { token } = (await t.json()) as { token: string };
    const me = await reg.fetch('/api/v1/me', { headers: { authorization: `Bearer ${token}` }, auth: false });
    assert.equal(me.status, 200);
    assert.equal(((await me.json()) as { user: { username: string } }).user.username, 'admin');
    // A registry pull token is not an admin API token.
    const pull = await reg.fetch('/auth/token?service=berth&scope=repository:library/x:pull');
    const pullToken = ((await pull.json()) as { token: string }).token;
    const denied = await reg.fetch('/api/v1/me', { headers: { authorization: `Bearer ${pullToken}` }, auth: false });
    assert.equal(denied.status, 401);
    const bad = await reg.fetch('/api/v1/me', { headers: { authorization: basic('admin', 'nope') }, auth: false });
    assert.equal(bad.status, 401);
  });

  test('validation errors name the field and carry a stable id', async () => {
    const s = await ApiSession.login(reg);
    const r = await s.call('POST', '/users', { username: 'Not Valid', password: 'short', role: 'root' });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.id, 'validation_failed');
    assert.equal(r.body.error.field, 'username');
    assert.deepEqual(r.body.error.issues.map((i: { field: string }) => i.field).sort(), ['password', 'role', 'username']);
    assert.ok(r.body.error.issues.every((i: { in: string }) => i.in === 'body'));
    const q = await s.call('GET', '/repositories?limit=0');
    assert.equal(q.body.error.field, 'limit');
    assert.equal(q.body.error.issues[0].in, 'query');
    const p = await s.call('GET', '/repositories/Bad..Name');
    assert.equal(p.body.error.field, 'name');
    assert.equal(p.body.error.issues[0].in, 'path');
    const json = await reg.fetch('/api/v1/users', { method: 'POST', headers: { cookie: s.cookie, 'x-csrf-token': s.csrf!, 'content-type': 'application/json' }, body: '{"username":', auth: false });
    assert.equal(json.status, 400);
    assert.match(((await json.json()) as { error: { message: string } }).error.message, /not valid JSON/);
    const unknown = await s.call('GET', '/no-such-thing');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.id, 'not_found');
    const method = await s.call('PUT', '/system', {});
    assert.equal(method.status, 405);
    assert.equal(method.body.error.id, 'method_not_allowed');
  });

  test('failed sign-ins are rate limited per address and user name', async () => {
    const own = await createTestRegistry();
    try {
      const s = new ApiSession(own);
      for (let i = 0; i < 10; i++) {
        const r = await s.call('POST', '/session', { username: 'admin', password: `wrong-${i}` });
        assert.equal(r.status, 401);
      }
      const limited = await s.call('POST', '/session', { username: 'admin', password: ADMIN_PASSWORD });
      assert.equal(limited.status, 429);
      assert.equal(limited.body.error.id, 'rate_limited');
      assert.ok(Number(limited.headers.get('retry-after')) > 0);
      // Basic auth on the API counts against the same limit.
      const b = await own.fetch('/api/v1/me');
      assert.equal(b.status, 429);
    } finally {
      await own.close();
    }
  });

  test('roles: a guest reads, a developer deletes content, only an admin manages users', async () => {
    const admin = await ApiSession.login(reg);
    assert.equal((await admin.call('POST', '/users', { username: 'gina', password: 'guest-password', role: 'guest' })).status, 201);
    assert.equal((await admin.call('POST', '/users', { username: 'dev', password: 'developer-pw', role: 'developer' })).status, 201);
    const guest = await ApiSession.login(reg, 'gina', 'guest-password');
    assert.equal((await guest.call('GET', '/repositories')).status, 200);
    const forbidden = await guest.call('GET', '/users');
    assert.equal(forbidden.status, 403);
    assert.equal(forbidden.body.error.id, 'forbidden');
    assert.equal((await guest.call('GET', '/audit')).status, 403);
    assert.equal((await guest.call('DELETE', '/repositories/library%2Fx/tags/v1')).status, 403);
    const dev = await ApiSession.login(reg, 'dev', 'developer-pw');
    assert.equal((await dev.call('GET', '/audit')).status, 200);
    assert.equal((await dev.call('POST', '/gc', { dryRun: true })).status, 403);
    assert.equal((await dev.call('DELETE', '/repositories/library%2Fx/tags/v1')).body.error.id, 'repository_not_found');
    // Disabling a user ends their sessions at once.
    assert.equal((await admin.call('PATCH', '/users/dev', { disabled: true })).status, 200);
    assert.equal((await dev.call('GET', '/me')).status, 401);
  });

  test('the OpenAPI 3.1 document lists every route with schemas from the same zod definitions', async () => {
    const r = await reg.fetch('/api/v1/openapi.json', { auth: false });
    assert.equal(r.status, 200);
    const doc = (await r.json()) as { openapi: string; paths: Record<string, Record<string, any>>; components: { schemas: Record<string, unknown> } };
    assert.equal(doc.openapi, '3.1.0');
    for (const p of ['/session', '/me', '/system', '/repositories', '/repositories/{name}', '/repositories/{name}/manifests/{digest}', '/users', '/users/{username}', '/projects/{name}', '/gc', '/audit', '/metrics/summary', '/events']) {
      assert.ok(doc.paths[p], `missing ${p}`);
    }
    const create = doc.paths['/users']!.post;
    const schema = create.requestBody.content['application/json'].schema;
    assert.deepEqual(schema.required.sort(), ['password', 'role', 'username']);
    assert.deepEqual(schema.properties.role.enum, ['admin', 'developer', 'guest']);
    assert.equal(schema.properties.password.minLength, 8);
    const list = doc.paths['/repositories']!.get;
    assert.deepEqual(list.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`), ['query:q', 'query:limit', 'query:offset']);
    assert.ok(doc.components.schemas.Error);
  });
});
