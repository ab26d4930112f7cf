import { compareDigits } from './numeric.js';

/*
 * Alpine (apk-tools) version comparison: digit{.digit}...{letter}{_suffix{#}}...{~hash}{-r#}. Tokens are
 * compared pairwise while both sides have the same kind; a number after '.' with a leading zero compares as a
 * string (Gentoo rule). When one side runs out first, the longer one is newer — unless what it has next is a
 * pre-release suffix (_alpha, _beta, _pre, _rc).
 */

const enum T {
  InitialDigit,
  Digit,
  Letter,
  Suffix,
  SuffixNo,
  CommitHash,
  RevisionNo,
  End,
  Invalid,
}

// Suffix ranks: pre-releases below NONE, post-releases above.
const SUFFIX_NONE = 5;
const suffixes: Record<string, number> = { alpha: 1, beta: 2, pre: 3, rc: 4, cvs: 6, svn: 7, git: 8, hg: 9, p: 10 };

interface Token {
  kind: T;
  value: string;
  suffix: number;
}

class Tokenizer {
  private pos = 0;
  constructor(private readonly s: string) {}

  first(): Token {
    const value = this.digits();
    return { kind: value === '' ? T.Invalid : T.InitialDigit, value, suffix: 0 };
  }

  next(prev: Token): Token {
    const s = this.s;
    if (this.pos >= s.length) return { kind: T.End, value: '', suffix: 0 };
    const c = s[this.pos]!;
    const invalid: Token = { kind: T.Invalid, value: '', suffix: 0 };
    if (c >= 'a' && c <= 'z') {
      if (prev.kind > T.Digit) return invalid;
      this.pos++;
      return { kind: T.Letter, value: c, suffix: 0 };
    }
    if (c === '.' || (c >= '0' && c <= '9')) {
      if (c === '.') {
        if (prev.kind > T.Digit) return invalid;
        this.pos++;
      }
      let kind: T;
      if (prev.kind === T.InitialDigit || prev.kind === T.Digit) kind = T.Digit;
      else if (prev.kind === T.Suffix) kind = T.SuffixNo;
      else return invalid;
      const value = this.digits();
      return value === '' ? invalid : { kind, value, suffix: 0 };
    }
    if (c === '_') {
      if (prev.kind > T.SuffixNo) return invalid;
      this.pos++;
      const m = /^[a-z]*/.exec(s.slice(this.pos))![0];
      this.pos += m.length;
      const suffix = suffixes[m];
      return suffix === undefined ? invalid : { kind: T.Suffix, value: m, suffix };
    }
    if (c === '~') {
      if (prev.kind >= T.CommitHash) return invalid;
      this.pos++;
      const m = /^[0-9a-fA-F]*/.exec(s.slice(this.pos))![0];
      this.pos += m.length;
      return m === '' ? invalid : { kind: T.CommitHash, value: m, suffix: 0 };
    }
    if (c === '-') {
      if (prev.kind >= T.RevisionNo || s[this.pos + 1] !== 'r') return invalid;
      this.pos += 2;
      const value = this.digits();
      return value === '' ? invalid : { kind: T.RevisionNo, value, suffix: 0 };
    }
    return invalid;
  }

  private digits(): string {
    const m = /^[0-9]*/.exec(this.s.slice(this.pos))![0];
    this.pos += m.length;
    return m;
  }
}

function byteCompare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function tokenCompare(a: Token, b: Token): number {
  switch (a.kind) {
    case T.Digit:
      if (a.value[0] === '0' || b.value[0] === '0') return byteCompare(a.value, b.value);
      return compareDigits(a.value, b.value);
    case T.InitialDigit:
    case T.SuffixNo:
    case T.RevisionNo:
      return compareDigits(a.value, b.value);
    case T.Letter:
      return byteCompare(a.value, b.value);
    case T.Suffix:
      return Math.sign(a.suffix - b.suffix);
    default:
      return byteCompare(a.value, b.value);
  }
}

export function isValidApkVersion(v: string): boolean {
  const t = new Tokenizer(v);
  let tok = t.first();
  while (tok.kind < T.End) tok = t.next(tok);
  return tok.kind === T.End;
}

export function compareApk(a: string, b: string): number {
  const ta = new Tokenizer(a);
  const tb = new Tokenizer(b);
  let x = ta.first();
  let y = tb.first();
  while (x.kind === y.kind && x.kind < T.End) {
    const r = tokenCompare(x, y);
    if (r) return r;
    x = ta.next(x);
    y = tb.next(y);
  }
  if (x.kind === y.kind) return 0;
  if (x.kind === T.Suffix && x.suffix < SUFFIX_NONE) return -1;
  if (y.kind === T.Suffix && y.suffix < SUFFIX_NONE) return 1;
  if (x.kind > y.kind) return -1;
  if (y.kind > x.kind) return 1;
  return 0;
}
