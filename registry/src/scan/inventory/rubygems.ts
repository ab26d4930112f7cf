import type { ParsedPackage } from './types.js';

/*
 * Ruby gems: the Gemfile.lock Bundler writes, and the specifications RubyGems keeps for every installed gem
 * (`specifications/*.gemspec`, `specifications/default/*.gemspec` for the gems that ship with Ruby).
 */

/**
 * Gemfile.lock: in each `GEM` section (gems from a gem server), the specs at four spaces are "name (version)"
 * or "name (version-platform)"; Bundler splits the platform off at the first "-". `GIT` and `PATH` sections
 * hold gems built from a checkout, which no RubyGems advisory versions describe, so they are left out.
 */
export function parseGemfileLock(text: string): ParsedPackage[] {
  const out: ParsedPackage[] = [];
  let section = '';
  let inSpecs = false;
  for (const line of text.split(/\r?\n/)) {
    if (/^\S/.test(line)) {
      section = line.trim();
      inSpecs = false;
      continue;
    }
    if (section !== 'GEM') continue;
    if (/^ {2}specs:\s*$/.test(line)) {
      inSpecs = true;
      continue;
    }
    if (/^ {2}\S/.test(line)) inSpecs = false;
    const m = inSpecs ? /^ {4}([^\s(]+) \(([^-)]+)(?:-([^)]+))?\)!?$/.exec(line) : null;
    if (!m) continue;
    const platform = m[3];
    out.push({ type: 'gem', name: m[1]!, version: m[2]!, ...(platform && platform !== 'ruby' ? { arch: platform } : {}) });
  }
  return out;
}

/**
 * An installed gem's specification. RubyGems writes a stub line first ("# stub: name version platform paths"),
 * which RubyGems itself reads to list gems without evaluating them; older files lack it, and then the
 * `s.name = "…"` and `s.version = "…"` assignments say the same.
 */
export function parseGemspec(text: string): ParsedPackage[] {
  const stub = /^# stub: (\S+) (\S+) (\S+)/m.exec(text.slice(0, 4096));
  let name = stub?.[1];
  let version = stub?.[2];
  let platform = stub?.[3];
  if (!stub) {
    name = /^\s*s\.name\s*=\s*["']([^"']+)["']/m.exec(text)?.[1];
    version = /^\s*s\.version\s*=\s*["']([^"']+)["']/m.exec(text)?.[1];
    platform = /^\s*s\.platform\s*=\s*["']([^"']+)["']/m.exec(text)?.[1];
  }
  if (!name || !version) return [];
  return [{ type: 'gem', name, version, ...(platform && platform !== 'ruby' ? { arch: platform } : {}) }];
}
