import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AccessPolicy, parseScopes, formatScope, anonymousPrincipal, type Principal } from '../../../registry/src/auth/access.js';
import { projectOf } from '../../../registry/src/oci/reference.js';

test('parses Docker scope strings, several per parameter', () => {
  assert.deepEqual(parseScopes('repository:library/alpine:pull,push'), [{ type: 'repository', name: 'library/alpine', actions: ['pull', 'push'] }]);
  assert.deepEqual(parseScopes('repository:a:pull repository:b/c:push,delete'), [
    { type: 'repository', name: 'a', actions: ['pull'] },
    { type: 'repository', name: 'b/c', actions: ['push', 'delete'] },
  ]);
  assert.deepEqual(parseScopes('registry:catalog:*'), [{ type: 'registry', name: 'catalog', actions: ['*'] }]);
  assert.deepEqual(parseScopes('repository(plugin):team/x:pull'), [{ type: 'repository', name: 'team/x', actions: ['pull'] }]);
});

test('unknown resource types, unknown actions and malformed scopes are dropped', () => {
  assert.deepEqual(parseScopes(''), []);
  assert.deepEqual(parseScopes('   '), []);
  assert.deepEqual(parseScopes('repository'), []);
  assert.deepEqual(parseScopes('repository:foo'), []);
  assert.deepEqual(parseScopes('user:admin:pull'), []);
  assert.deepEqual(parseScopes('repository:foo:pull,fly,admin'), [{ type: 'repository', name: 'foo', actions: ['pull'] }]);
});

test('formatScope is the inverse of parseScopes', () => {
  const s = 'repository:team/app:pull,push';
  assert.equal(formatScope(parseScopes(s)[0]!), s);
});

const publicProjects = new Set(['library', 'open']);
const policy = new AccessPolicy({ isPublic: (p) => publicProjects.has(p), isReadOnly: () => false }, projectOf);
const admin: Principal = { username: 'root', role: 'admin' };
const dev: Principal = { username: 'dev', role: 'developer' };
const guest: Principal = { username: 'guest', role: 'guest' };
const all = ['pull', 'push', 'delete', '*'] as const;
const granted = (p: Principal, name: string) => policy.granted(p, { type: 'repository', name, actions: [...all] });

test('roles: admin everything, developer pull/push/delete, guest pull', () => {
  for (const repo of ['team/app', 'alpine', 'open/x']) {
    assert.deepEqual(granted(admin, repo), ['pull', 'push', 'delete', '*']);
    assert.deepEqual(granted(dev, repo), ['pull', 'push', 'delete']);
    assert.deepEqual(granted(guest, repo), ['pull']);
  }
});

test('anonymous: pull on public projects only, never a write', () => {
  assert.deepEqual(granted(anonymousPrincipal, 'alpine'), ['pull']);
  assert.deepEqual(granted(anonymousPrincipal, 'library/alpine'), ['pull']);
  assert.deepEqual(granted(anonymousPrincipal, 'open/tool'), ['pull']);
  assert.deepEqual(granted(anonymousPrincipal, 'team/app'), []);
  assert.equal(policy.may(anonymousPrincipal, 'repository', 'alpine', 'push'), false);
  assert.equal(policy.may(anonymousPrincipal, 'repository', 'alpine', 'delete'), false);
});

test('only what was asked is granted', () => {
  assert.deepEqual(policy.granted(admin, { type: 'repository', name: 'x', actions: ['pull'] }), ['pull']);
  assert.deepEqual(policy.granted(guest, { type: 'repository', name: 'x', actions: ['push'] }), []);
});

test('the catalog is for signed-in users only', () => {
  for (const p of [admin, dev, guest]) assert.ok(policy.may(p, 'registry', 'catalog', '*'), p.username);
  assert.equal(policy.may(anonymousPrincipal, 'registry', 'catalog', '*'), false);
  assert.deepEqual(policy.granted(admin, { type: 'registry', name: 'other', actions: ['*'] }), []);
});
