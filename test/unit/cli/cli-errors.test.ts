import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeError, count } from '../../../registry/src/cli-errors.js';
import { passwordSchema, roleSchema } from '../../../registry/src/auth/user-service.js';

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  assert.fail('expected a throw');
}

test('a short password reads as a sentence, not as zod’s JSON issue list', () => {
  const msg = describeError(thrown(() => passwordSchema.parse('short')));
  assert.doesNotMatch(msg, /[[{]/);
  assert.equal(msg, 'the password must have at least 8 characters');
});

test('a role that is not accepted lists the accepted values', () => {
  const msg = describeError(thrown(() => roleSchema.parse('root')));
  assert.equal(msg, '"admin", "developer", "guest" are accepted');
});

test('counts agree in number', () => {
  assert.equal(count(1, 'tag'), '1 tag');
  assert.equal(count(0, 'tag'), '0 tags');
  assert.equal(count(2, 'blob'), '2 blobs');
});
