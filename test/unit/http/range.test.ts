import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRange } from '../../../registry/src/http/v2/range.js';

test('no header, several ranges, other units or an empty spec mean the whole body', () => {
  for (const h of [undefined, '', 'bytes=0-1,4-5', 'items=0-1', 'bytes=-', 'bytes=a-b', 'bytes 0-1', 'bytes=1-2-3']) {
    assert.equal(parseRange(h, 100), undefined, String(h));
  }
});

test('closed, open-ended and suffix ranges', () => {
  assert.deepEqual(parseRange('bytes=0-0', 100), { start: 0, end: 0 });
  assert.deepEqual(parseRange('bytes=10-19', 100), { start: 10, end: 19 });
  assert.deepEqual(parseRange(' bytes=10-19 ', 100), { start: 10, end: 19 });
  assert.deepEqual(parseRange('bytes=90-', 100), { start: 90, end: 99 });
  assert.deepEqual(parseRange('bytes=-10', 100), { start: 90, end: 99 });
});

test('ranges past the end are clamped; a suffix longer than the body is the whole body', () => {
  assert.deepEqual(parseRange('bytes=50-1000', 100), { start: 50, end: 99 });
  assert.deepEqual(parseRange('bytes=-1000', 100), { start: 0, end: 99 });
});

test('a start at or past the end, an inverted range, or a zero suffix is unsatisfiable', () => {
  assert.equal(parseRange('bytes=100-', 100), 'unsatisfiable');
  assert.equal(parseRange('bytes=100-200', 100), 'unsatisfiable');
  assert.equal(parseRange('bytes=20-10', 100), 'unsatisfiable');
  assert.equal(parseRange('bytes=-0', 100), 'unsatisfiable');
  assert.equal(parseRange('bytes=0-', 0), 'unsatisfiable');
  assert.equal(parseRange('bytes=-5', 0), 'unsatisfiable');
});
