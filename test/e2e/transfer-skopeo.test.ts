import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startBerthProcess, skopeo, cliPath } from '../helpers/processes.js';
import { tempDir, ADMIN_PASSWORD } from '../helpers/test-registry.js';
import { makeImage, makeIndex, writeLayout, imageBlobs, sha256 } from '../helpers/oci-image.js';
import { openCore, push } from '../helpers/transfer-fixtures.js';

/*
 * The air gap end to end with the built CLI and skopeo: `berth export` on one data folder, `berth import` of
 * the parts into a fresh one, `berth serve` on it, and skopeo pulls the same digests. skopeo-made
 * oci-archive and docker-archive tars import too.
 */

const run = promisify(execFile);
const berth = (args: string[]) => run(process.execPath, [cliPath, ...args], { env: { ...process.env, BERTH_LOG_LEVEL: 'warn' } });
const creds = ['--src-tls-verify=false', '--src-creds', `admin:${ADMIN_PASSWORD}`];

function layoutManifest(dir: string): { digest: string } {
  return (JSON.parse(fs.readFileSync(path.join(dir, 'index.json'), 'utf8')) as { manifests: { digest: string }[] }).manifests[0]!;
}

describe('offline transfer with the CLI and skopeo', { timeout: 120_000 }, () => {
  let work: string;
  before(() => {
    work = tempDir('berth-e2e-transfer-');
  });
  after(() => fs.rmSync(work, { recursive: true, force: true }));

  test('export (split) → import into a fresh data folder → skopeo pulls identical digests; archives from skopeo import', async () => {
    const srcData = path.join(work, 'src');
    const src = openCore(srcData);
    const amd = await makeImage({ arch: 'amd64', layers: 2 });
    const arm = await makeImage({ arch: 'arm64' });
    const index = makeIndex([{ image: amd, arch: 'amd64' }, { image: arm, arch: 'arm64' }]);
    await push(src, 'team/app', amd.manifest.digest, amd.manifest, [amd.config, ...amd.layers]);
    await push(src, 'team/app', arm.manifest.digest, arm.manifest, [arm.config, ...arm.layers]);
    await push(src, 'team/app', 'v1', index, []);
    src.close();

    const bundle = path.join(work, 'app.tar');
    const exp = await berth(['export', '--data', srcData, '--out', bundle, '--split', '1K', '--zstd']);
    assert.match(exp.stdout, /exported 1 tag, 3 manifests/);
    const parts = fs.readdirSync(work).filter((f) => f.startsWith('app.tar.part')).sort();
    assert.ok(parts.length >= 2, `split into parts: ${parts.join(' ')}`);

    // skopeo-made archives of another image
    const img = await makeImage({ layers: 2 });
    const layout = path.join(work, 'layout');
    writeLayout(layout, imageBlobs(img), { v2: img.manifest });
    await skopeo(['copy', `oci:${layout}:v2`, `oci-archive:${path.join(work, 'oci.tar')}:v2`]);
    await skopeo(['copy', `oci:${layout}:v2`, `docker-archive:${path.join(work, 'docker.tar')}:team/dock:v2`]);

    const dstData = path.join(work, 'dst');
    await berth(['init', '--data', dstData]); // a new site's folder is made by init (or serve), never by import
    const imp = await berth(['import', '--data', dstData, ...parts.map((p) => path.join(work, p))]);
    assert.match(imp.stdout, /imported berth-bundle: 1 tag /);
    await berth(['import', '--data', dstData, '--repository', 'team/ociarc', path.join(work, 'oci.tar')]);
    await berth(['import', '--data', dstData, path.join(work, 'docker.tar')]);
    const again = await berth(['import', '--data', dstData, path.join(work, `${parts[0]}`)]);
    assert.match(again.stdout, /already imported, nothing to do/);

    const server = await startBerthProcess(dstData);
    try {
      // A second writer on a served data folder is refused.
      await assert.rejects(berth(['import', '--data', dstData, path.join(work, 'oci.tar')]), /is serving .*drop folder/s);

      for (const [arch, image] of [['amd64', amd], ['arm64', arm]] as const) {
        const out = path.join(work, `pulled-${arch}`);
        await skopeo(['copy', ...creds, '--override-arch', arch, '--preserve-digests', `docker://${server.host}/team/app:v1`, `oci:${out}:x`]);
        assert.equal(layoutManifest(out).digest, image.manifest.digest);
        for (const b of imageBlobs(image)) assert.deepEqual(fs.readFileSync(path.join(out, 'blobs', 'sha256', b.digest.slice(7))), b.bytes);
      }
      const raw = await skopeo(['inspect', '--raw', '--tls-verify=false', '--creds', `admin:${ADMIN_PASSWORD}`, `docker://${server.host}/team/app:v1`]);
      assert.equal(sha256(Buffer.from(raw)), index.digest);

      const ociOut = path.join(work, 'pulled-ociarc');
      await skopeo(['copy', ...creds, '--preserve-digests', `docker://${server.host}/team/ociarc:v2`, `oci:${ociOut}:x`]);
      assert.equal(layoutManifest(ociOut).digest, img.manifest.digest);

      // docker-archive: uncompressed layers stored as they are; their digests are the config's diff_ids.
      const inspect = JSON.parse(await skopeo(['inspect', '--tls-verify=false', '--creds', `admin:${ADMIN_PASSWORD}`, `docker://${server.host}/team/dock:v2`])) as { Layers: string[] };
      const config = JSON.parse(img.config.bytes.toString()) as { rootfs: { diff_ids: string[] } };
      assert.deepEqual(inspect.Layers, config.rootfs.diff_ids);
      const dockOut = path.join(work, 'pulled-dock');
      await skopeo(['copy', ...creds, `docker://${server.host}/team/dock:v2`, `oci:${dockOut}:x`]);
      assert.ok(fs.existsSync(path.join(dockOut, 'index.json')));
    } finally {
      await server.stop();
    }
  });
});
