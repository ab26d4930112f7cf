import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createTestRegistry, tempDir } from '../helpers/test-registry.js';
import { ApiSession } from '../helpers/api-client.js';
import { blobOf, descriptor, makeArtifact, makeImage, makeIndex, makeLayer, type Image } from '../helpers/oci-image.js';
import { pushBlob, pushImage, putManifest } from '../helpers/v2-client.js';
import { alpineInstalledDb, alpineOsRelease, alpineRecords, npmAndPypiRecords, npmLockfile, recordsZip } from '../helpers/osv-fixture.js';
import { securityOverviewSchema, scanSummariesSchema } from '../../registry/src/http/api/security.js';

/*
 * The security overview and the per-repository report summaries the GUI shows: coverage counted once per
 * digest over images and indexes (not their platforms, not referrers or other artifacts), findings summed over
 * scanned ones, worst artifacts and most widespread vulnerabilities, and the database status. Images carry a
 * real apk database and an npm lockfile; the OSV fixture is built from real advisories' structure.
 */

const alpine = () => makeImage({ files: { 'etc/os-release': alpineOsRelease, 'lib/apk/db/installed': alpineInstalledDb } });
const web = () => makeImage({ files: { 'app/package-lock.json': npmLockfile } });

async function brokenImage(): Promise<Image> {
  // A layer that claims gzip but is not: the scan fails with the decompressor's word for it.
  const good = await makeLayer({ 'etc/os-release': alpineOsRelease });
  const bad = blobOf(Buffer.from('this is not a gzip stream at all'), 'application/vnd.oci.image.layer.v1.tar+gzip');
  const config = blobOf(Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [good.diffId, bad.digest] } })), 'application/vnd.oci.image.config.v1+json');
  const manifest = blobOf(
    Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: descriptor(config), layers: [descriptor(good.blob), descriptor(bad)] })),
    'application/vnd.oci.image.manifest.v1+json',
  );
  return { manifest, config, layers: [good.blob, bad] };
}

const zero = { critical: 0, high: 0, medium: 0, low: 0, unknown: 0 };

test('security overview: coverage per digest, findings by severity, worst artifacts, widespread vulnerabilities, database status', async (t) => {
  const reg = await createTestRegistry();
  const work = tempDir('berth-security-');
  t.after(async () => {
    await reg.close();
    fs.rmSync(work, { recursive: true, force: true });
  });
  const core = reg.server.core;
  const s = await ApiSession.login(reg);

  // Nothing yet: an honest empty overview, no database.
  let r = await s.call('GET', '/security/overview');
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.ok(securityOverviewSchema.safeParse(r.body).success, JSON.stringify(securityOverviewSchema.safeParse(r.body).error?.issues));
  assert.deepEqual(r.body.artifacts, { total: 0, scanned: 0, failed: 0, notScanned: 0, vulnerable: 0 });
  assert.deepEqual(r.body.totals, zero);
  assert.deepEqual(r.body.database, { builtAt: null, records: 0, sources: [], stale: null, staleBlocks: false });

  fs.writeFileSync(path.join(work, 'alpine.zip'), recordsZip(alpineRecords()));
  fs.writeFileSync(path.join(work, 'npm.zip'), recordsZip(npmAndPypiRecords()));
  await core.scan.importer.importFile(path.join(work, 'alpine.zip'));
  await core.scan.importer.importFile(path.join(work, 'npm.zip'));

  const a = await alpine();
  await pushImage(reg, 'prod/alpine', '3.19', a);
  await pushImage(reg, 'prod/alpine', 'latest', a);
  await pushImage(reg, 'mirror/alpine', '3.19', a); // the same digest in a second repository counts once
  const w = await web();
  await pushImage(reg, 'prod/web', '1.0', w);
  // An index of two more images: its report aggregates both platforms; the platforms are not counted apart.
  const p1 = await alpine();
  const p2 = await web();
  await pushImage(reg, 'prod/multi', p1.manifest.digest, p1);
  await pushImage(reg, 'prod/multi', p2.manifest.digest, p2);
  const index = makeIndex([{ image: p1, arch: 'amd64' }, { image: p2, arch: 'arm64' }]);
  assert.equal((await putManifest(reg, 'prod/multi', '2', index)).status, 201);
  const unscanned = await makeImage();
  await pushImage(reg, 'prod/idle', '1', unscanned);
  const broken = await brokenImage();
  await pushImage(reg, 'prod/broken', '1', broken);
  // An SBOM referring to the web image and a standalone non-image artifact: no images, never counted.
  const sbom = makeArtifact({ artifactType: 'application/spdx+json', subject: w.manifest, payload: Buffer.from('{"spdxVersion":"SPDX-2.3"}') });
  for (const b of sbom.blobs) await pushBlob(reg, 'prod/web', b);
  assert.equal((await putManifest(reg, 'prod/web', sbom.manifest.digest, sbom.manifest)).status, 201);
  const other = makeArtifact({ artifactType: 'application/vnd.example.config+json', payload: Buffer.from('{}') });
  for (const b of other.blobs) await pushBlob(reg, 'prod/config', b);
  assert.equal((await putManifest(reg, 'prod/config', 'v1', other.manifest)).status, 201);

  // Scan now, as the GUI's button does; a broken layer fails with its reason.
  for (const ref of ['prod%2Falpine/artifacts/3.19', 'prod%2Fweb/artifacts/1.0', 'prod%2Fmulti/artifacts/2']) {
    r = await s.call('POST', `/repositories/${ref}/scan`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
  }
  r = await s.call('POST', '/repositories/prod%2Fbroken/artifacts/1/scan');
  assert.equal(r.status, 422, JSON.stringify(r.body));
  assert.equal(r.body.error.id, 'scan_failed');
  assert.match(r.body.error.message, /layer sha256:[0-9a-f]{64}/);
  r = await s.call('GET', '/repositories/prod%2Fbroken/artifacts/1/vulnerabilities');
  assert.equal(r.body.status, 'failed');
  assert.match(r.body.error, /layer sha256:[0-9a-f]{64}/);
  // A platform scanned on its own gets a report, but the overview still counts its index only.
  assert.equal((await s.call('POST', `/repositories/prod%2Fmulti/artifacts/${p1.manifest.digest}/scan`)).status, 200);

  r = await s.call('GET', '/security/overview?limit=5');
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const parsed = securityOverviewSchema.safeParse(r.body);
  assert.ok(parsed.success, JSON.stringify(parsed.error?.issues));
  const o = r.body;
  // alpine (prod + mirror, once), web, the multi index, the unscanned and the broken image.
  assert.deepEqual(o.artifacts, { total: 5, scanned: 3, failed: 1, notScanned: 1, vulnerable: 3 });
  // alpine: CVE-2024-5535 in libcrypto3 and libssl3 (critical 9.1); web: minimist (critical 9.8), lodash (high 7.2);
  // the index: both of its platforms' findings.
  assert.deepEqual(o.totals, { critical: 6, high: 2, medium: 0, low: 0, unknown: 0 });
  assert.deepEqual(
    o.mostVulnerable.map((m: { repository: string; digest: string; tags: string[]; otherRepositories: number; counts: unknown }) => [m.repository, m.digest, m.tags, m.otherRepositories, m.counts]),
    [
      ['prod/multi', index.digest, ['2'], 0, { ...zero, critical: 3, high: 1 }],
      ['mirror/alpine', a.manifest.digest, ['3.19'], 1, { ...zero, critical: 2 }],
      ['prod/web', w.manifest.digest, ['1.0'], 0, { ...zero, critical: 1, high: 1 }],
    ],
  );
  assert.ok(o.mostVulnerable.every((m: { scannedAt: number }) => m.scannedAt > Date.now() - 60_000));
  assert.deepEqual(
    o.topVulnerabilities.map((v: { id: string; severity: string; score: number | null; packages: string[]; fixed: string[]; artifacts: number }) => [v.id, v.severity, v.score, v.packages, v.fixed, v.artifacts]),
    [
      ['CVE-2021-44906', 'critical', 9.8, ['minimist'], ['1.2.6'], 2],
      ['CVE-2024-5535', 'critical', 9.1, ['libcrypto3', 'libssl3'], ['3.1.6-r0'], 2],
      ['CVE-2021-23337', 'high', 7.2, ['lodash'], ['4.17.21'], 2],
    ],
  );
  const minimist = o.topVulnerabilities[0];
  assert.deepEqual(minimist.aliases, ['GHSA-xvch-5gv4-984h']);
  assert.equal(minimist.summary, 'Prototype Pollution in minimist');
  assert.equal(o.database.builtAt, Date.parse('2024-07-01T00:00:00Z'));
  assert.equal(o.database.records, 7);
  assert.deepEqual(o.database.sources.map((x: { name: string; records: number; builtAt: number }) => [x.name, x.records, x.builtAt]), [
    ['Alpine', 3, Date.parse('2024-07-01T00:00:00Z')],
    ['PyPI,npm', 4, Date.parse('2024-03-01T00:00:00Z')],
  ]);
  assert.equal(o.database.stale, null);
  // The limit applies to both lists.
  r = await s.call('GET', '/security/overview?limit=1');
  assert.equal(r.body.mostVulnerable.length, 1);
  assert.equal(r.body.topVulnerabilities.length, 1);

  // The repository page's column: every scanned manifest of the repository, the platform too.
  r = await s.call('GET', '/repositories/prod%2Fmulti/scan-summaries');
  assert.equal(r.status, 200);
  assert.ok(scanSummariesSchema.safeParse(r.body).success);
  assert.deepEqual(
    r.body.items.map((i: { digest: string; status: string; counts: unknown }) => [i.digest, i.status, i.counts]).sort(),
    [
      [index.digest, 'ok', { ...zero, critical: 3, high: 1 }],
      [p1.manifest.digest, 'ok', { ...zero, critical: 2 }],
    ].sort(),
  );
  // One manifest by digest: the artifact page asks this way, so an unscanned one is an empty list, not a 404.
  r = await s.call('GET', `/repositories/prod%2Fmulti/scan-summaries?digest=${index.digest}`);
  assert.deepEqual(r.body.items.map((i: { digest: string }) => i.digest), [index.digest]);
  r = await s.call('GET', `/repositories/prod%2Fmulti/scan-summaries?digest=${p2.manifest.digest}`);
  assert.deepEqual(r.body, { items: [] });
  r = await s.call('GET', '/repositories/prod%2Fmulti/scan-summaries?digest=sha256:nothex');
  assert.equal(r.status, 400);
  assert.equal(r.body.error.field, 'digest');
  r = await s.call('GET', '/repositories/prod%2Fbroken/scan-summaries');
  assert.equal(r.body.items.length, 1);
  assert.equal(r.body.items[0].status, 'failed');
  assert.match(r.body.items[0].error, /layer sha256:/);
  assert.deepEqual((await s.call('GET', '/repositories/prod%2Fidle/scan-summaries')).body, { items: [] });
  r = await s.call('GET', '/repositories/prod%2Fnothing/scan-summaries');
  assert.equal(r.status, 404);
  assert.equal(r.body.error.id, 'repository_not_found');

  // Deleting an artifact takes it out of the overview.
  assert.equal((await s.call('DELETE', `/repositories/prod%2Fweb/manifests/${w.manifest.digest}`)).status, 204);
  r = await s.call('GET', '/security/overview');
  assert.deepEqual(r.body.artifacts, { total: 4, scanned: 2, failed: 1, notScanned: 1, vulnerable: 2 });
  assert.deepEqual(r.body.totals, { ...zero, critical: 5, high: 1 });

  // Validation and access: a bad limit is named; anyone signed in may read; anonymous callers may not.
  r = await s.call('GET', '/security/overview?limit=0');
  assert.equal(r.status, 400);
  assert.equal(r.body.error.field, 'limit');
  assert.equal((await reg.fetch('/api/v1/security/overview', { auth: false })).status, 401);
  assert.equal((await s.call('POST', '/users', { username: 'viewer', password: 'viewer-password', role: 'guest' })).status, 201);
  const guest = await ApiSession.login(reg, 'viewer', 'viewer-password');
  assert.equal((await guest.call('GET', '/security/overview')).status, 200);
  assert.equal((await guest.call('GET', '/repositories/prod%2Fmulti/scan-summaries')).status, 200);
  assert.equal((await guest.call('POST', '/repositories/prod%2Fidle/artifacts/1/scan')).status, 403);

  // Documented in the OpenAPI document with their schemas.
  const doc = (await (await reg.fetch('/api/v1/openapi.json', { auth: false })).json()) as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
  assert.ok(doc.paths['/security/overview']?.get?.responses['200']);
  assert.ok(doc.paths['/repositories/{name}/scan-summaries']?.get);
});

test('security overview: a database older than scan.dbMaxAgeDays is reported stale, and whether that blocks', async (t) => {
  const reg = await createTestRegistry({ scan: { maxExpansionRatio: 200, onPushProjects: [], dbPollSeconds: 60, dbMaxAgeDays: 30, dbStale: 'block' } });
  const work = tempDir('berth-security-');
  t.after(async () => {
    await reg.close();
    fs.rmSync(work, { recursive: true, force: true });
  });
  const s = await ApiSession.login(reg);
  let r = await s.call('GET', '/security/overview');
  assert.equal(r.body.database.stale, 'no vulnerability database has been imported');
  assert.equal(r.body.database.staleBlocks, true);
  fs.writeFileSync(path.join(work, 'alpine.zip'), recordsZip(alpineRecords()));
  await reg.server.core.scan.importer.importFile(path.join(work, 'alpine.zip'));
  r = await s.call('GET', '/security/overview');
  assert.match(r.body.database.stale, /^the vulnerability database was built 2024-07-01, \d+ days ago \(the limit is 30\)$/);
});
