import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createTestRegistry, type TestRegistry } from '../helpers/test-registry.js';
import { makeImage, makeIndex, makeArtifact, blobOf, descriptor, emptyConfig, type Image } from '../helpers/oci-image.js';
import { pushImage, pushBlob, putManifest, expectError } from '../helpers/v2-client.js';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const MiB4 = 4 * 1024 * 1024;

let reg: TestRegistry;
let img: Image;

before(async () => {
  reg = await createTestRegistry();
  img = await makeImage();
  await pushImage(reg, 'man/app', 'v1', img);
});
after(() => reg.close());

const manifestOf = (o: unknown, mediaType = OCI_MANIFEST) => blobOf(Buffer.from(JSON.stringify(o)), mediaType);

async function tagMissing(repo: string, tag: string): Promise<void> {
  const r = await reg.fetch(`/v2/${repo}/manifests/${tag}`, { method: 'HEAD' });
  assert.equal(r.status, 404, `${repo}:${tag} should not exist`);
}

test('a manifest whose layer is missing is MANIFEST_BLOB_UNKNOWN and is not stored', async () => {
  const other = await makeImage();
  await pushBlob(reg, 'man/app', other.config);
  const env = await expectError(await putManifest(reg, 'man/app', 'broken', other.manifest), 400, 'MANIFEST_BLOB_UNKNOWN');
  assert.match(JSON.stringify(env.errors[0]!.detail), new RegExp(other.layers[0]!.digest));
  await tagMissing('man/app', 'broken');
  await tagMissing('man/app', other.manifest.digest);
});

test('a manifest whose config is missing is MANIFEST_BLOB_UNKNOWN', async () => {
  const other = await makeImage();
  await pushBlob(reg, 'man/app', other.layers[0]!);
  await expectError(await putManifest(reg, 'man/app', 'noconfig', other.manifest), 400, 'MANIFEST_BLOB_UNKNOWN');
});

test('blobs in another repository do not count', async () => {
  const other = await makeImage();
  await pushImage(reg, 'man/elsewhere', 'v1', other);
  await expectError(await putManifest(reg, 'man/app', 'foreign', other.manifest), 400, 'MANIFEST_BLOB_UNKNOWN');
});

test('an index whose child manifest is missing is MANIFEST_BLOB_UNKNOWN', async () => {
  const missing = await makeImage({ arch: 'arm64' });
  const idx = makeIndex([{ image: img, arch: 'amd64' }, { image: missing, arch: 'arm64' }]);
  const env = await expectError(await putManifest(reg, 'man/app', 'multi', idx), 400, 'MANIFEST_BLOB_UNKNOWN');
  assert.match(JSON.stringify(env.errors[0]!.detail), new RegExp(missing.manifest.digest));
  await tagMissing('man/app', 'multi');
  // with the child pushed, the same index is accepted
  await pushImage(reg, 'man/app', 'arm', missing);
  assert.equal((await putManifest(reg, 'man/app', 'multi', idx)).status, 201);
});

test('invalid manifests are MANIFEST_INVALID and are not stored', async () => {
  const cases: { name: string; body: Buffer | string; type: string }[] = [
    { name: 'not JSON', body: '{"schemaVersion": 2,', type: OCI_MANIFEST },
    { name: 'empty', body: '', type: OCI_MANIFEST },
    { name: 'array', body: '[]', type: OCI_MANIFEST },
    { name: 'schema 1', body: JSON.stringify({ schemaVersion: 1, name: 'man/app', tag: 'x', fsLayers: [], history: [] }), type: 'application/vnd.docker.distribution.manifest.v1+prettyjws' },
    { name: 'type mismatch', body: img.manifest.bytes, type: OCI_INDEX },
    { name: 'no config', body: JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, layers: [] }), type: OCI_MANIFEST },
    {
      name: 'bad layer digest',
      body: JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: descriptor(img.config), layers: [{ mediaType: 'a/b', digest: 'sha256:1234', size: 1 }] }),
      type: OCI_MANIFEST,
    },
    {
      name: 'negative size',
      body: JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: { ...descriptor(img.config), size: -1 }, layers: [] }),
      type: OCI_MANIFEST,
    },
  ];
  for (const c of cases) {
    const r = await reg.fetch('/v2/man/app/manifests/invalid', { method: 'PUT', body: c.body, headers: { 'content-type': c.type } });
    await expectError(r, 400, 'MANIFEST_INVALID');
  }
  await tagMissing('man/app', 'invalid');
});

test('an invalid tag in the URL is refused before anything is stored', async () => {
  const r = await putManifest(reg, 'man/app', '-leading-dash', img.manifest);
  assert.equal(r.status, 400);
  const body = (await r.json()) as { errors: { code: string }[] };
  assert.ok(['TAG_INVALID', 'MANIFEST_INVALID'].includes(body.errors[0]!.code), body.errors[0]!.code);
});

test('4 MiB manifests are accepted; larger ones are refused with 413', async () => {
  const base = { schemaVersion: 2, mediaType: OCI_MANIFEST, config: descriptor(img.config), layers: img.layers.map((l) => descriptor(l)), annotations: { pad: '' } };
  const len = Buffer.byteLength(JSON.stringify(base));
  const exact = manifestOf({ ...base, annotations: { pad: 'x'.repeat(MiB4 - len) } });
  assert.equal(exact.size, MiB4);
  const ok = await putManifest(reg, 'man/app', 'big', exact);
  assert.equal(ok.status, 201, await ok.text());
  const back = await reg.fetch('/v2/man/app/manifests/big');
  assert.equal(back.headers.get('docker-content-digest'), exact.digest);
  assert.deepEqual(Buffer.from(await back.arrayBuffer()), exact.bytes);

  const over = manifestOf({ ...base, annotations: { pad: 'x'.repeat(MiB4 - len + 1) } });
  await expectError(await putManifest(reg, 'man/app', 'toobig', over), 413, 'MANIFEST_TOO_LARGE');
  await tagMissing('man/app', 'toobig');
});

test('push by digest stores the manifest without a tag; a digest that does not match is DIGEST_INVALID', async () => {
  const other = await makeImage();
  for (const b of [other.config, ...other.layers]) await pushBlob(reg, 'man/bydigest', b);
  const r = await putManifest(reg, 'man/bydigest', other.manifest.digest, other.manifest);
  assert.equal(r.status, 201);
  assert.equal(r.headers.get('docker-content-digest'), other.manifest.digest);
  assert.equal(new URL(r.headers.get('location')!, reg.url).pathname, `/v2/man/bydigest/manifests/${other.manifest.digest}`);
  const tags = (await (await reg.fetch('/v2/man/bydigest/tags/list')).json()) as { tags: string[] };
  assert.deepEqual(tags.tags, []);
  assert.equal((await reg.fetch(`/v2/man/bydigest/manifests/${other.manifest.digest}`)).status, 200);

  const wrong = img.manifest.digest;
  await expectError(await putManifest(reg, 'man/bydigest', wrong, other.manifest), 400, 'DIGEST_INVALID');
  await tagMissing('man/bydigest', wrong);
});

test('re-pushing a tag moves it to the new manifest', async () => {
  const a = await makeImage();
  const b = await makeImage();
  await pushImage(reg, 'man/move', 'latest', a);
  await pushImage(reg, 'man/move', 'latest', b);
  const r = await reg.fetch('/v2/man/move/manifests/latest', { method: 'HEAD' });
  assert.equal(r.headers.get('docker-content-digest'), b.manifest.digest);
  assert.equal((await reg.fetch(`/v2/man/move/manifests/${a.manifest.digest}`, { method: 'HEAD' })).status, 200, 'the old manifest stays by digest');
});

test('a manifest with a subject answers OCI-Subject, even when the subject is not (yet) there', async () => {
  const art = makeArtifact({ artifactType: 'application/vnd.example.sig', subject: img.manifest, payload: Buffer.from('signature') });
  for (const b of art.blobs) await pushBlob(reg, 'man/app', b);
  const r = await putManifest(reg, 'man/app', art.manifest.digest, art.manifest);
  assert.equal(r.status, 201, await r.text());
  assert.equal(r.headers.get('oci-subject'), img.manifest.digest);

  const dangling = makeArtifact({ artifactType: 'application/vnd.example.sig', subject: blobOf(Buffer.from('not pushed'), OCI_MANIFEST), payload: Buffer.from('s2') });
  for (const b of dangling.blobs) await pushBlob(reg, 'man/app', b);
  const d = await putManifest(reg, 'man/app', dangling.manifest.digest, dangling.manifest);
  assert.equal(d.status, 201);
  assert.equal(d.headers.get('oci-subject'), blobOf(Buffer.from('not pushed'), OCI_MANIFEST).digest);

  // a manifest without subject has no OCI-Subject header
  const plain = await putManifest(reg, 'man/app', 'plain', img.manifest);
  assert.equal(plain.headers.get('oci-subject'), null);
});

test('an artifact with the empty config and a custom artifactType round-trips', async () => {
  const art = makeArtifact({ artifactType: 'application/vnd.example.thing', payload: Buffer.from('payload') });
  for (const b of art.blobs) await pushBlob(reg, 'man/artifact', b);
  assert.equal((await putManifest(reg, 'man/artifact', 'v1', art.manifest)).status, 201);
  const r = await reg.fetch('/v2/man/artifact/manifests/v1');
  assert.deepEqual(Buffer.from(await r.arrayBuffer()), art.manifest.bytes);
  const c = await reg.fetch(`/v2/man/artifact/blobs/${emptyConfig.digest}`);
  assert.equal(await c.text(), '{}');
});

test('a manifest pushed by its sha512 digest is served under that digest', async () => {
  const { createHash } = await import('node:crypto');
  const other = await makeImage();
  for (const b of [other.config, ...other.layers]) await pushBlob(reg, 'man/sha512', b);
  const d512 = `sha512:${createHash('sha512').update(other.manifest.bytes).digest('hex')}`;
  const r = await putManifest(reg, 'man/sha512', d512, other.manifest);
  assert.equal(r.status, 201, await r.text());
  assert.equal(r.headers.get('docker-content-digest'), d512);
  const g = await reg.fetch(`/v2/man/sha512/manifests/${d512}`);
  assert.equal(g.status, 200);
  assert.equal(g.headers.get('docker-content-digest'), d512);
  assert.deepEqual(Buffer.from(await g.arrayBuffer()), other.manifest.bytes);
});

test('a Docker manifest list over Docker manifests: children must exist, then it round-trips', async () => {
  const DOCKER = 'application/vnd.docker.distribution.manifest.v2+json';
  const LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
  const children = [];
  for (const arch of ['amd64', 'arm64']) {
    const i = await makeImage({ arch });
    for (const b of [i.config, ...i.layers]) await pushBlob(reg, 'man/dockerlist', b);
    children.push({
      arch,
      manifest: manifestOf(
        {
          schemaVersion: 2,
          mediaType: DOCKER,
          config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: i.config.digest, size: i.config.size },
          layers: i.layers.map((l) => ({ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', digest: l.digest, size: l.size })),
        },
        DOCKER,
      ),
    });
  }
  const list = manifestOf(
    { schemaVersion: 2, mediaType: LIST, manifests: children.map((c) => ({ mediaType: DOCKER, digest: c.manifest.digest, size: c.manifest.size, platform: { architecture: c.arch, os: 'linux' } })) },
    LIST,
  );
  assert.equal((await putManifest(reg, 'man/dockerlist', children[0]!.manifest.digest, children[0]!.manifest)).status, 201);
  await expectError(await putManifest(reg, 'man/dockerlist', 'latest', list), 400, 'MANIFEST_BLOB_UNKNOWN');
  assert.equal((await putManifest(reg, 'man/dockerlist', children[1]!.manifest.digest, children[1]!.manifest)).status, 201);
  assert.equal((await putManifest(reg, 'man/dockerlist', 'latest', list)).status, 201);
  const r = await reg.fetch('/v2/man/dockerlist/manifests/latest', { headers: { accept: `${LIST}, ${DOCKER}` } });
  assert.equal(r.headers.get('content-type'), LIST);
  assert.equal(r.headers.get('docker-content-digest'), list.digest);
  assert.deepEqual(Buffer.from(await r.arrayBuffer()), list.bytes);
  const c = await reg.fetch(`/v2/man/dockerlist/manifests/${children[1]!.manifest.digest}`, { method: 'HEAD' });
  assert.equal(c.headers.get('content-type'), DOCKER);
});
