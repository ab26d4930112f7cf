import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { TokenService, tokenAllows } from '../../../registry/src/auth/tokens.js';

const key = randomBytes(32);
const access = [{ type: 'repository' as const, name: 'team/app', actions: ['pull' as const, 'push' as const] }];

test('an issued token verifies and carries subject and access', async () => {
  const svc = new TokenService('berth', 'berth-test', 300, key);
  const issued = await svc.issue('alice', access);
  assert.equal(issued.expiresIn, 300);
  const claims = await svc.verify(issued.token);
  assert.ok(claims);
  assert.equal(claims.sub, 'alice');
  assert.deepEqual(claims.access, access);
  assert.ok(tokenAllows(claims, 'repository', 'team/app', 'push'));
  assert.ok(!tokenAllows(claims, 'repository', 'team/app', 'delete'));
  assert.ok(!tokenAllows(claims, 'repository', 'team/other', 'pull'));
  assert.ok(!tokenAllows(claims, 'registry', 'catalog', '*'));
});

test('an anonymous token has no subject', async () => {
  const svc = new TokenService('berth', 'berth-test', 300, key);
  const claims = await svc.verify((await svc.issue(undefined, [])).token);
  assert.ok(claims);
  assert.equal(claims.sub, undefined);
  assert.deepEqual(claims.access, []);
});

test('a * action grants every action on that resource only', async () => {
  const svc = new TokenService('berth', 'berth-test', 300, key);
  const claims = await svc.verify((await svc.issue('a', [{ type: 'repository', name: 'x', actions: ['*'] }])).token);
  assert.ok(claims && tokenAllows(claims, 'repository', 'x', 'delete'));
  assert.ok(claims && !tokenAllows(claims, 'repository', 'y', 'pull'));
});

test('forged tokens are refused: other key, other issuer or audience, alg none, tampered payload, garbage', async () => {
  const svc = new TokenService('berth', 'berth-test', 300, key);
  const now = Math.floor(Date.now() / 1000);
  const sign = (k: Uint8Array, iss = 'berth', aud = 'berth-test') =>
    new SignJWT({ access }).setProtectedHeader({ alg: 'HS256' }).setIssuer(iss).setAudience(aud).setSubject('alice').setIssuedAt(now).setExpirationTime(now + 60).sign(k);
  assert.ok(await svc.verify(await sign(key)), 'the control token is valid');
  assert.equal(await svc.verify(await sign(randomBytes(32))), undefined);
  assert.equal(await svc.verify(await sign(key, 'someone-else')), undefined);
  assert.equal(await svc.verify(await sign(key, 'berth', 'other-service')), undefined);

  const good = (await svc.issue('bob', [])).token;
  const [h, , s] = good.split('.');
  const forgedPayload = Buffer.from(JSON.stringify({ iss: 'berth', aud: 'berth-test', sub: 'bob', exp: now + 60, access: [{ type: 'repository', name: 'x', actions: ['*'] }] })).toString('base64url');
  assert.equal(await svc.verify(`${h}.${forgedPayload}.${s}`), undefined);
  const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${forgedPayload}.`;
  assert.equal(await svc.verify(none), undefined);
  for (const junk of ['', 'x', 'a.b.c', good.slice(0, -2)]) assert.equal(await svc.verify(junk), undefined, junk);

  // another instance (a restarted server) does not accept this one's tokens
  assert.equal(await new TokenService('berth', 'berth-test', 300).verify(good), undefined);
});

test('tokens expire, including ones already verified and cached', async (t) => {
  const svc = new TokenService('berth', 'berth-test', 60, key);
  const { token } = await svc.issue('alice', access);
  assert.ok(await svc.verify(token));
  mock.timers.enable({ apis: ['Date'], now: Date.now() + 61_000 });
  t.after(() => mock.timers.reset());
  assert.equal(await svc.verify(token), undefined, 'cached token past its expiry');
  assert.equal(await svc.verify(token), undefined, 'and again once evicted from the cache');

  const expired = await new SignJWT({ access })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer('berth')
    .setAudience('berth-test')
    .setExpirationTime(Math.floor(Date.now() / 1000) - 1)
    .sign(key);
  assert.equal(await svc.verify(expired), undefined);
});
