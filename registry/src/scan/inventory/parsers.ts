import type { OsInfo, ParsedPackage } from './types.js';

/*
 * Parsers for the package databases an image carries. Each takes the file's text and returns packages; none
 * throws on odd content (a hostile or damaged database yields fewer packages, never a crash).
 */

/** /etc/os-release: KEY=value lines, values optionally quoted. */
export function parseOsRelease(text: string): OsInfo | undefined {
  const kv = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (!m) continue;
    let v = m[2]!.trim();
    if ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'"))) v = v.slice(1, -1).replace(/\\(.)/g, '$1');
    kv.set(m[1]!, v);
  }
  const id = kv.get('ID');
  if (!id) return undefined;
  return { id, versionId: kv.get('VERSION_ID') ?? '', prettyName: kv.get('PRETTY_NAME'), codename: kv.get('VERSION_CODENAME') };
}

/** RFC 822-style stanzas separated by blank lines; continuation lines (leading space) are folded into the field. */
function stanzas(text: string): Map<string, string>[] {
  const out: Map<string, string>[] = [];
  let cur = new Map<string, string>();
  let last: string | undefined;
  for (const line of text.split('\n')) {
    if (line.trim() === '') {
      if (cur.size) out.push(cur);
      cur = new Map();
      last = undefined;
      continue;
    }
    if ((line[0] === ' ' || line[0] === '\t') && last) {
      cur.set(last, `${cur.get(last)}\n${line.trim()}`);
      continue;
    }
    const c = line.indexOf(':');
    if (c <= 0) continue;
    last = line.slice(0, c).trim().toLowerCase();
    cur.set(last, line.slice(c + 1).trim());
  }
  if (cur.size) out.push(cur);
  return out;
}

/** var/lib/dpkg/status and status.d/* files: installed packages only, with their source package. */
export function parseDpkgStatus(text: string, requireStatus = true): ParsedPackage[] {
  const out: ParsedPackage[] = [];
  for (const s of stanzas(text)) {
    const name = s.get('package');
    const version = s.get('version');
    if (!name || !version) continue;
    // status.d/* files of distroless images carry no Status field: everything there is installed.
    const status = s.get('status');
    if (requireStatus || status !== undefined) {
      if (!status || !/\binstalled$/.test(status) || /\bnot-installed$/.test(status)) continue;
    }
    // "Source: name (version)" when the source version differs from the binary's.
    const src = /^(\S+)(?:\s+\(([^)]+)\))?/.exec(s.get('source') ?? '');
    out.push({
      type: 'deb',
      name,
      version,
      sourceName: src?.[1] ?? name,
      sourceVersion: src?.[2] ?? version,
      arch: s.get('architecture'),
    });
  }
  return out;
}

/** lib/apk/db/installed: one letter keys (P name, V version, o origin, A arch), blank line between packages. */
export function parseApkInstalled(text: string): ParsedPackage[] {
  const out: ParsedPackage[] = [];
  let cur: Record<string, string> = {};
  const flush = () => {
    if (cur.P && cur.V) out.push({ type: 'apk', name: cur.P, version: cur.V, sourceName: cur.o ?? cur.P, sourceVersion: cur.V, arch: cur.A });
    cur = {};
  };
  for (const line of text.split('\n')) {
    if (line.trim() === '') {
      flush();
      continue;
    }
    if (line[1] === ':' && 'PVoA'.includes(line[0]!)) cur[line[0]!] = line.slice(2).trim();
  }
  flush();
  return out;
}

function jsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** package-lock.json (lockfile v1, v2 and v3). Links to workspace folders are not packages of their own. */
export function parseNpmLock(text: string): ParsedPackage[] {
  const lock = jsonObject(text);
  if (!lock) return [];
  const out: ParsedPackage[] = [];
  const packages = lock.packages;
  if (packages && typeof packages === 'object') {
    for (const [key, raw] of Object.entries(packages as Record<string, unknown>)) {
      if (key === '' || !raw || typeof raw !== 'object') continue;
      const e = raw as Record<string, unknown>;
      if (e.link === true) continue;
      const i = key.lastIndexOf('node_modules/');
      const name = str(e.name) ?? (i >= 0 ? key.slice(i + 'node_modules/'.length) : undefined);
      const version = str(e.version);
      if (name && version) out.push({ type: 'npm', name, version });
    }
    return out;
  }
  // v1: nested "dependencies".
  const walk = (deps: unknown, depth: number) => {
    if (!deps || typeof deps !== 'object' || depth > 64) return;
    for (const [name, raw] of Object.entries(deps as Record<string, unknown>)) {
      if (!raw || typeof raw !== 'object') continue;
      const e = raw as Record<string, unknown>;
      const version = str(e.version);
      if (version && !version.startsWith('file:')) out.push({ type: 'npm', name, version });
      walk(e.dependencies, depth + 1);
    }
  };
  walk(lock.dependencies, 0);
  return out;
}

/** node_modules/<name>/package.json of an installed package. */
export function parseNpmPackageJson(text: string): ParsedPackage[] {
  const pkg = jsonObject(text);
  const name = str(pkg?.name);
  const version = str(pkg?.version);
  return name && version ? [{ type: 'npm', name, version }] : [];
}

/** PEP 503 name normalisation, as OSV's PyPI records spell names. */
export function normalizePypiName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

/** *.dist-info/METADATA and *.egg-info/PKG-INFO: the header block before the description. */
export function parsePythonMetadata(text: string): ParsedPackage[] {
  const head = text.split(/\r?\n\r?\n/, 1)[0] ?? '';
  const s = stanzas(head)[0];
  const name = s?.get('name');
  const version = s?.get('version');
  return name && version ? [{ type: 'pypi', name: normalizePypiName(name), version }] : [];
}
