import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createTestRegistry, type TestRegistry } from '../helpers/test-registry.js';
import { blobOf } from '../helpers/oci-image.js';
import { pushBlob, expectError, token, bearer } from '../helpers/v2-client.js';

let reg: TestRegistry;
const dev = { username: 'dev', password: 'developer-pw' };

before(async () => {
  reg = await createTestRegistry();
  await reg.server.core.users.create(dev.username, dev.password, 'developer');
});
after(() => reg.close());

const randomBlob = (n = 1000) => blobOf(randomBytes(n), 'application/octet-stream');

async function openSession(repo: string, init: Parameters<TestRegistry['fetch']>[1] = {}): Promise<string> {
  const r = await reg.fetch(`/v2/${repo}/blobs/uploads/`, { method: 'POST', ...init });
  assert.equal(r.status, 202, await r.text());
  const location = r.headers.get('location');
  assert.ok(location, 'Location header');
  assert.ok(r.headers.get('docker-upload-uuid'));
  assert.equal(r.headers.get('range'), '0-0');
  return new URL(location, reg.url).pathname + new URL(location, reg.url).search;
}

async function expectBlob(repo: string, b: { digest: string; bytes: Buffer }): Promise<void> {
  const r = await reg.fetch(`/v2/${repo}/blobs/${b.digest}`);
  assert.equal(r.status, 200, `${repo} ${b.digest}`);
  assert.deepEqual(Buffer.from(await r.arrayBuffer()), b.bytes);
}

async function expectNoBlob(repo: string, digest: string): Promise<void> {
  const r = await reg.fetch(`/v2/${repo}/blobs/${digest}`, { method: 'HEAD' });
  assert.equal(r.status, 404, `${repo} ${digest} should not exist`);
}

const withQuery = (loc: string, q: string) => `${loc}${loc.includes('?') ? '&' : '?'}${q}`;

test('monolithic push: POST opens a session, PUT with the body and digest completes it', async () => {
  const b = randomBlob();
  const loc = await openSession('push/mono');
  const put = await reg.fetch(withQuery(loc, `digest=${b.digest}`), { method: 'PUT', body: b.bytes, headers: { 'content-type': 'application/octet-stream' } });
  assert.equal(put.status, 201, await put.text());
  assert.equal(put.headers.get('docker-content-digest'), b.digest);
  assert.equal(new URL(put.headers.get('location')!, reg.url).pathname, `/v2/push/mono/blobs/${b.digest}`);
  await expectBlob('push/mono', b);
  // the session is gone once completed
  await expectError(await reg.fetch(loc), 404, 'BLOB_UPLOAD_UNKNOWN');
});

test('single-request push: POST ?digest= with the body', async () => {
  const b = randomBlob();
  const r = await reg.fetch(`/v2/push/single/blobs/uploads/?digest=${b.digest}`, { method: 'POST', body: b.bytes, headers: { 'content-type': 'application/octet-stream' } });
  assert.equal(r.status, 201);
  assert.equal(r.headers.get('docker-content-digest'), b.digest);
  assert.equal(new URL(r.headers.get('location')!, reg.url).pathname, `/v2/push/single/blobs/${b.digest}`);
  await expectBlob('push/single', b);
});

test('an empty blob can be pushed', async () => {
  const b = blobOf(Buffer.alloc(0), 'application/octet-stream');
  await pushBlob(reg, 'push/empty', b);
  const r = await reg.fetch(`/v2/push/empty/blobs/${b.digest}`);
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-length'), '0');
});

test('chunked push: PATCHes with Content-Range, status in between, PUT to finish', async () => {
  const b = randomBlob(30_000);
  let loc = await openSession('push/chunked');
  const parts = [b.bytes.subarray(0, 10_000), b.bytes.subarray(10_000, 25_000), b.bytes.subarray(25_000)];
  let offset = 0;
  for (const part of parts.slice(0, 2)) {
    const r = await reg.fetch(loc, {
      method: 'PATCH',
      body: part,
      headers: { 'content-type': 'application/octet-stream', 'content-range': `${offset}-${offset + part.length - 1}` },
    });
    assert.equal(r.status, 202, await r.text());
    offset += part.length;
    assert.equal(r.headers.get('range'), `0-${offset - 1}`);
    assert.ok(r.headers.get('docker-upload-uuid'));
    loc = new URL(r.headers.get('location')!, reg.url).pathname;
    const s = await reg.fetch(loc);
    assert.equal(s.status, 204);
    assert.equal(s.headers.get('range'), `0-${offset - 1}`);
    assert.ok(s.headers.get('location'));
  }
  // a PATCH without Content-Range (streamed) appends, too
  const third = await reg.fetch(loc, { method: 'PATCH', body: parts[2], headers: { 'content-type': 'application/octet-stream' } });
  assert.equal(third.status, 202);
  assert.equal(third.headers.get('range'), `0-${b.size - 1}`);
  const put = await reg.fetch(withQuery(loc, `digest=${b.digest}`), { method: 'PUT' });
  assert.equal(put.status, 201, await put.text());
  await expectBlob('push/chunked', b);
});

test('the last chunk may come with the closing PUT', async () => {
  const b = randomBlob(5000);
  const loc = await openSession('push/lastchunk');
  const p = await reg.fetch(loc, { method: 'PATCH', body: b.bytes.subarray(0, 3000), headers: { 'content-range': '0-2999' } });
  assert.equal(p.status, 202);
  const put = await reg.fetch(withQuery(loc, `digest=${b.digest}`), {
    method: 'PUT',
    body: b.bytes.subarray(3000),
    headers: { 'content-range': '3000-4999', 'content-type': 'application/octet-stream' },
  });
  assert.equal(put.status, 201, await put.text());
  await expectBlob('push/lastchunk', b);
});

test('an out-of-order chunk is 416 with the Range the upload really has, and loses nothing', async () => {
  const b = randomBlob(2000);
  const loc = await openSession('push/ooo');
  assert.equal((await reg.fetch(loc, { method: 'PATCH', body: b.bytes.subarray(0, 1000), headers: { 'content-range': '0-999' } })).status, 202);
  for (const range of ['1500-1999', '0-999', '500-1499']) {
    const bad = await reg.fetch(loc, { method: 'PATCH', body: b.bytes.subarray(1000, 1500), headers: { 'content-range': range } });
    assert.equal(bad.headers.get('range'), '0-999', range);
    assert.ok(bad.headers.get('location'));
    await expectError(bad, 416, 'RANGE_INVALID');
  }
  const s = await reg.fetch(loc);
  assert.equal(s.headers.get('range'), '0-999');
  assert.equal((await reg.fetch(loc, { method: 'PATCH', body: b.bytes.subarray(1000), headers: { 'content-range': '1000-1999' } })).status, 202);
  assert.equal((await reg.fetch(withQuery(loc, `digest=${b.digest}`), { method: 'PUT' })).status, 201);
  await expectBlob('push/ooo', b);
});

test('a malformed Content-Range is refused', async () => {
  const loc = await openSession('push/badrange');
  await expectError(await reg.fetch(loc, { method: 'PATCH', body: 'abc', headers: { 'content-range': 'bytes=oops' } }), 416, 'RANGE_INVALID');
  await expectError(await reg.fetch(loc, { method: 'PATCH', body: 'abc', headers: { 'content-range': '5-2' } }), 416, 'RANGE_INVALID');
});

test('DELETE cancels an upload; the session is then unknown', async () => {
  const loc = await openSession('push/cancel');
  assert.equal((await reg.fetch(loc, { method: 'PATCH', body: 'partial' })).status, 202);
  const d = await reg.fetch(loc, { method: 'DELETE' });
  assert.equal(d.status, 204);
  await expectError(await reg.fetch(loc), 404, 'BLOB_UPLOAD_UNKNOWN');
  await expectError(await reg.fetch(loc, { method: 'PATCH', body: 'more' }), 404, 'BLOB_UPLOAD_UNKNOWN');
  await expectError(await reg.fetch(loc, { method: 'DELETE' }), 404, 'BLOB_UPLOAD_UNKNOWN');
});

test('an upload id is bound to its repository; made-up ids are unknown', async () => {
  const loc = await openSession('push/owner');
  const id = loc.split('/').pop()!.split('?')[0]!;
  await expectError(await reg.fetch(`/v2/push/thief/blobs/uploads/${id}`), 404, 'BLOB_UPLOAD_UNKNOWN');
  await expectError(await reg.fetch('/v2/push/owner/blobs/uploads/not-a-uuid'), 404, 'BLOB_UPLOAD_UNKNOWN');
  await expectError(await reg.fetch('/v2/push/owner/blobs/uploads/00000000-0000-4000-8000-000000000000'), 404, 'BLOB_UPLOAD_UNKNOWN');
});

test('a digest mismatch is DIGEST_INVALID and nothing becomes visible', async () => {
  const b = randomBlob();
  const wrong = `sha256:${createHash('sha256').update('something else').digest('hex')}`;
  await expectError(
    await reg.fetch(`/v2/push/mismatch/blobs/uploads/?digest=${wrong}`, { method: 'POST', body: b.bytes }),
    400,
    'DIGEST_INVALID',
  );
  await expectNoBlob('push/mismatch', wrong);
  await expectNoBlob('push/mismatch', b.digest);

  const loc = await openSession('push/mismatch');
  assert.equal((await reg.fetch(loc, { method: 'PATCH', body: b.bytes })).status, 202);
  await expectError(await reg.fetch(withQuery(loc, `digest=${wrong}`), { method: 'PUT' }), 400, 'DIGEST_INVALID');
  await expectNoBlob('push/mismatch', wrong);
  await expectNoBlob('push/mismatch', b.digest);
  // a malformed digest, and none at all
  await expectError(await reg.fetch(withQuery(loc, 'digest=sha256:xyz'), { method: 'PUT' }), 400, 'DIGEST_INVALID');
  await expectError(await reg.fetch(loc, { method: 'PUT' }), 400, 'DIGEST_INVALID');
});

test('a body shorter than its Content-Range is refused and the upload stays where it was', async () => {
  const loc = await openSession('push/short');
  await expectError(await reg.fetch(loc, { method: 'PATCH', body: 'abc', headers: { 'content-range': '0-9' } }), 416, 'RANGE_INVALID');
  const s = await reg.fetch(loc);
  assert.equal(s.headers.get('range'), '0-0');
});

test('sha512 blobs are pushed, verified and served', async () => {
  const bytes = randomBytes(4096);
  const digest = `sha512:${createHash('sha512').update(bytes).digest('hex')}`;
  await pushBlob(reg, 'push/sha512', { digest, bytes });
  const r = await reg.fetch(`/v2/push/sha512/blobs/${digest}`);
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('docker-content-digest'), digest);
  assert.deepEqual(Buffer.from(await r.arrayBuffer()), bytes);

  const loc = await openSession('push/sha512');
  assert.equal((await reg.fetch(loc, { method: 'PATCH', body: bytes.subarray(0, 1000), headers: { 'content-range': '0-999' } })).status, 202);
  assert.equal((await reg.fetch(loc, { method: 'PATCH', body: bytes.subarray(1000), headers: { 'content-range': `1000-${bytes.length - 1}` } })).status, 202);
  const bad = `sha512:${createHash('sha512').update('x').digest('hex')}`;
  await expectError(await reg.fetch(withQuery(loc, `digest=${bad}`), { method: 'PUT' }), 400, 'DIGEST_INVALID');
});

test('cross-repository mount with from= links the blob without an upload', async () => {
  const b = randomBlob();
  await pushBlob(reg, 'mount/source', b);
  const r = await reg.fetch(`/v2/mount/target/blobs/uploads/?mount=${b.digest}&from=mount/source`, { method: 'POST' });
  assert.equal(r.status, 201);
  assert.equal(r.headers.get('docker-content-digest'), b.digest);
  assert.equal(new URL(r.headers.get('location')!, reg.url).pathname, `/v2/mount/target/blobs/${b.digest}`);
  await expectBlob('mount/target', b);
});

test('mount without from= links any blob the user may read', async () => {
  const b = randomBlob();
  await pushBlob(reg, 'mount/auto-src', b);
  const r = await reg.fetch(`/v2/mount/auto-dst/blobs/uploads/?mount=${b.digest}`, { method: 'POST', auth: dev });
  assert.equal(r.status, 201);
  await expectBlob('mount/auto-dst', b);
});

test('a mount that cannot be honoured falls back to an upload session (202)', async () => {
  const b = randomBlob();
  await pushBlob(reg, 'mount/secret', b);
  // a token good for the target only: the user may not read the source through it
  const t = await token(reg, ['repository:mount/narrow:pull,push'], dev);
  for (const q of [`mount=${b.digest}&from=mount/secret`, `mount=${b.digest}`]) {
    const r = await reg.fetch(`/v2/mount/narrow/blobs/uploads/?${q}`, { method: 'POST', headers: bearer(t) });
    assert.equal(r.status, 202, q);
    assert.ok(r.headers.get('location'));
    await expectNoBlob('mount/narrow', b.digest);
  }
  // a source that does not hold the blob, and a blob nobody has
  const missing = randomBlob();
  for (const q of [`mount=${b.digest}&from=mount/source`, `mount=${missing.digest}&from=mount/secret`, `mount=${missing.digest}`]) {
    const r = await reg.fetch(`/v2/mount/fallback/blobs/uploads/?${q}`, { method: 'POST' });
    assert.equal(r.status, 202, q);
  }
  await expectNoBlob('mount/fallback', b.digest);
});

/** A body sent with Transfer-Encoding: chunked (no Content-Length), as Docker sends PATCH bodies. */
function streamed(buf: Buffer, pieces = 4): { body: ReadableStream<Uint8Array>; duplex: 'half' } {
  const size = Math.ceil(buf.length / pieces);
  let i = 0;
  return {
    body: new ReadableStream<Uint8Array>({
      pull(controller) {
        if (i >= buf.length) return controller.close();
        controller.enqueue(buf.subarray(i, i + size));
        i += size;
      },
    }),
    duplex: 'half',
  };
}

test('chunked transfer-encoding bodies work for PATCH, PUT and POST ?digest=', async () => {
  const b = randomBlob(100_000);
  const loc = await openSession('push/te');
  const p = await reg.fetch(loc, { method: 'PATCH', ...streamed(b.bytes.subarray(0, 60_000)), headers: { 'content-type': 'application/octet-stream' } } as RequestInit);
  assert.equal(p.status, 202, await p.text());
  assert.equal(p.headers.get('range'), '0-59999');
  const put = await reg.fetch(withQuery(loc, `digest=${b.digest}`), { method: 'PUT', ...streamed(b.bytes.subarray(60_000)) } as RequestInit);
  assert.equal(put.status, 201, await put.text());
  await expectBlob('push/te', b);

  const c = randomBlob(50_000);
  const post = await reg.fetch(`/v2/push/te/blobs/uploads/?digest=${c.digest}`, { method: 'POST', ...streamed(c.bytes) } as RequestInit);
  assert.equal(post.status, 201, await post.text());
  await expectBlob('push/te', c);
});

test('the same blob pushed concurrently into several repositories ends up whole in each', async () => {
  const b = randomBlob(500_000);
  const repos = ['push/conc-a', 'push/conc-b', 'push/conc-c', 'push/conc-a'];
  await Promise.all(repos.map((r) => pushBlob(reg, r, b)));
  for (const r of new Set(repos)) await expectBlob(r, b);
});
