import { test } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { InventoryBuilder } from '../../../registry/src/scan/inventory/inventory-builder.js';
import { parseCargoLock } from '../../../registry/src/scan/inventory/cargo-lock.js';
import { parseGemfileLock, parseGemspec } from '../../../registry/src/scan/inventory/rubygems.js';
import { purl, type InventoryPackage } from '../../../registry/src/scan/inventory/types.js';
import { cycloneDx, spdx } from '../../../registry/src/scan/sbom.js';
import { cargoLockfile, gemfileLockfile } from '../../helpers/lockfile-fixtures.js';
import { goBuildInfo, goModInfo, legacyGoBuildInfo, syntheticGoBinary } from '../../helpers/go-binary.js';

type Entry = { name: string; mode?: number; type?: 'file' | 'symlink'; linkname?: string; body?: Buffer | string };

/** A gzip tar layer with modes and symlinks (what a Dockerfile's COPY --chmod and ln -s produce). */
async function layer(entries: Entry[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const e of entries) {
    if (e.type === 'symlink') pack.entry({ name: e.name, type: 'symlink', linkname: e.linkname!, mode: 0o777 });
    else pack.entry({ name: e.name, mode: e.mode ?? 0o644 }, typeof e.body === 'string' ? Buffer.from(e.body) : (e.body ?? Buffer.alloc(0)));
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack.pipe(zlib.createGzip())) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function inventoryOf(layers: Buffer[]) {
  const b = new InventoryBuilder({ maxExpansionRatio: 100_000 });
  for (const [i, bytes] of layers.entries()) await b.addLayer({ digest: `sha256:${String(i).repeat(64)}`, size: bytes.length, open: () => Readable.from([bytes]) });
  return b.finish();
}

const goTool = (deps: { path: string; version: string }[], goVersion = 'go1.21.4') =>
  syntheticGoBinary(goBuildInfo(goVersion, goModInfo({ path: 'example.com/tool', main: { path: 'example.com/tool', version: '(devel)' }, deps })), { size: 512 * 1024, random: true });

test('inventory: Go binaries by executable bit or ELF magic, replaced and removed across layers; Cargo and Ruby lockfiles', async () => {
  const netOld = goTool([{ path: 'golang.org/x/net', version: 'v0.7.0' }]);
  const l1 = await layer([
    { name: 'usr/local/bin/tool', mode: 0o755, body: netOld },
    { name: 'usr/local/bin/helper', mode: 0o755, body: goTool([{ path: 'github.com/spf13/cobra', version: 'v1.7.0' }], 'go1.20.1') },
    // A shared object installed without an executable bit is still read (ELF magic) …
    { name: 'usr/lib/libgo-plugin.so', mode: 0o644, body: goTool([{ path: 'google.golang.org/grpc', version: 'v1.56.2' }]) },
    // … a data file that merely contains the bytes is not.
    { name: 'usr/share/data.bin', mode: 0o644, body: Buffer.concat([Buffer.alloc(4096, 1), goBuildInfo('go1.21.4', goModInfo({ path: 'x', deps: [{ path: 'evil.example/data', version: 'v1.0.0' }] }))]) },
    { name: 'usr/local/bin/old-tool', mode: 0o755, body: syntheticGoBinary(legacyGoBuildInfo()) },
    { name: 'usr/local/bin/entrypoint.sh', mode: 0o755, body: '#!/bin/sh\nexec tool "$@"\n' },
    { name: 'srv/rust/Cargo.lock', body: cargoLockfile },
    { name: 'root/.cargo/registry/src/index.crates.io-6f17d22bba15001f/openssl-0.10.52/Cargo.lock', body: cargoLockfile.replace('0.10.52', '0.9.0') },
    { name: 'srv/web/Gemfile.lock', body: gemfileLockfile },
    { name: 'usr/local/bundle/gems/rack-2.2.6/Gemfile.lock', body: gemfileLockfile.replace('rack (2.2.6)', 'rack (1.0.0)') },
    { name: 'usr/local/lib/ruby/gems/3.2.0/specifications/default/json-2.6.3.gemspec', body: '# -*- encoding: utf-8 -*-\n# stub: json 2.6.3 ruby lib\n\nGem::Specification.new do |s|\n  s.name = "json".freeze\n  s.version = "2.6.3"\n' },
    { name: 'usr/local/bundle/specifications/nokogiri-1.13.3-x86_64-linux.gemspec', body: '# stub: nokogiri 1.13.3 x86_64-linux lib\n' },
    { name: 'usr/local/bundle/specifications/old-0.1.gemspec', body: 'Gem::Specification.new do |s|\n  s.name = %q{old}\n  s.name = "old"\n  s.version = "0.1"\nend\n' },
  ]);
  const l2 = await layer([
    // The helper is replaced by a shell script, the plugin by a symlink: their Go modules are gone.
    { name: 'usr/local/bin/helper', mode: 0o755, body: '#!/bin/sh\necho replaced\n' },
    { name: 'usr/lib/libgo-plugin.so', type: 'symlink', linkname: 'libother.so' },
    // The tool is rebuilt with a newer x/net.
    { name: 'usr/local/bin/tool', mode: 0o755, body: goTool([{ path: 'golang.org/x/net', version: 'v0.17.0' }]) },
  ]);
  const inv = await inventoryOf([l1, l2]);
  const got = inv.packages.map((p) => `${p.type} ${p.name}@${p.version}${p.arch ? ` (${p.arch})` : ''} /${p.path} ${p.layer.slice(7, 8)}`).sort();
  assert.deepEqual(got, [
    'cargo openssl@0.10.52 /srv/rust/Cargo.lock 0',
    'cargo time@0.1.45 /srv/rust/Cargo.lock 0',
    'cargo tokio@1.28.2 /srv/rust/Cargo.lock 0',
    'gem json@2.6.3 /usr/local/lib/ruby/gems/3.2.0/specifications/default/json-2.6.3.gemspec 0',
    'gem mini_portile2@2.8.2 /srv/web/Gemfile.lock 0',
    'gem nokogiri@1.13.3 (x86_64-linux) /srv/web/Gemfile.lock 0',
    'gem old@0.1 /usr/local/bundle/specifications/old-0.1.gemspec 0',
    'gem racc@1.6.2 /srv/web/Gemfile.lock 0',
    'gem rack@2.2.6 /srv/web/Gemfile.lock 0',
    'golang golang.org/x/net@v0.17.0 /usr/local/bin/tool 1',
    'golang stdlib@1.21.4 /usr/local/bin/tool 0',
  ]);
  assert.deepEqual(inv.notes, ['/usr/local/bin/old-tool (layer 1): a Go binary built by Go older than 1.18, whose build information points elsewhere in the file (a streamed layer cannot follow it); its packages were not scanned']);
});

test('inventory: an ELF file over the size cap is reported, not read', async () => {
  // 257 MiB streamed into the layer (never held): ELF magic, then zeros.
  const size = 257 * 1024 * 1024;
  const pack = tar.pack();
  const gz: Buffer[] = [];
  const out = pipeline(pack, zlib.createGzip({ level: 1 }), async (src: AsyncIterable<Buffer>) => {
    for await (const c of src) gz.push(c);
  });
  const entry = pack.entry({ name: 'opt/huge', size, mode: 0o755 });
  const block = Buffer.alloc(1024 * 1024);
  Buffer.from('\x7fELF', 'latin1').copy(block);
  for (let i = 0; i < 256; i++) {
    if (!entry.write(i === 0 ? block : Buffer.alloc(1024 * 1024))) await new Promise<void>((r) => entry.once('drain', () => r()));
  }
  entry.end(Buffer.alloc(1024 * 1024));
  pack.finalize();
  await out;
  const inv = await inventoryOf([Buffer.concat(gz)]);
  assert.deepEqual(inv.packages, []);
  assert.deepEqual(inv.notes, [`/opt/huge: ${size} bytes is more than the ${256 * 1024 * 1024} bytes the scanner reads; its packages were not scanned`]);
});

test('Cargo.lock, Gemfile.lock and gemspec parsers keep to what the registries published', () => {
  assert.deepEqual(parseCargoLock(cargoLockfile), [
    { type: 'cargo', name: 'openssl', version: '0.10.52' },
    { type: 'cargo', name: 'time', version: '0.1.45' },
    { type: 'cargo', name: 'tokio', version: '1.28.2' },
  ]);
  assert.deepEqual(parseCargoLock('garbage [[package]]\nname = 1\n[[package]]\nname = "x"\nversion = "1"\n'), []);
  assert.deepEqual(parseGemfileLock(gemfileLockfile), [
    { type: 'gem', name: 'mini_portile2', version: '2.8.2' },
    { type: 'gem', name: 'nokogiri', version: '1.13.3', arch: 'x86_64-linux' },
    { type: 'gem', name: 'racc', version: '1.6.2' },
    { type: 'gem', name: 'rack', version: '2.2.6' },
  ]);
  assert.deepEqual(parseGemspec('# stub: json 2.6.3 ruby lib\n'), [{ type: 'gem', name: 'json', version: '2.6.3' }]);
  assert.deepEqual(parseGemspec('not a gemspec'), []);
});

test('package URLs of Go modules, crates and gems, in CycloneDX and SPDX', () => {
  const pkg = (type: InventoryPackage['type'], name: string, version: string, arch?: string): InventoryPackage => ({ type, name, version, arch, path: 'x', layer: 'sha256:1' });
  const pkgs = [
    pkg('golang', 'golang.org/x/net', 'v0.7.0'),
    pkg('golang', 'github.com/docker/docker', 'v24.0.7+incompatible'),
    pkg('golang', 'stdlib', '1.21.4'),
    pkg('cargo', 'openssl', '0.10.52'),
    pkg('gem', 'nokogiri', '1.13.3', 'x86_64-linux'),
    pkg('gem', 'rack', '2.2.6'),
  ];
  const urls = [
    'pkg:golang/golang.org/x/net@v0.7.0',
    'pkg:golang/github.com/docker/docker@v24.0.7%2Bincompatible',
    'pkg:golang/stdlib@1.21.4',
    'pkg:cargo/openssl@0.10.52',
    'pkg:gem/nokogiri@1.13.3?platform=x86_64-linux',
    'pkg:gem/rack@2.2.6',
  ];
  assert.deepEqual(pkgs.map((p) => purl(p, undefined)), urls);
  const inv = { os: undefined, packages: pkgs, notes: [], layers: [] };
  const bom = cycloneDx({ name: 'x:1', digest: 'sha256:2' }, inv) as { components: { type: string; purl: string }[] };
  assert.deepEqual(bom.components.map((c) => [c.type, c.purl]), urls.map((u) => ['library', u]));
  const doc = spdx({ name: 'x:1', digest: 'sha256:2' }, inv) as { packages: { externalRefs?: { referenceLocator: string }[] }[] };
  assert.deepEqual(doc.packages.slice(1).map((p) => p.externalRefs![0]!.referenceLocator), urls);
});
