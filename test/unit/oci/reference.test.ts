import { test } from 'node:test';
import { isDomainError } from '../../../registry/src/errors.js';
import assert from 'node:assert/strict';
import {
  assertRepositoryName,
  assertTag,
  isValidRepositoryName,
  isValidTag,
  projectOf,
  MAX_NAME_LENGTH,
} from '../../../registry/src/oci/index.js';

test('repository names that follow the distribution-spec grammar are accepted', () => {
  for (const n of ['alpine', 'library/alpine', 'a/b/c/d', 'my-org/my_app', 'a__b', 'a---b', 'foo.bar/baz-1', '0', 'x/y.z']) {
    assert.ok(isValidRepositoryName(n), n);
  }
});

test('names that escape, are absolute, encoded, upper-case or malformed are NAME_INVALID', () => {
  const bad = [
    '',
    '..',
    '../etc',
    'library/..',
    'library/../etc',
    'a/./b',
    '.',
    '/absolute',
    'trailing/',
    'a//b',
    'foo%2Fbar',
    'foo%2fbar',
    '%2e%2e/etc',
    'Library/alpine',
    'ALPINE',
    'a/B',
    'a___b',
    '-leading',
    'trailing-',
    'a.-b',
    '_a',
    'a b',
    'a\\b',
    'a\u0000b',
    'ä/b',
    'a:b',
    'a@b',
  ];
  for (const n of bad) {
    assert.equal(isValidRepositoryName(n), false, `accepted ${JSON.stringify(n)}`);
    assert.throws(
      () => assertRepositoryName(n),
      (e: unknown) => isDomainError(e) && e.code === 'NAME_INVALID',
    );
  }
});

test('names are limited to 255 characters', () => {
  const limit = `a/${'b'.repeat(MAX_NAME_LENGTH - 2)}`;
  assert.equal(limit.length, 255);
  assert.ok(isValidRepositoryName(limit));
  assert.equal(isValidRepositoryName(`${limit}c`), false);
  assert.equal(isValidRepositoryName('a'.repeat(100_000)), false);
});

test('tags follow [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}', () => {
  for (const t of ['latest', 'v1.0.0', 'V1', '_x', '1', 'a-b_c.d', 'A'.repeat(128)]) assert.ok(isValidTag(t), t);
  for (const t of ['', '.hidden', '-x', 'a/b', 'a:b', '..', 'a'.repeat(129), 'sha256:abc', 'a b', 'ä']) {
    assert.equal(isValidTag(t), false, `accepted ${JSON.stringify(t)}`);
    assert.throws(() => assertTag(t), (e: unknown) => isDomainError(e) && e.code === 'TAG_INVALID');
  }
});

test('the project is the first component; single names live in library', () => {
  assert.equal(projectOf('alpine'), 'library');
  assert.equal(projectOf('library/alpine'), 'library');
  assert.equal(projectOf('team/app/web'), 'team');
});
