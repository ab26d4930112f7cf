import { test } from 'node:test';
import { isDomainError } from '../../../registry/src/errors.js';
import assert from 'node:assert/strict';
import { MediaTypes, MAX_MANIFEST_BYTES, parseManifest, digestOf } from '../../../registry/src/oci/index.js';

const d = (s: string, alg: 'sha256' | 'sha512' = 'sha256'): string => digestOf(s, alg);
const config = { mediaType: MediaTypes.ociConfig, digest: d('config'), size: 6 };
const layer = { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: d('layer'), size: 5 };
const ociManifest = { schemaVersion: 2, mediaType: MediaTypes.ociManifest, config, layers: [layer] };

const bytes = (o: unknown): Buffer => Buffer.from(typeof o === 'string' ? o : JSON.stringify(o));

function rejects(body: unknown, contentType: string | undefined, expected = 'MANIFEST_INVALID', pattern?: RegExp): void {
  assert.throws(
    () => parseManifest(bytes(body), contentType),
    (e: unknown) => {
      assert.ok(isDomainError(e), String(e));
      assert.equal(e.code, expected, e.message);
      if (pattern) assert.match(e.message, pattern);
      return true;
    },
  );
}

test('an OCI image manifest yields its config and layers as referenced blobs', () => {
  const m = parseManifest(bytes(ociManifest), MediaTypes.ociManifest);
  assert.equal(m.mediaType, MediaTypes.ociManifest);
  assert.deepEqual(m.blobs.map((b) => b.digest), [config.digest, layer.digest]);
  assert.deepEqual(m.manifests, []);
  assert.equal(m.artifactType, MediaTypes.ociConfig, 'referrers report the config media type when artifactType is absent');
  assert.equal(m.subject, undefined);
});

test('Content-Type parameters and case do not matter', () => {
  const m = parseManifest(bytes(ociManifest), `${MediaTypes.ociManifest.toUpperCase()}; charset=utf-8`);
  assert.equal(m.mediaType, MediaTypes.ociManifest);
});

test('an OCI index yields its child manifests and no blobs', () => {
  const index = {
    schemaVersion: 2,
    mediaType: MediaTypes.ociIndex,
    manifests: [
      { mediaType: MediaTypes.ociManifest, digest: d('amd64'), size: 10, platform: { architecture: 'amd64', os: 'linux' } },
      { mediaType: MediaTypes.ociManifest, digest: d('arm64', 'sha512'), size: 11, platform: { architecture: 'arm64', os: 'linux', variant: 'v8' } },
    ],
  };
  const m = parseManifest(bytes(index), MediaTypes.ociIndex);
  assert.equal(m.mediaType, MediaTypes.ociIndex);
  assert.deepEqual(m.blobs, []);
  assert.deepEqual(m.manifests.map((x) => x.digest), [d('amd64'), d('arm64', 'sha512')]);
  assert.equal(m.config, undefined);
});

test('Docker schema 2 manifests and manifest lists are accepted with their own media types', () => {
  const docker = {
    schemaVersion: 2,
    mediaType: MediaTypes.dockerManifest,
    config: { mediaType: MediaTypes.dockerConfig, digest: d('c'), size: 1 },
    layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', digest: d('l'), size: 1 }],
  };
  const m = parseManifest(bytes(docker), MediaTypes.dockerManifest);
  assert.equal(m.mediaType, MediaTypes.dockerManifest);
  assert.equal(m.blobs.length, 2);

  const list = {
    schemaVersion: 2,
    mediaType: MediaTypes.dockerManifestList,
    manifests: [{ mediaType: MediaTypes.dockerManifest, digest: d('x'), size: 3, platform: { architecture: 'amd64', os: 'linux' } }],
  };
  const l = parseManifest(bytes(list), MediaTypes.dockerManifestList);
  assert.equal(l.mediaType, MediaTypes.dockerManifestList);
  assert.equal(l.manifests.length, 1);
});

test('foreign (non-distributable) Docker layers stay in the parsed blobs for the service to skip', () => {
  const docker = {
    schemaVersion: 2,
    mediaType: MediaTypes.dockerManifest,
    config: { mediaType: MediaTypes.dockerConfig, digest: d('c'), size: 1 },
    layers: [{ mediaType: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip', digest: d('w'), size: 9, urls: ['https://example.invalid/l'] }],
  };
  assert.equal(parseManifest(bytes(docker), MediaTypes.dockerManifest).blobs[1]!.urls?.[0], 'https://example.invalid/l');
});

test('artifacts: artifactType and subject are reported, on manifests and indexes', () => {
  const subject = { mediaType: MediaTypes.ociManifest, digest: d('subject'), size: 100 };
  const artifact = {
    schemaVersion: 2,
    mediaType: MediaTypes.ociManifest,
    artifactType: 'application/vnd.example.sbom+json',
    config: { mediaType: MediaTypes.ociEmpty, digest: d('{}'), size: 2 },
    layers: [layer],
    subject,
    annotations: { 'org.example.kind': 'sbom' },
  };
  const m = parseManifest(bytes(artifact), MediaTypes.ociManifest);
  assert.equal(m.artifactType, 'application/vnd.example.sbom+json');
  assert.equal(m.subject?.digest, subject.digest);
  assert.deepEqual(m.annotations, { 'org.example.kind': 'sbom' });

  const index = { schemaVersion: 2, mediaType: MediaTypes.ociIndex, artifactType: 'application/vnd.example.bundle', manifests: [], subject };
  const i = parseManifest(bytes(index), MediaTypes.ociIndex);
  assert.equal(i.artifactType, 'application/vnd.example.bundle');
  assert.equal(i.subject?.digest, subject.digest);
});

test('without an embedded mediaType the Content-Type decides, else the shape does', () => {
  const { mediaType: _m, ...bare } = ociManifest;
  assert.equal(parseManifest(bytes(bare), MediaTypes.ociManifest).mediaType, MediaTypes.ociManifest);
  assert.equal(parseManifest(bytes(bare), undefined).mediaType, MediaTypes.ociManifest);
  assert.equal(parseManifest(bytes({ schemaVersion: 2, manifests: [] }), undefined).mediaType, MediaTypes.ociIndex);
});

test('an embedded mediaType that contradicts the Content-Type is refused', () => {
  rejects(ociManifest, MediaTypes.ociIndex, 'MANIFEST_INVALID', /does not match/);
  rejects(ociManifest, MediaTypes.dockerManifest, 'MANIFEST_INVALID', /does not match/);
  rejects({ ...ociManifest, mediaType: MediaTypes.dockerManifestList }, MediaTypes.dockerManifest, 'MANIFEST_INVALID', /does not match/);
});

test('a body that does not fit its declared type is refused', () => {
  // an index body sent as an image manifest
  rejects({ schemaVersion: 2, manifests: [] }, MediaTypes.ociManifest);
  // an image manifest body sent as an index
  const { mediaType: _m, ...bare } = ociManifest;
  rejects(bare, MediaTypes.ociIndex);
  // embedded mediaType that is not a manifest type
  rejects({ ...ociManifest, mediaType: 'application/vnd.oci.image.config.v1+json' }, undefined, 'MANIFEST_INVALID', /unsupported/);
  rejects({ ...ociManifest, mediaType: 42 }, MediaTypes.ociManifest);
});

test('Docker schema 1 is refused whichever way it is announced', () => {
  const schema1 = { schemaVersion: 1, name: 'x', tag: 'latest', architecture: 'amd64', fsLayers: [], history: [] };
  rejects(schema1, undefined, 'MANIFEST_INVALID', /schema 1/);
  rejects(schema1, MediaTypes.dockerSchema1Signed, 'MANIFEST_INVALID', /schema 1/);
  rejects(ociManifest, MediaTypes.dockerSchema1, 'MANIFEST_INVALID', /schema 1/);
});

test('malformed JSON, non-objects and wrong schema versions are MANIFEST_INVALID', () => {
  rejects('', MediaTypes.ociManifest, 'MANIFEST_INVALID', /JSON/);
  rejects('{"schemaVersion":2,', MediaTypes.ociManifest, 'MANIFEST_INVALID', /JSON/);
  rejects('[]', MediaTypes.ociManifest, 'MANIFEST_INVALID', /object/);
  rejects('null', MediaTypes.ociManifest, 'MANIFEST_INVALID', /object/);
  rejects('"manifest"', MediaTypes.ociManifest);
  rejects({ ...ociManifest, schemaVersion: 3 }, MediaTypes.ociManifest);
  rejects({ ...ociManifest, schemaVersion: '2' }, MediaTypes.ociManifest);
  const { schemaVersion: _s, ...noVersion } = ociManifest;
  rejects(noVersion, MediaTypes.ociManifest);
});

test('bad descriptors are refused with a detail naming the field', () => {
  const cases: [string, unknown][] = [
    ['config.digest', { ...config, digest: 'sha256:short' }],
    ['config.digest', { ...config, digest: `md5:${'a'.repeat(32)}` }],
    ['config.size', { ...config, size: -1 }],
    ['config.size', { ...config, size: 1.5 }],
    ['config.size', { ...config, size: '6' }],
    ['config.size', { ...config, size: 2 ** 60 }],
    ['config.mediaType', { ...config, mediaType: 'not a media type' }],
    ['config.mediaType', { digest: config.digest, size: 6 }],
    ['config', undefined],
  ];
  for (const [pathName, cfg] of cases) {
    try {
      parseManifest(bytes({ ...ociManifest, config: cfg }), MediaTypes.ociManifest);
      assert.fail(`accepted config ${JSON.stringify(cfg)}`);
    } catch (e) {
      assert.ok(isDomainError(e));
      assert.equal(e.code, 'MANIFEST_INVALID');
      assert.match(e.message, new RegExp(pathName.replace('.', '\\.')));
      const issues = (e.detail as { issues: { path: string }[] }).issues;
      assert.ok(issues.some((i) => i.path.startsWith(pathName)), JSON.stringify(issues));
    }
  }
  rejects({ ...ociManifest, layers: 'x' }, MediaTypes.ociManifest, 'MANIFEST_INVALID', /layers/);
  rejects({ ...ociManifest, layers: [{ ...layer, digest: '../../etc/passwd' }] }, MediaTypes.ociManifest, 'MANIFEST_INVALID', /layers\.0\.digest/);
  rejects({ ...ociManifest, subject: { digest: d('s') } }, MediaTypes.ociManifest, 'MANIFEST_INVALID', /subject/);
  rejects({ ...ociManifest, annotations: { a: 1 } }, MediaTypes.ociManifest, 'MANIFEST_INVALID', /annotations/);
  rejects({ ...ociManifest, artifactType: 'nope' }, MediaTypes.ociManifest, 'MANIFEST_INVALID', /artifactType/);
  rejects(
    { schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: [{ mediaType: MediaTypes.ociManifest, digest: 'sha256:x', size: 1 }] },
    MediaTypes.ociIndex,
    'MANIFEST_INVALID',
    /manifests\.0\.digest/,
  );
});

test('4 MiB is accepted, one byte more is MANIFEST_TOO_LARGE', () => {
  const base = JSON.stringify({ ...ociManifest, annotations: { pad: '' } });
  const exact = base.replace('"pad":""', `"pad":"${'x'.repeat(MAX_MANIFEST_BYTES - base.length)}"`);
  assert.equal(Buffer.byteLength(exact), MAX_MANIFEST_BYTES);
  assert.equal(parseManifest(Buffer.from(exact), MediaTypes.ociManifest).mediaType, MediaTypes.ociManifest);
  const over = exact.replace('"pad":"', '"pad":"x');
  rejects(over, MediaTypes.ociManifest, 'MANIFEST_TOO_LARGE');
});
