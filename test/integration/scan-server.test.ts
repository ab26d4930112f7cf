import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createTestRegistry, tempDir, ADMIN_PASSWORD } from '../helpers/test-registry.js';
import { makeImage, type Image } from '../helpers/oci-image.js';
import { pushImage } from '../helpers/v2-client.js';
import { freePort, runBerth } from '../helpers/processes.js';
import { alpineInstalledDb, alpineOsRelease, alpineRecords, npmAndPypiRecords, npmLockfile, recordsZip } from '../helpers/osv-fixture.js';
import type { BerthEvents } from '../../registry/src/events/event-bus.js';

/*
 * `berth scan --server` as a build pipeline runs it against a live Berth (password and access token), the SBOM
 * attached as an OCI referrer and served again, the system allowlist beside the project's, and the scan events.
 */


function webImage(): Promise<Image> {
  return makeImage({ files: { 'etc/os-release': alpineOsRelease, 'lib/apk/db/installed': alpineInstalledDb, 'srv/app/package-lock.json': npmLockfile } });
}

test('berth scan --server: report, --fail-on, SBOM referrer, credentials and errors', async (t) => {
  const reg = await createTestRegistry();
  const work = tempDir('berth-scan-server-');
  t.after(async () => {
    await reg.close();
    fs.rmSync(work, { recursive: true, force: true });
  });
  const core = reg.server.core;
  for (const [name, records] of [['alpine.zip', alpineRecords()], ['npm.zip', npmAndPypiRecords()]] as const) {
    fs.writeFileSync(path.join(work, name), recordsZip(records));
    await core.scan.importer.importFile(path.join(work, name));
  }
  const image = await webImage();
  await pushImage(reg, 'library/web', '1.0', image);
  const events: BerthEvents['scan.finished'][] = [];
  core.events.on('scan.finished', (e) => events.push(e));
  const admin = { BERTH_USERNAME: 'admin', BERTH_PASSWORD: ADMIN_PASSWORD };

  const table = await runBerth(['scan', '--server', reg.url, 'library/web:1.0'], { env: admin });
  assert.equal(table.status, 0, table.stderr);
  assert.match(table.stdout, /Alpine Linux v3\.19; 7 packages in 1 layers/);
  assert.match(table.stdout, /critical: 3 {2}high: 1/);
  assert.match(table.stdout, /CVE-2024-5535 +critical +9\.1 +libcrypto3 +3\.1\.4-r5 +3\.1\.6-r0/);
  assert.deepEqual(events.map((e) => [e.repository, e.digest, e.status, e.counts.critical]), [['library/web', image.manifest.digest, 'ok', 3]]);

  // An access token, as CI holds one; the gate fails the job; the SBOM goes onto the image as a referrer.
  const created = await reg.fetch('/api/v1/me/tokens', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'ci', expiresInDays: 1 }) });
  assert.equal(created.status, 201);
  const token = ((await created.json()) as { token: string }).token;
  const gate = await runBerth(['scan', '--server', reg.url, '--format', 'json', '--fail-on', 'high', '--attach-sbom', `library/web@${image.manifest.digest}`], { env: { BERTH_TOKEN: token } });
  assert.equal(gate.status, 3, gate.stderr);
  assert.match(gate.stderr, /4 vulnerabilities at high or above/);
  const sbomDigest = /SBOM attached to library\/web@sha256:[0-9a-f]{64} as (sha256:[0-9a-f]{64})/.exec(gate.stderr)?.[1];
  assert.ok(sbomDigest, gate.stderr);
  assert.equal((JSON.parse(gate.stdout) as { digest: string }).digest, image.manifest.digest);

  const referrers = (await (await reg.fetch(`/v2/library/web/referrers/${image.manifest.digest}`)).json()) as { manifests: { digest: string; artifactType: string }[] };
  assert.deepEqual(referrers.manifests.map((m) => [m.digest, m.artifactType]), [[sbomDigest, 'application/vnd.cyclonedx+json']]);
  const sbomManifest = (await (await reg.fetch(`/v2/library/web/manifests/${sbomDigest}`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } })).json()) as {
    subject: { digest: string };
    layers: { digest: string; mediaType: string }[];
  };
  assert.equal(sbomManifest.subject.digest, image.manifest.digest);
  const doc = (await (await reg.fetch(`/v2/library/web/blobs/${sbomManifest.layers[0]!.digest}`)).json()) as { bomFormat: string; components: { purl: string }[]; vulnerabilities?: unknown[] };
  assert.equal(doc.bomFormat, 'CycloneDX');
  assert.equal(doc.components.length, 7, 'every package of the inventory');
  assert.deepEqual(doc.vulnerabilities ?? [], [], 'the attached SBOM lists components, not findings that change with the database');

  // The same SBOM (with findings) for download through the API, and SPDX.
  const spdx = await reg.fetch('/api/v1/repositories/library%2Fweb/artifacts/1.0/sbom?format=spdx');
  assert.equal(spdx.status, 200);
  assert.match(spdx.headers.get('content-disposition') ?? '', /attachment; filename=".+\.spdx\.json"/);
  assert.equal(((await spdx.json()) as { spdxVersion: string }).spdxVersion, 'SPDX-2.3');
  const cdx = (await (await reg.fetch('/api/v1/repositories/library%2Fweb/artifacts/1.0/sbom')).json()) as { vulnerabilities: unknown[] };
  assert.equal(cdx.vulnerabilities.length, 4);

  // Refusals a pipeline must understand.
  const anonymous = await runBerth(['scan', '--server', reg.url, 'library/web:1.0'], { env: {} });
  assert.notEqual(anonymous.status, 0);
  assert.match(anonymous.stderr, /set BERTH_TOKEN \(an access token\) or BERTH_USERNAME and BERTH_PASSWORD/);
  const wrong = await runBerth(['scan', '--server', reg.url, 'library/web:1.0'], { env: { BERTH_USERNAME: 'admin', BERTH_PASSWORD: 'nope' } });
  assert.notEqual(wrong.status, 0);
  assert.match(wrong.stderr, /refused the scan \(401 unauthenticated\): invalid username or password/);
  const missing = await runBerth(['scan', '--server', reg.url, 'library/web:9.9'], { env: admin });
  assert.notEqual(missing.status, 0);
  assert.match(missing.stderr, /refused the scan \(404 [a-z_]+\): .*9\.9/);
  const dead = await runBerth(['scan', '--server', `http://127.0.0.1:${await freePort()}`, 'library/web:1.0'], { env: admin });
  assert.notEqual(dead.status, 0);
  assert.match(dead.stderr, /cannot reach http:\/\/127\.0\.0\.1:\d+/);
  const both = await runBerth(['scan', '--server', reg.url, '--data', work, 'library/web:1.0'], { env: admin });
  assert.match(both.stderr, /--server and --data exclude each other/);
});

test('the system allowlist lets gated pulls through in every project until it expires', async (t) => {
  const reg = await createTestRegistry();
  const work = tempDir('berth-allowlist-');
  t.after(async () => {
    await reg.close();
    fs.rmSync(work, { recursive: true, force: true });
  });
  const core = reg.server.core;
  for (const [name, records] of [['alpine.zip', alpineRecords()], ['npm.zip', npmAndPypiRecords()]] as const) {
    fs.writeFileSync(path.join(work, name), recordsZip(records));
    await core.scan.importer.importFile(path.join(work, name));
  }
  const image = await webImage();
  const json = { 'content-type': 'application/json' };
  for (const project of ['prod', 'edge']) {
    core.meta.repositories.ensureProject(project, { public: false });
    await pushImage(reg, `${project}/web`, '1', image);
    const put = await reg.fetch(`/api/v1/projects/${project}/scan-settings`, { method: 'PUT', headers: json, body: JSON.stringify({ scanOnPush: false, gateSeverity: 'critical', gateUnscanned: 'allow', allowlist: [] }) });
    assert.equal(put.status, 200);
  }
  await core.scan.scan('prod/web', '1');
  const accept = { accept: image.manifest.mediaType };
  const pull = async (project: string) => (await reg.fetch(`/v2/${project}/web/manifests/1`, { headers: accept })).status;
  assert.equal(await pull('prod'), 403);
  assert.equal(await pull('edge'), 403, 'the same digest: scanned once, gated in both projects');

  const setList = (allowlist: unknown) => reg.fetch('/api/v1/scan/allowlist', { method: 'PUT', headers: json, body: JSON.stringify({ allowlist }) });
  const bad = await setList([{ id: '', expiresAt: 'soon' }]);
  assert.equal(bad.status, 400);
  // The npm finding (minimist, critical) is still there: one id is not enough.
  assert.equal((await setList([{ id: 'CVE-2024-5535' }])).status, 200);
  assert.equal(await pull('prod'), 403);
  assert.equal((await setList([{ id: 'CVE-2024-5535' }, { id: 'GHSA-xvch-5gv4-984h', expiresAt: Date.now() + 60_000 }])).status, 200);
  assert.equal(((await (await reg.fetch('/api/v1/scan/allowlist')).json()) as { allowlist: unknown[] }).allowlist.length, 2);
  assert.equal(await pull('prod'), 200);
  assert.equal(await pull('edge'), 200);
  assert.equal((await setList([{ id: 'CVE-2024-5535' }, { id: 'GHSA-xvch-5gv4-984h', expiresAt: Date.now() - 1 }])).status, 200);
  assert.equal(await pull('prod'), 403, 'an expired entry allows nothing');

  // Only admins change it; developers may read it.
  await core.users.create('dev', 'dev-password-1', 'developer');
  const devPut = await reg.fetch('/api/v1/scan/allowlist', { method: 'PUT', headers: json, body: JSON.stringify({ allowlist: [] }), auth: { username: 'dev', password: 'dev-password-1' } });
  assert.equal(devPut.status, 403);
});
