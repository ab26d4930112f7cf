import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestRegistry } from '../helpers/test-registry.js';
import { makeImage } from '../helpers/oci-image.js';

test('push a blob and a manifest over HTTP, then pull them back byte for byte', async () => {
  const reg = await createTestRegistry();
  try {
    const img = await makeImage();
    for (const b of [img.config, ...img.layers]) {
      const r = await reg.fetch(`/v2/smoke/app/blobs/uploads/?digest=${b.digest}`, { method: 'POST', body: b.bytes, headers: { 'content-type': 'application/octet-stream' } });
      assert.equal(r.status, 201, await r.text());
    }
    const put = await reg.fetch('/v2/smoke/app/manifests/v1', { method: 'PUT', body: img.manifest.bytes, headers: { 'content-type': img.manifest.mediaType } });
    assert.equal(put.status, 201, await put.text());
    assert.equal(put.headers.get('docker-content-digest'), img.manifest.digest);
    const get = await reg.fetch('/v2/smoke/app/manifests/v1', { headers: { accept: img.manifest.mediaType } });
    assert.equal(get.status, 200);
    assert.deepEqual(Buffer.from(await get.arrayBuffer()), img.manifest.bytes);
    const blob = await reg.fetch(`/v2/smoke/app/blobs/${img.layers[0]!.digest}`);
    assert.deepEqual(Buffer.from(await blob.arrayBuffer()), img.layers[0]!.bytes);
  } finally {
    await reg.close();
  }
});
