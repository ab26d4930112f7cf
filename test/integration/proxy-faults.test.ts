import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startDistribution, type DistributionRegistry } from '../helpers/docker-registry.js';
import { createTestRegistry, tempDir, type TestRegistry } from '../helpers/test-registry.js';
import { makeImage, writeLayout, imageBlobs, sha256, type Image } from '../helpers/oci-image.js';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import YAML from 'yaml';
import { skopeo, cliPath } from '../helpers/processes.js';
import { expectError } from '../helpers/v2-client.js';
import { startFaultyUpstream, type FaultyUpstream } from '../helpers/faulty-upstream.js';
import { parseDigest } from '../../registry/src/oci/digest.js';

const execFileAsync = promisify(execFile);

/*
 * Upstreams that lie, hang or fail, behind a small node server in front of a real docker-registry: nothing
 * they send is stored unless it verifies, and a dead upstream stops costing clients time.
 */

let up: DistributionRegistry;
let faulty: FaultyUpstream;
let reg: TestRegistry;
let work: string;
let img: Image;

before(async () => {
  work = tempDir('proxy-faults-');
  up = await startDistribution();
  img = await makeImage({ files: { 'data.bin': Buffer.alloc(512 * 1024, 3) } });
  const dir = path.join(work, 'img');
  writeLayout(dir, imageBlobs(img), { '1': img.manifest });
  await skopeo(['copy', '--dest-tls-verify=false', `oci:${dir}:1`, `docker://${up.host}/team/app:1`]);
  await skopeo(['copy', '--dest-tls-verify=false', `oci:${dir}:1`, `docker://${up.host}/team/other:1`]);
  faulty = await startFaultyUpstream(up.url);
  reg = await createTestRegistry({
    registries: [{ name: 'liar', url: faulty.url, insecure: true, timeoutSeconds: 0.5, failuresBeforeDown: 2, downSeconds: 1 }],
    proxies: [{ project: 'lc', registry: 'liar', manifestMaxAgeSeconds: 0 }],
  });
});

after(async () => {
  await reg?.close();
  await faulty?.close();
  await up?.stop();
  fs.rmSync(work, { recursive: true, force: true });
  if (up) fs.rmSync(up.dir, { recursive: true, force: true });
});

/** Reads a whole response; resolves with the bytes, or with the error when the body broke off. */
async function readAll(r: Response): Promise<Buffer | Error> {
  try {
    return Buffer.from(await r.arrayBuffer());
  } catch (e) {
    return e as Error;
  }
}

function nothingStored(digest: string): void {
  const core = reg.server.core;
  assert.equal(core.meta.blobs.size(digest), undefined, 'no blob row');
  assert.equal(core.store.existsSync(parseDigest(digest)), false, 'no blob file');
  const leftovers = fs.readdirSync(core.paths.uploadsRoot);
  assert.deepEqual(leftovers, [], 'no staging files left behind');
}

for (const mode of ['wrong-bytes', 'truncate', 'wrong-size'] as const) {
  test(`a lying upstream (${mode}) never poisons the cache: the client sees an incomplete body, nothing is stored`, async () => {
    faulty.mode = mode;
    const layer = img.layers[0]!;
    // The failure may reach the client before the headers (fetch rejects) or during the body.
    const r = await reg.fetch(`/v2/lc/team/app/blobs/${layer.digest}`).catch((e: unknown) => e as Error);
    if (r instanceof Error) {
      assert.match(String(r.cause ?? r), /closed|terminated|socket|reset/i);
    } else if (r.status === 200) {
      const body = await readAll(r);
      assert.ok(body instanceof Error || sha256(body) !== layer.digest, 'the client never receives a complete body');
      assert.ok(!(body instanceof Buffer) || body.length < layer.size, 'the last byte is held back until verified');
    } else {
      assert.ok(r.status >= 500, `status ${r.status}`);
      await r.arrayBuffer();
    }
    // The fill cleans its staging file up after the client saw the failure: wait (bounded) for that.
    const uploads = reg.server.core.paths.uploadsRoot;
    for (const deadline = Date.now() + 5000; fs.readdirSync(uploads).length > 0 && Date.now() < deadline; ) await new Promise((res) => setTimeout(res, 10));
    nothingStored(layer.digest);
  });
}

test('a huge manifest from upstream is refused with 502 and not stored', async () => {
  faulty.mode = 'huge-manifest';
  await expectError(await reg.fetch('/v2/lc/team/app/manifests/1'), 502, 'UPSTREAM_UNAVAILABLE');
  const repo = reg.server.core.meta.repositories.get('lc/team/app');
  assert.equal(repo ? reg.server.core.meta.manifests.count(repo.id) : 0, 0, 'no manifest stored');
});

test('after the lies, an honest upstream fills the cache normally', async () => {
  faulty.mode = 'pass';
  const layer = img.layers[0]!;
  const r = await reg.fetch(`/v2/lc/team/app/blobs/${layer.digest}`);
  assert.equal(r.status, 200);
  assert.equal(sha256(Buffer.from(await r.arrayBuffer())), layer.digest);
  const m = await reg.fetch('/v2/lc/team/app/manifests/1', { headers: { accept: img.manifest.mediaType } });
  assert.equal(m.headers.get('docker-content-digest'), img.manifest.digest);
  await m.arrayBuffer();
  assert.equal(reg.server.core.meta.blobs.size(layer.digest), layer.size);
});

test('circuit breaker: a hanging upstream costs two timeouts, then cached tags answer at once; a probe brings it back', async () => {
  faulty.mode = 'hang';
  const accept = { accept: img.manifest.mediaType };
  const timings: number[] = [];
  for (let i = 0; i < 4; i++) {
    const t0 = performance.now();
    const r = await reg.fetch('/v2/lc/team/app/manifests/1', { headers: accept });
    timings.push(performance.now() - t0);
    assert.equal(r.status, 200, 'the cached tag is served while the upstream hangs');
    assert.equal(r.headers.get('docker-content-digest'), img.manifest.digest);
    await r.arrayBuffer();
  }
  assert.ok(timings[0]! >= 400 && timings[1]! >= 400, `first two waited for the timeout: ${timings.map(Math.round).join(', ')}`);
  assert.ok(timings[2]! < 200 && timings[3]! < 200, `later pulls do not wait: ${timings.map(Math.round).join(', ')}`);
  const hitsWhileDown = faulty.hits.length;
  await expectError(await reg.fetch('/v2/lc/team/never/manifests/1'), 502, 'UPSTREAM_UNAVAILABLE');
  assert.equal(faulty.hits.length, hitsWhileDown, 'a down upstream is not contacted');
  let metrics = await (await reg.fetch('/metrics')).text();
  assert.match(metrics, /berth_proxy_upstream_up\{registry="liar"\} 0/);
  const lastUpstreamAudit = () => reg.server.core.meta.audit.page({ type: 'proxy.upstream', limit: 1 })[0]?.detail as { registry: string; state: string; reason: string | null } | undefined;
  const down = lastUpstreamAudit();
  assert.equal(down?.registry, 'liar');
  assert.equal(down.state, 'down', 'going down is audited');
  assert.ok(down.reason, 'the audit entry says why it went down');
  faulty.mode = 'pass';
  await new Promise((res) => setTimeout(res, 1100));
  const probe = await reg.fetch('/v2/lc/team/other/manifests/1', { headers: accept });
  assert.equal(probe.status, 200, 'after the cooldown a probe goes through');
  await probe.arrayBuffer();
  metrics = await (await reg.fetch('/metrics')).text();
  assert.match(metrics, /berth_proxy_upstream_up\{registry="liar"\} 1/);
  assert.equal(lastUpstreamAudit()?.state, 'up', 'coming back is audited too');
});

test('503 with Retry-After: a cached tag is served immediately; an uncached one fails precisely', async () => {
  faulty.mode = 'unavailable';
  const t0 = performance.now();
  const r = await reg.fetch('/v2/lc/team/other/manifests/1', { headers: { accept: img.manifest.mediaType } });
  assert.equal(r.status, 200);
  await r.arrayBuffer();
  assert.ok(performance.now() - t0 < 400, 'no retries when a cached copy exists');
  faulty.mode = 'pass';
});

// Which images a cap keeps, and dry-run parity, are in proxy-cache-gc.test.ts.
test('GC evictions by cache cap and by TTL are counted in the metrics and audited', async () => {
  const core = reg.server.core;
  redeclare(core, { cacheMaxBytes: 1 });
  const before = core.meta.proxyCache.usage('lc');
  assert.ok(before > 0);
  const r = await core.runGc(false);
  assert.ok((r.manifestsEvicted ?? 0) >= 1, JSON.stringify(r));
  assert.equal(core.meta.proxyCache.entries('lc').length, 0, 'everything above a 1-byte cap is evicted');
  assert.ok(core.meta.proxyCache.usage('lc') < before);
  const evictedMetric = async (reason: string) =>
    Number((await (await reg.fetch('/metrics')).text()).match(new RegExp(`berth_proxy_evicted_total\\{project="lc",reason="${reason}"\\} (\\d+)`))?.[1]);
  assert.equal(await evictedMetric('cap'), r.manifestsEvicted, 'every eviction is counted');
  const audited = core.meta.audit.page({ type: 'proxy.evicted', limit: 100 });
  assert.equal(audited.length, r.manifestsEvicted);
  assert.ok(audited.every((a) => a.repository?.startsWith('lc/') && a.reference?.startsWith('sha256:')), JSON.stringify(audited));
  assert.deepEqual(audited[0]!.detail, { project: 'lc', reason: 'cap' });
  redeclare(core, { cacheMaxBytes: 0, ttlSeconds: 3600 });
  const again = await reg.fetch('/v2/lc/team/app/manifests/1', { headers: { accept: img.manifest.mediaType } });
  assert.equal(again.status, 200, 'an evicted image is fetched again on its next pull');
  await again.arrayBuffer();
  assert.equal((await core.runGc(false)).manifestsEvicted, 0, 'a fresh image is inside its TTL');
  assert.equal((await core.gc.run({ dryRun: false, graceMs: 0, uploadMaxAgeMs: 60_000, now: Date.now() + 7200_000 })).manifestsEvicted, 1, 'past its TTL it goes');
  assert.equal(await evictedMetric('ttl'), 1);
  assert.deepEqual(core.meta.audit.page({ type: 'proxy.evicted', limit: 1 })[0]!.detail, { project: 'lc', reason: 'ttl' });
});

test('berth gc on a stopped server reports the cached manifests it evicted', { timeout: 60_000 }, async (t) => {
  assert.ok(fs.existsSync(cliPath), `${cliPath} is missing: run npm run build first`);
  const data = tempDir('proxy-gc-cli-');
  t.after(() => fs.rmSync(data, { recursive: true, force: true }));
  const registries = [{ name: 'liar', url: faulty.url, insecure: true }];
  const proxies = [{ project: 'ttl', registry: 'liar', ttlSeconds: 1 }];
  const own = await createTestRegistry({ data, registries, proxies });
  const r = await own.fetch('/v2/ttl/team/app/manifests/1', { headers: { accept: img.manifest.mediaType } });
  assert.equal(r.status, 200);
  await r.arrayBuffer();
  await own.close();
  await new Promise((res) => setTimeout(res, 1100));
  // The same declarative file the server ran with, so the CLI's core keeps the proxy project.
  const configFile = path.join(work, 'ttl-config.yaml');
  fs.writeFileSync(configFile, YAML.stringify({ registries, proxies }));
  const gc = async (...args: string[]) =>
    (await execFileAsync(process.execPath, [cliPath, 'gc', '--config', configFile, '--data', data, '--grace-minutes', '0', ...args])).stdout;
  assert.match(await gc('--dry-run'), /^would remove: 1 proxy cache manifests \(evicted\), /);
  assert.match(await gc(), /^removed: 1 proxy cache manifests \(evicted\), /);
  assert.match(await gc(), /^removed: 0 blobs, /, 'nothing left to evict: the count is not printed');
});

/** Changes the config-owned proxy project lc as an edited config file would (the API may not: config/ownership.ts). */
function redeclare(core: TestRegistry['server']['core'], patch: { cacheMaxBytes?: number; ttlSeconds?: number }): void {
  const { source: _s, detached: _d, createdAt: _c, updatedAt: _u, ...spec } = core.proxyProjects.get('lc')!;
  core.proxyProjects.declare({ ...spec, ...patch });
}
