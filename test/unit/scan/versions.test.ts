import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { compareDpkg } from '../../../registry/src/scan/versions/dpkg.js';
import { compareRpm } from '../../../registry/src/scan/versions/rpm.js';
import { compareApk, isValidApkVersion } from '../../../registry/src/scan/versions/apk.js';
import { comparePep440, isValidPep440 } from '../../../registry/src/scan/versions/pep440.js';
import { compareSemver } from '../../../registry/src/scan/versions/semver.js';
import { schemeForEcosystem } from '../../../registry/src/scan/versions/index.js';

/** A small seeded PRNG so a failure can be reproduced from the printed seed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

/** Tricky version strings: epochs, ~, +, letters, leading zeros, and near-copies of each other. */
function randomVersionPair(r: () => number, alphabet: string, withEpoch: boolean, withRevision: boolean): [string, string] {
  const part = (n: number): string => {
    let s = pick(r, ['0', '1', '2', '10', '01', '9']);
    for (let i = 0; i < n; i++) s += alphabet[Math.floor(r() * alphabet.length)];
    return s;
  };
  const make = (): string => {
    let v = part(Math.floor(r() * 6));
    if (withEpoch && r() < 0.3) v = `${pick(r, ['0', '1', '2', '00'])}:${v}`;
    if (withRevision && r() < 0.6) v += `-${part(Math.floor(r() * 3))}`;
    return v;
  };
  const a = make();
  if (r() < 0.5) return [a, make()];
  // A near-copy: change, add or drop one character (these are where comparators go wrong).
  const i = Math.floor(r() * a.length);
  const c = alphabet[Math.floor(r() * alphabet.length)]!;
  const b = pick(r, [a.slice(0, i) + c + a.slice(i + 1), a.slice(0, i) + c + a.slice(i), a + c, a + '~', a + '~1']);
  return [a, b];
}

test('dpkg: agrees with `dpkg --compare-versions` on 2,000 random pairs', () => {
  const seed = Date.now() % 100000;
  const r = rng(seed);
  const pairs: [string, string][] = [];
  while (pairs.length < 2000) {
    const [a, b] = randomVersionPair(r, '0123456789.+~abzAZ', true, true);
    // dpkg refuses a non-numeric epoch and an empty revision, and warns on an upstream part that does not
    // start with a digit: compare only what dpkg accepts.
    const valid = (v: string) => /^(\d+:)?\d[^:]*$/.test(v) && !v.endsWith('-');
    if (valid(a) && valid(b)) pairs.push([a, b]);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-dpkg-'));
  try {
    const file = path.join(dir, 'pairs');
    fs.writeFileSync(file, pairs.map(([a, b]) => `${a} ${b}`).join('\n') + '\n');
    const script = `while read a b; do if dpkg --compare-versions "$a" lt "$b"; then echo -1; elif dpkg --compare-versions "$a" eq "$b"; then echo 0; else echo 1; fi; done < "$1"`;
    const out = execFileSync('bash', ['-c', script, 'x', file], { encoding: 'utf8', maxBuffer: 1 << 24 }).trim().split('\n');
    assert.equal(out.length, pairs.length);
    let equal = 0;
    pairs.forEach(([a, b], i) => {
      const want = Number(out[i]);
      if (want === 0) equal++;
      assert.equal(Math.sign(compareDpkg(a, b)), want, `seed ${seed}: ${a} vs ${b}`);
    });
    assert.ok(equal > 5, 'the generator makes some equal pairs too');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('dpkg: policy examples', () => {
  assert.equal(compareDpkg('1.0~rc1', '1.0'), -1);
  assert.equal(compareDpkg('1.0', '1.0+deb12u1'), -1);
  assert.equal(compareDpkg('1:0.9', '2.0'), 1);
  assert.equal(compareDpkg('2.36-9+deb12u4', '2.36-9+deb12u10'), -1);
  assert.equal(compareDpkg('1.0-1', '1.0-1~bpo1'), 1);
  assert.equal(compareDpkg('0:1.0', '1.0'), 0);
  assert.equal(compareDpkg('1.0a', '1.0+'), -1);
  assert.throws(() => compareDpkg('x:1', '1'), /epoch/);
});

const haveRpm = spawnSync('rpm', ['--version']).status === 0;

test('rpm: agrees with rpm.vercmp on 2,000 random pairs', { skip: haveRpm ? false : 'rpm is not installed (apt-get install rpm)' }, () => {
  const seed = Date.now() % 100000;
  const r = rng(seed);
  const pairs: [string, string][] = [];
  while (pairs.length < 2000) pairs.push(randomVersionPair(r, '0123456789._+~^abzAZ', true, true));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-rpm-'));
  try {
    const file = path.join(dir, 'pairs');
    fs.writeFileSync(file, pairs.map(([a, b]) => `${a}\t${b}`).join('\n') + '\n');
    const lua = `%{lua: for line in io.lines('${file}') do local a, b = line:match('^(.-)\\t(.*)$'); print(rpm.vercmp(a, b) .. '\\n') end}`;
    const out = execFileSync('rpm', ['--eval', lua], { encoding: 'utf8', maxBuffer: 1 << 24 }).trim().split(/\n+/);
    assert.equal(out.length, pairs.length);
    pairs.forEach(([a, b], i) => assert.equal(compareRpm(a, b), Number(out[i]), `seed ${seed}: ${a} vs ${b}`));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('rpm: known orderings', () => {
  assert.equal(compareRpm('1.0~rc1-1', '1.0-1'), -1);
  assert.equal(compareRpm('1.0^git1', '1.0'), 1);
  assert.equal(compareRpm('1.0^git1', '1.0.1'), -1);
  assert.equal(compareRpm('1:1.0', '2.0'), 1);
  assert.equal(compareRpm('1.0a', '1.0.1'), -1);
  assert.equal(compareRpm('2.0', '2.0-1'), -1, 'a missing release sorts first (as rpm.vercmp does)');
  assert.equal(compareRpm('0:1', '1'), 0);
  assert.equal(compareRpm('a:1', '1'), -1);
});

// From apk-tools' test/version.data and Alpine's package naming rules.
const apkTable: [string, '<' | '=' | '>', string][] = [
  ['1.0', '<', '1.0-r1'],
  ['1.0-r1', '<', '1.0-r2'],
  ['1.0-r9', '<', '1.0-r10'],
  ['1.0_alpha', '<', '1.0'],
  ['1.0_alpha1', '<', '1.0_alpha2'],
  ['1.0_alpha', '<', '1.0_beta'],
  ['1.0_beta', '<', '1.0_pre'],
  ['1.0_pre', '<', '1.0_rc'],
  ['1.0_rc1', '<', '1.0'],
  ['1.0', '<', '1.0_p1'],
  ['1.0_cvs', '<', '1.0_svn'],
  ['1.0_git', '<', '1.0_hg'],
  ['1.0_hg', '<', '1.0_p'],
  ['1.0', '<', '1.0a'],
  ['1.0a', '<', '1.0b'],
  ['1.0', '<', '1.0.1'],
  ['1.0.1', '<', '1.1'],
  ['1.9', '<', '1.10'],
  ['2.34', '>', '0.1.0_alpha'],
  ['1.01', '<', '1.1'],
  ['1.001', '<', '1.01'],
  ['3.0.8-r0', '<', '3.0.15-r0'],
  ['3.1.4-r5', '<', '3.1.4-r6'],
  ['1.2.3', '=', '1.2.3'],
  ['1.2.3-r0', '>', '1.2.3'],
  ['1.0_alpha-r1', '<', '1.0'],
  ['1.0~abc1-r0', '>', '1.0'],
  ['7.4.2_p20231111-r0', '>', '7.4.2-r3'],
];

test('apk: apk-tools ordering table', () => {
  for (const [a, op, b] of apkTable) {
    const want = op === '<' ? -1 : op === '=' ? 0 : 1;
    assert.equal(compareApk(a, b), want, `${a} ${op} ${b}`);
    assert.equal(compareApk(b, a), want === 0 ? 0 : -want, `${b} reversed ${a}`);
  }
  assert.equal(isValidApkVersion('1.2.3_rc1-r0'), true);
  assert.equal(isValidApkVersion('1.2.3-foo'), false);
  assert.equal(isValidApkVersion('a1'), false);
});

// PEP 440's own examples (the "Summary of permitted suffixes and relative ordering" list), in order.
const pep440Ordered = [
  '1.dev0',
  '1.0.dev456',
  '1.0a1',
  '1.0a2.dev456',
  '1.0a12.dev456',
  '1.0a12',
  '1.0b1.dev456',
  '1.0b2',
  '1.0b2.post345.dev456',
  '1.0b2.post345',
  '1.0rc1.dev456',
  '1.0rc1',
  '1.0',
  '1.0+abc.5',
  '1.0+abc.7',
  '1.0+5',
  '1.0.post456.dev34',
  '1.0.post456',
  '1.0.15',
  '1.1.dev1',
  '1!0.1',
];

test('PEP 440: the specification\'s ordering, and its normalisations', () => {
  for (let i = 0; i < pep440Ordered.length; i++) {
    for (let j = 0; j < pep440Ordered.length; j++) {
      assert.equal(comparePep440(pep440Ordered[i]!, pep440Ordered[j]!), Math.sign(i - j), `${pep440Ordered[i]} vs ${pep440Ordered[j]}`);
    }
  }
  for (const [a, b] of [
    ['1.0', '1.0.0'],
    ['1.0alpha1', '1.0a1'],
    ['1.0-c1', '1.0rc1'],
    ['1.0-1', '1.0.post1'],
    ['1.0.r', '1.0.post0'],
    ['v2.0', '2.0'],
    ['1.0.DEV', '1.0.dev0'],
    ['1.0+ubuntu-1', '1.0+ubuntu.1'],
  ]) {
    assert.equal(comparePep440(a!, b!), 0, `${a} == ${b}`);
  }
  assert.equal(isValidPep440('1.0-foo'), false);
  assert.throws(() => comparePep440('not a version', '1.0'), /PEP 440/);
});

test('SemVer and ecosystem mapping', () => {
  assert.equal(compareSemver('1.0.0-alpha', '1.0.0'), -1);
  assert.equal(compareSemver('1.0.0-alpha.1', '1.0.0-alpha.beta'), -1);
  assert.equal(compareSemver('v1.2.3', '1.2.3+build'), 0);
  assert.equal(schemeForEcosystem('Debian:12')?.name, 'dpkg');
  assert.equal(schemeForEcosystem('Alpine:v3.19')?.name, 'apk');
  assert.equal(schemeForEcosystem('PyPI')?.name, 'pep440');
  assert.equal(schemeForEcosystem('crates.io')?.name, 'semver');
  assert.equal(schemeForEcosystem('Go')?.name, 'go');
  assert.equal(schemeForEcosystem('RubyGems')?.name, 'gem');
  assert.equal(schemeForEcosystem('Maven'), undefined);
});
