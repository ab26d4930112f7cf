import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createTestRegistry, type TestRegistry } from '../helpers/test-registry.js';
import { makeImage, makeArtifact } from '../helpers/oci-image.js';
import { pushImage, pushBlob, putManifest, expectError } from '../helpers/v2-client.js';

let reg: TestRegistry;
before(async () => {
  reg = await createTestRegistry();
});
after(() => reg.close());

test('deleting a manifest by digest removes it and its tags; later requests are 404', async () => {
  const img = await makeImage();
  await pushImage(reg, 'del/app', 'v1', img);
  await pushImage(reg, 'del/app', 'v2', img);
  const d = await reg.fetch(`/v2/del/app/manifests/${img.manifest.digest}`, { method: 'DELETE' });
  assert.equal(d.status, 202);
  await expectError(await reg.fetch(`/v2/del/app/manifests/${img.manifest.digest}`), 404, 'MANIFEST_UNKNOWN');
  await expectError(await reg.fetch('/v2/del/app/manifests/v1'), 404, 'MANIFEST_UNKNOWN');
  assert.equal((await reg.fetch('/v2/del/app/manifests/v2', { method: 'HEAD' })).status, 404);
  const tags = (await (await reg.fetch('/v2/del/app/tags/list')).json()) as { tags: string[] };
  assert.deepEqual(tags.tags, []);
  await expectError(await reg.fetch(`/v2/del/app/manifests/${img.manifest.digest}`, { method: 'DELETE' }), 404, 'MANIFEST_UNKNOWN');
  // blobs stay until GC or an explicit blob delete
  assert.equal((await reg.fetch(`/v2/del/app/blobs/${img.layers[0]!.digest}`, { method: 'HEAD' })).status, 200);
});

test('deleting a tag removes only the tag', async () => {
  const img = await makeImage();
  await pushImage(reg, 'del/tag', 'keep', img);
  await pushImage(reg, 'del/tag', 'drop', img);
  const d = await reg.fetch('/v2/del/tag/manifests/drop', { method: 'DELETE' });
  assert.equal(d.status, 202);
  await expectError(await reg.fetch('/v2/del/tag/manifests/drop'), 404, 'MANIFEST_UNKNOWN');
  assert.equal((await reg.fetch('/v2/del/tag/manifests/keep', { method: 'HEAD' })).status, 200);
  assert.equal((await reg.fetch(`/v2/del/tag/manifests/${img.manifest.digest}`, { method: 'HEAD' })).status, 200);
  assert.deepEqual(((await (await reg.fetch('/v2/del/tag/tags/list')).json()) as { tags: string[] }).tags, ['keep']);
  await expectError(await reg.fetch('/v2/del/tag/manifests/drop', { method: 'DELETE' }), 404, 'MANIFEST_UNKNOWN');
});

test('deleting a referrer removes it from the referrers list', async () => {
  const img = await makeImage();
  await pushImage(reg, 'del/ref', 'v1', img);
  const art = makeArtifact({ artifactType: 'application/vnd.example.sig', subject: img.manifest, payload: Buffer.from('s') });
  for (const b of art.blobs) await pushBlob(reg, 'del/ref', b);
  assert.equal((await putManifest(reg, 'del/ref', art.manifest.digest, art.manifest)).status, 201);
  const list = async () => ((await (await reg.fetch(`/v2/del/ref/referrers/${img.manifest.digest}`)).json()) as { manifests: unknown[] }).manifests.length;
  assert.equal(await list(), 1);
  assert.equal((await reg.fetch(`/v2/del/ref/manifests/${art.manifest.digest}`, { method: 'DELETE' })).status, 202);
  assert.equal(await list(), 0);
});

test('deleting a blob makes it unknown in that repository only', async () => {
  const img = await makeImage();
  await pushImage(reg, 'del/blob', 'v1', img);
  await pushBlob(reg, 'del/blob2', img.layers[0]!);
  const layer = img.layers[0]!.digest;
  const d = await reg.fetch(`/v2/del/blob/blobs/${layer}`, { method: 'DELETE' });
  assert.equal(d.status, 202);
  await expectError(await reg.fetch(`/v2/del/blob/blobs/${layer}`), 404, 'BLOB_UNKNOWN');
  const h = await reg.fetch(`/v2/del/blob/blobs/${layer}`, { method: 'HEAD' });
  assert.equal(h.status, 404);
  await expectError(await reg.fetch(`/v2/del/blob/blobs/${layer}`, { method: 'DELETE' }), 404, 'BLOB_UNKNOWN');
  assert.equal((await reg.fetch(`/v2/del/blob2/blobs/${layer}`, { method: 'HEAD' })).status, 200, 'other repositories keep it');
});

test('deletes in unknown repositories are NAME_UNKNOWN; bad digests DIGEST_INVALID', async () => {
  await expectError(await reg.fetch(`/v2/del/none/manifests/sha256:${'a'.repeat(64)}`, { method: 'DELETE' }), 404, 'NAME_UNKNOWN');
  await expectError(await reg.fetch(`/v2/del/none/blobs/sha256:${'a'.repeat(64)}`, { method: 'DELETE' }), 404, 'NAME_UNKNOWN');
  const img = await makeImage();
  await pushImage(reg, 'del/bad', 'v1', img);
  await expectError(await reg.fetch('/v2/del/bad/blobs/sha256:zz', { method: 'DELETE' }), 400, 'DIGEST_INVALID');
});

test('content deleted and pushed again is served again', async () => {
  const img = await makeImage();
  await pushImage(reg, 'del/again', 'v1', img);
  assert.equal((await reg.fetch(`/v2/del/again/manifests/${img.manifest.digest}`, { method: 'DELETE' })).status, 202);
  for (const b of [img.config, ...img.layers]) assert.equal((await reg.fetch(`/v2/del/again/blobs/${b.digest}`, { method: 'DELETE' })).status, 202);
  // the manifest cannot come back while its blobs are gone from the repository
  await expectError(await putManifest(reg, 'del/again', 'v1', img.manifest), 400, 'MANIFEST_BLOB_UNKNOWN');
  await pushImage(reg, 'del/again', 'v1', img);
  const r = await reg.fetch('/v2/del/again/manifests/v1');
  assert.deepEqual(Buffer.from(await r.arrayBuffer()), img.manifest.bytes);
  const l = await reg.fetch(`/v2/del/again/blobs/${img.layers[0]!.digest}`);
  assert.deepEqual(Buffer.from(await l.arrayBuffer()), img.layers[0]!.bytes);
});
