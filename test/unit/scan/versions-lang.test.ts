import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { compareGoSemver, isValidGoSemver } from '../../../registry/src/scan/versions/go-semver.js';
import { canonicalGemSegments, compareGem, isValidGemVersion } from '../../../registry/src/scan/versions/gem.js';
import { hasGo } from '../../helpers/go-binary.js';

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

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

/** Go-style versions: shorthands, leading zeros, pre-releases, pseudo-versions, +incompatible, and near misses. */
function randomGoVersion(r: () => number): string {
  // Mostly valid parts, with a few invalid ones (leading zeros, empty identifiers) mixed in.
  const n = () => (r() < 0.04 ? pick(r, ['01', '00']) : pick(r, ['0', '1', '2', '9', '10', '123']));
  const ident = () => (r() < 0.04 ? pick(r, ['01', '', 'x..y']) : pick(r, ['0', '1', '2', '10', 'alpha', 'beta', 'rc', 'a-b', 'A', '20230101000000', '8c9f86f7a55f', 'x.y']));
  let v = `v${n()}`;
  const parts = r() < 0.8 ? 3 : 1 + Math.floor(r() * 2);
  for (let i = 1; i < parts; i++) v += `.${n()}`;
  if (r() < 0.5) v += `-${Array.from({ length: 1 + Math.floor(r() * 3) }, ident).join('.')}`;
  if (r() < 0.2) v += r() < 0.1 ? pick(r, ['+', '+a..b']) : pick(r, ['+incompatible', '+build.1']);
  return v;
}

test('Go versions: agree with golang.org/x/mod/semver (the Go toolchain\'s copy) on 3,000 random pairs', { skip: hasGo() ? false : 'go is not installed (apt-get install golang-go)' }, () => {
  const root = execFileSync('go', ['env', 'GOROOT'], { encoding: 'utf8' }).trim();
  const semverGo = path.join(root, 'src/cmd/vendor/golang.org/x/mod/semver/semver.go');
  assert.ok(fs.existsSync(semverGo), semverGo);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-gosemver-'));
  try {
    fs.mkdirSync(path.join(dir, 'semver'));
    fs.copyFileSync(semverGo, path.join(dir, 'semver/semver.go'));
    fs.writeFileSync(path.join(dir, 'go.mod'), 'module oracle\n\ngo 1.18\n');
    fs.writeFileSync(
      path.join(dir, 'main.go'),
      'package main\n\nimport (\n\t"bufio"\n\t"fmt"\n\t"os"\n\t"strings"\n\n\t"oracle/semver"\n)\n\nfunc main() {\n\tsc := bufio.NewScanner(os.Stdin)\n\tfor sc.Scan() {\n\t\tf := strings.Split(sc.Text(), " ")\n\t\tfmt.Println(semver.IsValid(f[0]), semver.IsValid(f[1]), semver.Compare(f[0], f[1]))\n\t}\n}\n',
    );
    const env = { ...process.env, GOCACHE: path.join(dir, 'cache'), GOPATH: path.join(dir, 'gopath'), GOPROXY: 'off', GOFLAGS: '-mod=mod', GOTOOLCHAIN: 'local', CGO_ENABLED: '0' };
    execFileSync('go', ['build', '-o', 'oracle', '.'], { cwd: dir, env, stdio: ['ignore', 'ignore', 'pipe'] });
    const seed = Date.now() % 100000;
    const r = rng(seed);
    const pairs = Array.from({ length: 3000 }, () => {
      const a = randomGoVersion(r);
      return [a, r() < 0.3 ? a.replace(/\d(?!.*\d)/, (d) => String((Number(d) + 1) % 10)) : randomGoVersion(r)] as const;
    });
    const out = execFileSync(path.join(dir, 'oracle'), { input: pairs.map((p) => p.join(' ')).join('\n') + '\n', encoding: 'utf8' }).trim().split('\n');
    let compared = 0;
    pairs.forEach(([a, b], i) => {
      const [va, vb, cmp] = out[i]!.split(' ');
      assert.equal(isValidGoSemver(a), va === 'true', `seed ${seed}: IsValid(${a})`);
      assert.equal(isValidGoSemver(b), vb === 'true', `seed ${seed}: IsValid(${b})`);
      if (va === 'true' && vb === 'true') {
        compared++;
        assert.equal(compareGoSemver(a, b), Number(cmp), `seed ${seed}: Compare(${a}, ${b})`);
      }
    });
    assert.ok(compared > 1000, `only ${compared} valid pairs`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('Go versions: OSV spellings and pseudo-versions', () => {
  assert.equal(compareGoSemver('v0.7.0', '0.17.0'), -1);
  assert.equal(compareGoSemver('1.21.0-0', '1.21.0-rc.2'), -1, 'OSV\'s "-0" is below every pre-release');
  assert.equal(compareGoSemver('v0.0.0-20220722155257-8c9f86f7a55f', 'v0.0.0-20230101000000-000000000000'), -1);
  assert.equal(compareGoSemver('v1.2.4-0.20230101000000-abcdefabcdef', '1.2.4'), -1, 'a pseudo-version is below its release');
  assert.equal(compareGoSemver('v2.1.0+incompatible', '2.1.0'), 0);
  assert.equal(compareGoSemver('v1.2', 'v1.2.0'), 0);
  assert.throws(() => compareGoSemver('(devel)', '1.0.0'), /invalid Go module version "\(devel\)"/);
});

/** Test cases of RubyGems' own test/rubygems/test_gem_version.rb (ruby/rubygems). */
test('RubyGems versions: the cases of RubyGems\' test_gem_version.rb', () => {
  const cmp = (a: string, b: string) => compareGem(a, b);
  // test_spaceship
  assert.equal(cmp('1.0', '1.0.0'), 0);
  assert.equal(cmp('1.0', '1.0.a'), 1);
  assert.equal(cmp('1.8.2', '0.0.0'), 1);
  assert.equal(cmp('1.8.2', '1.8.2.a'), 1);
  assert.equal(cmp('1.8.2.b', '1.8.2.a'), 1);
  assert.equal(cmp('1.8.2.a', '1.8.2'), -1);
  assert.equal(cmp('1.8.2.a10', '1.8.2.a9'), 1);
  assert.equal(cmp('', '0'), 0);
  assert.equal(cmp('0.beta.1', '0.0.beta.1'), 0);
  assert.equal(cmp('0.0.beta', '0.0.beta.1'), -1);
  assert.equal(cmp('0.0.beta', '0.beta.1'), -1);
  assert.equal(cmp('5.a', '5.0.0.rc2'), -1);
  assert.equal(cmp('5.x', '5.0.0.rc2'), 1);
  assert.equal(cmp('1.9.3', '1.9.3'), 0);
  assert.equal(cmp('1.9.3', '1.9.2.99'), 1);
  assert.equal(cmp('1.9.3', '1.9.3.1'), -1);
  // test_equals2, test_initialize, test_eql_eh (== ignores precision), test_hash (equal versions)
  for (const [a, b] of [['1.2', '1.2'], ['1.2.b1', '1.2.b.1'], ['1.0', '1.0 '], ['1.0', ' 1.0 '], ['1.0', '1.0\n'], ['1.0', '\n1.0\n'], ['1.2', '1.2.0'], ['1.2.pre.1', '1.2.0.pre.1.0']] as const) {
    assert.equal(cmp(a, b), 0, `${a} == ${b}`);
  }
  assert.notEqual(cmp('1.2', '1.3'), 0);
  // test_semver
  const chain = ['1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0-rc.1'];
  for (let i = 1; i < chain.length; i++) assert.equal(cmp(chain[i - 1]!, chain[i]!), -1, `${chain[i - 1]} < ${chain[i]}`);
  assert.equal(cmp('1.0.0-rc1', '1.0.0'), -1);
  assert.equal(cmp('1.0.0-1', '1'), -1);
  // test_hyphen_and_dot_prerelease_are_the_same_version
  assert.equal(cmp('1.0.0.beta.1', '1.0.0-beta.1'), 0);
  assert.equal(cmp('1.0.0.rc.1', '1.0.0-rc.1'), 0);
  assert.equal(cmp('1.2.3.beta', '1.2.3-beta'), 0);
  assert.notEqual(cmp('1.0.0.1', '1.0.0-1'), 0);
  assert.equal(cmp('1.0.0.beta.1', '1.0.0.pre.beta.1'), 0);
  // test_sort_key_*: timestamps, segments beyond the fast path's radix, frozen words
  assert.equal(cmp('1.0.0', '0.0.1.20220404083012'), 1);
  assert.equal(cmp('0.7.0', '0.6.63000'), 1);
  assert.equal(cmp('18.0.1', '18.0.2'), -1);
  assert.equal(cmp('1.freeze.test', '1'), -1);
  assert.equal(cmp('2.30.1.250000', '2.30.1.249999'), 1);
  // test_canonical_segments
  assert.deepEqual(canonicalGemSegments('1.0.0'), [1n]);
  assert.deepEqual(canonicalGemSegments('1.0.0.a.1.0'), [1n, 'a', 1n]);
  assert.deepEqual(canonicalGemSegments('1.2.3-1'), [1n, 2n, 3n, 'pre', 1n]);
  // test_initialize_invalid (the last one is CVE-2013-4287's)
  for (const bad of ['junk', '1.0\n2.0', '1..2', '1.2 3.4', '2.3422222.222.222222222.22222.ads0as.dasd0.ddd2222.2.qd3e.']) {
    assert.equal(isValidGemVersion(bad), false, JSON.stringify(bad));
    assert.throws(() => compareGem(bad, '1'), /invalid RubyGems version/);
  }
  assert.equal(isValidGemVersion('5.1'), true);
});

test('RubyGems versions: as advisories use them', () => {
  assert.equal(compareGem('1.13.10', '1.14.3'), -1);
  assert.equal(compareGem('1.16.0.rc1', '1.16.0'), -1);
  assert.equal(compareGem('7.0.8.1', '7.0.8'), 1);
  assert.equal(compareGem('1.15.4', '1.15.4.0'), 0);
  assert.equal(compareGem('10.0', '9.99.99'), 1, 'numbers by value, not by characters');
});
