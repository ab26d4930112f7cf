import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createTestRegistry, basic, tempDir, ADMIN_PASSWORD, type TestRegistry } from '../helpers/test-registry.js';
import { rawRequest } from '../helpers/v2-client.js';

let reg: TestRegistry;
before(async () => {
  reg = await createTestRegistry();
});
after(() => reg.close());

const auth = { authorization: basic('admin', ADMIN_PASSWORD) };

const names = [
  '..',
  '../etc',
  'library/..',
  'library/../../etc',
  'a/./b',
  '%2e%2e',
  '%2E%2E/etc',
  'foo%2Fbar',
  'foo%2fbar',
  'foo%2F..%2F..%2Fetc',
  '/etc',
  'a//b',
  'Library/alpine',
  'UPPER',
  'a%00b',
  'a%20b',
  'a\\b',
  '-dash',
  `a/${'b'.repeat(300)}`,
];

const endpoints = (n: string): [string, string][] => [
  ['GET', `/v2/${n}/manifests/latest`],
  ['HEAD', `/v2/${n}/manifests/latest`],
  ['PUT', `/v2/${n}/manifests/latest`],
  ['DELETE', `/v2/${n}/manifests/latest`],
  ['GET', `/v2/${n}/tags/list`],
  ['GET', `/v2/${n}/blobs/sha256:${'a'.repeat(64)}`],
  ['POST', `/v2/${n}/blobs/uploads/`],
  ['GET', `/v2/${n}/referrers/sha256:${'a'.repeat(64)}`],
];

test('names that escape, are absolute, encoded or upper-case are NAME_INVALID on every endpoint', async () => {
  for (const n of names) {
    for (const [method, p] of endpoints(n)) {
      const r = await rawRequest(reg.url, method, p, auth);
      assert.equal(r.status, 400, `${method} ${p} -> ${r.status} ${r.body}`);
      if (method !== 'HEAD') {
        const body = JSON.parse(r.body) as { errors: { code: string }[] };
        assert.equal(body.errors[0]!.code, 'NAME_INVALID', `${method} ${p}: ${r.body}`);
      }
    }
  }
});

test('hostile names are refused before authentication decisions leak anything and create nothing on disk', async () => {
  const r = await rawRequest(reg.url, 'POST', '/v2/../../tmp/x/blobs/uploads/');
  assert.equal(r.status, 400);
  const uploads = fs.readdirSync(path.join(reg.data, 'uploads'));
  assert.deepEqual(uploads, [], 'no upload session was opened');
  assert.deepEqual(reg.server.core.meta.repositories.catalog('', 100), []);
});

test('a mount source with a hostile name is refused, never followed: nothing is written, no repository is created', async (t) => {
  // A data folder two levels down in a folder of its own, so `../../etc` from it would land in `work`.
  const work = tempDir('hostile-mount-');
  const own = await createTestRegistry({ data: path.join(work, 'a', 'b') });
  t.after(async () => {
    await own.close();
    fs.rmSync(work, { recursive: true, force: true });
  });
  const before = listTree(work);
  for (const from of ['..%2F..%2Fetc', '..', '%2Fetc', 'ok%2F..%2F..%2Fx']) {
    const r = await rawRequest(own.url, 'POST', `/v2/ok/repo/blobs/uploads/?mount=sha256:${'a'.repeat(64)}&from=${from}`, auth);
    assert.equal(r.status, 400, `from=${from}: ${r.status} ${r.body}`);
    assert.equal((JSON.parse(r.body) as { errors: { code: string }[] }).errors[0]!.code, 'NAME_INVALID');
  }
  assert.deepEqual(listTree(work), before, 'nothing was written anywhere under the folder around the data');
  assert.deepEqual(fs.readdirSync(path.join(own.data, 'uploads')), [], 'no upload session was opened');
  assert.deepEqual(own.server.core.meta.repositories.catalog('', 100), [], 'no repository was created');
  assert.equal(own.server.core.meta.repositories.get('ok/repo'), undefined);
});

/** Every path under `dir` except the data folder's own files, which the server writes as it runs. */
function listTree(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[]).filter((p) => !p.startsWith(path.join('a', 'b', ''))).sort();
}

test('hostile upload ids and digests are unknown or invalid, not paths', async () => {
  for (const id of ['..', '..%2F..%2Fberth.db', '%2e%2e', 'x'.repeat(500)]) {
    const r = await rawRequest(reg.url, 'GET', `/v2/ok/repo/blobs/uploads/${id}`, auth);
    assert.equal(r.status, 404, `${id}: ${r.status} ${r.body}`);
    assert.equal((JSON.parse(r.body) as { errors: { code: string }[] }).errors[0]!.code, 'BLOB_UPLOAD_UNKNOWN');
  }
  for (const d of ['sha256:..%2F..%2Fberth.db', 'sha256:%2e%2e', `sha256:${'A'.repeat(64)}`]) {
    const r = await rawRequest(reg.url, 'GET', `/v2/ok/repo/blobs/${d}`, auth);
    assert.equal(r.status, 400, `${d}: ${r.status} ${r.body}`);
    assert.equal((JSON.parse(r.body) as { errors: { code: string }[] }).errors[0]!.code, 'DIGEST_INVALID');
  }
});
