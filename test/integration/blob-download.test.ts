import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { createTestRegistry, basic, ADMIN_PASSWORD, type TestRegistry } from '../helpers/test-registry.js';
import { blobOf } from '../helpers/oci-image.js';
import { pushBlob } from '../helpers/v2-client.js';

/*
 * Blob GET writes the file with reused buffers (store/send-file.ts) instead of a piped stream. These cover
 * what that hand-written loop must get right: chunk boundaries, ranges across them, empty blobs, and a
 * client that hangs up halfway (no leaked file descriptor, server keeps serving).
 */

const CHUNK = 512 * 1024;
// three chunks and a bit, so reads end on and off chunk boundaries
const big = blobOf(randomBytes(3 * CHUNK + 12_345), 'application/octet-stream');
const exact = blobOf(randomBytes(2 * CHUNK), 'application/octet-stream');
const empty = blobOf(Buffer.alloc(0), 'application/octet-stream');
// larger than loopback socket buffers can absorb, so a hang-up really interrupts the copy
const huge = blobOf(randomBytes(24 * 1024 * 1024), 'application/octet-stream');
let reg: TestRegistry;

before(async () => {
  reg = await createTestRegistry();
  for (const b of [big, exact, empty, huge]) await pushBlob(reg, 'dl/app', b);
});

after(async () => {
  await reg.close();
});

test('whole blobs arrive byte for byte, across and exactly on chunk boundaries, and when empty', async () => {
  for (const b of [big, exact, empty]) {
    const r = await reg.fetch(`/v2/dl/app/blobs/${b.digest}`);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-length'), String(b.bytes.length));
    assert.equal(r.headers.get('docker-content-digest'), b.digest);
    assert.ok(Buffer.from(await r.arrayBuffer()).equals(b.bytes), `body of ${b.bytes.length} bytes differs`);
  }
});

test('ranges that span chunk boundaries return exactly those bytes', async () => {
  const cases: [number, number][] = [
    [CHUNK - 10, CHUNK + 10],
    [100, 2 * CHUNK + 5000],
    [3 * CHUNK, big.bytes.length - 1],
    [0, 0],
  ];
  for (const [start, end] of cases) {
    const r = await reg.fetch(`/v2/dl/app/blobs/${big.digest}`, { headers: { range: `bytes=${start}-${end}` } });
    assert.equal(r.status, 206);
    assert.equal(r.headers.get('content-range'), `bytes ${start}-${end}/${big.bytes.length}`);
    assert.ok(Buffer.from(await r.arrayBuffer()).equals(big.bytes.subarray(start, end + 1)), `range ${start}-${end} differs`);
  }
});

function openFds(): number {
  return fs.readdirSync('/proc/self/fd').length;
}

test('a client hanging up mid-download releases the file and the server keeps serving', async () => {
  const baseline = openFds();
  for (let i = 0; i < 5; i++) {
    await new Promise<void>((resolve, reject) => {
      const req = http.get(`${reg.url}/v2/dl/app/blobs/${huge.digest}`, { headers: { authorization: basic('admin', ADMIN_PASSWORD) } }, (res) => {
        assert.equal(res.statusCode, 200);
        res.once('data', () => {
          // hang up after the first bytes: the rest of the blob is still being written
          req.destroy();
          resolve();
        });
      });
      req.on('error', (e) => {
        if ((e as NodeJS.ErrnoException).code !== 'ECONNRESET') reject(e);
      });
    });
  }
  // the server notices the closed sockets asynchronously
  const until = Date.now() + 5000;
  while (openFds() > baseline && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  assert.ok(openFds() <= baseline, `file descriptors leaked: ${openFds()} open, ${baseline} before`);
  const r = await reg.fetch(`/v2/dl/app/blobs/${huge.digest}`);
  assert.equal(r.status, 200);
  assert.ok(Buffer.from(await r.arrayBuffer()).equals(huge.bytes));
});
