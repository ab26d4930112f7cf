import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { startBerthProcess, skopeo, type BerthProcess } from '../helpers/processes.js';
import { tempDir, basic, ADMIN_PASSWORD } from '../helpers/test-registry.js';
import { makeImage, makeIndex, imageBlobs, writeLayout, blobOf, descriptor, sha256, type Blob, type Image } from '../helpers/oci-image.js';
import { Meta } from '../../registry/src/meta/index.js';
import { StoragePaths } from '../../registry/src/store/paths.js';
import { parseDigest } from '../../registry/src/oci/digest.js';
import { Core } from '../../registry/src/core.js';
import { validateConfig } from '../../registry/src/config/load.js';
import { createLogger } from '../../registry/src/logger.js';

/*
 * kill -9 of `berth serve` at random moments while a large blob streams in (mid-PATCH, mid final PUT, during
 * the commit after the last byte) and while manifests are pushed in a loop, several rounds on one data folder.
 * After every restart: whatever is visible is whole and exact, whatever was acknowledged is still there, no tag
 * points at nothing, an interrupted upload resumes (or is cleanly unknown), and new pushes work.
 * The seed is printed; BERTH_CRASH_SEED=<n> replays a run.
 */

const MiB = 1024 * 1024;
const auth = basic('admin', ADMIN_PASSWORD);

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Deterministic pseudo-random content of `size` bytes (AES-CTR keystream), generated 1 MiB at a time from `from`. */
async function* content(seed: number, size: number, from = 0, to = size): AsyncGenerator<Buffer> {
  const key = createHash('sha256').update(`berth-crash-${seed}`).digest().subarray(0, 16);
  const block = Math.floor(from / 16);
  const iv = Buffer.alloc(16);
  iv.writeUInt32BE(block, 12);
  const cipher = createCipheriv('aes-128-ctr', key, iv);
  let pos = block * 16;
  const zeros = Buffer.alloc(MiB);
  while (pos < to) {
    const n = Math.min(MiB, to - pos);
    let chunk = cipher.update(zeros.subarray(0, n));
    if (pos < from) chunk = chunk.subarray(from - pos);
    pos += n;
    yield chunk;
  }
}

async function digestOfContent(seed: number, size: number): Promise<string> {
  const h = createHash('sha256');
  for await (const c of content(seed, size)) h.update(c);
  return `sha256:${h.digest('hex')}`;
}

async function hashResponse(r: Response): Promise<{ digest: string; size: number }> {
  const h = createHash('sha256');
  let size = 0;
  for await (const c of Readable.fromWeb(r.body! as import('node:stream/web').ReadableStream<Uint8Array>)) {
    h.update(c as Buffer);
    size += (c as Buffer).length;
  }
  return { digest: `sha256:${h.digest('hex')}`, size };
}

/** A streamed request body that calls `onProgress` with the bytes handed to the client so far. */
function streamBody(gen: AsyncGenerator<Buffer>, onProgress?: (sent: number) => Promise<void>, onEnd?: () => void): NonNullable<RequestInit['body']> {
  let sent = 0;
  return Readable.from(
    (async function* () {
      for await (const c of gen) {
        yield c;
        sent += c.length;
        await onProgress?.(sent);
      }
      onEnd?.();
    })(),
  ) as unknown as NonNullable<RequestInit['body']>;
}

interface BigBlob {
  seed: number;
  size: number;
  digest: string;
  acked: boolean;
  /** upload session left behind by the crash, if any */
  location?: string;
}

interface PushedManifest {
  repo: string;
  tag: string;
  manifest: Blob;
  acked: boolean;
}

class Client {
  constructor(public base: string) {}
  fetch(p: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set('authorization', auth);
    return fetch(new URL(p, this.base), { ...init, headers, redirect: 'manual', ...(init.body ? { duplex: 'half' } : {}) } as RequestInit);
  }
  async pushBlob(repo: string, b: Blob): Promise<void> {
    const r = await this.fetch(`/v2/${repo}/blobs/uploads/?digest=${b.digest}`, { method: 'POST', body: b.bytes, headers: { 'content-type': 'application/octet-stream' } });
    await r.arrayBuffer();
    if (r.status !== 201) throw new Error(`blob push ${r.status}`);
  }
  async putManifest(repo: string, ref: string, m: Blob): Promise<void> {
    const r = await this.fetch(`/v2/${repo}/manifests/${ref}`, { method: 'PUT', body: m.bytes, headers: { 'content-type': m.mediaType } });
    const text = await r.text();
    if (r.status !== 201) throw new Error(`manifest put ${r.status} ${text}`);
  }
}

test('kill -9 during uploads and manifest pushes never leaves torn or half-visible content', { timeout: 120_000 }, async (t) => {
  const seed = Number(process.env.BERTH_CRASH_SEED ?? randomBytes(4).readUInt32BE());
  t.diagnostic(`BERTH_CRASH_SEED=${seed}`);
  const rand = prng(seed);
  const work = tempDir('berth-crash-');
  const data = path.join(work, 'data');
  let berth: BerthProcess | undefined;
  t.after(async () => {
    await berth?.kill9();
    fs.rmSync(work, { recursive: true, force: true });
  });

  const start = async () => {
    berth = await startBerthProcess(data);
    // Listening comes before ready (start-up work after listen); it must get there.
    let status = 0;
    for (let i = 0; i < 100 && status !== 200; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 100));
      const r = await fetch(`${berth.url}/readyz`);
      status = r.status;
      await r.arrayBuffer();
    }
    assert.equal(status, 200, 'server is ready after restart');
    return new Client(berth.url);
  };
  let client = await start();

  // Committed before any crash: must survive every round untouched.
  const base: Image = await makeImage({ layers: 2 });
  for (const b of [base.config, ...base.layers]) await client.pushBlob('crash/base', b);
  await client.putManifest('crash/base', 'stable', base.manifest);

  const bigBlobs: BigBlob[] = [];
  const manifests: PushedManifest[] = [];
  const smallBlobs: { repo: string; blob: Blob; acked: boolean }[] = [];
  const modes = ['mid-patch', 'mid-final-put', 'during-commit', 'mid-patch', 'during-commit', 'mid-final-put'] as const;

  for (const [round, mode] of modes.entries()) {
    const size = Math.round((64 + rand() * 32) * MiB);
    const big: BigBlob = { seed: seed + round, size, digest: await digestOfContent(seed + round, size), acked: false };
    bigBlobs.push(big);
    const repo = `crash/big${round % 2}`;
    let killing: Promise<void> | undefined;
    const b = berth!;
    const kill = () => (killing ??= b.kill9());

    // Manifest pushes in a loop, in two repositories at once, until the server dies under them.
    const manifestLoop = async (loop: number) => {
      const mrepo = `crash/m${loop}`;
      const recent: Image[] = [];
      for (let i = 0; !killing; i++) {
        const layer = blobOf(randomBytes(1024 + Math.floor(rand() * 32 * 1024)), 'application/vnd.oci.image.layer.v1.tar+gzip');
        const cfg = blobOf(Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', round, loop, i })), 'application/vnd.oci.image.config.v1+json');
        const entries = [
          { repo: mrepo, blob: layer, acked: false },
          { repo: mrepo, blob: cfg, acked: false },
        ];
        smallBlobs.push(...entries);
        const manifest = blobOf(
          Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: descriptor(cfg), layers: [descriptor(layer)], annotations: { round: String(round), i: String(i) } })),
          'application/vnd.oci.image.manifest.v1+json',
        );
        const pm: PushedManifest = { repo: mrepo, tag: `r${round}-${i}`, manifest, acked: false };
        try {
          for (const e of entries) {
            await client.pushBlob(mrepo, e.blob);
            e.acked = true;
          }
          manifests.push(pm);
          await client.putManifest(mrepo, pm.tag, manifest);
          pm.acked = true;
          recent.push({ manifest, config: cfg, layers: [layer] });
          if (recent.length >= 2 && i % 3 === 0) {
            const index = makeIndex(recent.slice(-2).map((image, k) => ({ image, arch: k === 0 ? 'amd64' : 'arm64' })));
            const pi: PushedManifest = { repo: mrepo, tag: `r${round}-idx${i}`, manifest: index, acked: false };
            manifests.push(pi);
            await client.putManifest(mrepo, pi.tag, index);
            pi.acked = true;
          }
        } catch (e) {
          if (!killing) throw e;
        }
      }
    };

    const upload = async () => {
      const post = await client.fetch(`/v2/${repo}/blobs/uploads/`, { method: 'POST' });
      assert.equal(post.status, 202);
      big.location = post.headers.get('location')!;
      const killAt = Math.floor(size * (0.1 + rand() * 0.8));
      try {
        if (mode === 'mid-patch') {
          // One streamed PATCH (no Content-Length), killed when the client has handed over `killAt` bytes.
          await client.fetch(big.location, {
            method: 'PATCH',
            headers: { 'content-type': 'application/octet-stream' },
            body: streamBody(content(big.seed, size), async (sent) => {
              if (sent >= killAt) await kill();
            }),
          });
        } else {
          // Most of the blob in a PATCH, the rest (or nothing) in the final PUT.
          const split = mode === 'mid-final-put' ? Math.floor(size / 2) : size;
          const p = await client.fetch(big.location, {
            method: 'PATCH',
            headers: { 'content-type': 'application/octet-stream', 'content-range': `0-${split - 1}`, 'content-length': String(split) },
            body: streamBody(content(big.seed, size, 0, split)),
          });
          assert.equal(p.status, 202, await p.text());
          big.location = p.headers.get('location')!;
          const url = `${big.location}${big.location.includes('?') ? '&' : '?'}digest=${big.digest}`;
          let put: Promise<Response>;
          if (mode === 'mid-final-put') {
            const killInBody = rand() < 0.7;
            const at = split + Math.floor((size - split) * rand());
            put = client.fetch(url, {
              method: 'PUT',
              headers: { 'content-type': 'application/octet-stream' },
              body: streamBody(
                content(big.seed, size, split, size),
                async (sent) => {
                  if (killInBody && split + sent >= at) await kill();
                },
                // otherwise while the server seals and commits what it received
                () => setTimeout(() => void kill(), Math.floor(rand() * 150)),
              ),
            });
          } else {
            put = client.fetch(url, { method: 'PUT' });
            // Sealing, fsync, rename and the row commit take some tens of ms for a blob this size.
            setTimeout(() => void kill(), Math.floor(rand() * 400));
          }
          const r = await put;
          await r.arrayBuffer();
          if (r.status === 201) big.acked = true;
          else assert.fail(`final PUT answered ${r.status}`);
        }
      } catch (e) {
        if (!killing) throw e;
      }
      await kill();
    };

    await Promise.all([upload(), manifestLoop(0), manifestLoop(1)]);
    await killing;
    t.diagnostic(`round ${round} (${mode}, ${(size / MiB).toFixed(0)} MiB): blob acked=${big.acked}, manifests so far ${manifests.filter((m) => m.acked).length} acked`);

    client = await start();
    await verify(client, base, bigBlobs, manifests, smallBlobs);
    await resumeInterrupted(client, repo, big);
  }

  // A fresh push by a real client still works on the crashed-and-restarted data folder.
  const fresh = await makeImage({ layers: 2 });
  const layout = path.join(work, 'fresh');
  writeLayout(layout, imageBlobs(fresh), { v1: fresh.manifest });
  await skopeo(['copy', '--dest-tls-verify=false', '--dest-creds', `admin:${ADMIN_PASSWORD}`, `oci:${layout}:v1`, `docker://${berth!.host}/crash/fresh:v1`]);
  const got = await client.fetch('/v2/crash/fresh/manifests/v1', { headers: { accept: fresh.manifest.mediaType } });
  assert.deepEqual(Buffer.from(await got.arrayBuffer()), fresh.manifest.bytes);
  assert.doesNotMatch(berth!.output(), /"level":(50|60)/, 'no errors logged after the restart');
  await berth!.stop();
  berth = undefined;

  // With the server stopped: every blob row the database holds has its file, with exactly those bytes.
  const meta = Meta.open(path.join(data, 'berth.db'));
  const paths = new StoragePaths(data);
  try {
    const rows = meta.blobs.olderThan(Number.MAX_SAFE_INTEGER);
    assert.ok(rows.length > 10);
    for (const row of rows) {
      const file = paths.blob(parseDigest(row.digest));
      assert.equal(fs.statSync(file).size, row.size, `size of ${row.digest}`);
      const h = createHash('sha256');
      for await (const c of fs.createReadStream(file)) h.update(c as Buffer);
      assert.equal(`sha256:${h.digest('hex')}`, row.digest, `content of ${row.digest}`);
    }
  } finally {
    meta.close();
  }

  // Whatever the crashes left (upload sessions, files renamed without their row, staging files) is garbage
  // that a collection with no grace period removes, and the registry serves every tag whole afterwards.
  const core = new Core(validateConfig({ data, log: { level: 'silent' } }), createLogger('silent'));
  try {
    const r = await core.gc.run({ dryRun: false, graceMs: 0, uploadMaxAgeMs: 0 });
    t.diagnostic(`gc after the crashes: ${JSON.stringify(r)}`);
    assert.deepEqual(fs.readdirSync(paths.uploadsRoot), []);
    assert.deepEqual(fs.readdirSync(paths.blobsTmp), []);
    for await (const f of core.store.list()) assert.ok(core.meta.blobs.size(f.digest.value) !== undefined, `${f.digest.value} has a row`);
  } finally {
    core.close();
  }
  berth = await startBerthProcess(data);
  // Blobs no manifest references were garbage now: only what manifests hold must be there.
  await verify(new Client(berth.url), base, bigBlobs.map((b) => ({ ...b, acked: false })), manifests.filter((m) => m.acked), []);
});

const wholeBlobs = new Set<string>();

/** The invariants that must hold after any crash. */
async function verify(client: Client, base: Image, bigBlobs: BigBlob[], manifests: PushedManifest[], smallBlobs: { repo: string; blob: Blob; acked: boolean }[]): Promise<void> {
  // Committed before the crashes: intact.
  const stable = await client.fetch('/v2/crash/base/manifests/stable', { headers: { accept: base.manifest.mediaType } });
  assert.equal(stable.status, 200);
  assert.deepEqual(Buffer.from(await stable.arrayBuffer()), base.manifest.bytes);
  for (const b of [base.config, ...base.layers]) {
    const r = await client.fetch(`/v2/crash/base/blobs/${b.digest}`);
    assert.deepEqual(Buffer.from(await r.arrayBuffer()), b.bytes);
  }

  // Large blobs: acknowledged ones exist; any visible one is exactly right.
  for (const big of bigBlobs) {
    for (const repo of ['crash/big0', 'crash/big1']) {
      const head = await client.fetch(`/v2/${repo}/blobs/${big.digest}`, { method: 'HEAD' });
      if (head.status === 404) continue;
      assert.equal(head.status, 200);
      assert.equal(Number(head.headers.get('content-length')), big.size);
      // Hashed in full the first time it is seen; the final offline check hashes every file again.
      if (wholeBlobs.has(big.digest)) continue;
      const got = await hashResponse(await client.fetch(`/v2/${repo}/blobs/${big.digest}`));
      assert.deepEqual(got, { digest: big.digest, size: big.size }, `visible blob ${big.digest} is whole`);
      wholeBlobs.add(big.digest);
    }
    if (big.acked) {
      const somewhere = await Promise.all(['crash/big0', 'crash/big1'].map(async (r) => (await client.fetch(`/v2/${r}/blobs/${big.digest}`, { method: 'HEAD' })).status));
      assert.ok(somewhere.includes(200), `acknowledged blob ${big.digest} survived`);
    }
  }
  for (const s of smallBlobs) {
    const r = await client.fetch(`/v2/${s.repo}/blobs/${s.blob.digest}`);
    if (s.acked) assert.equal(r.status, 200, `acknowledged blob ${s.blob.digest} survived`);
    if (r.status === 200) assert.deepEqual(Buffer.from(await r.arrayBuffer()), s.blob.bytes);
    else await r.arrayBuffer();
  }

  // Manifests: acknowledged ones are there byte for byte; unacknowledged ones are all there or not at all.
  for (const m of manifests) {
    const byTag = await client.fetch(`/v2/${m.repo}/manifests/${m.tag}`, { headers: { accept: m.manifest.mediaType } });
    const byDigest = await client.fetch(`/v2/${m.repo}/manifests/${m.manifest.digest}`, { headers: { accept: m.manifest.mediaType } });
    if (m.acked) assert.equal(byTag.status, 200, `acknowledged ${m.repo}:${m.tag} survived`);
    if (byTag.status === 200) {
      assert.deepEqual(Buffer.from(await byTag.arrayBuffer()), m.manifest.bytes);
      assert.equal(byDigest.status, 200);
    } else {
      assert.equal(byTag.status, 404);
      await byTag.arrayBuffer();
    }
    await byDigest.arrayBuffer();
  }

  // Walk everything the registry lists: no tag without its manifest, no manifest without its content.
  const catalog = (await (await client.fetch('/v2/_catalog')).json()) as { repositories: string[] };
  for (const repo of catalog.repositories) {
    const tags = ((await (await client.fetch(`/v2/${repo}/tags/list`)).json()) as { tags: string[] | null }).tags ?? [];
    for (const tag of tags) {
      const r = await client.fetch(`/v2/${repo}/manifests/${tag}`, {
        headers: { accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json' },
      });
      assert.equal(r.status, 200, `${repo}:${tag} is listed, so it resolves`);
      const bytes = Buffer.from(await r.arrayBuffer());
      assert.equal(sha256(bytes), r.headers.get('docker-content-digest'));
      const doc = JSON.parse(bytes.toString()) as { config?: { digest: string; size: number }; layers?: { digest: string; size: number }[]; manifests?: { digest: string }[] };
      for (const d of [...(doc.config ? [doc.config] : []), ...(doc.layers ?? [])]) {
        const h = await client.fetch(`/v2/${repo}/blobs/${d.digest}`, { method: 'HEAD' });
        assert.equal(h.status, 200, `${repo}:${tag} needs ${d.digest}`);
        assert.equal(Number(h.headers.get('content-length')), d.size);
      }
      for (const d of doc.manifests ?? []) {
        const h = await client.fetch(`/v2/${repo}/manifests/${d.digest}`, { method: 'HEAD', headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
        assert.equal(h.status, 200, `${repo}:${tag} needs manifest ${d.digest}`);
      }
    }
  }
}

/** An upload cut off by the crash either resumes where the server says it stopped, or is cleanly unknown. */
async function resumeInterrupted(client: Client, repo: string, big: BigBlob): Promise<void> {
  if (big.acked || !big.location) return;
  const status = await client.fetch(big.location);
  await status.arrayBuffer();
  if (status.status === 404) {
    // The session ended with the crash (its data was being committed): the blob is either whole or absent.
    return;
  }
  assert.equal(status.status, 204);
  const range = /^0-(\d+)$/.exec(status.headers.get('range') ?? '');
  assert.ok(range, `upload status has a Range header: ${status.headers.get('range')}`);
  const offset = Number(range[1]) === 0 ? 0 : Number(range[1]) + 1;
  assert.ok(offset <= big.size);
  const location = status.headers.get('location')!;
  const rest = big.size - offset;
  const url = `${location}${location.includes('?') ? '&' : '?'}digest=${big.digest}`;
  // Everything arrived before the crash (it hit while sealing): the client just finishes, with no body.
  const put = await client.fetch(
    url,
    rest === 0
      ? { method: 'PUT' }
      : {
          method: 'PUT',
          headers: { 'content-type': 'application/octet-stream', 'content-length': String(rest), 'content-range': `${offset}-${big.size - 1}` },
          body: streamBody(content(big.seed, big.size, offset, big.size)),
        },
  );
  assert.equal(put.status, 201, `resumed upload completes: ${await put.text()}`);
  big.acked = true;
  const got = await hashResponse(await client.fetch(`/v2/${repo}/blobs/${big.digest}`));
  assert.deepEqual(got, { digest: big.digest, size: big.size });
  wholeBlobs.add(big.digest);
}
