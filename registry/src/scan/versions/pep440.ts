import { compareDigits } from './numeric.js';

/*
 * PEP 440 (Python packaging) versions: [N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local], with the spelling
 * normalisations the PEP allows (alpha/beta/c/pre/preview, post/rev/r or "-N", leading "v", "-"/"_"/"."
 * separators, case). Ordering as the PEP and `packaging.version` define it: release trailing zeros ignored;
 * dev < pre < final < post; a local version sorts after the same public version.
 */

export interface Pep440Version {
  epoch: string;
  release: string[];
  pre: [number, string] | undefined; // rank (a=0, b=1, rc=2), number
  post: string | undefined;
  dev: string | undefined;
  local: string[] | undefined;
}

const re =
  /^v?(?:(\d+)!)?(\d+(?:\.\d+)*)(?:[-_.]?(a|alpha|b|beta|rc|c|pre|preview)[-_.]?(\d*))?(?:-(\d+)|[-_.]?(post|rev|r)[-_.]?(\d*))?(?:[-_.]?(dev)[-_.]?(\d*))?(?:\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?$/;

const preRank: Record<string, number> = { a: 0, alpha: 0, b: 1, beta: 1, rc: 2, c: 2, pre: 2, preview: 2 };

export function parsePep440(v: string): Pep440Version {
  const m = re.exec(v.trim().toLowerCase());
  if (!m) throw new Error(`invalid PEP 440 version ${JSON.stringify(v)}`);
  const release = m[2]!.split('.');
  while (release.length > 1 && /^0+$/.test(release[release.length - 1]!)) release.pop();
  return {
    epoch: m[1] ?? '0',
    release,
    pre: m[3] ? [preRank[m[3]]!, m[4] || '0'] : undefined,
    post: m[5] ?? (m[6] ? m[7] || '0' : undefined),
    dev: m[8] ? m[9] || '0' : undefined,
    local: m[10]?.split(/[-_.]/),
  };
}

export function isValidPep440(v: string): boolean {
  return re.test(v.trim().toLowerCase());
}

function compareRelease(a: string[], b: string[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const r = compareDigits(a[i] ?? '0', b[i] ?? '0');
    if (r) return r;
  }
  return 0;
}

/** Pre-release key: a dev-only release sorts before any pre-release; a final release after all of them. */
function preKey(v: Pep440Version): [number, number, string] {
  if (v.pre) return [0, v.pre[0], v.pre[1]];
  if (v.post === undefined && v.dev !== undefined) return [-1, 0, '0'];
  return [1, 0, '0'];
}

function compareLocal(a: string[] | undefined, b: string[] | undefined): number {
  if (!a || !b) return a ? 1 : b ? -1 : 0;
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const xn = /^\d+$/.test(x);
    const yn = /^\d+$/.test(y);
    // Numeric segments sort after alphanumeric ones.
    if (xn !== yn) return xn ? 1 : -1;
    const r = xn ? compareDigits(x, y) : x < y ? -1 : x > y ? 1 : 0;
    if (r) return r;
  }
  return 0;
}

export function comparePep440(a: string, b: string): number {
  const x = parsePep440(a);
  const y = parsePep440(b);
  let r = compareDigits(x.epoch, y.epoch) || compareRelease(x.release, y.release);
  if (r) return r;
  const [xp0, xp1, xp2] = preKey(x);
  const [yp0, yp1, yp2] = preKey(y);
  r = Math.sign(xp0 - yp0) || Math.sign(xp1 - yp1) || compareDigits(xp2, yp2);
  if (r) return r;
  // No post release sorts before any post release.
  if (x.post !== y.post) {
    if (x.post === undefined) return -1;
    if (y.post === undefined) return 1;
    r = compareDigits(x.post, y.post);
    if (r) return r;
  }
  // A dev release sorts before the same version without one.
  if (x.dev !== y.dev) {
    if (x.dev === undefined) return 1;
    if (y.dev === undefined) return -1;
    r = compareDigits(x.dev, y.dev);
    if (r) return r;
  }
  return compareLocal(x.local, y.local);
}
