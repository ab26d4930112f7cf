import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { createTestRegistry, tempDir } from '../helpers/test-registry.js';
import { makeImage } from '../helpers/oci-image.js';
import { pushImage } from '../helpers/v2-client.js';
import { recordsZip } from '../helpers/osv-fixture.js';
import { buildGoProgram, hasGo } from '../helpers/go-binary.js';

/*
 * Held-back comparison: six images built here (Debian, Alpine, Rocky with a module stream, a Go binary, a Node
 * and a Python app) scanned against OSV records written by hand from the advisories, and the findings compared
 * with the list those records imply, written down here independently of the matcher. Each image also has
 * near-misses that must NOT match: fixed version equal to the installed one, another release, another module
 * stream, another ecosystem, a withdrawn advisory.
 */

const haveRpm = spawnSync('rpmbuild', ['--version']).status === 0;
const range = (fixed: string, introduced = '0', type = 'ECOSYSTEM') => [{ type, events: [{ introduced }, { fixed }] }];
const V3 = { high75: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H', med59: 'CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N', med61: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N' };

const records: Record<string, unknown>[] = [
  // Debian 12, openssl 3.0.11-1~deb12u2 (binary libssl3): one DSA for two CVEs plus the Debian record of one.
  { id: 'DSA-5678-1', aliases: ['CVE-2024-0727', 'CVE-2023-6129'], summary: 'openssl security update', affected: [{ package: { ecosystem: 'Debian:12', name: 'openssl' }, ranges: range('3.0.13-1~deb12u1') }] },
  { id: 'DEBIAN-CVE-2023-6129', upstream: ['CVE-2023-6129'], severity: [{ type: 'CVSS_V3', score: V3.med59 }], affected: [{ package: { ecosystem: 'Debian:12', name: 'openssl' }, ranges: range('3.0.13-1~deb12u1') }] },
  // near-miss: fixed exactly at the installed version
  { id: 'DSA-5500-1', aliases: ['CVE-2023-5363'], affected: [{ package: { ecosystem: 'Debian:12', name: 'openssl' }, ranges: range('3.0.11-1~deb12u2') }] },
  // near-miss: another release
  { id: 'DLA-3700-1', aliases: ['CVE-2023-9991'], affected: [{ package: { ecosystem: 'Debian:11', name: 'openssl' }, ranges: range('9.9.9-1') }] },
  // near-miss: withdrawn
  { id: 'DSA-5999-1', withdrawn: '2024-03-01T00:00:00Z', aliases: ['CVE-2023-9992'], affected: [{ package: { ecosystem: 'Debian:12', name: 'openssl' }, ranges: range('9.9.9-1') }] },
  // Alpine 3.19, busybox 1.36.1-r15.
  { id: 'ALPINE-CVE-2023-42363', upstream: ['CVE-2023-42363'], severity: [{ type: 'CVSS_V3', score: V3.med61 }], affected: [{ package: { ecosystem: 'Alpine:v3.19', name: 'busybox' }, ranges: range('1.36.1-r16') }] },
  { id: 'ALPINE-CVE-2023-9993', upstream: ['CVE-2023-9993'], affected: [{ package: { ecosystem: 'Alpine:v3.18', name: 'busybox' }, ranges: range('1.99-r0') }] },
  // Rocky 9, nodejs from the nodejs:18 module stream.
  { id: 'RLSA-2024:2910', summary: 'Important: nodejs:18 security update', aliases: ['CVE-2024-27983'], affected: [{ package: { ecosystem: 'Rocky Linux:9', name: 'nodejs' }, ranges: range('1:18.20.2-2.module+el9.4.0+200+46b5c5a3') }] },
  // near-miss: the nodejs:20 stream's fix (above the installed 18.x)
  { id: 'RLSA-2024:2779', summary: 'Important: nodejs:20 security update', aliases: ['CVE-2024-27982'], affected: [{ package: { ecosystem: 'Rocky Linux:9', name: 'nodejs' }, ranges: range('1:20.12.2-1.module+el9.4.0+300+4d3eb3b4') }] },
  // Go: golang.org/x/net v0.7.0 in a real binary. A GO record with no severity, its GHSA rates it.
  { id: 'GO-2023-1988', aliases: ['CVE-2023-3978', 'GHSA-2wrh-6pvc-2jm9'], affected: [{ package: { ecosystem: 'Go', name: 'golang.org/x/net' }, ranges: range('0.13.0', '0', 'SEMVER') }] },
  { id: 'GHSA-2wrh-6pvc-2jm9', aliases: ['CVE-2023-3978'], severity: [{ type: 'CVSS_V3', score: V3.med61 }], affected: [{ package: { ecosystem: 'Go', name: 'golang.org/x/net' }, ranges: range('0.13.0', '0', 'SEMVER') }] },
  // near-miss: fixed in exactly v0.7.0
  { id: 'GO-2023-1571', aliases: ['CVE-2022-41723'], affected: [{ package: { ecosystem: 'Go', name: 'golang.org/x/net' }, ranges: range('0.7.0', '0', 'SEMVER') }] },
  // Node: qs 6.5.2.
  { id: 'GHSA-hrpp-h998-j3pp', aliases: ['CVE-2022-24999'], database_specific: { severity: 'HIGH' }, severity: [{ type: 'CVSS_V3', score: V3.high75 }], affected: [{ package: { ecosystem: 'npm', name: 'qs' }, ranges: range('6.5.3', '6.5.0', 'SEMVER') }] },
  // near-miss: same name in another ecosystem
  { id: 'RUSTSEC-2024-9999', affected: [{ package: { ecosystem: 'crates.io', name: 'qs' }, ranges: range('99.0.0', '0', 'SEMVER') }] },
  // Python: Jinja2 3.1.2 (rated by GitHub's label only).
  { id: 'GHSA-h5c8-rqwp-cp95', aliases: ['CVE-2024-22195'], database_specific: { severity: 'MODERATE' }, affected: [{ package: { ecosystem: 'PyPI', name: 'jinja2' }, ranges: range('3.1.3') }] },
  // near-miss: withdrawn
  { id: 'PYSEC-2024-9998', withdrawn: '2024-02-01T00:00:00Z', aliases: ['CVE-2024-9998'], affected: [{ package: { ecosystem: 'PyPI', name: 'jinja2' }, ranges: range('9.0') }] },
];

/** What the records above imply, per image: [id, aliases, severity, score, package, installed, fixed]. */
const expected: Record<string, unknown[][]> = {
  debian: [['CVE-2024-0727', ['DEBIAN-CVE-2023-6129', 'CVE-2023-6129', 'DSA-5678-1'], 'medium', 5.9, 'libssl3', '3.0.11-1~deb12u2', '3.0.13-1~deb12u1']],
  alpine: [['CVE-2023-42363', ['ALPINE-CVE-2023-42363'], 'medium', 6.1, 'busybox', '1.36.1-r15', '1.36.1-r16']],
  rocky: [['CVE-2024-27983', ['RLSA-2024:2910'], 'high', undefined, 'nodejs', '1:18.19.0-1.module+el9.3.0+100+4ba2f5d9', '1:18.20.2-2.module+el9.4.0+200+46b5c5a3']],
  go: [['CVE-2023-3978', ['GHSA-2wrh-6pvc-2jm9', 'GO-2023-1988'], 'medium', 6.1, 'golang.org/x/net', 'v0.7.0', '0.13.0']],
  node: [['CVE-2022-24999', ['GHSA-hrpp-h998-j3pp'], 'high', 7.5, 'qs', '6.5.2', '6.5.3']],
  python: [['CVE-2024-22195', ['GHSA-h5c8-rqwp-cp95'], 'medium', undefined, 'jinja2', '3.1.2', '3.1.3']],
};

/** An rpmdb.sqlite with nodejs built in the nodejs:18 module stream (rpmbuild's ModularityLabel), registered by rpm. */
function modularRpmDb(dir: string): Buffer {
  const spec = path.join(dir, 'nodejs.spec');
  fs.writeFileSync(
    spec,
    'Name: nodejs\nEpoch: 1\nVersion: 18.19.0\nRelease: 1.module+el9.3.0+100+4ba2f5d9\nSummary: t\nLicense: MIT\nBuildArch: noarch\nModularityLabel: nodejs:18:9030020231120:rhel9\n%description\nt\n%files\n',
  );
  execFileSync('rpmbuild', ['-bb', '--quiet', '--define', `_topdir ${path.join(dir, 'top')}`, spec], { stdio: 'pipe' });
  const rpms = fs.readdirSync(path.join(dir, 'top', 'RPMS', 'noarch')).map((f) => path.join(dir, 'top', 'RPMS', 'noarch', f));
  const db = path.join(dir, 'db');
  fs.mkdirSync(db);
  execFileSync('rpm', ['--dbpath', db, '--initdb']);
  execFileSync('rpm', ['--dbpath', db, '-i', '--justdb', '--nodeps', '--nosignature', ...rpms], { stdio: 'pipe' });
  return fs.readFileSync(path.join(db, 'rpmdb.sqlite'));
}

test('held-back comparison: findings of six images equal the list written from the advisories', { skip: !haveRpm ? 'rpm/rpmbuild not installed' : !hasGo() ? 'go is not installed' : false }, async (t) => {
  const dir = tempDir('berth-scan-expected-');
  const reg = await createTestRegistry();
  t.after(async () => {
    await reg.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const images: Record<string, Record<string, string | Buffer>> = {
    debian: {
      'etc/os-release': 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n',
      'var/lib/dpkg/status': 'Package: libssl3\nStatus: install ok installed\nSource: openssl\nVersion: 3.0.11-1~deb12u2\nArchitecture: amd64\n\n',
    },
    alpine: { 'etc/os-release': 'ID=alpine\nVERSION_ID=3.19.1\n', 'lib/apk/db/installed': 'P:busybox\nV:1.36.1-r15\nA:x86_64\no:busybox\n\n' },
    rocky: { 'etc/os-release': 'ID="rocky"\nVERSION_ID="9.3"\n', 'usr/lib/sysimage/rpm/rpmdb.sqlite': modularRpmDb(dir) },
    go: { 'usr/local/bin/app': fs.readFileSync(buildGoProgram(path.join(dir, 'go'))) },
    node: { 'usr/lib/node_modules/qs/package.json': JSON.stringify({ name: 'qs', version: '6.5.2' }) },
    python: { 'usr/lib/python3/dist-packages/Jinja2-3.1.2.dist-info/METADATA': 'Metadata-Version: 2.1\nName: Jinja2\nVersion: 3.1.2\n\n' },
  };
  const zip = path.join(dir, 'osv.zip');
  fs.writeFileSync(zip, recordsZip(records));
  await reg.server.core.scan.importer.importFile(zip);
  for (const [name, files] of Object.entries(images)) {
    await pushImage(reg, `held-back/${name}`, 'v1', await makeImage({ files }));
    const r = await reg.server.core.scan.scan(`held-back/${name}`, 'v1');
    const got = r.findings.map((f) => [f.vulnId, f.aliases, f.severity, f.score, f.package, f.installed, f.fixed]);
    // The Go image also lists the toolchain's stdlib and the program's other modules: only x/net has records.
    assert.deepEqual(got, expected[name], name);
  }
});
