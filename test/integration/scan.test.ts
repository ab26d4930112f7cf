import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import tar from 'tar-stream';
import { createTestRegistry, tempDir } from '../helpers/test-registry.js';
import { blobOf, descriptor, makeLayer, type Blob, type Image } from '../helpers/oci-image.js';
import { pushImage } from '../helpers/v2-client.js';
import { alpineInstalledDb, alpineOsRelease, alpineRecords, debianRecords, npmAndPypiRecords, npmLockfile, recordsZip } from '../helpers/osv-fixture.js';

/** An image from explicit layers (each a gzip or zstd tar blob). */
function imageOf(layers: { blob: Blob; diffId: string }[]): Image {
  const config = blobOf(
    Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) } })),
    'application/vnd.oci.image.config.v1+json',
  );
  const manifest = blobOf(
    Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: descriptor(config), layers: layers.map((l) => descriptor(l.blob)) })),
    'application/vnd.oci.image.manifest.v1+json',
  );
  return { manifest, config, layers: layers.map((l) => l.blob) };
}

async function tarOf(files: Record<string, string | Buffer>): Promise<Buffer> {
  const pack = tar.pack();
  for (const [name, content] of Object.entries(files)) pack.entry({ name, mode: 0o644 }, content);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** A zstd-compressed layer, compressed by the real zstd binary. */
async function zstdLayer(files: Record<string, string | Buffer>): Promise<{ blob: Blob; diffId: string }> {
  const raw = await tarOf(files);
  const z = execFileSync('zstd', ['-q', '-c'], { input: raw });
  return { blob: blobOf(z, 'application/vnd.oci.image.layer.v1.tar+zstd'), diffId: blobOf(raw, '').digest };
}

interface DebPkg {
  name: string;
  source: string;
  version: string;
  sourceVersion: string;
}

/** This machine's installed packages, as dpkg itself reports them. */
function dpkgQuery(): DebPkg[] {
  const out = execFileSync('dpkg-query', ['-W', '-f', '${db:Status-Abbrev}\t${Package}\t${source:Package}\t${Version}\t${source:Version}\n'], { encoding: 'utf8' });
  return out
    .trim()
    .split('\n')
    .map((l) => l.split('\t'))
    .filter((f) => f[0]!.startsWith('ii'))
    .map(([, name, source, version, sourceVersion]) => ({ name: name!, source: source!, version: version!, sourceVersion: sourceVersion! }));
}

function dpkgLess(a: string, b: string): boolean {
  try {
    execFileSync('dpkg', ['--compare-versions', a, 'lt', b]);
    return true;
  } catch {
    return false;
  }
}

test('scan: Debian (this machine\'s dpkg status), npm and PyPI packages across gzip and zstd layers with whiteouts', async (t) => {
  const reg = await createTestRegistry();
  const dir = tempDir('berth-scan-');
  t.after(async () => {
    await reg.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const installed = dpkgQuery();
  const glibc = installed.find((p) => p.source === 'glibc')!;
  const bash = installed.find((p) => p.name === 'bash')!;
  const openssl = installed.find((p) => p.source === 'openssl')!;
  // glibc fixed just above what is installed: every glibc binary is vulnerable. openssl fixed at the installed
  // version: not vulnerable. bash fixed at its binary version: vulnerable only through the (older) source version.
  const glibcFixed = `${glibc.sourceVersion}+fix1`;
  const zip = path.join(dir, 'debian.zip');
  fs.writeFileSync(zip, recordsZip(debianRecords({ glibcFixed, opensslFixed: openssl.sourceVersion, bashSourceFixed: bash.version })));
  const zip2 = path.join(dir, 'npm-pypi.zip');
  fs.writeFileSync(zip2, recordsZip(npmAndPypiRecords()));
  const core = reg.server.core;
  const imported = await core.scan.importer.importFile(zip);
  assert.equal(imported.source, 'Debian');
  assert.equal(imported.records, 4);
  assert.equal(imported.builtAt, Date.parse('2026-02-02T08:00:00Z'));
  assert.equal((await core.scan.importer.importFile(zip2)).source, 'PyPI,npm');

  const l1 = await makeLayer({ 'etc/os-release': fs.readFileSync('/etc/os-release'), 'var/lib/dpkg/status': fs.readFileSync('/var/lib/dpkg/status') });
  const l2 = await makeLayer({
    'app/package-lock.json': npmLockfile,
    'usr/lib/node_modules/qs/package.json': JSON.stringify({ name: 'qs', version: '6.5.2' }),
    'usr/lib/node_modules/@scope/tool/package.json': JSON.stringify({ name: '@scope/tool', version: '2.0.0' }),
  });
  const l3 = await zstdLayer({
    'usr/lib/node_modules/.wh.qs': '',
    'usr/lib/python3/dist-packages/Jinja2-3.1.2.dist-info/METADATA': 'Metadata-Version: 2.1\nName: Jinja2\nVersion: 3.1.2\nSummary: A very fast and expressive template engine.\n\nJinja is a fast...\nName: not-a-header\n',
  });
  const image = imageOf([l1, l2, l3]);
  await pushImage(reg, 'library/app', 'v1', image);

  const report = await core.scan.scan('library/app', 'v1');
  assert.equal(report.inventory.os?.id, 'debian');
  assert.equal(report.inventory.os?.versionId, '12');
  assert.deepEqual(report.inventory.notes, []);
  const debs = report.inventory.packages.filter((p) => p.type === 'deb');
  assert.deepEqual(debs.map((p) => p.name).sort(), installed.map((p) => p.name).sort(), 'every installed package, as dpkg-query lists them');
  assert.ok(!report.inventory.packages.some((p) => p.name === 'qs'), 'the whiteout removed qs');
  assert.ok(report.inventory.packages.some((p) => p.name === '@scope/tool' && p.version === '2.0.0'));

  const expected = [
    ...installed
      .filter((p) => p.source === 'glibc')
      .map((p) => ({ vulnId: 'CVE-2025-4802', severity: 'high', score: 7.8, package: p.name, installed: p.version, fixed: glibcFixed, layer: l1.blob.digest })),
    ...(dpkgLess(bash.sourceVersion, bash.version)
      ? [{ vulnId: 'CVE-2026-0002', severity: 'unknown', score: undefined, package: 'bash', installed: bash.version, fixed: bash.version, layer: l1.blob.digest }]
      : []),
    { vulnId: 'CVE-2021-44906', severity: 'critical', score: 9.8, package: 'minimist', installed: '1.2.5', fixed: '1.2.6', layer: l2.blob.digest },
    { vulnId: 'CVE-2021-23337', severity: 'high', score: 7.2, package: 'lodash', installed: '4.17.20', fixed: '4.17.21', layer: l2.blob.digest },
    { vulnId: 'CVE-2024-22195', severity: 'medium', score: 5.4, package: 'jinja2', installed: '3.1.2', fixed: undefined, layer: l3.blob.digest },
  ];
  const got = report.findings.map((f) => ({ vulnId: f.vulnId, severity: f.severity, score: f.score, package: f.package, installed: f.installed, fixed: f.fixed, layer: f.layer }));
  const sortKey = (f: { vulnId: string; package: string }) => `${f.vulnId} ${f.package}`;
  assert.deepEqual([...got].sort((a, b) => sortKey(a).localeCompare(sortKey(b))), [...expected].sort((a, b) => sortKey(a).localeCompare(sortKey(b))));
  assert.equal(report.counts.critical, 1);
  assert.equal(report.counts.medium, 1);

  // The report is stored per manifest digest.
  const stored = core.meta.scanReports.get(image.manifest.digest)!;
  assert.equal(stored.status, 'ok');
  assert.equal(core.meta.scanReports.findings(image.manifest.digest).length, expected.length);
  assert.equal(core.meta.scanReports.findings(image.manifest.digest)[0]!.vulnId, 'CVE-2021-44906', 'worst first');
});

test('scan: Alpine apk database matched by origin within the release, on push when the project asks', async (t) => {
  const reg = await createTestRegistry();
  const dir = tempDir('berth-scan-');
  t.after(async () => {
    await reg.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const core = reg.server.core;
  const zip = path.join(dir, 'alpine.zip');
  fs.writeFileSync(zip, recordsZip(alpineRecords()));
  await core.scan.importer.importFile(zip);
  core.meta.repositories.ensureProject('edge', { public: false });
  core.meta.scanReports.setProjectSettings('edge', { scanOnPush: true, gateSeverity: undefined, gateUnscanned: 'allow', allowlist: [] });

  const layer = await makeLayer({ 'etc/os-release': alpineOsRelease, 'lib/apk/db/installed': alpineInstalledDb });
  const image = imageOf([layer]);
  await pushImage(reg, 'edge/alpine', '3.19', image);
  await core.scan.idle();
  const findings = core.meta.scanReports.findings(image.manifest.digest);
  assert.deepEqual(
    findings.map((f) => [f.vulnId, f.severity, f.score, f.package, f.installed, f.fixed]),
    [
      ['CVE-2024-5535', 'critical', 9.1, 'libcrypto3', '3.1.4-r5', '3.1.6-r0'],
      ['CVE-2024-5535', 'critical', 9.1, 'libssl3', '3.1.4-r5', '3.1.6-r0'],
    ],
  );
  assert.equal(core.meta.scanReports.get(image.manifest.digest)?.status, 'ok');
  // library has no scan on push.
  const other = imageOf([await makeLayer({ 'etc/os-release': alpineOsRelease, 'lib/apk/db/installed': alpineInstalledDb, x: '1' })]);
  await pushImage(reg, 'library/alpine', '3.19', other);
  await core.scan.idle();
  assert.equal(core.meta.scanReports.get(other.manifest.digest), undefined);

  // A new database (busybox fixed one revision later now): what was scanned is rescanned, nothing else.
  assert.equal(core.scan.rescanIfDatabaseChanged(), 1, 'the import before the push is noticed');
  assert.equal(core.scan.rescanIfDatabaseChanged(), 0);
  const updated = alpineRecords().map((r) =>
    r.id === 'ALPINE-CVE-2023-42363' ? { ...r, affected: [{ package: { ecosystem: 'Alpine:v3.19', name: 'busybox' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1.36.1-r16' }] }] }] } : r,
  );
  fs.writeFileSync(zip, recordsZip(updated));
  await core.scan.importer.importFile(zip);
  assert.equal(core.scan.rescanIfDatabaseChanged(), 1);
  await core.scan.idle();
  assert.deepEqual(
    core.meta.scanReports.findings(image.manifest.digest).map((f) => `${f.vulnId} ${f.package} ${f.fixed}`),
    ['CVE-2024-5535 libcrypto3 3.1.6-r0', 'CVE-2024-5535 libssl3 3.1.6-r0', 'CVE-2023-42363 busybox 1.36.1-r16'],
  );
  assert.equal(core.meta.scanReports.get(other.manifest.digest), undefined);
});

test('scan: hostile layers fail cleanly (decompression bomb, not a tar, path tricks are ignored)', async (t) => {
  const reg = await createTestRegistry({ scan: { maxExpansionRatio: 50, onPushProjects: [] } });
  t.after(() => reg.close());
  const core = reg.server.core;

  // 100 MiB of zeros in one entry: about 100 KiB compressed.
  const pack = tar.pack();
  const zeros = Buffer.alloc(1024 * 1024);
  const entry = pack.entry({ name: 'big', size: 100 * zeros.length, mode: 0o644 });
  for (let i = 0; i < 99; i++) entry.write(zeros);
  entry.end(zeros);
  pack.finalize();
  const { createGzip } = await import('node:zlib');
  const gz: Buffer[] = [];
  for await (const c of pack.pipe(createGzip())) gz.push(c as Buffer);
  const bomb = blobOf(Buffer.concat(gz), 'application/vnd.oci.image.layer.v1.tar+gzip');
  await pushImage(reg, 'library/bomb', 'v1', imageOf([{ blob: bomb, diffId: bomb.digest }]));
  await assert.rejects(core.scan.scan('library/bomb', 'v1'), /decompression bomb/);
  assert.equal(core.meta.scanReports.get(imageOf([{ blob: bomb, diffId: bomb.digest }]).manifest.digest)?.status, 'failed');

  const junk = blobOf(Buffer.from('this is not a tar archive at all, just words'.repeat(20)), 'application/vnd.oci.image.layer.v1.tar');
  await pushImage(reg, 'library/junk', 'v1', imageOf([{ blob: junk, diffId: junk.digest }]));
  await assert.rejects(core.scan.scan('library/junk', 'v1'), /layer .* cannot be read/);

  // A pax extended header that claims 64 MiB: refused before it is buffered.
  const h = Buffer.alloc(512);
  h.write('PaxHeaders/huge', 0);
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(`${(64 * 1024 * 1024).toString(8).padStart(11, '0')}\0`, 124);
  h.write('00000000000\0', 136);
  h.write('x', 156);
  h.write('ustar\0' + '00', 257);
  h.fill(' ', 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  const { gzipSync } = await import('node:zlib');
  const huge = blobOf(gzipSync(Buffer.concat([h, Buffer.alloc(4096)])), 'application/vnd.oci.image.layer.v1.tar+gzip');
  await pushImage(reg, 'library/huge', 'v1', imageOf([{ blob: huge, diffId: huge.digest }]));
  await assert.rejects(core.scan.scan('library/huge', 'v1'), /Header exceeds max size/);

  const tricks = await makeLayer({ '../../etc/os-release': 'ID=evil\nVERSION_ID=1\n', 'etc/os-release': alpineOsRelease });
  await pushImage(reg, 'library/tricks', 'v1', imageOf([tricks]));
  const r = await core.scan.scan('library/tricks', 'v1');
  assert.equal(r.inventory.os?.id, 'alpine');
  assert.match(r.inventory.notes.join('\n'), /escapes the root/);
});
