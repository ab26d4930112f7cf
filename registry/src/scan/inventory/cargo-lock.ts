import type { ParsedPackage } from './types.js';

/*
 * Cargo.lock (lockfile versions 1 to 4): TOML that Cargo writes in one fixed shape, a `[[package]]` table per
 * crate with `name`, `version` and `source` as one-line basic strings. Read line by line rather than with a
 * TOML parser: only those three keys matter, and arrays (`dependencies = [...]`) and other tables are skipped.
 * Only crates from crates.io (git index or sparse index) are packages of the crates.io ecosystem; workspace
 * members (no source), git and path dependencies and other registries are not, and OSV's crates.io records
 * would say nothing true about them.
 */

const cratesIo = new Set(['registry+https://github.com/rust-lang/crates.io-index', 'sparse+https://index.crates.io/']);

function basicString(raw: string): string | undefined {
  const m = /^"((?:[^"\\]|\\.)*)"\s*(?:#.*)?$/.exec(raw.trim());
  return m ? m[1]!.replace(/\\(.)/g, '$1') : undefined;
}

export function parseCargoLock(text: string): ParsedPackage[] {
  const out: ParsedPackage[] = [];
  let cur: Record<string, string> | undefined;
  const flush = () => {
    if (cur?.name && cur.version && cur.source && cratesIo.has(cur.source)) out.push({ type: 'cargo', name: cur.name, version: cur.version });
    cur = undefined;
  };
  for (const line of text.split(/\r?\n/)) {
    const t = line.trim();
    if (t.startsWith('[')) {
      flush();
      if (t === '[[package]]') cur = {};
      continue;
    }
    const m = /^(name|version|source)\s*=\s*(.*)$/.exec(t);
    if (cur && m) {
      const v = basicString(m[2]!);
      if (v !== undefined) cur[m[1]!] = v;
    }
  }
  flush();
  return out;
}
