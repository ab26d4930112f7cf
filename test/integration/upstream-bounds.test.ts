import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startDistribution, type DistributionRegistry } from '../helpers/docker-registry.js';
import { createTestRegistry, type TestRegistry } from '../helpers/test-registry.js';
import { makeImage, type Image } from '../helpers/oci-image.js';
import { startFaultyUpstream, type FaultyUpstream, type FaultMode } from '../helpers/faulty-upstream.js';
import { replicationCore, seedImage } from '../helpers/replication.js';
import { parseDigest } from '../../registry/src/oci/digest.js';

/*
 * Never trust a peer's body: a hostile upstream on 127.0.0.1 that streams without end, sends more or less than
 * the blob is, or sends wrong bytes. Proxy fills and replication pulls stop at the descriptor's / declared size
 * (or limits.maxBlobBytes), fail precisely, keep no staging, and count the answer as invalid.
 */

const CAP = 2 * 1024 * 1024;
let up: DistributionRegistry;
let faulty: FaultyUpstream;
let reg: TestRegistry;
let img: Image;

before(async () => {
  up = await startDistribution();
  img = await seedImage(up.host, 'team/app', '1', await makeImage({ files: { 'data.bin': Buffer.alloc(512 * 1024, 3) } }));
  faulty = await startFaultyUpstream(up.url);
  reg = await createTestRegistry({
    limits: { maxBlobBytes: CAP },
    registries: [{ name: 'liar', url: faulty.url, insecure: true, timeoutSeconds: 5, failuresBeforeDown: 100 }],
    proxies: [{ project: 'lc', registry: 'liar', manifestMaxAgeSeconds: 0 }],
  });
});

after(async () => {
  await reg?.close();
  await faulty?.close();
  await up?.stop();
  if (up) fs.rmSync(up.dir, { recursive: true, force: true });
});

async function invalidAnswers(): Promise<number> {
  const m = /berth_proxy_upstream_errors_total\{registry="liar",kind="invalid"\} (\d+)/.exec(await (await reg.fetch('/metrics')).text());
  return m ? Number(m[1]) : 0;
}

/** Settles when the fill finished (failed): the staging folder is gone. Bounded. */
async function uploadsEmpty(root: string): Promise<void> {
  const until = Date.now() + 5_000;
  while (fs.readdirSync(root).length > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
}

for (const mode of ['endless', 'longer-chunked', 'shorter-chunked'] as const satisfies readonly FaultMode[]) {
  test(`proxy fill from an upstream that lies (${mode}): stopped at the cap, nothing staged or stored, answer counted invalid`, { timeout: 30_000 }, async () => {
    faulty.mode = mode;
    faulty.sent = 0;
    const before = await invalidAnswers();
    const layer = img.layers[0]!;
    const r = await reg.fetch(`/v2/lc/team/app/blobs/${layer.digest}`).catch((e: unknown) => e as Error);
    if (!(r instanceof Error)) await r.arrayBuffer().catch(() => undefined);
    const core = reg.server.core;
    await uploadsEmpty(core.paths.uploadsRoot);
    assert.deepEqual(fs.readdirSync(core.paths.uploadsRoot), [], 'no staging left behind');
    assert.equal(core.meta.blobs.size(layer.digest), undefined, 'no blob row');
    assert.equal(core.store.existsSync(parseDigest(layer.digest)), false, 'no blob file');
    if (mode === 'endless') assert.ok(faulty.sent < 8 * CAP, `Berth stopped reading near its cap (${faulty.sent} bytes sent)`);
    assert.ok((await invalidAnswers()) > before, 'the upstream answer is counted as invalid');
  });
}

for (const mode of ['endless', 'longer-chunked', 'shorter-chunked', 'wrong-bytes', 'huge-manifest'] as const satisfies readonly FaultMode[]) {
  test(`replication pull from a remote that lies (${mode}) fails precisely and keeps nothing`, { timeout: 60_000 }, async (t) => {
    faulty.mode = mode;
    faulty.sent = 0;
    const core = replicationCore({
      limits: { maxBlobBytes: CAP },
      registries: [{ name: 'liar', url: faulty.url, insecure: true, timeoutSeconds: 5 }],
      replication: [{ name: 'pull', registry: 'liar', direction: 'pull', repositories: ['team/app'], destination: 'mirror' }],
    });
    t.after(() => {
      core.close();
      fs.rmSync(core.config.data, { recursive: true, force: true });
    });
    // A failed task fails the run: either as a failed execution or as the run's error.
    const error = await core.replication.run('pull').then(
      (run) => {
        assert.equal(run.execution.status, 'failed');
        return JSON.stringify(core.replication.execution(run.execution.id).tasks.map((x) => x.error)) + (run.execution.error ?? '');
      },
      (e: unknown) => (e as Error).message,
    );
    const expected = {
      endless: /longer than the \d+ bytes expected|larger than its declared length/,
      'longer-chunked': /longer than the \d+ bytes expected|larger than its declared length/,
      'shorter-chunked': /ended after \d+ of the \d+ bytes|Content-Length said/,
      'wrong-bytes': /digest/i,
      'huge-manifest': /more than the \d+ allowed|larger than/,
    }[mode];
    assert.match(error, expected);
    if (mode === 'endless') assert.ok(faulty.sent < 8 * CAP, `stopped reading at the descriptor's size (${faulty.sent} bytes sent)`);
    await uploadsEmpty(core.paths.uploadsRoot);
    assert.deepEqual(fs.readdirSync(core.paths.uploadsRoot), [], 'no staging left behind');
    assert.equal(core.meta.blobs.size(img.layers[0]!.digest), undefined, 'nothing stored');
  });
}
