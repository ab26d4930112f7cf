import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createTestRegistry, type TestRegistry } from '../helpers/test-registry.js';
import { makeImage, makeIndex, blobOf, type Image, type Blob } from '../helpers/oci-image.js';
import { pushImage, pushBlob, putManifest, expectError } from '../helpers/v2-client.js';

let reg: TestRegistry;
let img: Image;
let index: Blob;
let dockerManifest: Blob;
const big = blobOf(randomBytes(300_000), 'application/octet-stream');

before(async () => {
  reg = await createTestRegistry();
  img = await makeImage({ layers: 2 });
  await pushImage(reg, 'pull/app', 'v1', img);
  const arm = await makeImage({ arch: 'arm64' });
  await pushImage(reg, 'pull/app', 'arm', arm);
  index = makeIndex([{ image: img, arch: 'amd64' }, { image: arm, arch: 'arm64' }]);
  assert.equal((await putManifest(reg, 'pull/app', 'multi', index)).status, 201);
  // a Docker schema 2 manifest over the same blobs, with Docker's pretty-printed bytes
  dockerManifest = blobOf(
    Buffer.from(
      JSON.stringify(
        {
          schemaVersion: 2,
          mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
          config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: img.config.digest, size: img.config.size },
          layers: img.layers.map((l) => ({ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', digest: l.digest, size: l.size })),
        },
        null,
        3,
      ) + '\n',
    ),
    'application/vnd.docker.distribution.manifest.v2+json',
  );
  assert.equal((await putManifest(reg, 'pull/app', 'docker', dockerManifest)).status, 201);
  await pushBlob(reg, 'pull/app', big);
});
after(() => reg.close());

const allTypes = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ');

test('GET manifest by tag and by digest returns the exact bytes, type, digest and length', async () => {
  for (const ref of ['v1', img.manifest.digest]) {
    const r = await reg.fetch(`/v2/pull/app/manifests/${ref}`, { headers: { accept: allTypes } });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), img.manifest.mediaType);
    assert.equal(r.headers.get('docker-content-digest'), img.manifest.digest);
    assert.equal(r.headers.get('content-length'), String(img.manifest.size));
    assert.deepEqual(Buffer.from(await r.arrayBuffer()), img.manifest.bytes);
  }
});

test('HEAD manifest gives the same headers and no body', async () => {
  for (const ref of ['v1', img.manifest.digest]) {
    const r = await reg.fetch(`/v2/pull/app/manifests/${ref}`, { method: 'HEAD', headers: { accept: allTypes } });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), img.manifest.mediaType);
    assert.equal(r.headers.get('docker-content-digest'), img.manifest.digest);
    assert.equal(r.headers.get('content-length'), String(img.manifest.size));
    assert.equal((await r.arrayBuffer()).byteLength, 0);
  }
});

test('an index and a Docker manifest come back with their own media types, byte for byte', async () => {
  const i = await reg.fetch('/v2/pull/app/manifests/multi', { headers: { accept: allTypes } });
  assert.equal(i.headers.get('content-type'), 'application/vnd.oci.image.index.v1+json');
  assert.equal(i.headers.get('docker-content-digest'), index.digest);
  assert.deepEqual(Buffer.from(await i.arrayBuffer()), index.bytes);

  const d = await reg.fetch('/v2/pull/app/manifests/docker', { headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json' } });
  assert.equal(d.headers.get('content-type'), 'application/vnd.docker.distribution.manifest.v2+json');
  assert.equal(d.headers.get('docker-content-digest'), dockerManifest.digest);
  assert.deepEqual(Buffer.from(await d.arrayBuffer()), dockerManifest.bytes, 'whitespace and key order are kept');
});

test('a child manifest of an index is pullable by digest', async () => {
  const r = await reg.fetch(`/v2/pull/app/manifests/${img.manifest.digest}`);
  assert.equal(r.status, 200);
  await r.arrayBuffer();
});

test('conditional GET with the digest as ETag answers 304', async () => {
  const r = await reg.fetch('/v2/pull/app/manifests/v1', { headers: { 'if-none-match': `"${img.manifest.digest}"` } });
  assert.equal(r.status, 304);
  assert.equal(r.headers.get('docker-content-digest'), img.manifest.digest);
});

test('unknown manifests are MANIFEST_UNKNOWN; unknown repositories NAME_UNKNOWN', async () => {
  await expectError(await reg.fetch('/v2/pull/app/manifests/nope'), 404, 'MANIFEST_UNKNOWN');
  await expectError(await reg.fetch(`/v2/pull/app/manifests/sha256:${'0'.repeat(64)}`), 404, 'MANIFEST_UNKNOWN');
  await expectError(await reg.fetch(`/v2/pull/app/manifests/${img.layers[0]!.digest}`), 404, 'MANIFEST_UNKNOWN');
  await expectError(await reg.fetch('/v2/pull/nothing/manifests/v1'), 404, 'NAME_UNKNOWN');
  const head = await reg.fetch('/v2/pull/app/manifests/nope', { method: 'HEAD' });
  assert.equal(head.status, 404);
  assert.equal((await head.arrayBuffer()).byteLength, 0);
});

test('blob GET and HEAD: bytes, Docker-Content-Digest, length, Accept-Ranges', async () => {
  const g = await reg.fetch(`/v2/pull/app/blobs/${big.digest}`);
  assert.equal(g.status, 200);
  assert.equal(g.headers.get('docker-content-digest'), big.digest);
  assert.equal(g.headers.get('content-length'), String(big.size));
  assert.equal(g.headers.get('accept-ranges'), 'bytes');
  assert.deepEqual(Buffer.from(await g.arrayBuffer()), big.bytes);

  const h = await reg.fetch(`/v2/pull/app/blobs/${big.digest}`, { method: 'HEAD' });
  assert.equal(h.status, 200);
  assert.equal(h.headers.get('content-length'), String(big.size));
  assert.equal(h.headers.get('docker-content-digest'), big.digest);
  assert.equal((await h.arrayBuffer()).byteLength, 0);

  // the config and layers of a manifest, too
  const c = await reg.fetch(`/v2/pull/app/blobs/${img.config.digest}`);
  assert.deepEqual(Buffer.from(await c.arrayBuffer()), img.config.bytes);
});

test('Range requests answer 206 with Content-Range and exactly those bytes', async () => {
  const cases: [string, number, number][] = [
    ['bytes=0-0', 0, 0],
    ['bytes=100-199', 100, 199],
    ['bytes=299990-', 299_990, big.size - 1],
    ['bytes=-10', big.size - 10, big.size - 1],
    ['bytes=299990-400000', 299_990, big.size - 1],
  ];
  for (const [range, start, end] of cases) {
    const r = await reg.fetch(`/v2/pull/app/blobs/${big.digest}`, { headers: { range } });
    assert.equal(r.status, 206, range);
    assert.equal(r.headers.get('content-range'), `bytes ${start}-${end}/${big.size}`);
    assert.equal(r.headers.get('content-length'), String(end - start + 1));
    assert.deepEqual(Buffer.from(await r.arrayBuffer()), big.bytes.subarray(start, end + 1), range);
  }
  const head = await reg.fetch(`/v2/pull/app/blobs/${big.digest}`, { method: 'HEAD', headers: { range: 'bytes=10-19' } });
  assert.equal(head.status, 206);
  assert.equal(head.headers.get('content-length'), '10');
});

test('unsatisfiable ranges answer 416 with Content-Range: bytes */size', async () => {
  for (const range of [`bytes=${big.size}-`, 'bytes=500-400', 'bytes=-0']) {
    const r = await reg.fetch(`/v2/pull/app/blobs/${big.digest}`, { headers: { range } });
    assert.equal(r.headers.get('content-range'), `bytes */${big.size}`, range);
    await expectError(r, 416, 'RANGE_INVALID');
  }
});

test('unknown blobs are BLOB_UNKNOWN on GET and HEAD; a malformed digest is DIGEST_INVALID', async () => {
  await expectError(await reg.fetch(`/v2/pull/app/blobs/sha256:${'1'.repeat(64)}`), 404, 'BLOB_UNKNOWN');
  const h = await reg.fetch(`/v2/pull/app/blobs/sha256:${'1'.repeat(64)}`, { method: 'HEAD' });
  assert.equal(h.status, 404);
  await expectError(await reg.fetch('/v2/pull/app/blobs/sha256:abc'), 400, 'DIGEST_INVALID');
  // a blob pushed elsewhere is not readable through this repository
  await pushBlob(reg, 'pull/other', blobOf(Buffer.from('elsewhere'), 'x/y'));
  await expectError(await reg.fetch(`/v2/pull/app/blobs/${blobOf(Buffer.from('elsewhere'), 'x/y').digest}`), 404, 'BLOB_UNKNOWN');
});
