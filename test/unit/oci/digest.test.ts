import { test } from 'node:test';
import { isDomainError } from '../../../registry/src/errors.js';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { parseDigest, tryParseDigest, digestOf } from '../../../registry/src/oci/index.js';

const hex256 = createHash('sha256').update('berth').digest('hex');
const hex512 = createHash('sha512').update('berth').digest('hex');

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return isDomainError(e) ? e.code : `not a DomainError: ${String(e)}`;
  }
  return undefined;
}

test('parses sha256 and sha512 digests into algorithm, hex and canonical value', () => {
  const a = parseDigest(`sha256:${hex256}`);
  assert.deepEqual(a, { algorithm: 'sha256', hex: hex256, value: `sha256:${hex256}` });
  const b = parseDigest(`sha512:${hex512}`);
  assert.equal(b.algorithm, 'sha512');
  assert.equal(b.hex.length, 128);
  assert.equal(b.value, `sha512:${hex512}`);
});

test('digestOf hashes with the requested algorithm', () => {
  assert.equal(digestOf('berth'), `sha256:${hex256}`);
  assert.equal(digestOf(Buffer.from('berth'), 'sha512'), `sha512:${hex512}`);
});

test('refuses wrong lengths, upper-case hex, unknown algorithms and hostile strings with DIGEST_INVALID', () => {
  const bad = [
    '',
    'sha256',
    'sha256:',
    `:${hex256}`,
    `sha256:${hex256.slice(1)}`,
    `sha256:${hex256}0`,
    `sha256:${hex256.toUpperCase()}`,
    `sha512:${hex256}`,
    `sha256:${hex512}`,
    `md5:${'a'.repeat(32)}`,
    `sha384:${'a'.repeat(96)}`,
    `SHA256:${hex256}`,
    `sha256:${'g'.repeat(64)}`,
    `sha256:../../${'a'.repeat(58)}`,
    `sha256:${hex256}/../../etc/passwd`,
    `sha256:${hex256}\n`,
    ` sha256:${hex256}`,
    `sha256:${hex256}%00`,
    `sha256:${'a'.repeat(10_000)}`,
    'sha256:/etc/passwd',
    '../../blobs/sha256/aa',
  ];
  for (const d of bad) {
    assert.equal(code(() => parseDigest(d)), 'DIGEST_INVALID', `accepted ${JSON.stringify(d.slice(0, 80))}`);
    assert.equal(tryParseDigest(d), undefined);
  }
});

test('error messages do not echo an unbounded hostile string', () => {
  try {
    parseDigest(`sha256:${'x'.repeat(100_000)}`);
    assert.fail('accepted');
  } catch (e) {
    assert.ok((e as Error).message.length < 400, `message is ${(e as Error).message.length} chars`);
  }
});
