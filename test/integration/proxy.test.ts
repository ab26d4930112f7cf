import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startDistribution, type DistributionRegistry } from '../helpers/docker-registry.js';
import { createTestRegistry, tempDir, ADMIN_PASSWORD, type TestRegistry } from '../helpers/test-registry.js';
import { makeImage, makeIndex, writeLayout, imageBlobs, sha256, type Image, type Blob } from '../helpers/oci-image.js';
import { skopeo } from '../helpers/processes.js';
import { pushImage, putManifest, expectError } from '../helpers/v2-client.js';

/*
 * The pull-through cache against a real upstream (Debian's docker-registry, seeded with skopeo), pulled
 * through Berth with skopeo: cold, warm, with the upstream gone, coalescing (from the upstream's access log),
 * mirror routing, and writes refused.
 */

let up: DistributionRegistry;
let reg: TestRegistry;
let work: string;
let amd64: Image;
let arm64: Image;
let index: Blob;
let solo: Image;
const creds = `admin:${ADMIN_PASSWORD}`;

async function seed(layoutName: string, blobs: Blob[], ref: string, top: Blob, dest: string): Promise<void> {
  const dir = path.join(work, layoutName);
  writeLayout(dir, blobs, { [ref]: top });
  await skopeo(['copy', '--all', '--dest-tls-verify=false', `oci:${dir}:${ref}`, `docker://${up.host}/${dest}`]);
}

/** Requests the upstream logged for a path fragment (Distribution's access log, one line per request). */
let markers = 0;
async function upstreamRequests(fragment: string, method = 'GET'): Promise<number> {
  // The log line of a request is written as it ends, maybe after Berth has its answer: send a marker request
  // of our own and wait (bounded) for its line, which comes after those of the requests that ended before it.
  const marker = `/v2/marker-${++markers}/tags/list`;
  await (await fetch(`${up.url}${marker}`)).arrayBuffer();
  for (const deadline = Date.now() + 5000; !up.logs().includes(`"GET ${marker}`) && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 10));
  assert.ok(up.logs().includes(`"GET ${marker}`), 'the upstream logged the marker request');
  return up.logs().split('\n').filter((l) => l.includes(`"${method} ${fragment}`)).length;
}

async function pullWithSkopeo(ref: string, out: string): Promise<{ manifestDigest: string }> {
  const dir = path.join(work, out);
  fs.rmSync(dir, { recursive: true, force: true });
  await skopeo(['copy', '--src-tls-verify=false', '--src-creds', creds, `docker://${reg.host}/${ref}`, `oci:${dir}:x`]);
  const idx = JSON.parse(fs.readFileSync(path.join(dir, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
  return { manifestDigest: idx.manifests[0]!.digest };
}

before(async () => {
  work = tempDir('proxy-it-');
  up = await startDistribution();
  amd64 = await makeImage({ arch: 'amd64', layers: 2 });
  arm64 = await makeImage({ arch: 'arm64' });
  index = makeIndex([{ image: amd64, arch: 'amd64' }, { image: arm64, arch: 'arm64' }]);
  solo = await makeImage({ layers: 1 });
  await seed('multi', [...imageBlobs(amd64), ...imageBlobs(arm64)], '1', index, 'library/app:1');
  await seed('solo', imageBlobs(solo), '1', solo.manifest, 'team/solo:1');
  reg = await createTestRegistry({
    registries: [{ name: 'hq', url: up.url, insecure: true, timeoutSeconds: 2, failuresBeforeDown: 2, downSeconds: 60 }],
    proxies: [
      { project: 'hq-cache', registry: 'hq', mirrorFor: ['docker.io'], manifestMaxAgeSeconds: 3600 },
      { project: 'hq-fresh', registry: 'hq', manifestMaxAgeSeconds: 0 },
    ],
  });
});

after(async () => {
  await reg?.close();
  await up?.stop();
  fs.rmSync(work, { recursive: true, force: true });
  if (up) fs.rmSync(up.dir, { recursive: true, force: true });
});

test('cold pull of a multi-arch image through the proxy streams from upstream and caches index + platform manifest', async () => {
  const { manifestDigest } = await pullWithSkopeo('hq-cache/library/app:1', 'cold');
  assert.equal(manifestDigest, amd64.manifest.digest, 'skopeo picked the amd64 manifest out of the cached index');
  const core = reg.server.core;
  const repo = core.meta.repositories.get('hq-cache/library/app');
  assert.ok(repo, 'the proxied repository exists locally');
  assert.equal(core.meta.manifests.tagDigest(repo.id, '1'), index.digest, 'the tag points at the index');
  assert.ok(core.meta.manifests.get(repo.id, amd64.manifest.digest), 'the pulled platform manifest is cached');
  assert.equal(core.meta.manifests.get(repo.id, arm64.manifest.digest), undefined, 'platforms nobody pulled are not fetched');
  for (const b of [amd64.config, ...amd64.layers]) assert.equal(core.meta.blobs.linkedSize(repo.id, b.digest), b.size, `blob ${b.digest} cached`);
  assert.equal(await upstreamRequests(`/v2/library/app/blobs/${amd64.layers[0]!.digest}`), 1);
});

test('warm pull is served from cache: no upstream request within manifestMaxAge, by tag or by digest', async () => {
  const before = await upstreamRequests('/v2/library/app/', 'GET') + (await upstreamRequests('/v2/library/app/', 'HEAD'));
  const { manifestDigest } = await pullWithSkopeo('hq-cache/library/app:1', 'warm');
  assert.equal(manifestDigest, amd64.manifest.digest);
  await pullWithSkopeo(`hq-cache/library/app@${index.digest}`, 'warm-digest');
  const after = await upstreamRequests('/v2/library/app/', 'GET') + (await upstreamRequests('/v2/library/app/', 'HEAD'));
  assert.equal(after, before, 'the upstream saw no request for the warm pulls');
  const metrics = await (await reg.fetch('/metrics')).text();
  assert.match(metrics, /berth_proxy_cache_hits_total\{project="hq-cache",kind="blob"\} [1-9]/);
  assert.match(metrics, /berth_proxy_cache_misses_total\{project="hq-cache",kind="blob"\} [1-9]/);
  assert.match(metrics, /berth_proxy_upstream_bytes_total\{registry="hq"\} [1-9]/);
});

test('concurrent cold pulls of one blob and one tag are coalesced into one upstream fetch each', async () => {
  const big = await makeImage({ files: { 'big.bin': Buffer.alloc(3 * 1024 * 1024, 7) } });
  await seed('burst', imageBlobs(big), '1', big.manifest, 'team/burst:1');
  const layer = big.layers[0]!;
  const manifests = await Promise.all(
    Array.from({ length: 6 }, () => reg.fetch('/v2/hq-cache/team/burst/manifests/1', { headers: { accept: big.manifest.mediaType } })),
  );
  for (const r of manifests) {
    assert.equal(r.status, 200);
    assert.equal(sha256(Buffer.from(await r.arrayBuffer())), big.manifest.digest);
  }
  const bodies = await Promise.all(
    Array.from({ length: 8 }, async () => {
      const r = await reg.fetch(`/v2/hq-cache/team/burst/blobs/${layer.digest}`);
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('content-length'), String(layer.size));
      return Buffer.from(await r.arrayBuffer());
    }),
  );
  for (const b of bodies) assert.equal(sha256(b), layer.digest, 'every client got the whole verified blob');
  assert.equal(await upstreamRequests(`/v2/team/burst/blobs/${layer.digest}`), 1, 'one upstream GET for 8 clients');
  assert.equal(await upstreamRequests('/v2/team/burst/manifests/1'), 1, 'one upstream GET for 6 manifest clients');
});

test('pushing into a proxy project is refused with DENIED; skopeo push fails', async () => {
  await expectError(await reg.fetch('/v2/hq-cache/library/app/blobs/uploads/', { method: 'POST' }), 403, 'DENIED');
  await expectError(await putManifest(reg, 'hq-cache/library/app', '2', solo.manifest), 403, 'DENIED');
  await expectError(await reg.fetch(`/v2/hq-cache/library/app/manifests/${index.digest}`, { method: 'DELETE' }), 403, 'DENIED');
  const dir = path.join(work, 'solo');
  await assert.rejects(
    skopeo(['copy', '--dest-tls-verify=false', '--dest-creds', creds, `oci:${dir}:1`, `docker://${reg.host}/hq-cache/pushed:1`]),
    /denied|DENIED|403/,
  );
  assert.equal(reg.server.core.meta.repositories.get('hq-cache/pushed'), undefined);
});

test('mirror routing: containerd ?ns=docker.io and unprefixed dockerd requests reach the docker.io proxy; local repositories win', async () => {
  const viaNs = await reg.fetch('/v2/library/app/manifests/1?ns=docker.io', { headers: { accept: index.mediaType } });
  assert.equal(viaNs.status, 200, await viaNs.clone().text());
  assert.equal(viaNs.headers.get('docker-content-digest'), index.digest);
  const viaDockerd = await reg.fetch(`/v2/team/solo/manifests/1`, { headers: { accept: solo.manifest.mediaType } });
  assert.equal(viaDockerd.status, 200);
  assert.equal(viaDockerd.headers.get('docker-content-digest'), solo.manifest.digest);
  assert.ok(reg.server.core.meta.repositories.get('hq-cache/team/solo'), 'cached under the proxy project');
  const blob = await reg.fetch(`/v2/team/solo/blobs/${solo.layers[0]!.digest}?ns=docker.io`);
  assert.equal(sha256(Buffer.from(await blob.arrayBuffer())), solo.layers[0]!.digest);
  // A registry nobody mirrors: not routed (the client falls back to its next host).
  await expectError(await reg.fetch('/v2/library/app/manifests/1?ns=quay.io'), 404, 'NAME_UNKNOWN');
  const local = await makeImage();
  await pushImage(reg, 'library/local-only', 'v1', local);
  const r = await reg.fetch('/v2/library/local-only/manifests/v1', { headers: { accept: local.manifest.mediaType } });
  assert.equal(r.headers.get('docker-content-digest'), local.manifest.digest);
  assert.equal(reg.server.core.meta.repositories.get('hq-cache/library/local-only'), undefined);
});

test('mirror routing with token auth: a token asked for the name the client knows covers the proxy project', async () => {
  // dockerd and containerd ask the token endpoint for `repository:<name as they know it>:pull` and then send
  // that token with the mirror request, which Berth routes into the proxy project.
  const tr = await reg.fetch('/auth/token?service=berth&scope=repository:library/app:pull');
  const { token } = (await tr.json()) as { token: string };
  const r = await reg.fetch('/v2/library/app/manifests/1?ns=docker.io', {
    auth: false,
    headers: { authorization: `Bearer ${token}`, accept: index.mediaType },
  });
  assert.equal(r.status, 200, await r.clone().text());
  assert.equal(r.headers.get('docker-content-digest'), index.digest);
  // The alias grant follows the access policy of the proxy project: an anonymous token gets nothing there.
  const anon = await reg.fetch('/auth/token?service=berth&scope=repository:team/solo:pull', { auth: false });
  const anonToken = ((await anon.json()) as { token: string }).token;
  const denied = await reg.fetch('/v2/team/solo/manifests/1', { auth: false, headers: { authorization: `Bearer ${anonToken}` } });
  await expectError(denied, 401, 'UNAUTHORIZED');
});

test('upstream gone: cached tags and digests are still pulled, quickly; the breaker marks it down', async () => {
  await pullWithSkopeo('hq-fresh/team/solo:1', 'fresh-cold');
  await up.stop();
  const t0 = performance.now();
  const byTag = await pullWithSkopeo('hq-fresh/team/solo:1', 'fresh-offline-tag');
  const tagMs = performance.now() - t0;
  assert.equal(byTag.manifestDigest, solo.manifest.digest);
  const byDigest = await pullWithSkopeo(`hq-cache/library/app@${amd64.manifest.digest}`, 'offline-digest');
  assert.equal(byDigest.manifestDigest, amd64.manifest.digest);
  const again = await pullWithSkopeo('hq-fresh/team/solo:1', 'fresh-offline-tag2');
  assert.equal(again.manifestDigest, solo.manifest.digest);
  assert.ok(tagMs < 5000, `offline tag pull took ${Math.round(tagMs)} ms`);
  // Content never cached cannot be served: a precise 502, not a hang.
  const miss = await reg.fetch('/v2/hq-fresh/library/never/manifests/1');
  await expectError(miss, 502, 'UPSTREAM_UNAVAILABLE');
  const metrics = await (await reg.fetch('/metrics')).text();
  assert.match(metrics, /berth_proxy_upstream_up\{registry="hq"\} 0/);
  assert.match(metrics, /berth_proxy_stale_served_total\{project="hq-fresh",reason="unavailable"\} [1-9]/);
});
