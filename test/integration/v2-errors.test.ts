import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createTestRegistry, type TestRegistry } from '../helpers/test-registry.js';
import { makeImage, type Image } from '../helpers/oci-image.js';
import { pushImage, expectError } from '../helpers/v2-client.js';

let reg: TestRegistry;
let img: Image;
let upload: string;
const guest = { username: 'reader', password: 'reader-password' };

before(async () => {
  reg = await createTestRegistry();
  await reg.server.core.users.create(guest.username, guest.password, 'guest');
  img = await makeImage();
  await pushImage(reg, 'err/app', 'v1', img);
  const r = await reg.fetch('/v2/err/app/blobs/uploads/', { method: 'POST' });
  upload = new URL(r.headers.get('location')!, reg.url).pathname;
});
after(() => reg.close());

const zeros = `sha256:${'0'.repeat(64)}`;

test('every error is the spec envelope with the right code and status', async () => {
  const cases: { what: string; req: () => Promise<Response>; status: number; code: string }[] = [
    { what: 'unknown blob', req: () => reg.fetch(`/v2/err/app/blobs/${zeros}`), status: 404, code: 'BLOB_UNKNOWN' },
    { what: 'unknown upload', req: () => reg.fetch('/v2/err/app/blobs/uploads/00000000-0000-4000-8000-000000000000'), status: 404, code: 'BLOB_UPLOAD_UNKNOWN' },
    { what: 'bad digest', req: () => reg.fetch('/v2/err/app/blobs/sha256:1'), status: 400, code: 'DIGEST_INVALID' },
    { what: 'digest mismatch', req: () => reg.fetch(`/v2/err/app/blobs/uploads/?digest=${zeros}`, { method: 'POST', body: 'x' }), status: 400, code: 'DIGEST_INVALID' },
    {
      what: 'missing layer',
      req: async () => {
        const other = await makeImage();
        return reg.fetch('/v2/err/app/manifests/x', { method: 'PUT', body: other.manifest.bytes, headers: { 'content-type': other.manifest.mediaType } });
      },
      status: 400,
      code: 'MANIFEST_BLOB_UNKNOWN',
    },
    { what: 'invalid manifest', req: () => reg.fetch('/v2/err/app/manifests/x', { method: 'PUT', body: '{', headers: { 'content-type': img.manifest.mediaType } }), status: 400, code: 'MANIFEST_INVALID' },
    { what: 'unknown manifest', req: () => reg.fetch('/v2/err/app/manifests/none'), status: 404, code: 'MANIFEST_UNKNOWN' },
    { what: 'invalid name', req: () => reg.fetch('/v2/Err/app/manifests/v1'), status: 400, code: 'NAME_INVALID' },
    { what: 'unknown name', req: () => reg.fetch('/v2/err/none/tags/list'), status: 404, code: 'NAME_UNKNOWN' },
    { what: 'no credentials', req: () => reg.fetch('/v2/err/app/tags/list', { auth: false }), status: 401, code: 'UNAUTHORIZED' },
    { what: 'not allowed', req: () => reg.fetch('/v2/err/app/blobs/uploads/', { method: 'POST', auth: guest }), status: 403, code: 'DENIED' },
    { what: 'bad range', req: () => reg.fetch(`/v2/err/app/blobs/${img.config.digest}`, { headers: { range: 'bytes=999999-' } }), status: 416, code: 'RANGE_INVALID' },
    { what: 'out-of-order chunk', req: () => reg.fetch(upload, { method: 'PATCH', body: 'abc', headers: { 'content-range': '10-12' } }), status: 416, code: 'RANGE_INVALID' },
    { what: 'bad n', req: () => reg.fetch('/v2/err/app/tags/list?n=x'), status: 400, code: 'PAGINATION_NUMBER_INVALID' },
    {
      what: 'invalid tag',
      req: () => reg.fetch(`/v2/err/app/manifests/${'t'.repeat(129)}`, { method: 'PUT', body: img.manifest.bytes, headers: { 'content-type': img.manifest.mediaType } }),
      status: 400,
      code: 'TAG_INVALID',
    },
    {
      what: 'manifest too large',
      req: () => reg.fetch('/v2/err/app/manifests/huge', { method: 'PUT', body: Buffer.alloc(4 * 1024 * 1024 + 1, 0x20), headers: { 'content-type': img.manifest.mediaType } }),
      status: 413,
      code: 'MANIFEST_TOO_LARGE',
    },
    { what: 'method not allowed', req: () => reg.fetch('/v2/err/app/manifests/v1', { method: 'POST' }), status: 405, code: 'UNSUPPORTED' },
  ];
  for (const c of cases) {
    const r = await c.req();
    assert.equal(r.headers.get('docker-distribution-api-version'), 'registry/2.0', c.what);
    await expectError(r, c.status, c.code);
  }
});

test('a method the endpoint does not support is 405 with Allow', async () => {
  const r = await reg.fetch('/v2/err/app/tags/list', { method: 'DELETE' });
  assert.equal(r.headers.get('allow'), 'GET');
  await expectError(r, 405, 'UNSUPPORTED');
  const t = await reg.fetch('/auth/token', { method: 'DELETE' });
  assert.equal(t.status, 405);
});

test('HEAD errors carry the status and headers but no body', async () => {
  for (const [p, status] of [
    [`/v2/err/app/blobs/${zeros}`, 404],
    ['/v2/err/app/manifests/none', 404],
    ['/v2/Bad/manifests/x', 400],
  ] as const) {
    const r = await reg.fetch(p, { method: 'HEAD' });
    assert.equal(r.status, status, p);
    assert.equal((await r.arrayBuffer()).byteLength, 0, p);
  }
  const anon = await reg.fetch('/v2/err/app/manifests/v1', { method: 'HEAD', auth: false });
  assert.equal(anon.status, 401);
  assert.ok(anon.headers.get('www-authenticate'));
});

test('error messages never echo a megabyte of hostile input', async () => {
  const r = await reg.fetch(`/v2/err/app/blobs/sha256:${'z'.repeat(8000)}`);
  const text = await r.text();
  assert.equal(r.status, 400);
  assert.ok(text.length < 2000, `${text.length} bytes of error`);
});
