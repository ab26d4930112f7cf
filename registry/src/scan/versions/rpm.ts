import { compareDigits } from './numeric.js';

/*
 * RPM version comparison: rpmvercmp() from rpm's rpmio/rpmvercmp.c over [epoch:]version[-release]. Segments
 * are runs of digits or of letters; separators are skipped; `~` sorts before everything (pre-releases), `^`
 * after the end but before any further segment (snapshots); a numeric segment is newer than an alphabetic one.
 */

const isDigit = (c: string): boolean => c >= '0' && c <= '9';
const isAlpha = (c: string): boolean => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
const isAlnum = (c: string): boolean => isDigit(c) || isAlpha(c);

export function rpmvercmp(a: string, b: string): number {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while (i < a.length && !isAlnum(a[i]!) && a[i] !== '~' && a[i] !== '^') i++;
    while (j < b.length && !isAlnum(b[j]!) && b[j] !== '~' && b[j] !== '^') j++;
    const ca = a[i] ?? '';
    const cb = b[j] ?? '';
    if (ca === '~' || cb === '~') {
      if (ca !== '~') return 1;
      if (cb !== '~') return -1;
      i++;
      j++;
      continue;
    }
    if (ca === '^' || cb === '^') {
      if (ca === '') return -1;
      if (cb === '') return 1;
      if (ca !== '^') return 1;
      if (cb !== '^') return -1;
      i++;
      j++;
      continue;
    }
    if (ca === '' || cb === '') break;
    const numeric = isDigit(ca);
    const take = numeric ? isDigit : isAlpha;
    let ei = i;
    let ej = j;
    while (ei < a.length && take(a[ei]!)) ei++;
    while (ej < b.length && take(b[ej]!)) ej++;
    const sa = a.slice(i, ei);
    const sb = b.slice(j, ej);
    // The other side's segment is of the other kind: numbers are newer than letters.
    if (sb === '') return numeric ? 1 : -1;
    const rc = numeric ? compareDigits(sa, sb) : sa < sb ? -1 : sa > sb ? 1 : 0;
    if (rc) return rc;
    i = ei;
    j = ej;
  }
  if (i >= a.length && j >= b.length) return 0;
  return i >= a.length ? -1 : 1;
}

export interface Evr {
  epoch: string;
  version: string;
  release: string | undefined;
}

/** [epoch:]version[-release], as rpmverParse splits it: the epoch must be digits, the release follows the last '-'. */
export function parseEvr(s: string): Evr {
  let rest = s.trim();
  let epoch = '';
  const colon = rest.indexOf(':');
  if (colon >= 0 && /^\d*$/.test(rest.slice(0, colon))) {
    epoch = rest.slice(0, colon);
    rest = rest.slice(colon + 1);
  }
  const dash = rest.lastIndexOf('-');
  return dash >= 0 ? { epoch, version: rest.slice(0, dash), release: rest.slice(dash + 1) } : { epoch, version: rest, release: undefined };
}

/** EVR order as rpm's Lua rpm.vercmp() gives it: a missing epoch is 0; a version without release sorts first. */
export function compareRpm(a: string, b: string): number {
  const x = parseEvr(a);
  const y = parseEvr(b);
  const e = compareDigits(x.epoch || '0', y.epoch || '0');
  if (e) return e;
  const v = rpmvercmp(x.version, y.version);
  if (v) return v;
  if (x.release === undefined || y.release === undefined) return x.release === y.release ? 0 : x.release === undefined ? -1 : 1;
  return rpmvercmp(x.release, y.release);
}
