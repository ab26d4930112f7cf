import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createTestRegistry, type TestRegistry } from '../helpers/test-registry.js';

/* An upload whose chunks declare no length stops at limits.maxBlobBytes; the session keeps what it had. */

const CAP = 1024 * 1024;
let reg: TestRegistry;

before(async () => {
  reg = await createTestRegistry({ limits: { maxBlobBytes: CAP } });
});

after(async () => {
  await reg?.close();
});

/** A chunked (no Content-Length) request body of `total` bytes. */
function chunked(total: number): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    pull(c) {
      if (sent >= total) return c.close();
      const n = Math.min(64 * 1024, total - sent);
      sent += n;
      c.enqueue(new Uint8Array(n));
    },
  });
}

test('a chunked PATCH past limits.maxBlobBytes fails with SIZE_INVALID and the session stays at its last whole chunk', async () => {
  const start = await reg.fetch('/v2/library/big/blobs/uploads/', { method: 'POST' });
  const location = start.headers.get('location')!;
  const ok = await reg.fetch(location, { method: 'PATCH', body: chunked(CAP / 2), duplex: 'half' } as RequestInit);
  assert.equal(ok.status, 202, 'under the cap is fine');
  const r = await reg.fetch(location, { method: 'PATCH', body: chunked(CAP), duplex: 'half' } as RequestInit).catch((e: unknown) => e as Error);
  if (r instanceof Error) assert.fail(`the server answered nothing: ${String(r.cause ?? r)}`);
  assert.equal(r.status, 400);
  const body = (await r.json()) as { errors: { code: string; message: string }[] };
  assert.equal(body.errors[0]?.code, 'SIZE_INVALID');
  assert.match(body.errors[0]!.message, /limits\.maxBlobBytes/);
  const status = await reg.fetch(location);
  assert.equal(status.status, 204);
  assert.equal(status.headers.get('range'), `0-${CAP / 2 - 1}`, 'the oversize chunk was rolled back');
});
