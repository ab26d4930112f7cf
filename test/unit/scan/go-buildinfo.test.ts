import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { GoBuildInfoScanner } from '../../../registry/src/scan/inventory/go-binary-scanner.js';
import { decodeGoBuildInfo, goBinaryPackages, goStdlibVersion, parseGoBinary, GO_MAX_MODINFO } from '../../../registry/src/scan/inventory/go-buildinfo.js';
import { goBuildInfo, goModInfo, goVersionM, hasGo, legacyGoBuildInfo, syntheticGoBinary } from '../../helpers/go-binary.js';

/** Streams `bin` through a scanner in chunks of the given sizes (cycled). */
function scan(bin: Buffer, sizes: number[]): Buffer {
  const s = new GoBuildInfoScanner();
  for (let at = 0, i = 0; at < bin.length; i++) {
    const n = sizes[i % sizes.length]!;
    s.push(bin.subarray(at, at + n));
    at += n;
  }
  return s.result();
}

const modinfo = goModInfo({
  path: 'github.com/acme/tool/cmd/tool',
  main: { path: 'github.com/acme/tool', version: 'v1.4.2', sum: 'h1:abc=' },
  deps: [
    { path: 'golang.org/x/net', version: 'v0.7.0', sum: 'h1:rJrUqqhjsgNp7KqAIc25s9pZnjU7TUcSY7HcVZjdn1g=' },
    { path: 'github.com/old/yaml', version: 'v2.0.0+incompatible', replace: { path: 'github.com/fork/yaml', version: 'v2.1.0+incompatible', sum: 'h1:x=' } },
    { path: 'example.com/local', version: 'v0.0.0', replace: { path: '../local', version: '(devel)' } },
    { path: 'golang.org/x/sys', version: 'v0.0.0-20220722155257-8c9f86f7a55f', sum: 'h1:y=' },
  ],
});

test('Go build information: the module list, replacements honoured, stdlib at the toolchain version', () => {
  const blob = goBuildInfo('go1.21.5', modinfo);
  const info = decodeGoBuildInfo(blob);
  assert.equal(info.goVersion, 'go1.21.5');
  assert.equal(info.path, 'github.com/acme/tool/cmd/tool');
  assert.deepEqual(info.deps[1]!.replace, { path: 'github.com/fork/yaml', version: 'v2.1.0+incompatible', sum: 'h1:x=' });
  assert.deepEqual(
    goBinaryPackages(info).map((p) => `${p.name}@${p.version}`),
    ['stdlib@1.21.5', 'github.com/acme/tool@v1.4.2', 'golang.org/x/net@v0.7.0', 'github.com/fork/yaml@v2.1.0+incompatible', 'golang.org/x/sys@v0.0.0-20220722155257-8c9f86f7a55f'],
  );
  assert.ok(parseGoBinary(blob).every((p) => p.type === 'golang'));
  // Built in place: the main module is "(devel)" and not a package; without framing there is no module list.
  const devel = goBuildInfo('go1.22.0', goModInfo({ path: 'example.com/app', main: { path: 'example.com/app', version: '(devel)' } }));
  assert.deepEqual(parseGoBinary(devel), [{ type: 'golang', name: 'stdlib', version: '1.22.0' }]);
  assert.deepEqual(parseGoBinary(goBuildInfo('go1.22.0', modinfo, { framed: false })), [{ type: 'golang', name: 'stdlib', version: '1.22.0' }]);
  assert.deepEqual(parseGoBinary(Buffer.alloc(0)), [], 'an executable without build information');
});

test('Go stdlib versions as OSV writes them', () => {
  const table: [string, string | undefined][] = [
    ['go1.21.5', '1.21.5'],
    ['go1.19', '1.19.0'],
    ['go1.21.0', '1.21.0'],
    ['go1.21rc2', '1.21.0-rc.2'],
    ['go1.18beta1', '1.18.0-beta.1'],
    ['go1.21.5 X:boringcrypto', '1.21.5'],
    ['go1.20.6-bigcorp', '1.20.6'],
    ['go1', '1.0.0'],
    ['devel go1.22-8c9f86f7a5 Tue Jul 4 12:00:00 2023 +0000', undefined],
    ['gccgo', undefined],
  ];
  for (const [tag, want] of table) assert.equal(goStdlibVersion(tag), want, tag);
});

test('Go build information is found while the binary streams, whatever the chunking, and only at aligned offsets', () => {
  const blob = goBuildInfo('go1.20.3', modinfo);
  const bin = syntheticGoBinary(blob, { size: 256 * 1024, decoys: true, random: true });
  for (const sizes of [[1], [7], [13], [14], [15], [16], [17], [4096], [65536], [1 << 20], [3, 1000, 13, 64 * 1024 + 5]]) {
    assert.deepEqual(scan(bin, sizes), blob, `chunks of ${sizes.join(',')}`);
  }
  // The header right at a chunk boundary, and straddling one by each possible split of the magic.
  const offset = 160 * 1024;
  const at = syntheticGoBinary(blob, { size: 256 * 1024, offset });
  for (let split = offset - 2; split <= offset + 40; split++) {
    const s = new GoBuildInfoScanner();
    s.push(at.subarray(0, split));
    s.push(at.subarray(split));
    assert.deepEqual(s.result(), blob, `split at ${split}`);
  }
  // The linker aligns the blob to 16 bytes; debug/buildinfo (and Berth) look nowhere else.
  assert.deepEqual(scan(syntheticGoBinary(blob, { offset: 100 * 1024 + 8 }), [65536]), Buffer.alloc(0));
  // Not a Go binary at all.
  assert.deepEqual(scan(syntheticGoBinary(Buffer.alloc(0), { random: true }), [65536]), Buffer.alloc(0));
  // A decoy whose "version" is not one, right before the real header: the search resumes after the decoy.
  const decoy = Buffer.concat([goBuildInfo('not-a-version', ''), Buffer.alloc(16 - ((goBuildInfo('not-a-version', '').length) % 16))]);
  const both = syntheticGoBinary(Buffer.concat([decoy, blob]), { size: 300 * 1024 });
  assert.deepEqual(scan(both, [4096]), blob);
});

test('Go build information that cannot be read is reported with its reason', () => {
  const legacy = scan(syntheticGoBinary(legacyGoBuildInfo()), [65536]);
  assert.equal(legacy.length, 32);
  assert.throws(() => parseGoBinary(legacy), /built by Go older than 1\.18/);
  const huge = goBuildInfo('go1.21.0', `path\tx\n${'dep\texample.com/m\tv1.0.0\t\n'.repeat(GO_MAX_MODINFO / 20)}`);
  const kept = scan(syntheticGoBinary(huge, { size: huge.length + 64 * 1024, offset: 4096 }), [65536]);
  assert.ok(kept.length < 64, 'the scanner keeps the header, not the oversized module list');
  assert.throws(() => parseGoBinary(kept), /more than the 4194304 bytes the scanner reads/);
});

/** Go programs on this machine (Debian's skopeo, docker-registry, … and the Go toolchain's own commands). */
function machineGoBinaries(): string[] {
  const candidates = ['/usr/bin/docker-registry', '/usr/bin/skopeo', '/usr/bin/umoci', '/usr/bin/ctr', '/usr/bin/containerd', '/usr/bin/podman'];
  if (hasGo()) {
    const root = execFileSync('go', ['env', 'GOROOT'], { encoding: 'utf8' }).trim();
    candidates.push(path.join(root, 'bin', 'go'), path.join(root, 'bin', 'gofmt'));
  }
  return candidates.filter((f) => fs.existsSync(f));
}

test('real Go binaries: streamed like a layer, the same modules as `go version -m`', { skip: hasGo() ? false : 'go is not installed (apt-get install golang-go)' }, async () => {
  const bins = machineGoBinaries();
  assert.ok(bins.length >= 2, `Go binaries found: ${bins.join(', ')}`);
  for (const file of bins) {
    const s = new GoBuildInfoScanner();
    for await (const c of fs.createReadStream(file, { highWaterMark: 16 * 1024 + 3 })) s.push(c as Buffer);
    const info = decodeGoBuildInfo(s.result());
    const want = goVersionM(file);
    assert.equal(info.goVersion, want.goVersion, file);
    assert.equal(info.path, want.path, file);
    assert.deepEqual(info.main, want.main, file);
    assert.deepEqual(info.deps, want.deps, file);
    assert.equal(goBinaryPackages(info)[0]!.version, want.goVersion.replace(/^go/, '').replace(/^(\d+\.\d+)$/, '$1.0'), file);
  }
});
