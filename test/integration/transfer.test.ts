import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { tempDir } from '../helpers/test-registry.js';
import { makeImage, makeIndex, makeArtifact, imageBlobs, writeLayout } from '../helpers/oci-image.js';
import { openCore, push, tagMap, stagingLeftovers } from '../helpers/transfer-fixtures.js';
import { readBundleDescriptionFrom } from '../../registry/src/transfer/exporter.js';
import type { Core } from '../../registry/src/core.js';

const actor = { username: 'test' };

describe('offline transfer: export and import', () => {
  const work = tempDir('berth-transfer-');
  const cores: Core[] = [];
  const core = (name: string) => {
    const c = openCore(path.join(work, name));
    cores.push(c);
    return c;
  };
  after(() => {
    for (const c of cores) c.close();
    fs.rmSync(work, { recursive: true, force: true });
  });

  test('round trip: tags, index children and referrers arrive with identical digests; a second import is a no-op', async () => {
    const src = core('src');
    const amd = await makeImage({ arch: 'amd64', layers: 2, files: { big: randomBytes(3 * 1024 * 1024) } });
    const arm = await makeImage({ arch: 'arm64' });
    const index = makeIndex([{ image: amd, arch: 'amd64' }, { image: arm, arch: 'arm64' }]);
    await push(src, 'team/app', amd.manifest.digest, amd.manifest, [amd.config, ...amd.layers]);
    await push(src, 'team/app', arm.manifest.digest, arm.manifest, [arm.config, ...arm.layers]);
    await push(src, 'team/app', 'v1', index, []);
    const sig = makeArtifact({ artifactType: 'application/vnd.dev.cosign.sig', subject: index, payload: Buffer.from('signature') });
    await push(src, 'team/app', sig.manifest.digest, sig.manifest, sig.blobs);
    const tool = await makeImage();
    await push(src, 'tools/x', 'latest', tool.manifest, [tool.config, ...tool.layers]);

    const out = path.join(work, 'b1.tar');
    const r = await src.transfer.exportToFile({ out, selection: { repositories: [], tags: [] } });
    assert.deepEqual(r.images.sort(), ['team/app:v1', 'tools/x:latest']);
    assert.equal(r.manifests, 5);

    const desc = await readBundleDescriptionFrom(out);
    assert.ok(desc.manifests.some((m) => m.digest === sig.manifest.digest), 'referrer listed');
    assert.ok(desc.blobs.every((b) => b.included));

    const dst = core('dst');
    const [rep] = await dst.transfer.import([out], { actor });
    assert.equal(rep!.format, 'berth-bundle');
    assert.equal(rep!.noop, false);
    assert.deepEqual(tagMap(dst), tagMap(src));
    const referrers = dst.registry.content.referrers('team/app', index.digest, undefined);
    assert.deepEqual(referrers.manifests.map((m) => m.digest), [sig.manifest.digest]);
    for (const b of [...imageBlobs(amd), ...imageBlobs(arm), index, sig.manifest]) {
      const got = await dst.store.readSmall((await import('../../registry/src/oci/digest.js')).parseDigest(b.digest));
      assert.deepEqual(got, b.bytes);
    }
    assert.deepEqual(stagingLeftovers(dst.config.data), []);

    const again = await dst.transfer.import([out], { actor });
    assert.equal(again[0]!.noop, true);
    assert.equal(again[0]!.bytesRead < fs.statSync(out).size, true, 'a repeated import stops after the description');
  });

  test('export selection by repository and tag glob', async () => {
    const src = core('sel');
    const a = await makeImage();
    const b = await makeImage();
    await push(src, 'team/app', 'v1', a.manifest, [a.config, ...a.layers]);
    await push(src, 'team/app', 'dev-1', b.manifest, [b.config, ...b.layers]);
    await push(src, 'other/app', 'v1', b.manifest, [b.config, ...b.layers]);
    const out = path.join(work, 'sel.tar');
    const r = await src.transfer.exportToFile({ out, selection: { repositories: ['team/**'], tags: ['v*'] } });
    assert.deepEqual(r.images, ['team/app:v1']);
    const index = JSON.parse(await tarFile(out, 'index.json')) as { manifests: { annotations: Record<string, string> }[] };
    assert.deepEqual(index.manifests.map((m) => m.annotations['org.opencontainers.image.ref.name']), ['team/app:v1']);
  });

  test('split into parts, compressed with zstd and gzip, imported back from the parts', async () => {
    const src = core('split-src');
    const img = await makeImage({ layers: 3, files: { big: randomBytes(50_000) } });
    await push(src, 'team/split', 'v1', img.manifest, [img.config, ...img.layers]);
    for (const compression of ['none', 'zstd', 'gzip'] as const) {
      const out = path.join(work, `split-${compression}.tar`);
      const r = await src.transfer.exportToFile({ out, splitBytes: 8 * 1024, compression, selection: { repositories: [], tags: [] } });
      assert.ok(r.files.length > 1, `${compression}: several parts`);
      assert.ok(r.files.every((f) => fs.statSync(f).size <= 8 * 1024));
      const dst = core(`split-dst-${compression}`);
      const reports = await dst.transfer.import([r.files[0]!], { actor });
      assert.equal(reports.length, 1);
      assert.equal(reports[0]!.compression, compression);
      assert.deepEqual(tagMap(dst), { 'team/split:v1': img.manifest.digest });
    }
    // A missing part is named.
    const parts = fs.readdirSync(work).filter((f) => f.startsWith('split-none.tar.part'));
    fs.renameSync(path.join(work, 'split-none.tar.part002'), path.join(work, 'moved-part'));
    const dst = core('split-missing');
    await assert.rejects(dst.transfer.import([path.join(work, 'split-none.tar.part001')], { actor }), /part 002 is missing/);
    assert.ok(parts.length > 2);
  });

  test('incremental bundle: only new blobs, complete manifests; refused without its base', async () => {
    const src = core('inc-src');
    const v1 = await makeImage({ layers: 2 });
    await push(src, 'team/inc', 'v1', v1.manifest, [v1.config, ...v1.layers]);
    const full = path.join(work, 'inc-full.tar');
    await src.transfer.exportToFile({ out: full, selection: { repositories: [], tags: [] } });
    // v2 shares the first layer of v1 and adds one.
    const extra = await makeImage({ layers: 1 });
    const v2manifest = JSON.parse(v1.manifest.bytes.toString()) as { layers: unknown[]; config: unknown };
    v2manifest.layers = [v2manifest.layers[0], { mediaType: extra.layers[0]!.mediaType, digest: extra.layers[0]!.digest, size: extra.layers[0]!.size }];
    v2manifest.config = { mediaType: extra.config.mediaType, digest: extra.config.digest, size: extra.config.size };
    const v2bytes = Buffer.from(JSON.stringify(v2manifest));
    const { blobOf } = await import('../helpers/oci-image.js');
    const v2 = blobOf(v2bytes, v1.manifest.mediaType);
    await push(src, 'team/inc', 'v2', v2, [extra.config, extra.layers[0]!]);

    const inc = path.join(work, 'inc-2.tar');
    const r = await src.transfer.exportToFile({ out: inc, since: full, selection: { repositories: [], tags: [] } });
    assert.deepEqual(r.images.sort(), ['team/inc:v1', 'team/inc:v2']);
    assert.equal(r.blobsIncluded, 2, 'only the new config and layer');
    const desc = await readBundleDescriptionFrom(inc);
    assert.equal(desc.base?.bundleId, (await readBundleDescriptionFrom(full)).id);

    const fresh = core('inc-fresh');
    await assert.rejects(fresh.transfer.import([inc], { actor }), /builds on bundle .* Import the base first/);
    assert.deepEqual(tagMap(fresh), {});
    assert.deepEqual(stagingLeftovers(fresh.config.data), []);

    const site = core('inc-site');
    const reports = await site.transfer.import([full, inc], { actor });
    assert.equal(reports.length, 2);
    assert.deepEqual(tagMap(site), tagMap(src));

    // --since a date: everything pushed before it is left out.
    const later = path.join(work, 'inc-date.tar');
    const byDate = await src.transfer.exportToFile({ out: later, since: new Date(Date.now() + 1000).toISOString(), selection: { repositories: [], tags: [] } });
    assert.equal(byDate.blobsIncluded, 0);
    assert.equal(byDate.manifests, 2);
  });

  test('plain OCI layout folder with a bare tag goes into --repository', async () => {
    const img = await makeImage();
    const layout = path.join(work, 'layout');
    writeLayout(layout, imageBlobs(img), { v3: img.manifest });
    const dst = core('layout-dst');
    await assert.rejects(dst.transfer.import([layout], { actor }), /names only a tag/);
    const [r] = await dst.transfer.import([layout], { actor, repository: 'team/layout' });
    assert.equal(r!.format, 'oci-layout');
    assert.deepEqual(tagMap(dst), { 'team/layout:v3': img.manifest.digest });
  });
});

async function tarFile(file: string, name: string): Promise<string> {
  const { tarEntries } = await import('../../registry/src/transfer/archive-entries.js');
  for await (const e of tarEntries(fs.createReadStream(file))) {
    if (e.name !== name) continue;
    const chunks: Buffer[] = [];
    for await (const c of e.body!) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString();
  }
  throw new Error(`${name} not in ${file}`);
}
