import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { createTestRegistry, tempDir, ADMIN_PASSWORD, basic, type TestRegistry } from '../helpers/test-registry.js';
import { makeImage, writeLayout, imageBlobs } from '../helpers/oci-image.js';
import { skopeo } from '../helpers/processes.js';

/*
 * Slowloris-style clients on 127.0.0.2 (bounded: 24 sockets, a few seconds) cannot pin Berth: headers that
 * never finish and bodies that stall are cut by the timeouts, the surplus connections of one address are
 * refused, and a skopeo pull from 127.0.0.1 succeeds meanwhile. A dropped upload stays resumable.
 */

let reg: TestRegistry;
let work: string;
const CAP = 8;
const ATTACKERS = 24;

before(async () => {
  work = tempDir('slow-clients-');
  reg = await createTestRegistry({ limits: { headersTimeoutSeconds: 1, idleTimeoutSeconds: 1, maxConnectionsPerAddress: CAP } });
  const img = await makeImage({ files: { 'data.bin': Buffer.alloc(256 * 1024, 7) } });
  const dir = path.join(work, 'img');
  writeLayout(dir, imageBlobs(img), { '1': img.manifest });
  await skopeo(['copy', '--dest-tls-verify=false', `--dest-creds=admin:${ADMIN_PASSWORD}`, `oci:${dir}:1`, `docker://${reg.host}/library/app:1`]);
});

after(async () => {
  await reg?.close();
  fs.rmSync(work, { recursive: true, force: true });
});

/** A socket from 127.0.0.2; resolves with it once connected (or closed by the server first). */
async function attacker(): Promise<{ socket: net.Socket; closed: Promise<number> }> {
  const socket = net.connect({ host: '127.0.0.1', port: reg.server.port, localAddress: '127.0.0.2' });
  socket.on('error', () => undefined);
  // Not events.once: it rejects on 'error', and a refused socket errors with ECONNRESET before it closes.
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(performance.now())));
  await Promise.race([new Promise((resolve) => socket.once('connect', resolve)), closed]);
  return { socket, closed };
}

test('slow headers are cut, one address holds at most its cap, and a skopeo pull still succeeds', { timeout: 30_000 }, async () => {
  const t0 = performance.now();
  const conns = await Promise.all(Array.from({ length: ATTACKERS }, () => attacker()));
  // Headers trickle in, one byte at a time, never finishing (bounded: the timer stops at the test's end).
  for (const c of conns) if (!c.socket.destroyed) c.socket.write('GET /v2/ HTTP/1.1\r\nHost: x\r\n');
  const trickle = setInterval(() => {
    for (const c of conns) if (!c.socket.destroyed) c.socket.write('X');
  }, 200);
  try {
    const pull = skopeo(['inspect', '--tls-verify=false', `docker://${reg.host}/library/app:1`], { timeoutMs: 20_000 });
    const closedAt = await Promise.race([
      Promise.all(conns.map((c) => c.closed)),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('slow connections were not closed within 8 s')), 8_000).unref()),
    ]);
    const early = closedAt.filter((t) => t - t0 < 500).length;
    assert.ok(early >= ATTACKERS - CAP, `the ${ATTACKERS - CAP} connections above the cap are refused at once (${early} were)`);
    assert.ok(Math.max(...closedAt) - t0 < 5_000, 'the rest are cut by the headers timeout');
    const out = JSON.parse(await pull) as { Name: string };
    assert.match(out.Name, /library\/app/);
  } finally {
    clearInterval(trickle);
    for (const c of conns) c.socket.destroy();
  }
});

test('a stalled upload body is dropped after the idle timeout, and the session stays resumable', { timeout: 20_000 }, async () => {
  const start = await reg.fetch('/v2/library/stall/blobs/uploads/', { method: 'POST' });
  assert.equal(start.status, 202);
  const location = start.headers.get('location')!;
  const { socket, closed } = await attacker();
  const t0 = performance.now();
  socket.write(
    `PATCH ${location} HTTP/1.1\r\nHost: x\r\nAuthorization: ${basic('admin', ADMIN_PASSWORD)}\r\nContent-Type: application/octet-stream\r\nContent-Length: 1048576\r\n\r\n`,
  );
  socket.write(Buffer.alloc(1000, 1));
  const at = await Promise.race([closed, new Promise<number>((resolve) => setTimeout(() => resolve(Number.POSITIVE_INFINITY), 6_000).unref())]);
  socket.destroy();
  assert.ok(at - t0 < 4_000, `the stalled body was cut (after ${Math.round(at - t0)} ms)`);
  const status = await reg.fetch(location);
  assert.equal(status.status, 204, 'the session still exists');
  assert.equal(status.headers.get('range'), '0-0', 'the broken chunk was rolled back: the client resumes from the last whole chunk');
});

test('an early error on a body that keeps coming is answered, then the connection is closed', { timeout: 20_000 }, async () => {
  const { socket, closed } = await attacker();
  let answer = '';
  socket.on('data', (c: Buffer) => (answer += c.toString('latin1')));
  const t0 = performance.now();
  // A 100 MiB manifest (over the cap) whose body arrives slowly and never completes.
  socket.write(
    `PUT /v2/library/app/manifests/big HTTP/1.1\r\nHost: x\r\nAuthorization: ${basic('admin', ADMIN_PASSWORD)}\r\nContent-Type: application/vnd.oci.image.manifest.v1+json\r\nContent-Length: ${100 * 1024 * 1024}\r\n\r\n`,
  );
  const trickle = setInterval(() => socket.destroyed || socket.write(Buffer.alloc(16 * 1024, 0x20)), 100);
  try {
    const at = await Promise.race([closed, new Promise<number>((resolve) => setTimeout(() => resolve(Number.POSITIVE_INFINITY), 8_000).unref())]);
    assert.match(answer, /^HTTP\/1\.1 413/, 'the client got the answer');
    assert.match(answer, /connection: close/i);
    assert.ok(at - t0 < 5_000, `the connection was closed (after ${Math.round(at - t0)} ms), not kept reading the body`);
  } finally {
    clearInterval(trickle);
    socket.destroy();
  }
});
