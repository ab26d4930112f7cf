import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import semver from 'semver';
import tar from 'tar-stream';
import { createTestRegistry, tempDir } from '../helpers/test-registry.js';
import { blobOf, descriptor, type Blob, type Image } from '../helpers/oci-image.js';
import { pushImage } from '../helpers/v2-client.js';
import { goCratesGemRecords, recordsZip } from '../helpers/osv-fixture.js';
import { cargoLockfile, gemfileLockfile } from '../helpers/lockfile-fixtures.js';
import { buildGoProgram, goVersionM, hasGo } from '../helpers/go-binary.js';

/*
 * A real Go program built here (module mode, vendored x/net v0.7.0, one module replaced by another, one by a local
 * directory) and Debian's docker-registry binary, as a Dockerfile would COPY them (mode 0755), with a Cargo.lock
 * and a Gemfile.lock: the inventory must list exactly the modules `go version -m` shows, and the findings follow
 * from the OSV records. Versions that depend on this machine's Go toolchain are read from it, not written here.
 */

const DOCKER_REGISTRY = '/usr/bin/docker-registry';

async function layerOf(files: Record<string, { body: Buffer | string; mode: number }>): Promise<{ blob: Blob; diffId: string }> {
  const pack = tar.pack();
  for (const [name, f] of Object.entries(files)) pack.entry({ name, mode: f.mode }, typeof f.body === 'string' ? Buffer.from(f.body) : f.body);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  const raw = Buffer.concat(chunks);
  return { blob: blobOf(zlib.gzipSync(raw, { level: 1 }), 'application/vnd.oci.image.layer.v1.tar+gzip'), diffId: blobOf(raw, '').digest };
}

function imageOf(layers: { blob: Blob; diffId: string }[]): Image {
  const config = blobOf(Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) } })), 'application/vnd.oci.image.config.v1+json');
  const manifest = blobOf(
    Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: descriptor(config), layers: layers.map((l) => descriptor(l.blob)) })),
    'application/vnd.oci.image.manifest.v1+json',
  );
  return { manifest, config, layers: layers.map((l) => l.blob) };
}

/** The Go toolchain's view of a binary, turned into packages: the module linked for each line, stdlib by release. */
function expectedGoPackages(file: string): { stdlib: string; modules: string[] } {
  const m = goVersionM(file);
  const tag = /^go(\d+)\.(\d+)(?:\.(\d+))?/.exec(m.goVersion)!;
  const modules = [...(m.main ? [m.main] : []), ...m.deps]
    .map((d) => d.replace ?? d)
    .filter((d) => d.version !== '' && d.version !== '(devel)')
    .map((d) => `${d.path}@${d.version}`);
  return { stdlib: `${tag[1]}.${tag[2]}.${tag[3] ?? '0'}`, modules };
}

/** The fixed version of an OSV SEMVER range for `v`, by the npm semver package (an independent implementation). */
function fixedFor(v: string, ranges: [string, string][]): string | undefined {
  return ranges.find(([introduced, fixed]) => semver.gte(v, introduced === '0' ? '0.0.0-0' : introduced) && semver.lt(v, fixed))?.[1];
}

test('scan: Go binaries (real builds), Cargo.lock and Gemfile.lock matched against Go, crates.io and RubyGems records', { skip: hasGo() ? false : 'go is not installed (apt-get install golang-go)' }, async (t) => {
  assert.ok(fs.existsSync(DOCKER_REGISTRY), `${DOCKER_REGISTRY} (apt-get install docker-registry)`);
  const reg = await createTestRegistry();
  const dir = tempDir('berth-scan-go-');
  t.after(async () => {
    await reg.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const app = buildGoProgram(dir);
  const core = reg.server.core;
  const zip = path.join(dir, 'lang.zip');
  const replacedRecord = {
    // Synthetic: names the module that go.mod replaced (and the one replaced by a directory): neither is in
    // the binary, so only the replacement, example.com/new v1.2.0+incompatible, may match.
    schema_version: '1.6.0',
    id: 'BERTH-TEST-GO-1',
    modified: '2026-01-01T00:00:00Z',
    aliases: ['CVE-2099-0001'],
    summary: 'synthetic record for replaced modules',
    affected: [
      { package: { ecosystem: 'Go', name: 'example.com/old' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }] }] },
      { package: { ecosystem: 'Go', name: 'example.com/local' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }] }] },
      { package: { ecosystem: 'Go', name: 'example.com/new' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '1.2.0' }, { fixed: '1.2.1' }] }] },
    ],
  };
  fs.writeFileSync(zip, recordsZip([...goCratesGemRecords(), replacedRecord]));
  assert.equal((await core.scan.importer.importFile(zip)).records, 7);

  const l1 = await layerOf({ 'usr/bin/docker-registry': { body: fs.readFileSync(DOCKER_REGISTRY), mode: 0o755 } });
  const l2 = await layerOf({
    'usr/local/bin/app': { body: fs.readFileSync(app), mode: 0o755 },
    'srv/rust/Cargo.lock': { body: cargoLockfile, mode: 0o644 },
    'srv/web/Gemfile.lock': { body: gemfileLockfile, mode: 0o644 },
  });
  const image = imageOf([l1, l2]);
  await pushImage(reg, 'library/tools', 'v1', image);
  const report = await core.scan.scan('library/tools', 'v1');
  assert.deepEqual(report.inventory.notes, []);

  // Inventory: exactly the Go toolchain's module lists; stdlib once per Go version (first binary by path).
  const registryGo = expectedGoPackages(DOCKER_REGISTRY);
  const appGo = expectedGoPackages(app);
  assert.ok(appGo.modules.includes('golang.org/x/net@v0.7.0') && appGo.modules.includes('example.com/new@v1.2.0+incompatible'), appGo.modules.join(' '));
  const stdlibLayers = new Map([[registryGo.stdlib, l1.blob.digest]]);
  if (!stdlibLayers.has(appGo.stdlib)) stdlibLayers.set(appGo.stdlib, l2.blob.digest);
  const golang = report.inventory.packages.filter((p) => p.type === 'golang');
  assert.deepEqual(
    golang.map((p) => `${p.name}@${p.version}`).sort(),
    [...[...stdlibLayers.keys()].map((v) => `stdlib@${v}`), ...registryGo.modules, ...appGo.modules].filter((x, i, all) => all.indexOf(x) === i).sort(),
  );
  assert.deepEqual(
    report.inventory.packages.filter((p) => p.type !== 'golang').map((p) => `${p.type} ${p.name}@${p.version}`),
    ['cargo openssl@0.10.52', 'cargo time@0.1.45', 'cargo tokio@1.28.2', 'gem mini_portile2@2.8.2', 'gem nokogiri@1.13.3', 'gem racc@1.6.2', 'gem rack@2.2.6'],
  );

  // Findings: stdlib by the records' ranges at this machine's Go versions; the rest fixed by the fixture.
  const expected: { vulnId: string; severity: string; score: number | undefined; package: string; installed: string; fixed: string | undefined; layer: string }[] = [];
  for (const [v, layer] of stdlibLayers) {
    const rapidReset = fixedFor(v, [['0', '1.20.10'], ['1.21.0-0', '1.21.3']]);
    const continuation = fixedFor(v, [['0', '1.21.9'], ['1.22.0-0', '1.22.2']]);
    if (rapidReset) expected.push({ vulnId: 'CVE-2023-44487', severity: 'unknown', score: undefined, package: 'stdlib', installed: v, fixed: rapidReset, layer });
    if (continuation) expected.push({ vulnId: 'CVE-2023-45288', severity: 'unknown', score: undefined, package: 'stdlib', installed: v, fixed: continuation, layer });
  }
  expected.push(
    { vulnId: 'CVE-2023-44487', severity: 'unknown', score: undefined, package: 'golang.org/x/net', installed: 'v0.7.0', fixed: '0.17.0', layer: l2.blob.digest },
    { vulnId: 'CVE-2023-45288', severity: 'unknown', score: undefined, package: 'golang.org/x/net', installed: 'v0.7.0', fixed: '0.23.0', layer: l2.blob.digest },
    { vulnId: 'CVE-2099-0001', severity: 'unknown', score: undefined, package: 'example.com/new', installed: 'v1.2.0+incompatible', fixed: '1.2.1', layer: l2.blob.digest },
    { vulnId: 'RUSTSEC-2023-0044', severity: 'unknown', score: undefined, package: 'openssl', installed: '0.10.52', fixed: '0.10.55', layer: l2.blob.digest },
    { vulnId: 'CVE-2020-26235', severity: 'medium', score: 6.2, package: 'time', installed: '0.1.45', fixed: '0.2.0', layer: l2.blob.digest },
    { vulnId: 'CVE-2022-24836', severity: 'high', score: 7.5, package: 'nokogiri', installed: '1.13.3', fixed: '1.13.4', layer: l2.blob.digest },
    { vulnId: 'CVE-2022-44571', severity: 'low', score: undefined, package: 'rack', installed: '2.2.6', fixed: '2.2.6.1', layer: l2.blob.digest },
  );
  const key = (f: { vulnId: string; package: string; installed: string }) => `${f.vulnId} ${f.package} ${f.installed}`;
  const got = report.findings.map((f) => ({ vulnId: f.vulnId, severity: f.severity, score: f.score, package: f.package, installed: f.installed, fixed: f.fixed, layer: f.layer }));
  assert.deepEqual([...got].sort((a, b) => key(a).localeCompare(key(b))), [...expected].sort((a, b) => key(a).localeCompare(key(b))));

  // The SBOM names them by package URL.
  const cdx = (await (await reg.fetch('/api/v1/repositories/library%2Ftools/artifacts/v1/sbom')).json()) as { components: { purl: string; type: string }[]; vulnerabilities: { id: string; affects: { ref: string }[] }[] };
  const purls = cdx.components.map((c) => c.purl);
  for (const p of ['pkg:golang/golang.org/x/net@v0.7.0', 'pkg:golang/example.com/new@v1.2.0%2Bincompatible', `pkg:golang/stdlib@${registryGo.stdlib}`, 'pkg:cargo/openssl@0.10.52', 'pkg:gem/nokogiri@1.13.3?platform=x86_64-linux']) {
    assert.ok(purls.includes(p), `${p} in ${purls.join(' ')}`);
  }
  assert.ok(cdx.components.every((c) => c.type === 'library'));
  assert.ok(cdx.vulnerabilities.some((v) => v.id === 'CVE-2022-24836' && v.affects[0]!.ref === 'pkg:gem/nokogiri@1.13.3?platform=x86_64-linux'));
  const spdx = (await (await reg.fetch('/api/v1/repositories/library%2Ftools/artifacts/v1/sbom?format=spdx')).json()) as { packages: { externalRefs?: { referenceLocator: string }[] }[] };
  assert.deepEqual(spdx.packages.slice(1).map((p) => p.externalRefs![0]!.referenceLocator).sort(), [...purls].sort());
});
