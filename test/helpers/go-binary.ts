import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

/*
 * Go binaries for scanning tests. goBuildInfo() writes the build information blob byte for byte as the Go
 * linker (≥ 1.18) does (cmd/link's buildinfo: magic, pointer size, flags 0x2, uvarint-prefixed version and
 * module information framed by cmd/go's sentinels); syntheticGoBinary() puts it, 16-byte aligned, inside
 * ELF-looking bytes. buildGoProgram() builds a real one with the machine's `go` (offline: vendored modules).
 */

/** cmd/go/internal/modload infoStart and infoEnd. */
const INFO_START = Buffer.from('3077af0c9274080241e1c107e6d618e6', 'hex');
const INFO_END = Buffer.from('f932433186182072008242104116d8f2', 'hex');

function uvarint(n: number): Buffer {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Buffer.from(out);
}

export interface GoModuleLine {
  path: string;
  version: string;
  sum?: string;
  replace?: { path: string; version: string; sum?: string };
}

/** The module information text, as `go` writes it (BuildInfo.String without the go line). */
export function goModInfo(info: { path: string; main?: GoModuleLine; deps?: GoModuleLine[]; settings?: Record<string, string> }): string {
  const mod = (kind: string, m: { path: string; version: string; sum?: string }) => `${kind}\t${m.path}\t${m.version}\t${m.sum ?? ''}\n`;
  let s = `path\t${info.path}\n`;
  if (info.main) s += mod('mod', info.main);
  for (const d of info.deps ?? []) {
    s += mod('dep', d);
    if (d.replace) s += mod('=>', d.replace);
  }
  for (const [k, v] of Object.entries(info.settings ?? { '-compiler': 'gc', GOOS: 'linux', GOARCH: 'amd64' })) s += `build\t${k}=${v}\n`;
  return s;
}

/** The 32-byte header and the inline strings (Go ≥ 1.18). */
export function goBuildInfo(goVersion: string, modinfo: string, opts: { ptrSize?: number; framed?: boolean } = {}): Buffer {
  const header = Buffer.alloc(32);
  header.write('\xff Go buildinf:', 0, 'latin1');
  header[14] = opts.ptrSize ?? 8;
  header[15] = 2;
  const v = Buffer.from(goVersion, 'latin1');
  const m = opts.framed === false ? Buffer.from(modinfo) : Buffer.concat([INFO_START, Buffer.from(modinfo), INFO_END]);
  return Buffer.concat([header, uvarint(v.length), v, uvarint(m.length), m]);
}

/** A pre-1.18 header: two pointers to string headers elsewhere in the file. */
export function legacyGoBuildInfo(): Buffer {
  const header = Buffer.alloc(32);
  header.write('\xff Go buildinf:', 0, 'latin1');
  header[14] = 8;
  header[15] = 0;
  header.writeBigUInt64LE(0x4a5b60n, 16);
  header.writeBigUInt64LE(0x4a5b70n, 24);
  return header;
}

/**
 * ELF magic, filler, and the blob at `offset` (16-byte aligned unless told otherwise). `decoys` puts the bare
 * magic at unaligned offsets and an aligned one with a zero pointer size before it, as a program that reads
 * build information (the `go` tool) carries it as a constant.
 */
export function syntheticGoBinary(blob: Buffer, opts: { size?: number; offset?: number; decoys?: boolean; random?: boolean } = {}): Buffer {
  const size = opts.size ?? 1024 * 1024;
  const offset = opts.offset ?? Math.floor((size * 2) / 3 / 16) * 16;
  const bin = opts.random ? randomBytes(size) : Buffer.alloc(size, 0x90);
  Buffer.from('\x7fELF\x02\x01\x01', 'latin1').copy(bin, 0);
  if (opts.decoys) {
    const magic = Buffer.from('\xff Go buildinf:', 'latin1');
    magic.copy(bin, 4099);
    Buffer.concat([magic, Buffer.from([0, 0])]).copy(bin, 8192);
    Buffer.concat([magic, Buffer.from([8, 2]), Buffer.alloc(16), Buffer.from([3]), Buffer.from('abc')]).copy(bin, 12288);
  }
  blob.copy(bin, offset);
  return bin.subarray(0, Math.max(size, offset + blob.length));
}

/** `go version -m FILE` parsed: the Go version and the module lines, exactly as the Go toolchain reads them. */
export function goVersionM(file: string): { goVersion: string; path: string | undefined; main: GoModuleLine | undefined; deps: GoModuleLine[] } {
  const out = execFileSync('go', ['version', '-m', file], { encoding: 'utf8', env: { ...process.env, GOTOOLCHAIN: 'local', GOFLAGS: '' } });
  const lines = out.split('\n');
  const goVersion = /: (.*)$/.exec(lines[0]!)![1]!;
  const res: ReturnType<typeof goVersionM> = { goVersion, path: undefined, main: undefined, deps: [] };
  let last: GoModuleLine | undefined;
  for (const line of lines.slice(1)) {
    const [, kind, ...f] = line.split('\t');
    if (kind === 'path') res.path = f[0];
    else if (kind === 'mod') res.main = last = { path: f[0]!, version: f[1]!, sum: f[2] ?? '' };
    else if (kind === 'dep') res.deps.push((last = { path: f[0]!, version: f[1]!, sum: f[2] ?? '' }));
    else if (kind === '=>' && last) last.replace = { path: f[0]!, version: f[1]!, sum: f[2] ?? '' };
  }
  return res;
}

export function hasGo(): boolean {
  try {
    execFileSync('go', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Builds a real Go program offline, in module mode, with vendored dependencies: golang.org/x/net at `netVersion`,
 * a module replaced by another module version, and one replaced by a local directory. Returns the binary's path.
 */
export function buildGoProgram(dir: string, netVersion = 'v0.7.0'): string {
  const w = (rel: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  };
  w('local/go.mod', 'module example.com/local\n\ngo 1.18\n');
  w('local/local.go', 'package local\n\nfunc Name() string { return "local" }\n');
  w('app/go.mod', `module example.com/app\n\ngo 1.18\n\nrequire (\n\tgolang.org/x/net ${netVersion}\n\texample.com/old v1.0.0\n\texample.com/local v0.0.0\n)\n\nreplace example.com/old v1.0.0 => example.com/new v1.2.0+incompatible\n\nreplace example.com/local => ../local\n`);
  w('app/main.go', 'package main\n\nimport (\n\t"fmt"\n\n\t"example.com/local"\n\t"example.com/old/lib"\n\t"golang.org/x/net/html"\n)\n\nfunc main() { fmt.Println(html.Name(), lib.Name(), local.Name()) }\n');
  w('app/vendor/golang.org/x/net/html/html.go', 'package html\n\nfunc Name() string { return "html" }\n');
  w('app/vendor/example.com/old/lib/lib.go', 'package lib\n\nfunc Name() string { return "lib" }\n');
  w('app/vendor/example.com/local/local.go', 'package local\n\nfunc Name() string { return "local" }\n');
  w(
    'app/vendor/modules.txt',
    [
      '# example.com/local v0.0.0 => ../local',
      '## explicit',
      'example.com/local',
      '# example.com/old v1.0.0 => example.com/new v1.2.0+incompatible',
      '## explicit',
      'example.com/old/lib',
      `# golang.org/x/net ${netVersion}`,
      '## explicit; go 1.17',
      'golang.org/x/net/html',
      '# example.com/local => ../local',
      '# example.com/old v1.0.0 => example.com/new v1.2.0+incompatible',
      '',
    ].join('\n'),
  );
  const out = path.join(dir, 'app-bin');
  execFileSync('go', ['build', '-o', out, '.'], {
    cwd: path.join(dir, 'app'),
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, GOCACHE: path.join(dir, 'gocache'), GOPATH: path.join(dir, 'gopath'), GOFLAGS: '-mod=vendor', GOPROXY: 'off', GOTOOLCHAIN: 'local', CGO_ENABLED: '0', GOWORK: 'off' },
  });
  return out;
}
