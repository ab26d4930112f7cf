import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createTestRegistry, tempDir } from '../helpers/test-registry.js';
import { makeLayer, blobOf, descriptor, type Image } from '../helpers/oci-image.js';
import { pushImage } from '../helpers/v2-client.js';
import { runBerth } from '../helpers/processes.js';
import { alpineInstalledDb, alpineOsRelease, alpineRecords, npmAndPypiRecords, npmLockfile, recordsZip } from '../helpers/osv-fixture.js';


test('berth vulndb import + berth scan: table, json, CycloneDX, SPDX and the --fail-on gate', async (t) => {
  const data = tempDir('berth-scan-cli-');
  t.after(() => fs.rmSync(data, { recursive: true, force: true }));
  const layer = await makeLayer({ 'etc/os-release': alpineOsRelease, 'lib/apk/db/installed': alpineInstalledDb, 'srv/app/package-lock.json': npmLockfile });
  const config = blobOf(Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [layer.diffId] } })), 'application/vnd.oci.image.config.v1+json');
  const manifest = blobOf(
    Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: descriptor(config), layers: [descriptor(layer.blob)] })),
    'application/vnd.oci.image.manifest.v1+json',
  );
  const image: Image = { manifest, config, layers: [layer.blob] };
  const reg = await createTestRegistry({ data });
  try {
    await pushImage(reg, 'library/web', '1.0', image);
  } finally {
    await reg.close();
  }
  fs.writeFileSync(path.join(data, 'alpine.zip'), recordsZip(alpineRecords()));
  fs.writeFileSync(path.join(data, 'npm.zip'), recordsZip(npmAndPypiRecords()));

  const imp = await runBerth(['vulndb', 'import', '--data', data, path.join(data, 'alpine.zip'), path.join(data, 'npm.zip')]);
  assert.equal(imp.status, 0, imp.stderr);
  assert.match(imp.stdout, /alpine\.zip: 3 records for Alpine in \d+ ms; built 2024-07-01T00:00:00\.000Z/);
  const status = await runBerth(['vulndb', 'status', '--data', data]);
  assert.match(status.stdout, /^Alpine\t3 records\tbuilt 2024-07-01/m);
  assert.match(status.stdout, /^PyPI,npm\t4 records/m);

  const table = await runBerth(['scan', '--data', data, 'library/web:1.0']);
  assert.equal(table.status, 0, table.stderr);
  assert.match(table.stdout, /Alpine Linux v3\.19; 7 packages in 1 layers/);
  assert.match(table.stdout, /critical: 3 {2}high: 1/);
  assert.match(table.stdout, /CVE-2024-5535 +critical +9\.1 +libcrypto3 +3\.1\.4-r5 +3\.1\.6-r0/);

  const gate = await runBerth(['scan', '--data', data, '--format', 'json', '--fail-on', 'high', 'library/web:1.0']);
  assert.equal(gate.status, 3, 'high findings fail a --fail-on high gate');
  assert.match(gate.stderr, /4 vulnerabilities at high or above \(worst: CVE-2021-44906 in minimist/);
  const json = JSON.parse(gate.stdout) as { digest: string; findings: { vulnId: string; package: string }[] };
  assert.equal(json.digest, manifest.digest);
  assert.deepEqual(json.findings.map((f) => `${f.vulnId} ${f.package}`), [
    'CVE-2021-44906 minimist',
    'CVE-2024-5535 libcrypto3',
    'CVE-2024-5535 libssl3',
    'CVE-2021-23337 lodash',
  ]);

  const cdx = await runBerth(['scan', '--data', data, '--format', 'cyclonedx', 'library/web@' + manifest.digest]);
  assert.equal(cdx.status, 0, cdx.stderr);
  const bom = JSON.parse(cdx.stdout) as { bomFormat: string; specVersion: string; components: { purl: string }[]; vulnerabilities: { id: string; affects: { ref: string }[] }[] };
  assert.equal(bom.bomFormat, 'CycloneDX');
  assert.ok(bom.components.some((c) => c.purl === 'pkg:apk/alpine/libcrypto3@3.1.4-r5?arch=x86_64&distro=alpine-3.19.1&upstream=openssl'));
  assert.ok(bom.components.some((c) => c.purl === 'pkg:npm/%40scope/tool@2.0.0'));
  assert.ok(bom.vulnerabilities.some((v) => v.id === 'CVE-2021-23337' && v.affects[0]!.ref === 'pkg:npm/lodash@4.17.20'));

  const sp = await runBerth(['scan', '--data', data, '--format', 'spdx', '--fail-on', 'critical', 'library/web:1.0']);
  assert.equal(sp.status, 3);
  const doc = JSON.parse(sp.stdout) as { spdxVersion: string; packages: { name: string }[]; relationships: unknown[] };
  assert.equal(doc.spdxVersion, 'SPDX-2.3');
  assert.equal(doc.packages.length, 8, 'the image and its 7 packages');
  assert.equal(doc.relationships.length, 8);

  // A database older than the configured age: a warning (dbStale: warn), the exit status unchanged.
  const cfg = path.join(data, 'berth.yaml');
  fs.writeFileSync(cfg, 'scan:\n  dbMaxAgeDays: 30\n');
  const stale = await runBerth(['scan', '--config', cfg, '--data', data, 'library/web:1.0']);
  assert.equal(stale.status, 0, stale.stderr);
  assert.match(stale.stderr, /warning: the vulnerability database was built 2024-07-01, \d+ days ago \(the limit is 30\)/);

  const bad = await runBerth(['scan', '--data', data, '--fail-on', 'severe', 'library/web:1.0']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--fail-on must be one of critical, high, medium, low, unknown/);
  const missing = await runBerth(['scan', '--data', data, 'library/web:nope']);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /manifest nope is not in library\/web/);
});
