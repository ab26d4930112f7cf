import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createTestRegistry, ADMIN_PASSWORD, type TestRegistry } from '../helpers/test-registry.js';
import { makeImage, blobOf, type Image } from '../helpers/oci-image.js';
import { pushImage, expectError, token, bearer } from '../helpers/v2-client.js';

let reg: TestRegistry;
let img: Image;
const guest = { username: 'visitor', password: 'guest-password' };
const dev = { username: 'builder', password: 'developer-pw' };
const admin = { username: 'admin', password: ADMIN_PASSWORD };

before(async () => {
  reg = await createTestRegistry();
  await reg.server.core.users.create(guest.username, guest.password, 'guest');
  await reg.server.core.users.create(dev.username, dev.password, 'developer');
  img = await makeImage();
  await pushImage(reg, 'alpine', 'latest', img);
  await pushImage(reg, 'library/busybox', 'latest', img);
  await pushImage(reg, 'team/app', 'latest', img);
});
after(() => reg.close());

function parseChallenge(h: string | null): Record<string, string> {
  assert.ok(h, 'WWW-Authenticate header');
  assert.match(h, /^Bearer /);
  const out: Record<string, string> = {};
  for (const m of h.slice(7).matchAll(/(\w+)="([^"]*)"/g)) out[m[1]!] = m[2]!;
  return out;
}

test('GET /v2/ without credentials is 401 with a Bearer challenge naming realm and service', async () => {
  const r = await reg.fetch('/v2/', { auth: false });
  assert.equal(r.headers.get('docker-distribution-api-version'), 'registry/2.0');
  const c = parseChallenge(r.headers.get('www-authenticate'));
  assert.equal(c.realm, `${reg.url}/auth/token`);
  assert.equal(c.service, 'berth');
  await expectError(r, 401, 'UNAUTHORIZED');
  const ok = await reg.fetch('/v2/');
  assert.equal(ok.status, 200);
});

test('a private repository challenges anonymous pulls with the scope to ask for', async () => {
  const r = await reg.fetch('/v2/team/app/manifests/latest', { auth: false });
  const c = parseChallenge(r.headers.get('www-authenticate'));
  assert.equal(c.scope, 'repository:team/app:pull');
  assert.equal(c.realm, `${reg.url}/auth/token`);
  await expectError(r, 401, 'UNAUTHORIZED');
  const push = await reg.fetch('/v2/team/app/blobs/uploads/', { method: 'POST', auth: false });
  assert.equal(parseChallenge(push.headers.get('www-authenticate')).scope, 'repository:team/app:pull,push');
  await expectError(push, 401, 'UNAUTHORIZED');
});

test('the token flow: Basic at the token endpoint, then Bearer on /v2', async () => {
  const t = await token(reg, ['repository:team/app:pull,push'], dev);
  const r = await reg.fetch('/v2/team/app/manifests/latest', { headers: bearer(t) });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('docker-content-digest'), img.manifest.digest);
  const blob = blobOf(Buffer.from('pushed with a token'), 'application/octet-stream');
  const p = await reg.fetch(`/v2/team/app/blobs/uploads/?digest=${blob.digest}`, { method: 'POST', body: blob.bytes, headers: bearer(t) });
  assert.equal(p.status, 201);
  // the token answer carries expiry information
  const raw = await reg.fetch('/auth/token?service=berth&scope=repository:team/app:pull', { auth: dev });
  const body = (await raw.json()) as { expires_in: number; issued_at: string };
  assert.equal(body.expires_in, 300);
  assert.ok(!Number.isNaN(Date.parse(body.issued_at)));
  assert.equal(raw.headers.get('cache-control'), 'no-store');
});

test('the OAuth2 password grant (POST) issues tokens too', async () => {
  const form = new URLSearchParams({ grant_type: 'password', username: dev.username, password: dev.password, service: 'berth', scope: 'repository:team/app:pull' });
  const r = await reg.fetch('/auth/token', { method: 'POST', body: form, auth: false });
  assert.equal(r.status, 200);
  const { access_token } = (await r.json()) as { access_token: string };
  assert.equal((await reg.fetch('/v2/team/app/tags/list', { headers: bearer(access_token) })).status, 200);
  const bad = new URLSearchParams({ grant_type: 'password', username: dev.username, password: 'nope-nope' });
  await expectError(await reg.fetch('/auth/token', { method: 'POST', body: bad, auth: false }), 401, 'UNAUTHORIZED');
});

test('a wrong password is 401, at the token endpoint and on /v2', async () => {
  await expectError(await reg.fetch('/auth/token?service=berth&scope=repository:team/app:pull', { auth: { username: dev.username, password: 'wrong-password' } }), 401, 'UNAUTHORIZED');
  await expectError(await reg.fetch('/auth/token?service=berth', { auth: { username: 'nobody', password: 'whatever1' } }), 401, 'UNAUTHORIZED');
  const r = await reg.fetch('/v2/team/app/tags/list', { auth: { username: admin.username, password: 'not-the-password' } });
  assert.ok(r.headers.get('www-authenticate'));
  await expectError(r, 401, 'UNAUTHORIZED');
  await expectError(await reg.fetch('/v2/', { headers: { authorization: 'Basic !!!notbase64' } }), 401, 'UNAUTHORIZED');
});

test('an invalid or forged bearer token is 401 invalid_token', async () => {
  const t = await token(reg, ['repository:team/app:pull'], dev);
  for (const bad of ['garbage', `${t.slice(0, -4)}AAAA`]) {
    const r = await reg.fetch('/v2/team/app/tags/list', { headers: bearer(bad) });
    assert.equal(parseChallenge(r.headers.get('www-authenticate')).error, 'invalid_token');
    await expectError(r, 401, 'UNAUTHORIZED');
  }
});

test('anonymous pull works on the public library project, without and with a token', async () => {
  for (const name of ['alpine', 'library/busybox']) {
    const plain = await reg.fetch(`/v2/${name}/manifests/latest`, { auth: false });
    assert.equal(plain.status, 200, name);
  }
  const t = await token(reg, ['repository:alpine:pull,push', 'repository:team/app:pull']);
  assert.equal((await reg.fetch('/v2/alpine/manifests/latest', { headers: bearer(t) })).status, 200);
  // the anonymous token got pull only, and nothing on the private project
  const push = await reg.fetch('/v2/alpine/blobs/uploads/', { method: 'POST', headers: bearer(t) });
  assert.equal(parseChallenge(push.headers.get('www-authenticate')).error, 'insufficient_scope');
  await expectError(push, 401, 'UNAUTHORIZED');
  await expectError(await reg.fetch('/v2/team/app/manifests/latest', { headers: bearer(t) }), 401, 'UNAUTHORIZED');
  // and anonymous writes without a token are challenged
  await expectError(await reg.fetch('/v2/alpine/manifests/latest', { method: 'DELETE', auth: false }), 401, 'UNAUTHORIZED');
});

test('a guest may pull but is DENIED writes', async () => {
  assert.equal((await reg.fetch('/v2/team/app/manifests/latest', { auth: guest })).status, 200);
  await expectError(await reg.fetch('/v2/team/app/blobs/uploads/', { method: 'POST', auth: guest }), 403, 'DENIED');
  await expectError(await reg.fetch(`/v2/team/app/manifests/${img.manifest.digest}`, { method: 'DELETE', auth: guest }), 403, 'DENIED');
  const r = await reg.fetch('/v2/team/app/manifests/guest', { method: 'PUT', body: img.manifest.bytes, headers: { 'content-type': img.manifest.mediaType }, auth: guest });
  await expectError(r, 403, 'DENIED');
  assert.equal((await reg.fetch('/v2/team/app/manifests/guest', { method: 'HEAD' })).status, 404);
  // with a token the guest only ever gets pull
  const t = await token(reg, ['repository:team/app:pull,push,delete'], guest);
  await expectError(await reg.fetch('/v2/team/app/blobs/uploads/', { method: 'POST', headers: bearer(t) }), 401, 'UNAUTHORIZED');
  assert.equal((await reg.fetch('/v2/team/app/tags/list', { headers: bearer(t) })).status, 200);
});

test('a token for one repository is insufficient_scope on another', async () => {
  const t = await token(reg, ['repository:team/app:pull,push'], admin);
  const r = await reg.fetch('/v2/library/busybox/manifests/latest', { headers: bearer(t) });
  const c = parseChallenge(r.headers.get('www-authenticate'));
  assert.equal(c.error, 'insufficient_scope');
  assert.equal(c.scope, 'repository:library/busybox:pull');
  await expectError(r, 401, 'UNAUTHORIZED');
  // a pull token does not delete
  const d = await reg.fetch(`/v2/team/app/manifests/${img.manifest.digest}`, { method: 'DELETE', headers: bearer(t) });
  assert.equal(parseChallenge(d.headers.get('www-authenticate')).scope, 'repository:team/app:delete');
  await expectError(d, 401, 'UNAUTHORIZED');
});

test('the catalog needs a signed-in user', async () => {
  const anon = await reg.fetch('/v2/_catalog', { auth: false });
  assert.equal(parseChallenge(anon.headers.get('www-authenticate')).scope, 'registry:catalog:*');
  await expectError(anon, 401, 'UNAUTHORIZED');
  const anonToken = await token(reg, ['registry:catalog:*']);
  await expectError(await reg.fetch('/v2/_catalog', { headers: bearer(anonToken) }), 401, 'UNAUTHORIZED');
  assert.equal((await reg.fetch('/v2/_catalog', { auth: guest })).status, 200);
  const t = await token(reg, ['registry:catalog:*'], guest);
  const r = await reg.fetch('/v2/_catalog', { headers: bearer(t) });
  assert.equal(r.status, 200);
  assert.deepEqual(((await r.json()) as { repositories: string[] }).repositories, ['alpine', 'library/busybox', 'team/app']);
});

test('a disabled user can no longer sign in', async () => {
  const u = { username: 'leaver', password: 'leaver-password' };
  await reg.server.core.users.create(u.username, u.password, 'developer');
  assert.equal((await reg.fetch('/v2/', { auth: u })).status, 200);
  reg.server.core.users.setDisabled(u.username, true);
  await expectError(await reg.fetch('/v2/', { auth: u }), 401, 'UNAUTHORIZED');
  await expectError(await reg.fetch('/auth/token?service=berth', { auth: u }), 401, 'UNAUTHORIZED');
});

test('tokens of a user stop working once the user is disabled', async () => {
  const u = { username: 'token-holder', password: 'holder-password' };
  await reg.server.core.users.create(u.username, u.password, 'developer');
  const t = await token(reg, ['repository:team/app:pull'], u);
  const before = await reg.fetch('/v2/team/app/manifests/latest', { auth: false, headers: bearer(t) });
  assert.equal(before.status, 200);
  reg.server.core.users.setDisabled(u.username, true);
  const after = await reg.fetch('/v2/team/app/manifests/latest', { auth: false, headers: bearer(t) });
  assert.match(after.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
  await expectError(after, 401, 'UNAUTHORIZED');
});
