import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { createTestRegistry, tempDir, ADMIN_PASSWORD, type TestRegistry } from '../helpers/test-registry.js';
import { ApiSession } from '../helpers/api-client.js';
import { skopeo } from '../helpers/processes.js';
import { makeImage, writeLayout, imageBlobs, type Image } from '../helpers/oci-image.js';

/*
 * Issue #12 §3: a full disk is an operating condition. Berth's data folder lives on a 64 MiB tmpfs; a file
 * outside that folder fills the filesystem to 100%. skopeo pushes are refused with 507, while pulls, tag and
 * manifest deletes, sign-in and GC go on; the server restarts on the full disk; once space is freed pushes work
 * again and nothing was lost.
 */

const isRoot = process.getuid?.() === 0;
const creds = `admin:${ADMIN_PASSWORD}`;
const RESERVE_MIB = 8;

function freeBytes(dir: string): number {
  const s = fs.statfsSync(dir);
  return s.bavail * s.bsize;
}

/** Fills the filesystem of `dir` to the last block with one more file (outside Berth's data folder). */
function fillUp(mount: string, name: string): void {
  const free = freeBytes(mount);
  if (free > 0) execFileSync('fallocate', ['-l', String(free), path.join(mount, name)]);
  assert.equal(freeBytes(mount), 0, 'the tmpfs should be 100% full');
}

describe('a full data disk', { skip: isRoot ? false : 'needs root to mount a tmpfs', timeout: 240_000 }, () => {
  let work: string;
  let mount: string;
  let data: string;
  let reg: TestRegistry | undefined;
  const start = async () => {
    reg = await createTestRegistry({ data, storage: { reserveMiB: RESERVE_MIB } });
    return reg;
  };
  const push = (r: TestRegistry, img: Image, ref: string, name: string) => {
    const layout = path.join(work, name);
    if (!fs.existsSync(layout)) writeLayout(layout, imageBlobs(img), { [name]: img.manifest });
    return skopeo(['copy', '--dest-tls-verify=false', '--dest-creds', creds, `oci:${layout}:${name}`, `docker://${r.host}/${ref}`]);
  };
  /** Pulls into a layout outside the tmpfs and checks every blob came back byte-exact. */
  const pullAndCheck = async (r: TestRegistry, img: Image, ref: string) => {
    const out = fs.mkdtempSync(path.join(work, 'pull-'));
    await skopeo(['copy', '--src-tls-verify=false', '--src-creds', creds, `docker://${r.host}/${ref}`, `oci:${out}:x`]);
    for (const b of imageBlobs(img)) assert.deepEqual(fs.readFileSync(path.join(out, 'blobs', 'sha256', b.digest.slice(7))), b.bytes, `${b.digest} of ${ref}`);
  };
  const auditTypes = async (r: TestRegistry, type: string) => {
    const res = await r.fetch(`/api/v1/audit?type=${type}`);
    assert.equal(res.status, 200);
    return ((await res.json()) as { items: { type: string }[] }).items;
  };

  before(() => {
    work = tempDir('berth-disk-full-');
    mount = path.join(work, 'mnt');
    fs.mkdirSync(mount);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64m', 'tmpfs', mount]);
    data = path.join(mount, 'berth');
  });
  after(async () => {
    await reg?.close();
    if (mount) execFileSync('umount', [mount]);
    fs.rmSync(work, { recursive: true, force: true });
  });

  test('push refused with 507, pull/delete/sign-in/GC work, restart serves, freed space → push works, nothing lost', async () => {
    let r = await start();
    // The reserve is held as ballast files once the monitor has seen room for them.
    await r.server.core.disk.check();
    await r.server.core.disk.idle();
    const ballast = fs.statSync(path.join(data, 'reserve.ballast')).size + fs.statSync(path.join(data, 'startup.ballast')).size;
    assert.equal(ballast, RESERVE_MIB * 1024 * 1024);

    const kept = await makeImage({ files: { 'big.bin': Buffer.alloc(1 << 20, 7) } });
    const doomed = await makeImage({ files: { 'doomed.bin': Buffer.from(Array.from({ length: 1 << 20 }, (_, i) => (i * 31) % 251)) } });
    const later = await makeImage();
    await push(r, kept, 'apps/one:a', 'kept');
    await push(r, kept, 'apps/one:b', 'kept');
    await push(r, doomed, 'apps/doomed:1', 'doomed');

    fillUp(mount, 'filler-1');

    // Writes are refused early, with the OCI error envelope naming free space and the reserve.
    await assert.rejects(push(r, later, 'apps/later:1', 'later'), /507|disk full|insufficient storage/i);
    const refused = await r.fetch('/v2/apps/later/blobs/uploads/', { method: 'POST' });
    assert.equal(refused.status, 507);
    const body = (await refused.json()) as { errors: { code: string; message: string }[] };
    assert.equal(body.errors[0]!.code, 'STORAGE_FULL');
    assert.match(body.errors[0]!.message, /MiB free .*MiB reserve/);
    assert.deepEqual(fs.readdirSync(path.join(data, 'uploads')), [], 'a refused upload leaves nothing behind');

    // Visible: /readyz detail, metrics, audit.
    const ready = (await (await r.fetch('/readyz', { auth: false })).json()) as { status: string; disk: { low: boolean; reserveBytes: number } };
    assert.equal(ready.status, 'ready');
    assert.equal(ready.disk.low, true);
    assert.equal(ready.disk.reserveBytes, RESERVE_MIB * 1024 * 1024);
    const metrics = await (await r.fetch('/metrics', { auth: false })).text();
    assert.match(metrics, /^berth_disk_free_bytes \d+/m);
    assert.match(metrics, /^berth_disk_low 1$/m);
    assert.equal((await auditTypes(r, 'disk.low')).length, 1);

    // Deletes, pulls, sign-in and GC keep working.
    assert.equal((await r.fetch('/v2/apps/one/manifests/b', { method: 'DELETE' })).status, 202);
    assert.equal((await r.fetch(`/v2/apps/doomed/manifests/${doomed.manifest.digest}`, { method: 'DELETE' })).status, 202);
    await pullAndCheck(r, kept, 'apps/one:a');
    await ApiSession.login(r);
    const gc = await r.server.core.runGc(false, 0);
    assert.ok(gc.bytesFreed >= doomed.layers[0]!.size, `GC freed ${gc.bytesFreed} bytes`);

    // Fill what the ballast and GC gave back, then restart on the 100% full disk.
    fillUp(mount, 'filler-2');
    await r.close();
    r = await start();
    await pullAndCheck(r, kept, 'apps/one:a');
    assert.equal((await r.fetch('/v2/apps/one/manifests/a', { method: 'DELETE' })).status, 202);

    // Space comes back: writes are accepted again, the ballast returns, and nothing was lost.
    fs.rmSync(path.join(mount, 'filler-1'));
    fs.rmSync(path.join(mount, 'filler-2'));
    const status = await r.server.core.disk.check();
    assert.equal(status.low, false);
    await r.server.core.disk.idle();
    await push(r, later, 'apps/later:1', 'later');
    await push(r, kept, 'apps/one:a', 'kept');
    await pullAndCheck(r, later, 'apps/later:1');
    await pullAndCheck(r, kept, 'apps/one:a');
    assert.equal((await r.fetch('/v2/apps/one/manifests/b', { method: 'HEAD' })).status, 404);
    assert.equal((await auditTypes(r, 'disk.ok')).length, 1);
    assert.ok(fs.statSync(path.join(data, 'reserve.ballast')).size > 0, 'the ballast is back');
  });
});
