import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDistribution, type DistributionRegistry } from '../helpers/docker-registry.js';
import { createTestRegistry, type TestRegistry } from '../helpers/test-registry.js';
import { makeImage, type Image } from '../helpers/oci-image.js';
import { pushImage } from '../helpers/v2-client.js';
import { seedImage } from '../helpers/replication.js';

/*
 * Proxy cache eviction by GC against a real upstream (docker-registry): which images a cap keeps, and a dry
 * run that reports exactly what the real run then removes (cap, TTL, unreferenced blobs, stale uploads).
 */

const HOUR = 3_600_000;
let up: DistributionRegistry;
let reg: TestRegistry;
const images: Record<string, Image> = {};

before(async () => {
  up = await startDistribution();
  for (const name of ['c1', 'c2', 'c3', 't1']) images[name] = await seedImage(up.host, `team/${name}`, '1');
  reg = await createTestRegistry({
    registries: [{ name: 'hq', url: up.url }],
    proxies: [{ project: 'ttl', registry: 'hq', manifestMaxAgeSeconds: 3600, ttlSeconds: 3600 }],
  });
  // Made through the service as the admin API does (not the config file), so the test may set its cap later.
  reg.server.core.proxyProjects.create({ project: 'cap', registry: 'hq', manifestMaxAgeSeconds: 3600 });
});

after(async () => {
  await reg?.close();
  await up?.stop();
});

/** Pulls a cached image whole (manifest, config, layers), after the clock moved past the previous pull. */
let lastPull = 0;
async function pull(project: string, name: string): Promise<void> {
  const deadline = Date.now() + 1000;
  while (Date.now() <= lastPull && Date.now() < deadline) await new Promise((r) => setImmediate(r));
  const img = images[name]!;
  const m = await reg.fetch(`/v2/${project}/team/${name}/manifests/1`, { headers: { accept: img.manifest.mediaType } });
  assert.equal(m.status, 200, `${project}/team/${name}`);
  await m.arrayBuffer();
  for (const b of [img.config, ...img.layers]) {
    const r = await reg.fetch(`/v2/${project}/team/${name}/blobs/${b.digest}`);
    assert.equal(r.status, 200);
    await r.arrayBuffer();
  }
  lastPull = Date.now();
}

const bytesOf = (img: Image) => img.manifest.size + img.config.size + img.layers.reduce((n, l) => n + l.size, 0);

test('GC under a cache cap evicts the least recently pulled images and keeps the rest; a dry run reports exactly what the real run removes', async () => {
  const core = reg.server.core;
  // Pulled c1, c2, c3, then c1 again: least recently pulled first is c2, then c3.
  for (const name of ['c1', 'c2', 'c3', 'c1']) await pull('cap', name);
  await pull('ttl', 't1');
  core.registry.flush();
  assert.equal(core.meta.proxyCache.usage('cap'), bytesOf(images.c1!) + bytesOf(images.c2!) + bytesOf(images.c3!));
  // Room for c1 and a bit, not for c3 too: c2 and c3 go, c1 (pulled first, but also last) stays.
  core.proxyProjects.update('cap', { cacheMaxBytes: bytesOf(images.c1!) + 100 });

  // Local garbage: an image whose manifest was deleted, and an upload session left behind.
  const gone = await makeImage();
  await pushImage(reg, 'team/gone', '1', gone);
  assert.equal((await reg.fetch(`/v2/team/gone/manifests/${gone.manifest.digest}`, { method: 'DELETE' })).status, 202);
  assert.equal((await reg.fetch('/v2/team/left/blobs/uploads/', { method: 'POST' })).status, 202);

  // Two hours on: past the GC grace, the upload age and the ttl project's TTL.
  const opts = { graceMs: HOUR, uploadMaxAgeMs: HOUR, now: Date.now() + 2 * HOUR };
  const dry = await core.gc.run({ dryRun: true, ...opts });
  assert.equal(core.meta.proxyCache.entries('cap').length, 3, 'the dry run evicted nothing');
  assert.equal(core.meta.proxyCache.entries('ttl').length, 1);
  assert.equal(core.meta.blobs.size(gone.layers[0]!.digest), gone.layers[0]!.size, 'the dry run removed no blob');
  const real = await core.gc.run({ dryRun: false, ...opts });
  assert.deepEqual({ ...dry, dryRun: false, durationMs: 0 }, { ...real, durationMs: 0 }, 'the dry run plans what the real run removes');

  assert.equal(real.manifestsEvicted, 3, 'c2 and c3 by the cap, t1 by its TTL');
  assert.deepEqual(core.meta.proxyCache.entries('cap').map((e) => e.repository), ['cap/team/c1'], 'the most recently pulled image is kept');
  assert.deepEqual(core.meta.proxyCache.entries('ttl'), []);
  assert.ok(core.meta.proxyCache.usage('cap') <= bytesOf(images.c1!) + 100);
  const evicted = core.meta.audit.page({ type: 'proxy.evicted', limit: 10 }).map((a) => `${a.repository} ${(a.detail as { reason: string }).reason}`);
  assert.deepEqual(evicted.sort(), ['cap/team/c2 cap', 'cap/team/c3 cap', 'ttl/team/t1 ttl']);
  const freed = [images.c2!, images.c3!, images.t1!, gone].flatMap((i) => [i.config, ...i.layers]);
  for (const b of freed) assert.equal(core.meta.blobs.size(b.digest), undefined, `${b.digest} was freed in the same run`);
  assert.equal(real.blobsRemoved, freed.length + 4, 'their layers and configs, and their four manifests');
  assert.equal(real.uploadsRemoved, 1);
});
