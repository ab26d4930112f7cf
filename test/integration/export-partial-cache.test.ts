import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startDistribution } from '../helpers/docker-registry.js';
import { createTestRegistry, tempDir, ADMIN_PASSWORD } from '../helpers/test-registry.js';
import { makeImage, writeLayout, imageBlobs } from '../helpers/oci-image.js';
import { skopeo } from '../helpers/processes.js';
import { pushImage } from '../helpers/v2-client.js';

/*
 * Issue #12 §6: the proxy cache holds a manifest whose layers were never pulled (a HEAD/GET of the manifest
 * only). Exporting everything must not fail with MISSING_CONTENT: complete images go into the bundle, the
 * cache's partial one is listed as skipped with the reason, and the bundle imports elsewhere.
 */
test('export of everything skips a proxy cache image whose layers were never pulled', { timeout: 120_000 }, async () => {
  const work = tempDir('export-partial-');
  const up = await startDistribution();
  const reg = await createTestRegistry({
    registries: [{ name: 'hq', url: up.url, insecure: true }],
    proxies: [{ project: 'hq-cache', registry: 'hq' }],
  });
  const target = await createTestRegistry();
  try {
    const remote = await makeImage({ layers: 2 });
    const layout = path.join(work, 'remote');
    writeLayout(layout, imageBlobs(remote), { '1': remote.manifest });
    await skopeo(['copy', '--dest-tls-verify=false', `oci:${layout}:1`, `docker://${up.host}/team/remote:1`]);
    // Only the manifest is fetched through the cache: its layers are never pulled.
    const m = await reg.fetch('/v2/hq-cache/team/remote/manifests/1', { headers: { accept: remote.manifest.mediaType } });
    assert.equal(m.status, 200);
    const local = await makeImage();
    await pushImage(reg, 'apps/local', 'v1', local);

    const out = path.join(work, 'all.tar');
    const r = await reg.server.core.transfer.exportToFile({ out, selection: { repositories: [], tags: [] } });
    assert.deepEqual(r.images, ['apps/local:v1']);
    assert.equal(r.skipped.length, 1);
    assert.equal(r.skipped[0]!.image, 'hq-cache/team/remote:1');
    assert.match(r.skipped[0]!.reason, /incomplete in the proxy cache: .*blob sha256:/);

    const [imported] = await target.server.core.transfer.import([out], { actor: { username: 'admin' } });
    assert.deepEqual(imported!.images, ['apps/local:v1']);
    const got = await target.fetch('/v2/apps/local/manifests/v1', { headers: { accept: local.manifest.mediaType } });
    assert.equal(got.headers.get('docker-content-digest'), local.manifest.digest);
  } finally {
    await reg.close();
    await target.close();
    await up.stop();
    fs.rmSync(work, { recursive: true, force: true });
    fs.rmSync(up.dir, { recursive: true, force: true });
  }
});
