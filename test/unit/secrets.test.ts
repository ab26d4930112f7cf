import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EncryptedFileSecretStore } from '../../registry/src/secrets/index.js';
import { parseChallenge } from '../../registry/src/upstream/challenge.js';
import { resolveEndpoint, upstreamRepository } from '../../registry/src/upstream/endpoint.js';
import { CircuitBreaker } from '../../registry/src/proxy/circuit-breaker.js';

function dir(t: { after(fn: () => void): void }): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'secrets-'));
  t.after(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

test('encrypted file store: round trip, no plaintext on disk, 0600 key, wrong key refused', async (t) => {
  const d = dir(t);
  const s = new EncryptedFileSecretStore(d, undefined);
  await s.set('registry:hq', 'hunter2-very-secret');
  assert.equal(await s.get('registry:hq'), 'hunter2-very-secret');
  assert.deepEqual(await s.list(), ['registry:hq']);
  assert.equal(fs.readFileSync(path.join(d, 'secrets.json'), 'utf8').includes('hunter2'), false);
  assert.equal(fs.statSync(path.join(d, 'key')).mode & 0o777, 0o600);
  fs.chmodSync(path.join(d, 'key'), 0o644);
  await assert.rejects(s.get('registry:hq'), /may be read by others/);
  fs.chmodSync(path.join(d, 'key'), 0o600);
  fs.writeFileSync(path.join(d, 'key'), `${'ab'.repeat(32)}\n`, { mode: 0o600 });
  await assert.rejects(s.get('registry:hq'), /cannot be decrypted/);
  assert.equal(await s.delete('registry:hq'), true);
  assert.equal(await s.get('registry:hq'), undefined);
  await assert.rejects(s.set('bad name', 'x'));
});

test('BERTH_SECRET_KEY: a passphrase works without a key file, and another passphrase cannot read it', async (t) => {
  const d = dir(t);
  await new EncryptedFileSecretStore(d, 'correct horse').set('a', 'value');
  assert.equal(fs.existsSync(path.join(d, 'key')), false);
  assert.equal(await new EncryptedFileSecretStore(d, 'correct horse').get('a'), 'value');
  await assert.rejects(new EncryptedFileSecretStore(d, 'wrong horse').get('a'), /cannot be decrypted/);
});

test('WWW-Authenticate parsing, Docker Hub endpoint and library/ prefix', () => {
  assert.deepEqual(parseChallenge('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"'), {
    scheme: 'bearer',
    params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/alpine:pull' },
  });
  assert.deepEqual(parseChallenge('Basic realm="x, y"'), { scheme: 'basic', params: { realm: 'x, y' } });
  assert.deepEqual(resolveEndpoint('docker.io'), { apiBase: 'https://registry-1.docker.io', type: 'dockerhub' });
  assert.deepEqual(resolveEndpoint('http://127.0.0.1:5000/'), { apiBase: 'http://127.0.0.1:5000', type: 'distribution' });
  assert.equal(upstreamRepository('alpine', 'dockerhub'), 'library/alpine');
  assert.equal(upstreamRepository('bitnami/redis', 'dockerhub'), 'bitnami/redis');
  assert.equal(upstreamRepository('alpine', 'distribution'), 'alpine');
});

test('circuit breaker opens after N failures, lets one probe through after the cooldown', () => {
  let now = 0;
  const changes: string[] = [];
  const b = new CircuitBreaker({ failures: 2, cooldownMs: 1000, now: () => now, onChange: (s) => changes.push(s) });
  b.failure('x');
  assert.equal(b.allow(), true);
  b.failure('y');
  assert.equal(b.state, 'open');
  assert.equal(b.allow(), false);
  now = 1000;
  assert.equal(b.allow(), true, 'one probe');
  assert.equal(b.allow(), false, 'only one');
  b.failure('still down');
  assert.equal(b.state, 'open');
  now = 2500;
  assert.equal(b.allow(), true);
  b.success();
  assert.equal(b.state, 'closed');
  assert.deepEqual(changes, ['down', 'up']);
});
