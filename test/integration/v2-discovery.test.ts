import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createTestRegistry, type TestRegistry } from '../helpers/test-registry.js';
import { makeImage, makeArtifact, blobOf, descriptor, type Image, type Blob } from '../helpers/oci-image.js';
import { pushImage, pushBlob, putManifest, expectError } from '../helpers/v2-client.js';

let reg: TestRegistry;
let img: Image;
const tags = ['a', 'b', 'c', 'd', 'e', 'v1.0', 'v1.1'];
const repos = ['disc/app', 'disc/one', 'disc/three', 'disc/two'];
let sbom: Blob;
let sig: Blob;
let indexReferrer: Blob;

before(async () => {
  reg = await createTestRegistry();
  img = await makeImage();
  for (const t of tags) await pushImage(reg, 'disc/app', t, img);
  for (const r of repos.slice(1)) await pushImage(reg, r, 'latest', img);
  // a repository with only blobs (no manifest) is not listed
  await pushBlob(reg, 'disc/blobs-only', img.config);

  const s = makeArtifact({ artifactType: 'application/vnd.example.sbom', subject: img.manifest, payload: Buffer.from('sbom'), annotations: { 'org.example.k': 'v' } });
  const g = makeArtifact({ artifactType: 'application/vnd.example.sig', subject: img.manifest, payload: Buffer.from('sig') });
  for (const b of [...s.blobs, ...g.blobs]) await pushBlob(reg, 'disc/app', b);
  sbom = s.manifest;
  sig = g.manifest;
  assert.equal((await putManifest(reg, 'disc/app', sbom.digest, sbom)).status, 201);
  assert.equal((await putManifest(reg, 'disc/app', sig.digest, sig)).status, 201);
  // an index can refer to a subject, too
  indexReferrer = blobOf(
    Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', artifactType: 'application/vnd.example.bundle', manifests: [], subject: descriptor(img.manifest) })),
    'application/vnd.oci.image.index.v1+json',
  );
  assert.equal((await putManifest(reg, 'disc/app', indexReferrer.digest, indexReferrer)).status, 201);
});
after(() => reg.close());

const linkPath = (r: Response): string | undefined => {
  const link = r.headers.get('link');
  if (!link) return undefined;
  const m = /^<([^>]+)>;\s*rel="next"$/.exec(link);
  assert.ok(m, `Link header ${link}`);
  const u = new URL(m[1]!, reg.url);
  return u.pathname + u.search;
};

test('tags/list lists every tag in lexical order', async () => {
  const r = await reg.fetch('/v2/disc/app/tags/list');
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type') ?? '', /application\/json/);
  assert.deepEqual(await r.json(), { name: 'disc/app', tags });
  assert.equal(r.headers.get('link'), null);
});

test('tags/list pages with n and last, following the Link header to the end', async () => {
  const seen: string[] = [];
  let next: string | undefined = '/v2/disc/app/tags/list?n=3';
  let pages = 0;
  while (next) {
    const r = await reg.fetch(next);
    assert.equal(r.status, 200);
    const body = (await r.json()) as { tags: string[] };
    assert.ok(body.tags.length <= 3);
    seen.push(...body.tags);
    next = linkPath(r);
    pages++;
  }
  assert.deepEqual(seen, tags);
  assert.equal(pages, 3);

  const afterB = (await (await reg.fetch('/v2/disc/app/tags/list?n=2&last=b')).json()) as { tags: string[] };
  assert.deepEqual(afterB.tags, ['c', 'd']);
  const lastOnly = (await (await reg.fetch('/v2/disc/app/tags/list?last=v1.0')).json()) as { tags: string[] };
  assert.deepEqual(lastOnly.tags, ['v1.1']);
  const exact = await reg.fetch(`/v2/disc/app/tags/list?n=${tags.length}`);
  assert.deepEqual(((await exact.json()) as { tags: string[] }).tags, tags);
  assert.equal(exact.headers.get('link'), null, 'no Link when nothing follows');
});

test('tags/list of an unknown repository is NAME_UNKNOWN; a bad n is PAGINATION_NUMBER_INVALID', async () => {
  await expectError(await reg.fetch('/v2/disc/none/tags/list'), 404, 'NAME_UNKNOWN');
  await expectError(await reg.fetch('/v2/disc/app/tags/list?n=-1'), 400, 'PAGINATION_NUMBER_INVALID');
  await expectError(await reg.fetch('/v2/disc/app/tags/list?n=abc'), 400, 'PAGINATION_NUMBER_INVALID');
});

test('_catalog lists repositories with manifests, paged with Link', async () => {
  const all = (await (await reg.fetch('/v2/_catalog')).json()) as { repositories: string[] };
  assert.deepEqual(all.repositories, repos);
  const seen: string[] = [];
  let next: string | undefined = '/v2/_catalog?n=1';
  while (next) {
    const r = await reg.fetch(next);
    assert.equal(r.status, 200);
    const body = (await r.json()) as { repositories: string[] };
    assert.equal(body.repositories.length, 1);
    seen.push(...body.repositories);
    next = linkPath(r);
  }
  assert.deepEqual(seen, repos);
  const after2 = (await (await reg.fetch('/v2/_catalog?n=2&last=disc/one')).json()) as { repositories: string[] };
  assert.deepEqual(after2.repositories, ['disc/three', 'disc/two']);
});

test('referrers lists every manifest whose subject is the digest, with artifactType and annotations', async () => {
  const r = await reg.fetch(`/v2/disc/app/referrers/${img.manifest.digest}`);
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-type'), 'application/vnd.oci.image.index.v1+json');
  assert.equal(r.headers.get('oci-filters-applied'), null);
  const index = (await r.json()) as { schemaVersion: number; mediaType: string; manifests: Record<string, unknown>[] };
  assert.equal(index.schemaVersion, 2);
  assert.equal(index.mediaType, 'application/vnd.oci.image.index.v1+json');
  const byDigest = new Map(index.manifests.map((m) => [m.digest, m]));
  assert.equal(byDigest.size, 3);
  assert.deepEqual(byDigest.get(sbom.digest), {
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    digest: sbom.digest,
    size: sbom.size,
    artifactType: 'application/vnd.example.sbom',
    annotations: { 'org.example.k': 'v' },
  });
  assert.equal(byDigest.get(sig.digest)?.artifactType, 'application/vnd.example.sig');
  assert.equal(byDigest.get(indexReferrer.digest)?.mediaType, 'application/vnd.oci.image.index.v1+json');
  assert.equal(byDigest.get(indexReferrer.digest)?.artifactType, 'application/vnd.example.bundle');
});

test('referrers filtered by artifactType say so in OCI-Filters-Applied', async () => {
  const r = await reg.fetch(`/v2/disc/app/referrers/${img.manifest.digest}?artifactType=${encodeURIComponent('application/vnd.example.sig')}`);
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('oci-filters-applied'), 'artifactType');
  const index = (await r.json()) as { manifests: { digest: string }[] };
  assert.deepEqual(index.manifests.map((m) => m.digest), [sig.digest]);
  const none = await reg.fetch(`/v2/disc/app/referrers/${img.manifest.digest}?artifactType=application/vnd.example.none`);
  assert.deepEqual(((await none.json()) as { manifests: unknown[] }).manifests, []);
});

test('referrers of a digest nobody refers to is an empty index, not a 404', async () => {
  for (const path of [`/v2/disc/app/referrers/${img.config.digest}`, `/v2/disc/app/referrers/sha256:${'9'.repeat(64)}`, `/v2/disc/unknown/referrers/${img.manifest.digest}`]) {
    const r = await reg.fetch(path);
    assert.equal(r.status, 200, path);
    assert.equal(r.headers.get('content-type'), 'application/vnd.oci.image.index.v1+json');
    assert.deepEqual(await r.json(), { schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [] });
  }
  await expectError(await reg.fetch('/v2/disc/app/referrers/latest'), 400, 'DIGEST_INVALID');
});
