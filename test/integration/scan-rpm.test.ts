import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { createTestRegistry, tempDir } from '../helpers/test-registry.js';
import { blobOf, descriptor, makeLayer, type Image } from '../helpers/oci-image.js';
import { pushImage } from '../helpers/v2-client.js';
import { recordsZip } from '../helpers/osv-fixture.js';

const haveRpm = spawnSync('rpmbuild', ['--version']).status === 0;

/** A real rpmdb.sqlite: packages built by rpmbuild and registered by rpm itself (--justdb). */
function buildRpmDb(dir: string): string {
  const spec = path.join(dir, 'openssl.spec');
  fs.writeFileSync(
    spec,
    `Name: openssl\nEpoch: 1\nVersion: 3.0.7\nRelease: 27.el9\nSummary: t\nLicense: ASL 2.0\nBuildArch: noarch\n%description\nt\n` +
      `%package libs\nSummary: libs\n%description libs\nlibs\n%files\n%files libs\n`,
  );
  execFileSync('rpmbuild', ['-bb', '--quiet', '--define', `_topdir ${path.join(dir, 'top')}`, spec], { stdio: 'pipe' });
  const rpms = fs.readdirSync(path.join(dir, 'top', 'RPMS', 'noarch')).map((f) => path.join(dir, 'top', 'RPMS', 'noarch', f));
  const db = path.join(dir, 'db');
  fs.mkdirSync(db);
  execFileSync('rpm', ['--dbpath', db, '--initdb']);
  execFileSync('rpm', ['--dbpath', db, '-i', '--justdb', '--nodeps', '--nosignature', ...rpms], { stdio: 'pipe' });
  return path.join(db, 'rpmdb.sqlite');
}

test('scan: RPM packages from a real rpmdb.sqlite, matched by source RPM in the release', { skip: haveRpm ? false : 'rpm/rpmbuild not installed' }, async (t) => {
  const dir = tempDir('berth-scan-rpm-');
  const reg = await createTestRegistry();
  t.after(async () => {
    await reg.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const rpmdb = fs.readFileSync(buildRpmDb(dir));
  const layer = await makeLayer({ 'etc/os-release': 'ID="rocky"\nVERSION_ID="9.3"\nPRETTY_NAME="Rocky Linux 9.3 (Blue Onyx)"\n', 'usr/lib/sysimage/rpm/rpmdb.sqlite': rpmdb });
  const config = blobOf(Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [layer.diffId] } })), 'application/vnd.oci.image.config.v1+json');
  const manifest = blobOf(
    Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: descriptor(config), layers: [descriptor(layer.blob)] })),
    'application/vnd.oci.image.manifest.v1+json',
  );
  const image: Image = { manifest, config, layers: [layer.blob] };
  await pushImage(reg, 'library/rocky', '9', image);
  const zip = path.join(dir, 'rocky.zip');
  fs.writeFileSync(
    zip,
    recordsZip([
      {
        schema_version: '1.6.0',
        id: 'RLSA-2024:2447',
        modified: '2024-05-01T00:00:00Z',
        aliases: ['CVE-2023-5678'],
        summary: 'Moderate: openssl security update',
        affected: [{ package: { ecosystem: 'Rocky Linux:9', name: 'openssl' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1:3.0.7-28.el9' }] }] }],
        database_specific: { severity: 'moderate' },
      },
      {
        schema_version: '1.6.0',
        id: 'RLSA-2023:0001',
        modified: '2023-01-01T00:00:00Z',
        aliases: ['CVE-2022-0001'],
        summary: 'for Rocky Linux 8 only',
        affected: [{ package: { ecosystem: 'Rocky Linux:8', name: 'openssl' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }] }],
      },
    ]),
  );
  await reg.server.core.scan.importer.importFile(zip);
  const r = await reg.server.core.scan.scan('library/rocky', '9');
  assert.deepEqual(r.inventory.notes, []);
  assert.deepEqual(
    r.inventory.packages.map((p) => [p.type, p.name, p.version, p.sourceName, p.sourceVersion]).sort(),
    [
      ['rpm', 'openssl', '1:3.0.7-27.el9', 'openssl', '1:3.0.7-27.el9'],
      ['rpm', 'openssl-libs', '1:3.0.7-27.el9', 'openssl', '1:3.0.7-27.el9'],
    ],
  );
  assert.deepEqual(
    r.findings.map((f) => [f.vulnId, f.severity, f.package, f.installed, f.fixed]),
    [
      ['CVE-2023-5678', 'medium', 'openssl', '1:3.0.7-27.el9', '1:3.0.7-28.el9'],
      ['CVE-2023-5678', 'medium', 'openssl-libs', '1:3.0.7-27.el9', '1:3.0.7-28.el9'],
    ],
  );
});
