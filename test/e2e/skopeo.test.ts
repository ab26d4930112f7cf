import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startBerthProcess, skopeo, type BerthProcess } from '../helpers/processes.js';
import { tempDir, basic, ADMIN_PASSWORD } from '../helpers/test-registry.js';
import { makeImage, makeIndex, makeArtifact, writeLayout, imageBlobs, blobOf, descriptor, sha256, type Blob } from '../helpers/oci-image.js';

/*
 * skopeo (containers/image, the library under podman, buildah and CRI-O) against the built `berth serve`
 * in its own process: pushes from and pulls into real OCI layouts, and every digest must come back unchanged.
 */

const creds = `admin:${ADMIN_PASSWORD}`;
const dest = ['--dest-tls-verify=false', '--dest-creds', creds];
const src = ['--src-tls-verify=false', '--src-creds', creds];
const plain = ['--tls-verify=false', '--creds', creds];

/** ref name → descriptor of an OCI layout's index.json */
function layoutRefs(dir: string): Map<string, { digest: string; mediaType: string; size: number }> {
  const index = JSON.parse(fs.readFileSync(path.join(dir, 'index.json'), 'utf8')) as {
    manifests: { digest: string; mediaType: string; size: number; annotations?: Record<string, string> }[];
  };
  return new Map(index.manifests.map((m) => [m.annotations?.['org.opencontainers.image.ref.name'] ?? '', m]));
}

function layoutBlob(dir: string, digest: string): Buffer {
  return fs.readFileSync(path.join(dir, 'blobs', 'sha256', digest.replace(/^sha256:/, '')));
}

/** Every blob must be in the layout with exactly these bytes. */
function assertLayoutHolds(dir: string, blobs: Blob[]): void {
  for (const b of blobs) assert.deepEqual(layoutBlob(dir, b.digest), b.bytes, `${b.digest} (${b.mediaType}) differs in ${dir}`);
}

describe('skopeo against berth serve', { timeout: 180_000 }, () => {
  let berth: BerthProcess;
  let work: string;
  const get = (p: string, headers: Record<string, string> = {}) =>
    fetch(`${berth.url}${p}`, { headers: { authorization: basic('admin', ADMIN_PASSWORD), ...headers } });

  before(async () => {
    work = tempDir('berth-e2e-skopeo-');
    berth = await startBerthProcess(path.join(work, 'data'));
  });
  after(async () => {
    await berth?.stop();
    fs.rmSync(work, { recursive: true, force: true });
  });

  test('copy a single image in and back out, digests preserved; inspect, list-tags, delete', async () => {
    const img = await makeImage({ layers: 2 });
    const layout = path.join(work, 'single');
    writeLayout(layout, imageBlobs(img), { v1: img.manifest });
    await skopeo(['copy', ...dest, `oci:${layout}:v1`, `docker://${berth.host}/team/app:v1`]);

    const head = await get('/v2/team/app/manifests/v1', { accept: img.manifest.mediaType });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('docker-content-digest'), img.manifest.digest);
    assert.deepEqual(Buffer.from(await head.arrayBuffer()), img.manifest.bytes);

    const back = path.join(work, 'single-back');
    await skopeo(['copy', ...src, `docker://${berth.host}/team/app:v1`, `oci:${back}:v1`]);
    assert.equal(layoutRefs(back).get('v1')?.digest, img.manifest.digest);
    assertLayoutHolds(back, imageBlobs(img));

    const raw = await skopeo(['inspect', '--raw', ...plain, `docker://${berth.host}/team/app:v1`]);
    assert.equal(raw, img.manifest.bytes.toString());
    const info = JSON.parse(await skopeo(['inspect', ...plain, `docker://${berth.host}/team/app:v1`])) as { Digest: string; Architecture: string; Layers: string[] };
    assert.equal(info.Digest, img.manifest.digest);
    assert.equal(info.Architecture, 'amd64');
    assert.deepEqual(info.Layers, img.layers.map((l) => l.digest));

    // A second tag by copying registry to registry: containers/image mounts the blobs across repositories.
    await skopeo(['copy', ...src, ...dest, `docker://${berth.host}/team/app:v1`, `docker://${berth.host}/team/app:v2`]);
    await skopeo(['copy', ...src, ...dest, `docker://${berth.host}/team/app:v1`, `docker://${berth.host}/other/app:v1`]);
    const copied = await get('/v2/other/app/manifests/v1', { accept: img.manifest.mediaType });
    assert.equal(copied.headers.get('docker-content-digest'), img.manifest.digest);
    for (const b of [img.config, ...img.layers]) assert.equal((await get(`/v2/other/app/blobs/${b.digest}`)).status, 200);

    const tags = JSON.parse(await skopeo(['list-tags', ...plain, `docker://${berth.host}/team/app`])) as { Tags: string[] };
    assert.deepEqual(tags.Tags.sort(), ['v1', 'v2']);

    // skopeo delete resolves the tag and deletes the manifest by digest: both tags go with it.
    await skopeo(['delete', ...plain, `docker://${berth.host}/team/app:v2`]);
    assert.equal((await get(`/v2/team/app/manifests/${img.manifest.digest}`)).status, 404);
    assert.equal((await get('/v2/team/app/manifests/v1')).status, 404);
    const after = (await (await get('/v2/team/app/tags/list')).json()) as { tags: string[] | null };
    assert.deepEqual(after.tags ?? [], []);
    await assert.rejects(skopeo(['inspect', '--raw', ...plain, `docker://${berth.host}/team/app:v1`]), /manifest unknown|not found/i);
    // The other repository is untouched.
    assert.equal((await get('/v2/other/app/manifests/v1')).status, 200);
  });

  test('credentials: wrong password cannot push, anonymous cannot read a private project but can read library', async () => {
    const img = await makeImage();
    const layout = path.join(work, 'auth');
    writeLayout(layout, imageBlobs(img), { v1: img.manifest });
    await assert.rejects(
      skopeo(['copy', '--dest-tls-verify=false', '--dest-creds', 'admin:wrong', `oci:${layout}:v1`, `docker://${berth.host}/team/denied:v1`]),
      /unauthorized|authentication required|invalid username\/password/i,
    );
    assert.equal((await get('/v2/team/denied/tags/list')).status, 404);

    await skopeo(['copy', ...dest, `oci:${layout}:v1`, `docker://${berth.host}/team/private:v1`]);
    await skopeo(['copy', ...dest, `oci:${layout}:v1`, `docker://${berth.host}/library/public:v1`]);
    await assert.rejects(skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${berth.host}/team/private:v1`]), /unauthorized|authentication required|denied/i);
    const anon = await skopeo(['inspect', '--raw', '--tls-verify=false', '--no-creds', `docker://${berth.host}/library/public:v1`]);
    assert.equal(anon, img.manifest.bytes.toString());
  });

  test('copy --all of a two-platform index both ways keeps the index digest', async () => {
    const amd = await makeImage({ arch: 'amd64' });
    const arm = await makeImage({ arch: 'arm64', layers: 2 });
    const index = makeIndex([
      { image: amd, arch: 'amd64' },
      { image: arm, arch: 'arm64' },
    ]);
    const layout = path.join(work, 'multi');
    writeLayout(layout, [...imageBlobs(amd), ...imageBlobs(arm)], { '1.0': index });
    await skopeo(['copy', '--all', ...dest, `oci:${layout}:1.0`, `docker://${berth.host}/team/multi:1.0`]);

    const got = await get('/v2/team/multi/manifests/1.0', { accept: index.mediaType });
    assert.equal(got.headers.get('docker-content-digest'), index.digest);
    assert.equal(got.headers.get('content-type'), index.mediaType);
    assert.deepEqual(Buffer.from(await got.arrayBuffer()), index.bytes);

    const back = path.join(work, 'multi-back');
    await skopeo(['copy', '--all', ...src, `docker://${berth.host}/team/multi:1.0`, `oci:${back}:1.0`]);
    assert.equal(layoutRefs(back).get('1.0')?.digest, index.digest);
    assertLayoutHolds(back, [index, ...imageBlobs(amd), ...imageBlobs(arm)]);

    // Without --all a client picks its platform out of the index.
    const armOnly = path.join(work, 'multi-arm');
    await skopeo(['--override-arch', 'arm64', 'copy', ...src, `docker://${berth.host}/team/multi:1.0`, `oci:${armOnly}:arm`]);
    assert.equal(layoutRefs(armOnly).get('arm')?.digest, arm.manifest.digest);
    assertLayoutHolds(armOnly, imageBlobs(arm));
  });

  test('an artifact with a custom config media type (a Helm chart) goes in and out exactly', async () => {
    const chartBytes = (await makeImage({ files: { 'mychart/Chart.yaml': 'apiVersion: v2\nname: mychart\nversion: 0.1.0\n' } })).layers[0]!.bytes;
    const chart = blobOf(chartBytes, 'application/vnd.cncf.helm.chart.content.v1.tar+gzip');
    const config = blobOf(Buffer.from(JSON.stringify({ name: 'mychart', version: '0.1.0', apiVersion: 'v2' })), 'application/vnd.cncf.helm.config.v1+json');
    const manifest = blobOf(
      Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          config: descriptor(config),
          layers: [descriptor(chart)],
          annotations: { 'org.opencontainers.image.title': 'mychart' },
        }),
      ),
      'application/vnd.oci.image.manifest.v1+json',
    );
    const layout = path.join(work, 'helm');
    writeLayout(layout, [config, chart], { '0.1.0': manifest });
    await skopeo(['copy', ...dest, `oci:${layout}:0.1.0`, `docker://${berth.host}/charts/mychart:0.1.0`]);

    const got = await get('/v2/charts/mychart/manifests/0.1.0', { accept: manifest.mediaType });
    assert.equal(got.headers.get('docker-content-digest'), manifest.digest);
    assert.deepEqual(Buffer.from(await got.arrayBuffer()), manifest.bytes);
    const cfg = await get(`/v2/charts/mychart/blobs/${config.digest}`);
    assert.deepEqual(Buffer.from(await cfg.arrayBuffer()), config.bytes);

    const back = path.join(work, 'helm-back');
    await skopeo(['copy', ...src, `docker://${berth.host}/charts/mychart:0.1.0`, `oci:${back}:0.1.0`]);
    assert.equal(layoutRefs(back).get('0.1.0')?.digest, manifest.digest);
    assertLayoutHolds(back, [manifest, config, chart]);
  });

  test('referrers pushed with skopeo are listed by the referrers API, filterable by artifactType', async () => {
    const img = await makeImage();
    const layout = path.join(work, 'signed');
    const sigType = 'application/vnd.dev.cosign.artifact.sig.v1+json';
    const sbomType = 'application/spdx+json';
    const sig = makeArtifact({ artifactType: sigType, subject: img.manifest, payload: Buffer.from('{"critical":{}}'), annotations: { 'dev.example.kind': 'signature' } });
    const sbom = makeArtifact({ artifactType: sbomType, subject: img.manifest, payload: Buffer.from('{"spdxVersion":"SPDX-2.3"}'), payloadType: sbomType });
    const sigTag = `sha256-${img.manifest.digest.slice(7)}.sig`;
    writeLayout(layout, [...imageBlobs(img), ...sig.blobs, ...sbom.blobs], { v1: img.manifest, [sigTag]: sig.manifest, sbom: sbom.manifest });
    await skopeo(['copy', ...dest, `oci:${layout}:v1`, `docker://${berth.host}/team/signed:v1`]);

    const empty = await get(`/v2/team/signed/referrers/${img.manifest.digest}`);
    assert.equal(empty.status, 200);
    assert.deepEqual(((await empty.json()) as { manifests: unknown[] }).manifests, []);

    await skopeo(['copy', ...dest, `oci:${layout}:${sigTag}`, `docker://${berth.host}/team/signed:${sigTag}`]);
    await skopeo(['copy', ...dest, `oci:${layout}:sbom`, `docker://${berth.host}/team/signed:sbom`]);

    const r = await get(`/v2/team/signed/referrers/${img.manifest.digest}`);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'application/vnd.oci.image.index.v1+json');
    const all = (await r.json()) as { manifests: { digest: string; artifactType?: string; size: number; annotations?: Record<string, string> }[] };
    assert.deepEqual(all.manifests.map((m) => m.digest).sort(), [sig.manifest.digest, sbom.manifest.digest].sort());
    const sigEntry = all.manifests.find((m) => m.digest === sig.manifest.digest)!;
    assert.equal(sigEntry.artifactType, sigType);
    assert.equal(sigEntry.size, sig.manifest.size);
    assert.deepEqual(sigEntry.annotations, { 'dev.example.kind': 'signature' });

    const filtered = await get(`/v2/team/signed/referrers/${img.manifest.digest}?artifactType=${encodeURIComponent(sbomType)}`);
    assert.equal(filtered.headers.get('oci-filters-applied'), 'artifactType');
    assert.deepEqual(((await filtered.json()) as { manifests: { digest: string }[] }).manifests.map((m) => m.digest), [sbom.manifest.digest]);

    // The referrer itself comes back byte for byte.
    const back = path.join(work, 'signed-back');
    await skopeo(['copy', ...src, `docker://${berth.host}/team/signed:${sigTag}`, `oci:${back}:sig`]);
    assert.equal(layoutRefs(back).get('sig')?.digest, sig.manifest.digest);
    assertLayoutHolds(back, [sig.manifest, ...sig.blobs]);
    assert.equal(sha256(layoutBlob(back, sig.manifest.digest)), sig.manifest.digest);
  });
});
