import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { createTestRegistry, tempDir } from '../helpers/test-registry.js';
import { makeImage, makeArtifact, blobOf } from '../helpers/oci-image.js';
import { pushImage, pushBlob, putManifest } from '../helpers/v2-client.js';

test('an upload survives a restart: PATCH, restart, PATCH the rest, PUT', async (t) => {
  const data = tempDir();
  t.after(() => fs.rmSync(data, { recursive: true, force: true }));
  const b = blobOf(randomBytes(200_000), 'application/octet-stream');

  const first = await createTestRegistry({ data });
  let loc: string;
  try {
    const start = await first.fetch('/v2/restart/app/blobs/uploads/', { method: 'POST' });
    assert.equal(start.status, 202);
    loc = new URL(start.headers.get('location')!, first.url).pathname;
    const p = await first.fetch(loc, { method: 'PATCH', body: b.bytes.subarray(0, 120_000), headers: { 'content-range': '0-119999' } });
    assert.equal(p.status, 202);
  } finally {
    await first.close();
  }

  const second = await createTestRegistry({ data });
  try {
    const s = await second.fetch(loc);
    assert.equal(s.status, 204);
    assert.equal(s.headers.get('range'), '0-119999');
    // an out-of-order chunk after the restart is still told the right offset
    const bad = await second.fetch(loc, { method: 'PATCH', body: b.bytes.subarray(150_000), headers: { 'content-range': `150000-${b.size - 1}` } });
    assert.equal(bad.status, 416);
    assert.equal(bad.headers.get('range'), '0-119999');
    const p = await second.fetch(loc, { method: 'PATCH', body: b.bytes.subarray(120_000), headers: { 'content-range': `120000-${b.size - 1}` } });
    assert.equal(p.status, 202);
    const put = await second.fetch(`${loc}?digest=${b.digest}`, { method: 'PUT' });
    assert.equal(put.status, 201, await put.text());
    const g = await second.fetch(`/v2/restart/app/blobs/${b.digest}`);
    assert.deepEqual(Buffer.from(await g.arrayBuffer()), b.bytes);
  } finally {
    await second.close();
  }
});

test('a wrong digest after a restart is still DIGEST_INVALID and stores nothing', async (t) => {
  const data = tempDir();
  t.after(() => fs.rmSync(data, { recursive: true, force: true }));
  const b = blobOf(randomBytes(10_000), 'application/octet-stream');
  const first = await createTestRegistry({ data });
  let loc: string;
  try {
    const start = await first.fetch('/v2/restart/bad/blobs/uploads/', { method: 'POST' });
    loc = new URL(start.headers.get('location')!, first.url).pathname;
    assert.equal((await first.fetch(loc, { method: 'PATCH', body: b.bytes })).status, 202);
  } finally {
    await first.close();
  }
  const second = await createTestRegistry({ data });
  try {
    const wrong = blobOf(Buffer.from('other'), 'x/y').digest;
    const put = await second.fetch(`${loc}?digest=${wrong}`, { method: 'PUT' });
    assert.equal(put.status, 400);
    assert.equal(((await put.json()) as { errors: { code: string }[] }).errors[0]!.code, 'DIGEST_INVALID');
    assert.equal((await second.fetch(`/v2/restart/bad/blobs/${wrong}`, { method: 'HEAD' })).status, 404);
    assert.equal((await second.fetch(`/v2/restart/bad/blobs/${b.digest}`, { method: 'HEAD' })).status, 404);
  } finally {
    await second.close();
  }
});

test('a restart keeps every manifest, tag, blob, referrer and user', async (t) => {
  const data = tempDir();
  t.after(() => fs.rmSync(data, { recursive: true, force: true }));
  const img = await makeImage({ layers: 2 });
  const art = makeArtifact({ artifactType: 'application/vnd.example.sig', subject: img.manifest, payload: Buffer.from('sig') });
  const first = await createTestRegistry({ data });
  try {
    await pushImage(first, 'keep/app', 'v1', img);
    for (const b of art.blobs) await pushBlob(first, 'keep/app', b);
    assert.equal((await putManifest(first, 'keep/app', art.manifest.digest, art.manifest)).status, 201);
    await first.server.core.users.create('keeper', 'keeper-password', 'guest');
  } finally {
    await first.close();
  }
  const second = await createTestRegistry({ data });
  try {
    const m = await second.fetch('/v2/keep/app/manifests/v1');
    assert.equal(m.status, 200);
    assert.deepEqual(Buffer.from(await m.arrayBuffer()), img.manifest.bytes);
    for (const b of [img.config, ...img.layers, ...art.blobs]) {
      const r = await second.fetch(`/v2/keep/app/blobs/${b.digest}`);
      assert.deepEqual(Buffer.from(await r.arrayBuffer()), b.bytes);
    }
    const tags = (await (await second.fetch('/v2/keep/app/tags/list')).json()) as { tags: string[] };
    assert.deepEqual(tags.tags, ['v1']);
    const refs = (await (await second.fetch(`/v2/keep/app/referrers/${img.manifest.digest}`)).json()) as { manifests: { digest: string }[] };
    assert.deepEqual(refs.manifests.map((x) => x.digest), [art.manifest.digest]);
    assert.equal((await second.fetch('/v2/keep/app/tags/list', { auth: { username: 'keeper', password: 'keeper-password' } })).status, 200);
    const cat = (await (await second.fetch('/v2/_catalog')).json()) as { repositories: string[] };
    assert.deepEqual(cat.repositories, ['keep/app']);
  } finally {
    await second.close();
  }
});
