import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { createTestRegistry, tempDir, basic, ADMIN_PASSWORD, type TestRegistry } from '../helpers/test-registry.js';
import { ApiSession } from '../helpers/api-client.js';
import { expectError, putManifest, pushBlob, pushImage } from '../helpers/v2-client.js';
import { blobOf, makeImage } from '../helpers/oci-image.js';

/*
 * Project quotas end to end: usage as the API reports it equals the size of the distinct blobs and manifests
 * of the project; uploads (monolithic and chunked), mounts and manifest pushes past the limit get DENIED with
 * the figures; content the project already holds costs nothing; usage stays right after deletes, GC and a
 * restart.
 */

const quota = async (api: ApiSession, project: string) => {
  const r = await api.call('GET', `/projects/${project}/quota`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body as { project: string; limitBytes: number | null; usedBytes: number };
};

/** What usage must be, computed from scratch from the content tables. */
const computed = (reg: TestRegistry, project: string) => reg.server.core.meta.quotas.computedUsage(project);

/** Every file under the data folder's upload sessions and blob tree (staging included): what a refusal must not add to. */
function storedFiles(reg: TestRegistry): string[] {
  const out: string[] = [];
  for (const top of ['uploads', 'blobs']) {
    for (const e of fs.readdirSync(path.join(reg.data, top), { recursive: true, withFileTypes: true })) {
      if (e.isFile()) out.push(path.relative(reg.data, path.join(e.parentPath, e.name)));
    }
  }
  return out.sort();
}

/**
 * Sends only the headers of a request that declares `length` body bytes and waits (bounded) for the answer: a
 * server that reads the body before deciding never answers, as no byte of it comes.
 */
function answerBeforeBody(reg: TestRegistry, method: string, p: string, length: number): Promise<{ status: number; body: string }> {
  const u = new URL(reg.url);
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: u.hostname,
      port: u.port,
      method,
      path: p,
      headers: { authorization: basic('admin', ADMIN_PASSWORD), 'content-type': 'application/octet-stream', 'content-length': String(length) },
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`no answer to ${method} ${p} before its body was sent`));
    }, 10_000);
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        clearTimeout(timer);
        req.destroy();
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    req.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    req.flushHeaders();
  });
}

/** A request body of unknown length (chunked transfer), as clients that stream a layer send it. */
function streamed(bytes: Buffer): { body: ReadableStream<Uint8Array>; duplex: 'half' } {
  return {
    body: new ReadableStream({
      start(c) {
        c.enqueue(new Uint8Array(bytes));
        c.close();
      },
    }),
    duplex: 'half',
  };
}

test('quotas: usage, refusals on upload, mount and manifest push, and usage after delete, GC and restart', { timeout: 60_000 }, async (t) => {
  const data = tempDir('berth-quota-');
  t.after(() => fs.rmSync(data, { recursive: true, force: true }));
  let reg = await createTestRegistry({ data, gc: { schedule: '', graceMinutes: 0 } });
  t.after(() => reg.close());
  let api = await ApiSession.login(reg);

  const a = await makeImage({ layers: 2 });
  await pushImage(reg, 'team/app', 'v1', a);
  const aBytes = a.config.size + a.layers.reduce((n, l) => n + l.size, 0) + a.manifest.size;
  assert.deepEqual(await quota(api, 'team'), { project: 'team', limitBytes: null, usedBytes: aBytes });
  // The same content in a second repository of the project is counted once.
  await pushImage(reg, 'team/copy', 'v1', a);
  assert.equal((await quota(api, 'team')).usedBytes, aBytes);

  // Limits: admins only, validated; a project that does not exist is 404.
  assert.equal((await api.call('POST', '/users', { username: 'dev', password: 'dev-password-1', role: 'developer' })).status, 201);
  const dev = await ApiSession.login(reg, 'dev', 'dev-password-1');
  assert.equal((await dev.call('PUT', '/projects/team/quota', { limitBytes: 1 })).status, 403);
  assert.equal((await api.call('PUT', '/projects/team/quota', { limitBytes: -1 })).status, 400);
  assert.equal((await api.call('PUT', '/projects/nope/quota', { limitBytes: 1 })).status, 404);
  // Proxy projects take no quota (their cache cap bounds them) and no immutability rules (they follow upstream).
  reg.server.core.meta.repositories.ensureProject('hub', { kind: 'proxy' });
  const proxyQuota = await api.call('PUT', '/projects/hub/quota', { limitBytes: 1 });
  assert.equal(proxyQuota.status, 400);
  assert.match(proxyQuota.body.error.message, /hub is a proxy project: a proxy cache is bounded by its own cache cap/);
  assert.equal((await api.call('POST', '/projects/hub/immutability-rules', { tags: '*' })).status, 400);
  assert.equal((await api.call('GET', '/quotas')).body.items.some((q: { project: string }) => q.project === 'hub'), false);
  const limit = aBytes + 1000;
  const set = await api.call('PUT', '/projects/team/quota', { limitBytes: limit });
  assert.deepEqual(set.body, { project: 'team', limitBytes: limit, usedBytes: aBytes });
  assert.deepEqual((await dev.call('GET', '/quotas')).body.items.find((q: { project: string }) => q.project === 'team'), { project: 'team', limitBytes: limit, usedBytes: aBytes });

  // A monolithic upload that does not fit: DENIED with the figures; nothing stored, no session left.
  const big = blobOf(randomBytes(64 * 1024), 'application/octet-stream');
  let before = storedFiles(reg);
  const mono = await expectError(
    await reg.fetch(`/v2/team/app/blobs/uploads/?digest=${big.digest}`, { method: 'POST', body: big.bytes }),
    403,
    'DENIED',
  );
  assert.match(mono.errors[0]!.message, new RegExp(`^quota of project team exceeded: used ${fmt(aBytes)} of ${fmt(limit)}`));
  assert.deepEqual(mono.errors[0]!.detail, { project: 'team', usedBytes: aBytes, limitBytes: limit, sizeBytes: big.size });
  assert.equal((await reg.fetch(`/v2/team/app/blobs/${big.digest}`, { method: 'HEAD' })).status, 404);
  assert.deepEqual(storedFiles(reg), before);
  // A declared length that cannot fit is refused before a byte of the body is read: single-request pushes, and
  // chunks of a session (which is removed at once, as every upload a quota refuses).
  const early = await answerBeforeBody(reg, 'POST', `/v2/team/app/blobs/uploads/?digest=${big.digest}`, big.size);
  assert.equal(early.status, 403, early.body);
  assert.match(early.body, /"DENIED".*quota of project team exceeded/);
  const opened = await reg.fetch('/v2/team/app/blobs/uploads/', { method: 'POST' });
  assert.equal(opened.status, 202);
  const session = new URL(opened.headers.get('location')!, reg.url);
  const chunk = await answerBeforeBody(reg, 'PATCH', session.pathname, big.size);
  assert.equal(chunk.status, 403, chunk.body);
  assert.match(chunk.body, /quota of project team exceeded: used .*; an upload of at least 64\.00 KiB does not fit/);
  await expectError(await reg.fetch(session.pathname), 404, 'BLOB_UPLOAD_UNKNOWN');
  assert.deepEqual(storedFiles(reg), before);
  // Chunked with no declared length (a streamed PATCH): the closing PUT is refused, and the session with its
  // bytes is gone at once.
  const start = await reg.fetch('/v2/team/app/blobs/uploads/', { method: 'POST' });
  assert.equal(start.status, 202);
  const loc = new URL(start.headers.get('location')!, reg.url);
  const patch = await reg.fetch(loc.pathname + loc.search, { method: 'PATCH', ...streamed(big.bytes), headers: { 'content-type': 'application/octet-stream' } });
  assert.equal(patch.status, 202);
  assert.notDeepEqual(storedFiles(reg), before, 'the streamed chunk is staged in its session');
  const close = new URL(patch.headers.get('location')!, reg.url);
  close.searchParams.set('digest', big.digest);
  await expectError(await reg.fetch(close.pathname + close.search, { method: 'PUT' }), 403, 'DENIED');
  await expectError(await reg.fetch(loc.pathname), 404, 'BLOB_UPLOAD_UNKNOWN');
  assert.deepEqual(storedFiles(reg), before);
  // Content the project holds already costs nothing: a re-upload into another repository, a mount inside it.
  await pushBlob(reg, 'team/third', a.layers[0]!);
  const inner = await reg.fetch(`/v2/team/fourth/blobs/uploads/?mount=${a.layers[1]!.digest}&from=team/app`, { method: 'POST' });
  assert.equal(inner.status, 201);
  // A mount from another project (no quota there) is refused.
  await pushBlob(reg, 'other/x', big);
  const mount = await expectError(await reg.fetch(`/v2/team/app/blobs/uploads/?mount=${big.digest}&from=other/x`, { method: 'POST' }), 403, 'DENIED');
  assert.match(mount.errors[0]!.message, /^quota of project team exceeded/);
  // A manifest push: its blobs fit, the manifest does not.
  const small = await makeImage();
  const smallBlobs = small.config.size + small.layers[0]!.size;
  await api.call('PUT', '/projects/team/quota', { limitBytes: aBytes + smallBlobs + small.manifest.size - 1 });
  await pushBlob(reg, 'team/app', small.config);
  await pushBlob(reg, 'team/app', small.layers[0]!);
  before = storedFiles(reg);
  await expectError(await putManifest(reg, 'team/app', 'v2', small.manifest), 403, 'DENIED');
  // The refused manifest's bytes are not in the blob tree either.
  assert.deepEqual(storedFiles(reg), before);
  assert.equal((await quota(api, 'team')).usedBytes, aBytes + smallBlobs);
  assert.equal((await quota(api, 'team')).usedBytes, computed(reg, 'team'));
  // Raising the limit lets it in.
  await api.call('PUT', '/projects/team/quota', { limitBytes: aBytes + smallBlobs + small.manifest.size });
  assert.equal((await putManifest(reg, 'team/app', 'v2', small.manifest)).status, 201);
  assert.equal((await quota(api, 'team')).usedBytes, aBytes + smallBlobs + small.manifest.size);

  // Delete v2's manifest: its bytes leave at once; its blobs when GC drops the links nothing uses.
  assert.equal((await reg.fetch(`/v2/team/app/manifests/${small.manifest.digest}`, { method: 'DELETE' })).status, 202);
  assert.equal((await quota(api, 'team')).usedBytes, aBytes + smallBlobs);
  const gc = await api.call('POST', '/gc', { dryRun: false });
  assert.equal(gc.status, 200, JSON.stringify(gc.body));
  assert.equal((await quota(api, 'team')).usedBytes, aBytes);
  assert.equal((await quota(api, 'team')).usedBytes, computed(reg, 'team'));
  assert.deepEqual((await api.call('POST', '/quotas/recompute')).body, { changed: [] });

  // Restart: limit and usage are as they were, and the limit still holds.
  await reg.close();
  reg = await createTestRegistry({ data, gc: { schedule: '', graceMinutes: 0 } });
  api = await ApiSession.login(reg);
  assert.deepEqual(await quota(api, 'team'), { project: 'team', limitBytes: aBytes + smallBlobs + small.manifest.size, usedBytes: aBytes });
  await expectError(await reg.fetch(`/v2/team/app/blobs/uploads/?digest=${big.digest}`, { method: 'POST', body: big.bytes }), 403, 'DENIED');
  // The limit is checked and the content linked in one step: two concurrent pushes that each fit alone but
  // not together cannot both get in.
  const used = (await quota(api, 'team')).usedBytes;
  await api.call('PUT', '/projects/team/quota', { limitBytes: used + big.size + 100 });
  const twins = [blobOf(randomBytes(big.size), 'application/octet-stream'), blobOf(randomBytes(big.size), 'application/octet-stream')];
  const raced = await Promise.all(twins.map((b) => reg.fetch(`/v2/team/race/blobs/uploads/?digest=${b.digest}`, { method: 'POST', body: b.bytes })));
  assert.deepEqual(raced.map((r) => r.status).sort(), [201, 403]);
  assert.equal((await quota(api, 'team')).usedBytes, used + big.size);
  assert.equal((await quota(api, 'team')).usedBytes, computed(reg, 'team'));
  // No limit: anything goes again.
  await api.call('PUT', '/projects/team/quota', { limitBytes: null });
  await pushBlob(reg, 'team/app', big);
  assert.equal((await quota(api, 'team')).usedBytes, used + 2 * big.size);
});

function fmt(n: number): string {
  return n < 1024 ? `${n} B` : `${(n / 1024).toFixed(2)} KiB`;
}
