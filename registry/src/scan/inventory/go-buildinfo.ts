import type { ParsedPackage } from './types.js';

/*
 * The build information the Go linker embeds in every Go binary (read by `go version -m` and debug/buildinfo).
 * Since Go 1.18 it is one blob, 16-byte aligned in the binary's data:
 *
 *   0   "\xff Go buildinf:"        14-byte magic
 *   14  pointer size               4 or 8
 *   15  flags                      bit 1 (0x2): strings inline; bit 0: big-endian (only for the pointer form)
 *   16  16 bytes                   zero in the inline form
 *   32  uvarint n, n bytes         the Go version, "go1.21.5" (or "devel go1.22-…", "go1.21.5 X:boringcrypto")
 *   …   uvarint m, m bytes         the module information, framed by two 16-byte sentinels
 *
 * The module information is lines of tab-separated fields: `path` (main package), `mod` (main module: path,
 * version, sum), `dep` (a dependency: path, version, sum) optionally followed by `=>` (its replacement: path,
 * version, sum), and `build` settings. Before Go 1.18 the header held two pointers to string headers elsewhere
 * in the file instead; following them needs random access to the whole binary, which a streamed layer does not
 * give, so those binaries are reported rather than read.
 */

export const GO_BUILDINFO_MAGIC = Buffer.from('\xff Go buildinf:', 'latin1');
export const GO_BUILDINFO_ALIGN = 16;
const HEADER = 32;
const FLAG_INLINE = 2;
/** Largest module information read (Kubernetes' is about 30 KiB). */
export const GO_MAX_MODINFO = 4 * 1024 * 1024;
const MAX_VERSION = 256;

/** The decision about bytes that start with the magic. */
export type HeaderCheck =
  | { kind: 'more'; need: number }
  | { kind: 'invalid' }
  | { kind: 'legacy' }
  /** length: the blob's bytes to keep (header, version, module information; shorter when that is too large) */
  | { kind: 'inline'; length: number };

/** Reads a uvarint at `pos`: [value, next position], 'more' when the bytes end first, undefined when too large. */
function uvarint(b: Buffer, pos: number, max: number): [number, number] | 'more' | undefined {
  let value = 0;
  for (let i = 0; i < 5; i++) {
    if (pos + i >= b.length) return 'more';
    const byte = b[pos + i]!;
    value += (byte & 0x7f) * 2 ** (7 * i);
    if ((byte & 0x80) === 0) return value <= max ? [value, pos + i + 1] : undefined;
  }
  return undefined;
}

/** Go version strings are printable ASCII and start with "go" or "devel". */
const goVersionPattern = /^(go[0-9]|devel )[\x20-\x7e]*$/;

/**
 * Checks bytes that start with the magic: a real header has a pointer size of 4 or 8, known flags and (inline)
 * a Go version string right after it. A module information larger than GO_MAX_MODINFO is cut off after its
 * length, so the parser can say why it was not read.
 */
export function checkHeader(b: Buffer): HeaderCheck {
  if (b.length < HEADER) return { kind: 'more', need: HEADER };
  const ptrSize = b[14]!;
  const flags = b[15]!;
  if ((ptrSize !== 4 && ptrSize !== 8) || (flags & ~3) !== 0) return { kind: 'invalid' };
  if ((flags & FLAG_INLINE) === 0) {
    // Two non-zero addresses in the pointer form.
    const zero = (from: number) => b.subarray(from, from + ptrSize).every((x) => x === 0);
    return zero(16) || zero(16 + ptrSize) ? { kind: 'invalid' } : { kind: 'legacy' };
  }
  const v = uvarint(b, HEADER, MAX_VERSION);
  if (v === 'more') return { kind: 'more', need: HEADER + 5 };
  if (!v || v[0] === 0) return { kind: 'invalid' };
  const [vlen, vstart] = v;
  if (b.length < vstart + vlen) return { kind: 'more', need: vstart + vlen + 5 };
  if (!goVersionPattern.test(b.toString('latin1', vstart, vstart + vlen))) return { kind: 'invalid' };
  const m = uvarint(b, vstart + vlen, Number.MAX_SAFE_INTEGER);
  if (m === 'more') return { kind: 'more', need: vstart + vlen + 10 };
  if (!m) return { kind: 'invalid' };
  const [mlen, mstart] = m;
  return { kind: 'inline', length: mlen > GO_MAX_MODINFO ? mstart : mstart + mlen };
}

/**
 * The stdlib version OSV's Go records use for a Go version string, as golang.org/x/vuln converts release tags:
 * go1.21.5 → 1.21.5, go1.19 → 1.19.0, go1.21rc2 → 1.21.0-rc.2. Toolchain suffixes (" X:boringcrypto",
 * "-bigcorp") are dropped; development builds ("devel …") have no release version.
 */
export function goStdlibVersion(goVersion: string): string | undefined {
  const tag = goVersion.trim().split(/\s+/)[0] ?? '';
  if (tag === 'go1') return '1.0.0';
  const m = /^go(\d+)\.(\d+)(?:\.(\d+))?(?:(beta|rc)(\d+))?(?:[-+].*)?$/.exec(tag);
  if (!m) return undefined;
  return `${m[1]}.${m[2]}.${m[3] ?? '0'}${m[4] ? `-${m[4]}.${m[5]}` : ''}`;
}

export interface GoModule {
  path: string;
  version: string;
  sum: string;
  replace?: { path: string; version: string; sum: string };
}

export interface GoBuildInfo {
  goVersion: string;
  /** The main package's import path. */
  path: string | undefined;
  main: GoModule | undefined;
  deps: GoModule[];
}

/** Sentinels around the module information (cmd/go's modload infoStart/infoEnd); only their presence matters. */
function stripFraming(mod: string): string {
  return mod.length >= 33 && mod[mod.length - 17] === '\n' ? mod.slice(16, -16) : '';
}

/** Decodes a blob that checkHeader accepted; throws with the reason when it cannot be read. */
export function decodeGoBuildInfo(blob: Buffer): GoBuildInfo {
  const h = checkHeader(blob);
  if (h.kind === 'legacy') {
    throw new Error('a Go binary built by Go older than 1.18, whose build information points elsewhere in the file (a streamed layer cannot follow it)');
  }
  if (h.kind !== 'inline') throw new Error('damaged Go build information');
  const [vlen, vstart] = uvarint(blob, HEADER, MAX_VERSION) as [number, number];
  const goVersion = blob.toString('latin1', vstart, vstart + vlen);
  const [mlen, mstart] = uvarint(blob, vstart + vlen, Number.MAX_SAFE_INTEGER) as [number, number];
  if (mlen > GO_MAX_MODINFO) throw new Error(`Go module information of ${mlen} bytes is more than the ${GO_MAX_MODINFO} bytes the scanner reads`);
  if (blob.length < mstart + mlen) throw new Error('truncated Go build information');
  const info: GoBuildInfo = { goVersion, path: undefined, main: undefined, deps: [] };
  let last: GoModule | undefined;
  const module = (fields: string[]): GoModule | undefined =>
    fields.length === 2 || fields.length === 3 ? { path: fields[0]!, version: fields[1]!, sum: fields[2] ?? '' } : undefined;
  // Lines other than these (build settings, blank lines Go 1.19 writes after replacements) carry no modules.
  for (const line of stripFraming(blob.toString('utf8', mstart, mstart + mlen)).split('\n')) {
    const [kind, ...fields] = line.split('\t');
    if (kind === 'path') info.path = fields.join('\t');
    else if (kind === 'mod') last = info.main = module(fields);
    else if (kind === 'dep') {
      last = module(fields);
      if (last) info.deps.push(last);
    } else if (kind === '=>' && last && fields.length === 3) {
      last.replace = { path: fields[0]!, version: fields[1]!, sum: fields[2]! };
      last = undefined;
    }
  }
  return info;
}

/** Versions of code that is not a published module version: a local directory, the main module built in place. */
const unpublished = (version: string) => version === '' || version === '(devel)';

/**
 * The Go packages of a binary, as osv-scanner reports them: the standard library as `stdlib` at the toolchain's
 * version, the main module when it has a version, every dependency as the module actually linked (a `=>`
 * replacement wins; one by a local directory is not a published module and is left out).
 */
export function goBinaryPackages(info: GoBuildInfo): ParsedPackage[] {
  const out: ParsedPackage[] = [];
  const stdlib = goStdlibVersion(info.goVersion);
  if (stdlib) out.push({ type: 'golang', name: 'stdlib', version: stdlib });
  for (const m of [...(info.main ? [info.main] : []), ...info.deps]) {
    const linked = m.replace ?? m;
    if (!unpublished(linked.version) && linked.path !== '') out.push({ type: 'golang', name: linked.path, version: linked.version });
  }
  return out;
}

/** Target parser: an empty blob is an executable without Go build information. */
export function parseGoBinary(blob: Buffer): ParsedPackage[] {
  return blob.length === 0 ? [] : goBinaryPackages(decodeGoBuildInfo(blob));
}
