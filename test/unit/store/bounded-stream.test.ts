import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { BodyBoundsError, boundedBody } from '../../../registry/src/store/bounded-stream.js';

async function collect(r: Readable): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of r as AsyncIterable<Buffer>) out.push(c);
  return Buffer.concat(out);
}

test('passes a body of exactly the declared length', async () => {
  assert.equal((await collect(boundedBody(Readable.from([Buffer.alloc(3), Buffer.alloc(2)]), { max: 5, exact: true }))).length, 5);
});

test('fails on the chunk that crosses the limit, never passing it on, and destroys the source', async () => {
  let pulled = 0;
  const source = new Readable({
    read() {
      pulled += 1;
      this.push(Buffer.alloc(4)); // endless
    },
  });
  const got: Buffer[] = [];
  await assert.rejects(async () => {
    for await (const c of boundedBody(source, { max: 10 }) as AsyncIterable<Buffer>) got.push(c);
  }, (e: unknown) => e instanceof BodyBoundsError && e.violation.kind === 'longer' && e.violation.limit === 10);
  const through = Buffer.concat(got).length;
  assert.ok(through <= 10, `nothing past the limit came through (${through})`);
  assert.ok(source.destroyed, 'the endless source was dropped');
  // The source only ever fills its own buffer (its highWaterMark) before it is dropped.
  assert.ok(pulled * 4 <= 2 * source.readableHighWaterMark, `read ${pulled * 4} bytes of the endless source`);
});

test('a declared length that the body falls short of fails at the end, with the caller error', async () => {
  await assert.rejects(
    collect(boundedBody(Readable.from([Buffer.alloc(3)]), { max: 5, exact: true, error: (v) => new RangeError(`${v.kind} ${v.received}/${v.limit}`) })),
    /shorter 3\/5/,
  );
});
