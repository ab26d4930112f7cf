import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createTestRegistry, tempDir, type TestRegistry } from '../helpers/test-registry.js';
import { pushImage, pushBlob, putManifest, expectError } from '../helpers/v2-client.js';
import { makeImage, makeIndex, blobOf, sha256, type Blob, type Image } from '../helpers/oci-image.js';
import { cliPath } from '../helpers/processes.js';
import { parseDigest } from '../../registry/src/oci/digest.js';
import type { GcOptions, GcResult } from '../../registry/src/gc/garbage-collector.js';
import { v2Status as ErrorCodes } from '../../registry/src/http/errors.js';

const execFileAsync = promisify(execFile);
const HOUR = 3_600_000;

/** Runs GC as if `aheadMs` had passed: everything pushed so far is older than a one-hour grace period then. */
function gcLater(reg: TestRegistry, opts: Partial<GcOptions> = {}, aheadMs = 2 * HOUR): Promise<GcResult> {
  return reg.server.core.gc.run({ dryRun: false, graceMs: HOUR, uploadMaxAgeMs: HOUR, now: Date.now() + aheadMs, ...opts });
}

function fileOf(reg: TestRegistry, digest: string): string {
  return reg.server.core.paths.blob(parseDigest(digest));
}

/** Every file under the data folder's blobs/ and uploads/, with its size: what a dry run must leave alone. */
function snapshot(data: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(`${path.relative(data, p)} ${fs.statSync(p).size}`);
    }
  };
  for (const d of ['blobs', 'uploads']) if (fs.existsSync(path.join(data, d))) walk(path.join(data, d));
  return out.sort();
}

async function assertPullable(reg: TestRegistry, repo: string, ref: string, img: Image): Promise<void> {
  const m = await reg.fetch(`/v2/${repo}/manifests/${ref}`, { headers: { accept: img.manifest.mediaType } });
  assert.equal(m.status, 200, `${repo}:${ref}`);
  assert.deepEqual(Buffer.from(await m.arrayBuffer()), img.manifest.bytes);
  for (const b of [img.config, ...img.layers]) {
    const r = await reg.fetch(`/v2/${repo}/blobs/${b.digest}`);
    assert.equal(r.status, 200, `${repo} blob ${b.digest}`);
    assert.deepEqual(Buffer.from(await r.arrayBuffer()), b.bytes);
  }
}

/** Garbage of every kind next to content that must stay: returns what is which. */
async function seed(reg: TestRegistry) {
  const shared = (await makeImage()).layers[0]!;
  const kept = await makeImage();
  kept.layers.push(shared);
  const gone = await makeImage();
  gone.layers.push(shared);
  // Manifests must list what they reference: rebuild both with the shared layer included.
  const rebuild = (img: Image): Image => {
    const manifest = blobOf(
      Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: img.manifest.mediaType, config: desc(img.config), layers: img.layers.map(desc) })),
      img.manifest.mediaType,
    );
    return { ...img, manifest };
  };
  const keptImg = rebuild(kept);
  const goneImg = rebuild(gone);
  await pushImage(reg, 'gc/kept', 'v1', keptImg);
  await pushImage(reg, 'gc/gone', 'v1', goneImg);
  const del = await reg.fetch(`/v2/gc/gone/manifests/${goneImg.manifest.digest}`, { method: 'DELETE' });
  assert.equal(del.status, 202);

  // A multi-arch index whose children are only reachable through it.
  const amd = await makeImage({ arch: 'amd64' });
  const arm = await makeImage({ arch: 'arm64' });
  await pushImage(reg, 'gc/multi', amd.manifest.digest, amd);
  await pushImage(reg, 'gc/multi', arm.manifest.digest, arm);
  const index = makeIndex([
    { image: amd, arch: 'amd64' },
    { image: arm, arch: 'arm64' },
  ]);
  assert.equal((await putManifest(reg, 'gc/multi', 'latest', index)).status, 201);

  // A push abandoned after its blobs: linked into the repository, referenced by no manifest.
  const abandonedBlob = blobOf(Buffer.from(`abandoned ${Math.random()}`), 'application/octet-stream');
  await pushBlob(reg, 'gc/abandoned', abandonedBlob);

  // An upload session left open halfway.
  const post = await reg.fetch('/v2/gc/abandoned/blobs/uploads/', { method: 'POST' });
  assert.equal(post.status, 202);
  const uploadLocation = post.headers.get('location')!;
  const patch = await reg.fetch(uploadLocation, { method: 'PATCH', body: Buffer.from('half a layer'), headers: { 'content-type': 'application/octet-stream' } });
  assert.equal(patch.status, 202);

  // A committed file without a row (what a crash between rename and commit leaves).
  const orphan = blobOf(Buffer.from(`orphan ${Math.random()}`), 'application/octet-stream');
  await reg.server.core.store.writeSmall(parseDigest(orphan.digest), orphan.bytes);

  // A manifest write's staging file that a crash left before its rename.
  const staging = path.join(reg.server.core.paths.blobsTmp, '0b9a3c1e-5d7f-4e2a-9c1b-3f6e8d2a7b40');
  const stagingBytes = Buffer.from('{"schemaVersion":2,"torn');
  fs.writeFileSync(staging, stagingBytes);

  return { shared, keptImg, goneImg, amd, arm, index, abandonedBlob, uploadLocation, orphan, staging, stagingSize: stagingBytes.length };
}

function desc(b: Blob) {
  return { mediaType: b.mediaType, digest: b.digest, size: b.size };
}

test('GC keeps everything within the grace period, then removes exactly the unreferenced content', async (t) => {
  const reg = await createTestRegistry();
  t.after(() => reg.close());
  const s = await seed(reg);
  const before = snapshot(reg.data);

  // Inside the grace period nothing goes, however unreferenced.
  const young = await reg.server.core.gc.run({ dryRun: false, graceMs: HOUR, uploadMaxAgeMs: HOUR });
  assert.deepEqual(
    { blobs: young.blobsRemoved, orphans: young.orphanFilesRemoved, links: young.linksRemoved, uploads: young.uploadsRemoved },
    { blobs: 0, orphans: 0, links: 0, uploads: 0 },
  );
  assert.deepEqual(snapshot(reg.data), before);

  // A dry run past the grace period reports, and removes nothing.
  const dry = await gcLater(reg, { dryRun: true });
  assert.equal(dry.dryRun, true);
  assert.deepEqual(snapshot(reg.data), before);
  assert.equal((await reg.fetch(uploadLocation(s))).status, 204, 'the open upload survived the dry run');

  const real = await gcLater(reg);
  // gone: its manifest, config and own layer (3 blobs); the abandoned blob (1). Links: gone's config and two
  // layers (the shared one stays linked in gc/kept), and the abandoned blob's.
  assert.equal(real.blobsRemoved, 4);
  assert.equal(real.linksRemoved, 4);
  assert.equal(real.orphanFilesRemoved, 2);
  assert.equal(real.uploadsRemoved, 1);
  const expectedBytes = s.goneImg.manifest.size + s.goneImg.config.size + s.goneImg.layers[0]!.size + s.abandonedBlob.size + s.orphan.size + s.stagingSize;
  assert.equal(real.bytesFreed, expectedBytes);
  // The dry run said exactly this.
  assert.deepEqual({ ...dry, dryRun: false, durationMs: 0 }, { ...real, durationMs: 0 });

  for (const b of [s.goneImg.manifest, s.goneImg.config, s.goneImg.layers[0]!, s.abandonedBlob, s.orphan]) {
    assert.equal(fs.existsSync(fileOf(reg, b.digest)), false, `${b.digest} removed from disk`);
  }
  assert.equal(fs.existsSync(s.staging), false, 'crash leftover in staging removed');
  await expectError(await reg.fetch(`/v2/gc/abandoned/blobs/${s.abandonedBlob.digest}`, { method: 'GET' }), 404, 'BLOB_UNKNOWN');
  await expectError(await reg.fetch(`/v2/gc/gone/blobs/${s.shared.digest}`), 404, 'BLOB_UNKNOWN');
  await expectError(await reg.fetch(uploadLocation(s)), 404, 'BLOB_UPLOAD_UNKNOWN');

  // Everything referenced stays whole: the shared layer, the index and the children only it references.
  await assertPullable(reg, 'gc/kept', 'v1', s.keptImg);
  await assertPullable(reg, 'gc/multi', s.amd.manifest.digest, s.amd);
  await assertPullable(reg, 'gc/multi', s.arm.manifest.digest, s.arm);
  const idx = await reg.fetch('/v2/gc/multi/manifests/latest', { headers: { accept: s.index.mediaType } });
  assert.deepEqual(Buffer.from(await idx.arrayBuffer()), s.index.bytes);

  // A second collection finds nothing left.
  const again = await gcLater(reg);
  assert.deepEqual([again.blobsRemoved, again.linksRemoved, again.orphanFilesRemoved, again.uploadsRemoved, again.bytesFreed], [0, 0, 0, 0, 0]);

  // The removed content can be pushed again.
  await pushImage(reg, 'gc/gone', 'v2', s.goneImg);
  await assertPullable(reg, 'gc/gone', 'v2', s.goneImg);
});

function uploadLocation(s: { uploadLocation: string }): string {
  return s.uploadLocation;
}

/**
 * Pushes, pulls and deletes other images while GC collects in a loop with `graceMs`. `mayRefuse`: with no
 * grace period a blob uploaded a moment ago is as unreferenced as an abandoned one, so GC may take it before
 * its manifest arrives; the manifest PUT must then fail cleanly with MANIFEST_BLOB_UNKNOWN (never a 201 with
 * something missing), and the push is repeated once GC has stopped.
 */
async function pushWhileCollecting(reg: TestRegistry, graceMs: number, mayRefuse: boolean) {
  const stable: Image[] = [];
  for (let i = 0; i < 3; i++) {
    const img = await makeImage({ layers: 2 });
    await pushImage(reg, `gc/stable${i}`, 'v1', img);
    stable.push(img);
  }
  const images = await Promise.all(Array.from({ length: 18 }, () => makeImage({ layers: 2 })));

  let stop = false;
  let collections = 0;
  let removed = 0;
  const gcLoop = (async () => {
    while (!stop) {
      const r = await reg.server.core.gc.run({ dryRun: false, graceMs, uploadMaxAgeMs: HOUR });
      collections += 1;
      removed += r.blobsRemoved;
      // A varying pause, so that some pushes get through between collections.
      await new Promise((res) => setTimeout(res, 20 + Math.floor(Math.random() * 200)));
    }
  })();
  // Pull the stable images over and over: never a miss, never a short read.
  const pullLoop = (async () => {
    let pulls = 0;
    while (!stop) {
      const i = pulls++ % stable.length;
      await assertPullable(reg, `gc/stable${i}`, 'v1', stable[i]!);
    }
    return pulls;
  })();

  const acked: { repo: string; img: Image; deleted: boolean }[] = [];
  const refused: { repo: string; img: Image }[] = [];
  const pushLoop = async (worker: number) => {
    for (let i = worker; i < images.length; i += 3) {
      const repo = `gc/push${i}`;
      const img = images[i]!;
      for (const b of [img.config, ...img.layers]) await pushBlob(reg, repo, b);
      const r = await putManifest(reg, repo, 'v1', img.manifest);
      if (r.status !== 201) {
        assert.ok(mayRefuse, `push of ${repo} refused although its blobs are within the grace period: ${r.status}`);
        await expectError(r, ErrorCodes.MANIFEST_BLOB_UNKNOWN, 'MANIFEST_BLOB_UNKNOWN');
        refused.push({ repo, img });
        continue;
      }
      // Right after its 201 the image is whole, GC or not.
      await assertPullable(reg, repo, 'v1', img);
      // Every other image is deleted again, so GC has work while pushes go on.
      const deleted = i % 2 === 1;
      if (deleted) assert.equal((await reg.fetch(`/v2/${repo}/manifests/${img.manifest.digest}`, { method: 'DELETE' })).status, 202);
      acked.push({ repo, img, deleted });
    }
  };
  try {
    await Promise.all([0, 1, 2].map(pushLoop));
  } finally {
    stop = true;
    await Promise.allSettled([gcLoop, pullLoop]);
  }
  await gcLoop;
  const pulls = await pullLoop;
  assert.ok(collections >= 3, `GC ran ${collections} times`);

  for (const { repo, img } of refused) await pushImage(reg, repo, 'v1', img);
  for (const { repo, img, deleted } of acked) if (!deleted) await assertPullable(reg, repo, 'v1', img);
  for (const [i, img] of stable.entries()) await assertPullable(reg, `gc/stable${i}`, 'v1', img);
  return { collections, removed, pulls, acked: acked.length, refused: refused.length, deleted: acked.filter((a) => a.deleted) };
}

test('GC with no grace period runs during pushes, pulls and deletes: refuses cleanly, never breaks an acknowledged image', { timeout: 90_000 }, async (t) => {
  const reg = await createTestRegistry();
  t.after(() => reg.close());
  const r = await pushWhileCollecting(reg, 0, true);
  t.diagnostic(`${r.collections} collections removed ${r.removed} blobs; ${r.acked} pushes acknowledged, ${r.refused} refused; ${r.pulls} pulls`);
  assert.ok(r.removed > 0, 'GC removed content while pushes went on');
  // A last quiet collection takes what was deleted and keeps every tagged image (checked inside as well).
  await reg.server.core.gc.run({ dryRun: false, graceMs: 0, uploadMaxAgeMs: HOUR });
  for (const { img } of r.deleted) assert.equal(fs.existsSync(fileOf(reg, img.manifest.digest)), false, 'deleted manifest collected');
});

test('GC with a grace period collects old garbage while concurrent pushes all succeed', { timeout: 90_000 }, async (t) => {
  const reg = await createTestRegistry();
  t.after(() => reg.close());
  const grace = 1500;
  // Garbage from before: pushed and deleted, then aged past the grace period.
  const old: Image[] = [];
  for (let i = 0; i < 4; i++) {
    const img = await makeImage();
    await pushImage(reg, `gc/old${i}`, 'v1', img);
    assert.equal((await reg.fetch(`/v2/gc/old${i}/manifests/${img.manifest.digest}`, { method: 'DELETE' })).status, 202);
    old.push(img);
  }
  await new Promise((res) => setTimeout(res, grace + 100));
  const r = await pushWhileCollecting(reg, grace, false);
  t.diagnostic(`${r.collections} collections removed ${r.removed} blobs; ${r.acked} pushes; ${r.pulls} pulls`);
  assert.equal(r.acked, 18);
  assert.ok(r.removed >= old.length * 3, `the aged garbage was collected (${r.removed} blobs)`);
  for (const img of old) for (const b of imageBlobsOf(img)) assert.equal(fs.existsSync(fileOf(reg, b.digest)), false);
});

function imageBlobsOf(img: Image): Blob[] {
  return [img.manifest, img.config, ...img.layers];
}

test('berth gc on a stopped server: --dry-run reports, the real run removes the same; refused while a server runs', { timeout: 60_000 }, async (t) => {
  assert.ok(fs.existsSync(cliPath), `${cliPath} is missing: run npm run build first`);
  const data = tempDir('berth-gc-cli-');
  t.after(() => fs.rmSync(data, { recursive: true, force: true }));
  let reg = await createTestRegistry({ data });
  const s = await seed(reg);

  // While a server holds the data folder, the offline command refuses and touches nothing.
  const before = snapshot(data);
  const refused = await execFileAsync(process.execPath, [cliPath, 'gc', '--data', data, '--grace-minutes', '0']).then(
    () => assert.fail('berth gc ran against a live server'),
    (e: { code: number; stderr: string }) => e,
  );
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, new RegExp(`pid ${process.pid}.*is serving`));
  assert.deepEqual(snapshot(data), before);
  await reg.close();

  // Stopped: a dry run reports and removes nothing.
  const gc = async (...args: string[]) =>
    (await execFileAsync(process.execPath, [cliPath, 'gc', '--data', data, '--grace-minutes', '0', ...args])).stdout;
  const dry = await gc('--dry-run');
  assert.match(dry, /^would remove: /);
  assert.deepEqual(snapshot(data), before);
  const counts = (out: string) => out.match(/\d+ blobs, \d+ orphan files, \d+ unused links/)?.[0];
  assert.equal(counts(dry), '4 blobs, 2 orphan files, 4 unused links');

  const real = await gc();
  assert.match(real, /^removed: /);
  assert.equal(counts(real), counts(dry));
  for (const b of [s.goneImg.manifest, s.goneImg.config, s.abandonedBlob, s.orphan]) {
    assert.equal(fs.existsSync(path.join(data, 'blobs', 'sha256', b.digest.slice(7, 9), b.digest.slice(7))), false);
  }

  // The registry serves what it kept.
  reg = await createTestRegistry({ data });
  try {
    await assertPullable(reg, 'gc/kept', 'v1', s.keptImg);
    const idx = await reg.fetch('/v2/gc/multi/manifests/latest', { headers: { accept: s.index.mediaType } });
    assert.equal(sha256(Buffer.from(await idx.arrayBuffer())), s.index.digest);
  } finally {
    await reg.close();
  }
});
