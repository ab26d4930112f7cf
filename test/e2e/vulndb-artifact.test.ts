import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createTestRegistry, tempDir, basic, ADMIN_PASSWORD, type TestRegistry } from '../helpers/test-registry.js';
import { startDistribution } from '../helpers/docker-registry.js';
import { makeImage, blobOf, descriptor, emptyConfig, type Image } from '../helpers/oci-image.js';
import { pushImage } from '../helpers/v2-client.js';
import { httpPushBlob, httpPutManifest } from '../helpers/replication.js';
import { runBerth } from '../helpers/processes.js';
import { alpineInstalledDb, alpineOsRelease, alpineRecords, recordsZip } from '../helpers/osv-fixture.js';

/*
 * The vulnerability database as an OCI artifact: published at headquarters with `berth vulndb push` to a
 * real docker-registry, replicated to an edge Berth that loads it by itself and rescans, an older artifact
 * ignored, a newer broken one refused while the loaded database keeps serving, and the same artifact carried
 * in an offline bundle into a fresh Berth that loads it when it starts.
 */



function alpineImage(): Promise<Image> {
  return makeImage({ files: { 'etc/os-release': alpineOsRelease, 'lib/apk/db/installed': alpineInstalledDb } });
}

interface VulnDbStatus {
  builtAt: number | null;
  sources: { name: string; records: number; file: string }[];
  artifact: { digest: string; repository: string; error?: string } | null;
}

async function status(reg: TestRegistry): Promise<VulnDbStatus> {
  const r = await reg.fetch('/api/v1/vulndb');
  assert.equal(r.status, 200);
  return (await r.json()) as VulnDbStatus;
}

async function counts(reg: TestRegistry, ref: string): Promise<Record<string, number>> {
  const r = await reg.fetch(`/api/v1/repositories/${encodeURIComponent('library/web')}/artifacts/${ref}/vulnerabilities`);
  assert.equal(r.status, 200, await r.clone().text());
  return ((await r.json()) as { counts: Record<string, number> }).counts;
}

test('a database artifact pushed to headquarters, replicated to the edge, loaded and used; old and broken ones are not', async (t) => {
  const work = tempDir('berth-vulndb-artifact-');
  t.after(() => fs.rmSync(work, { recursive: true, force: true }));
  const hq = await startDistribution();
  t.after(() => hq.stop());

  // Headquarters: publish the database (built 2024-07-01, from its records) to a plain Distribution.
  const dbZip = path.join(work, 'alpine-all.zip');
  fs.writeFileSync(dbZip, recordsZip(alpineRecords()));
  const pushed = await runBerth(['vulndb', 'push', dbZip, '--to', `${hq.url}/security/vulndb:2024-07`]);
  assert.equal(pushed.status, 0, pushed.stderr);
  assert.match(pushed.stdout, /^security\/vulndb:2024-07@sha256:[0-9a-f]{64}: 1 archives, built 2024-07-01T00:00:00\.000Z$/m);
  const artifactDigest = /@(sha256:[0-9a-f]{64})/.exec(pushed.stdout)![1]!;

  const edgeData = path.join(work, 'edge');
  const edge = await createTestRegistry({
    data: edgeData,
    registries: [{ name: 'hq', url: hq.url }],
    replication: [{ name: 'vulndb', registry: 'hq', direction: 'pull', repositories: ['security/vulndb'] }],
  });
  let edgeOpen = true;
  t.after(async () => {
    if (edgeOpen) await edge.close();
  });
  const core = edge.server.core;
  const image = await alpineImage();
  await pushImage(edge, 'library/web', '1.0', image);
  const scanNow = await edge.fetch(`/api/v1/repositories/${encodeURIComponent('library/web')}/artifacts/1.0/scan`, { method: 'POST' });
  assert.equal(scanNow.status, 200, await scanNow.clone().text());
  assert.deepEqual(await counts(edge, '1.0'), { critical: 0, high: 0, medium: 0, low: 0, unknown: 0 }, 'no database yet: nothing found');
  assert.deepEqual((await status(edge)).sources, []);
  const notesOf = async () => ((await (await edge.fetch(`/api/v1/repositories/${encodeURIComponent('library/web')}/artifacts/1.0/vulnerabilities`)).json()) as { notes: string[] }).notes;
  assert.deepEqual(await notesOf(), ['4 Alpine packages: no Alpine vulnerability data has been imported (berth vulndb import); they were not checked'], 'zero findings without data do not read as clean');

  const loaded: string[] = [];
  core.events.on('vulndb.loaded', (e) => loaded.push(`${e.source}:${e.records}`));
  const run = await core.replication.run('vulndb');
  assert.equal(run.execution.status, 'succeeded', run.execution.error ?? '');
  await core.scan.idle();
  await core.scan.idle(); // the rescan queued by the load
  const s1 = await status(edge);
  assert.deepEqual(s1.sources.map((s) => `${s.name}:${s.records}`), ['Alpine:3']);
  assert.equal(s1.builtAt, Date.parse('2024-07-01T00:00:00Z'));
  assert.match(s1.sources[0]!.file, /^security\/vulndb@sha256:[0-9a-f]{12} alpine-all\.zip$/);
  assert.deepEqual(s1.artifact && { digest: s1.artifact.digest, repository: s1.artifact.repository, error: s1.artifact.error }, { digest: artifactDigest, repository: 'security/vulndb', error: undefined });
  assert.deepEqual(loaded, ['Alpine:3']);
  const after = await counts(edge, '1.0');
  assert.equal(after.critical, 2, 'the image scanned before the database arrived was rescanned with it');
  assert.deepEqual(await notesOf(), []);

  // An older database pushed later (records modified 2024-01-01) does not replace the newer one.
  const older = alpineRecords()
    .slice(0, 1)
    .map((r) => ({ ...r, modified: '2024-01-01T00:00:00Z' }));
  const olderZip = path.join(work, 'older.zip');
  fs.writeFileSync(olderZip, recordsZip(older));
  const creds = { BERTH_USERNAME: 'admin', BERTH_PASSWORD: ADMIN_PASSWORD };
  const pushOld = await runBerth(['vulndb', 'push', olderZip, '--to', `${edge.url}/security/vulndb:2024-01`], { env: creds });
  assert.equal(pushOld.status, 0, pushOld.stderr);
  await core.scan.idle();
  const s2 = await status(edge);
  assert.deepEqual(s2.sources.map((s) => `${s.name}:${s.records}`), ['Alpine:3'], 'the older artifact was not loaded');
  assert.equal(s2.artifact?.digest, artifactDigest);

  // A newer artifact whose layer is not an OSV archive: refused, remembered, the loaded database serves on.
  const junk = blobOf(Buffer.from('this is not an OSV archive'), 'application/vnd.berth.vulndb.osv.v1');
  const broken = blobOf(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        artifactType: 'application/vnd.berth.vulndb.v1',
        config: descriptor(emptyConfig),
        layers: [descriptor(junk)],
        annotations: { 'org.opencontainers.image.created': '2025-01-01T00:00:00Z' },
      }),
    ),
    'application/vnd.oci.image.manifest.v1+json',
  );
  const auth = basic('admin', ADMIN_PASSWORD);
  for (const b of [emptyConfig, junk]) await httpPushBlob(edge.url, 'security/vulndb', b, auth);
  await httpPutManifest(edge.url, 'security/vulndb', '2025-01', broken, auth);
  await core.scan.idle();
  const s3 = await status(edge);
  assert.equal(s3.artifact?.digest, broken.digest);
  assert.match(s3.artifact?.error ?? '', /OSV|JSON|archive/i);
  assert.deepEqual(s3.sources.map((s) => `${s.name}:${s.records}`), ['Alpine:3'], 'the previous database keeps serving');
  assert.equal((await counts(edge, '1.0')).critical, 2);
  const vulndbStatus = await runBerth(['vulndb', 'status', '--data', edgeData]);
  assert.match(vulndbStatus.stdout, new RegExp(`^artifact\\tsecurity/vulndb@${broken.digest}\\tfailed: `, 'm'));

  // Across the air gap: export the good artifact from the edge, import it offline into a fresh Berth, start it.
  await edge.close();
  edgeOpen = false;
  const bundle = path.join(work, 'vulndb.tar');
  const exp = await runBerth(['export', '--data', edgeData, '-r', 'security/vulndb', '-t', '2024-07', '-o', bundle]);
  assert.equal(exp.status, 0, exp.stderr);
  const siteData = path.join(work, 'site');
  // A site's data folder is created by `berth init` (or serve); import never invents one.
  assert.equal((await runBerth(['init', '--data', siteData])).status, 0);
  const imp = await runBerth(['import', '--data', siteData, bundle]);
  assert.equal(imp.status, 0, imp.stderr);
  const site = await createTestRegistry({ data: siteData });
  try {
    await site.server.core.scan.idle();
    const s4 = await status(site);
    assert.deepEqual(s4.sources.map((s) => `${s.name}:${s.records}`), ['Alpine:3'], 'loaded at start from the imported bundle');
    assert.equal(s4.artifact?.digest, artifactDigest);
  } finally {
    await site.close();
  }
});
