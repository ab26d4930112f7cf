import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { createTestRegistry, tempDir } from '../helpers/test-registry.js';
import { blobOf, descriptor, makeLayer, type Image } from '../helpers/oci-image.js';
import { pushImage } from '../helpers/v2-client.js';
import { recordsZip } from '../helpers/osv-fixture.js';

/*
 * RHEL-family images against Red Hat and AlmaLinux OSV data: a real rpmdb.sqlite (packages built by rpmbuild,
 * registered by rpm itself) under the os-release of a UBI 9.4 image, of AlmaLinux 9.4 and of CentOS Stream 9.
 * The records follow the structure of Red Hat's OSV feed (RHSA ids, CVEs in `upstream`, binary RPM names,
 * "Red Hat:<CPE>" ecosystems, epochs on every fixed version) and of AlmaLinux's (ALSA ids, CVEs in `related`).
 */

const haveRpm = spawnSync('rpmbuild', ['--version']).status === 0;

interface Spec {
  name: string;
  epoch?: number;
  version: string;
  release: string;
  subpackages?: string[];
}

/** The installed set: epochs on openssl and nodejs (as on RHEL), none on sudo and libxml2; a module build. */
const specs: Spec[] = [
  { name: 'openssl', epoch: 1, version: '3.0.7', release: '26.el9', subpackages: ['libs'] },
  { name: 'nodejs', epoch: 1, version: '18.19.0', release: '1.module+el9.3.0+20930+4ba2f5d9', subpackages: ['libs'] },
  { name: 'sudo', version: '1.9.5p2', release: '10.el9_3' },
  { name: 'libxml2', version: '2.9.13', release: '5.el9_3' },
];

function buildRpmDb(dir: string): Buffer {
  const top = path.join(dir, 'top');
  for (const s of specs) {
    const file = path.join(dir, `${s.name}.spec`);
    const sub = (s.subpackages ?? []).map((p) => `%package ${p}\nSummary: ${p}\n%description ${p}\n${p}\n%files ${p}\n`).join('');
    fs.writeFileSync(
      file,
      `Name: ${s.name}\n${s.epoch !== undefined ? `Epoch: ${s.epoch}\n` : ''}Version: ${s.version}\nRelease: ${s.release}\nSummary: t\nLicense: MIT\nBuildArch: noarch\n` +
        `%description\nt\n%files\n${sub}`,
    );
    execFileSync('rpmbuild', ['-bb', '--quiet', '--define', `_topdir ${top}`, file], { stdio: 'pipe' });
  }
  const rpmDir = path.join(top, 'RPMS', 'noarch');
  const rpms = fs.readdirSync(rpmDir).map((f) => path.join(rpmDir, f));
  const db = path.join(dir, 'db');
  fs.mkdirSync(db);
  execFileSync('rpm', ['--dbpath', db, '--initdb']);
  execFileSync('rpm', ['--dbpath', db, '-i', '--justdb', '--nodeps', '--nosignature', ...rpms], { stdio: 'pipe' });
  return fs.readFileSync(path.join(db, 'rpmdb.sqlite'));
}

async function rpmImage(osRelease: string, rpmdb: Buffer): Promise<Image> {
  // UBI and RHEL 9 keep the database at /var/lib/rpm; rpm ≥ 4.16 elsewhere at /usr/lib/sysimage/rpm.
  const layer = await makeLayer({ 'etc/os-release': osRelease, 'var/lib/rpm/rpmdb.sqlite': rpmdb });
  const config = blobOf(Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [layer.diffId] } })), 'application/vnd.oci.image.config.v1+json');
  const manifest = blobOf(
    Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: descriptor(config), layers: [descriptor(layer.blob)] })),
    'application/vnd.oci.image.manifest.v1+json',
  );
  return { manifest, config, layers: [layer.blob] };
}

const fix = (fixed: string) => [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] }];

function redHatRecords(): Record<string, unknown>[] {
  const base = { schema_version: '1.6.0', modified: '2024-05-20T00:00:00Z', published: '2024-04-30T00:00:00Z' };
  return [
    {
      ...base,
      id: 'RHSA-2024:2447',
      summary: 'Moderate: openssl security and bug fix update',
      upstream: ['CVE-2023-5678', 'CVE-2023-6129'],
      severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L' }],
      affected: [
        { package: { ecosystem: 'Red Hat:enterprise_linux:9::baseos', name: 'openssl', purl: 'pkg:rpm/redhat/openssl' }, ranges: fix('1:3.0.7-27.el9') },
        { package: { ecosystem: 'Red Hat:enterprise_linux:9::baseos', name: 'openssl-libs', purl: 'pkg:rpm/redhat/openssl-libs' }, ranges: fix('1:3.0.7-27.el9') },
        { package: { ecosystem: 'Red Hat:enterprise_linux:9::appstream', name: 'openssl-devel', purl: 'pkg:rpm/redhat/openssl-devel' }, ranges: fix('1:3.0.7-27.el9') },
      ],
      references: [{ type: 'ADVISORY', url: 'https://access.redhat.com/errata/RHSA-2024:2447' }],
    },
    {
      // RHEL 8 and an EUS stream of 9.2, both with fixes above the installed build: they must not apply.
      ...base,
      id: 'RHSA-2024:0310',
      summary: 'Moderate: openssl security update (RHEL 8 only in this fixture)',
      upstream: ['CVE-2023-3817'],
      affected: [{ package: { ecosystem: 'Red Hat:enterprise_linux:8::baseos', name: 'openssl-libs' }, ranges: fix('1:3.0.9-1.el8') }],
    },
    {
      ...base,
      id: 'RHSA-2024:2568',
      summary: 'Moderate: openssl security update (RHEL 9.2 EUS only)',
      upstream: ['CVE-2024-0727'],
      affected: [{ package: { ecosystem: 'Red Hat:rhel_eus:9.2::baseos', name: 'openssl-libs' }, ranges: fix('1:3.0.7-28.el9_2') }],
    },
    {
      // Lists the binary nodejs only; nodejs-libs is matched through its source RPM.
      ...base,
      id: 'RHSA-2024:2910',
      summary: 'Important: nodejs:18 security update',
      upstream: ['CVE-2024-27983', 'CVE-2024-27982'],
      severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:L/A:H' }],
      affected: [{ package: { ecosystem: 'Red Hat:enterprise_linux:9::appstream', name: 'nodejs', purl: 'pkg:rpm/redhat/nodejs' }, ranges: fix('1:18.20.2-2.module+el9.4.0+21731+46b5c5a3') }],
    },
    {
      // Fixed in exactly the installed build: "0:" here, no epoch in the rpmdb.
      ...base,
      id: 'RHSA-2024:0811',
      summary: 'Moderate: sudo security update',
      upstream: ['CVE-2023-42465'],
      affected: [{ package: { ecosystem: 'Red Hat:enterprise_linux:9::baseos', name: 'sudo' }, ranges: fix('0:1.9.5p2-10.el9_3') }],
    },
    {
      // Ecosystem-wide, rated by a CVSS v4.0 vector only.
      ...base,
      id: 'RHSA-2024:3626',
      summary: 'libxml2 security update',
      upstream: ['CVE-2024-25062'],
      severity: [{ type: 'CVSS_V4', score: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N' }],
      affected: [{ package: { ecosystem: 'Red Hat', name: 'libxml2' }, ranges: fix('0:2.9.13-6.el9_4') }],
    },
  ];
}

function almaRecords(): Record<string, unknown>[] {
  return [
    {
      schema_version: '1.6.0',
      id: 'ALSA-2024:2447',
      modified: '2024-05-21T00:00:00Z',
      summary: 'Moderate: openssl security and bug fix update',
      related: ['CVE-2023-5678', 'CVE-2023-6129'],
      affected: [
        { package: { ecosystem: 'AlmaLinux:9', name: 'openssl' }, ranges: fix('1:3.0.7-27.el9') },
        { package: { ecosystem: 'AlmaLinux:8', name: 'sudo' }, ranges: fix('0:1.9.5p2-99.el8') },
      ],
    },
  ];
}

test('scan: UBI 9.4, AlmaLinux 9.4 and CentOS Stream 9 images from a real rpmdb.sqlite', { skip: haveRpm ? false : 'rpm/rpmbuild not installed' }, async (t) => {
  const dir = tempDir('berth-scan-redhat-');
  const reg = await createTestRegistry();
  t.after(async () => {
    await reg.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const rpmdb = buildRpmDb(dir);
  await pushImage(reg, 'ubi9/ubi', '9.4', await rpmImage('NAME="Red Hat Enterprise Linux"\nID="rhel"\nID_LIKE="fedora"\nVERSION_ID="9.4"\nPRETTY_NAME="Red Hat Enterprise Linux 9.4 (Plow)"\nCPE_NAME="cpe:/o:redhat:enterprise_linux:9::baseos"\n', rpmdb));
  await pushImage(reg, 'almalinux/9-base', '9.4', await rpmImage('NAME="AlmaLinux"\nID="almalinux"\nID_LIKE="rhel centos fedora"\nVERSION_ID="9.4"\nPRETTY_NAME="AlmaLinux 9.4 (Seafoam Ocelot)"\n', rpmdb));
  await pushImage(reg, 'centos/stream', '9', await rpmImage('NAME="CentOS Stream"\nID="centos"\nID_LIKE="rhel fedora"\nVERSION_ID="9"\nPRETTY_NAME="CentOS Stream 9"\n', rpmdb));
  for (const [name, records] of [['redhat.zip', redHatRecords()], ['alma.zip', almaRecords()]] as const) {
    fs.writeFileSync(path.join(dir, name), recordsZip(records));
    await reg.server.core.scan.importer.importFile(path.join(dir, name));
  }

  const ubi = await reg.server.core.scan.scan('ubi9/ubi', '9.4');
  assert.deepEqual(ubi.inventory.notes, []);
  assert.deepEqual(
    ubi.inventory.packages.map((p) => [p.name, p.version, p.sourceName, p.sourceVersion]).sort(),
    [
      ['libxml2', '2.9.13-5.el9_3', 'libxml2', '2.9.13-5.el9_3'],
      ['nodejs', '1:18.19.0-1.module+el9.3.0+20930+4ba2f5d9', 'nodejs', '1:18.19.0-1.module+el9.3.0+20930+4ba2f5d9'],
      ['nodejs-libs', '1:18.19.0-1.module+el9.3.0+20930+4ba2f5d9', 'nodejs', '1:18.19.0-1.module+el9.3.0+20930+4ba2f5d9'],
      ['openssl', '1:3.0.7-26.el9', 'openssl', '1:3.0.7-26.el9'],
      ['openssl-libs', '1:3.0.7-26.el9', 'openssl', '1:3.0.7-26.el9'],
      ['sudo', '1.9.5p2-10.el9_3', 'sudo', '1.9.5p2-10.el9_3'],
    ],
  );
  assert.deepEqual(
    ubi.findings.map((f) => [f.vulnId, f.severity, f.score, f.package, f.installed, f.fixed]),
    [
      ['CVE-2024-25062', 'high', 8.7, 'libxml2', '2.9.13-5.el9_3', '0:2.9.13-6.el9_4'],
      ['CVE-2024-27983', 'high', 8.2, 'nodejs', '1:18.19.0-1.module+el9.3.0+20930+4ba2f5d9', '1:18.20.2-2.module+el9.4.0+21731+46b5c5a3'],
      ['CVE-2024-27983', 'high', 8.2, 'nodejs-libs', '1:18.19.0-1.module+el9.3.0+20930+4ba2f5d9', '1:18.20.2-2.module+el9.4.0+21731+46b5c5a3'],
      ['CVE-2023-5678', 'medium', 5.3, 'openssl', '1:3.0.7-26.el9', '1:3.0.7-27.el9'],
      ['CVE-2023-5678', 'medium', 5.3, 'openssl-libs', '1:3.0.7-26.el9', '1:3.0.7-27.el9'],
    ],
  );
  assert.deepEqual(ubi.findings[1]!.aliases, ['RHSA-2024:2910', 'CVE-2024-27982']);
  assert.deepEqual(ubi.counts, { critical: 0, high: 3, medium: 2, low: 0, unknown: 0 });

  const alma = await reg.server.core.scan.scan('almalinux/9-base', '9.4');
  assert.deepEqual(alma.inventory.notes, []);
  assert.deepEqual(
    alma.findings.map((f) => [f.vulnId, f.severity, f.package, f.fixed, f.aliases]),
    [
      ['CVE-2023-5678', 'medium', 'openssl', '1:3.0.7-27.el9', ['ALSA-2024:2447', 'CVE-2023-6129']],
      ['CVE-2023-5678', 'medium', 'openssl-libs', '1:3.0.7-27.el9', ['ALSA-2024:2447', 'CVE-2023-6129']],
    ],
  );

  // CentOS Stream: the same packages, no data source; the report says so instead of reading as clean.
  const centos = await reg.server.core.scan.scan('centos/stream', '9');
  assert.deepEqual(centos.findings, []);
  assert.equal(centos.inventory.packages.length, 6);
  assert.deepEqual(centos.inventory.notes, ['6 rpm packages: Berth has no vulnerability source for CentOS Stream 9 (os-release ID "centos"; OSV publishes none); they were not checked']);
  // Through the API too (what `berth scan --server` prints).
  const res = await reg.fetch('/api/v1/repositories/centos%2Fstream/artifacts/9/scan', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  assert.equal(res.status, 200);
  const body = (await res.json()) as { findings: unknown[]; notes: string[] };
  assert.deepEqual(body.findings, []);
  assert.deepEqual(body.notes, centos.inventory.notes);
  // And with the stored report (what the GUI's vulnerabilities card shows).
  const stored = (await (await reg.fetch('/api/v1/repositories/centos%2Fstream/artifacts/9/vulnerabilities')).json()) as { notes: string[] };
  assert.deepEqual(stored.notes, centos.inventory.notes);
});
