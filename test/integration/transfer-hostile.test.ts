import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import type { Writable } from 'node:stream';
import tar from 'tar-stream';
import { tempDir } from '../helpers/test-registry.js';
import { makeImage, imageBlobs, descriptor, type Image } from '../helpers/oci-image.js';
import { openCore, tagMap, stagingLeftovers } from '../helpers/transfer-fixtures.js';
import { TransferError } from '../../registry/src/transfer/errors.js';
import type { Core } from '../../registry/src/core.js';

/*
 * Bad archives: each is refused with a precise code, nothing becomes visible, the staging area is empty
 * afterwards and nothing is written outside the data folder.
 */

interface Entry {
  name: string;
  data?: Buffer;
  type?: 'file' | 'symlink' | 'link';
  linkname?: string;
}

async function tarBytes(entries: Entry[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const e of entries) {
    if (e.type === 'symlink' || e.type === 'link') pack.entry({ name: e.name, type: e.type, linkname: e.linkname! });
    else pack.entry({ name: e.name, mode: 0o644 }, e.data ?? Buffer.alloc(0));
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function layoutEntries(img: Image, ref = 'team/evil:v1'): Entry[] {
  const index = { schemaVersion: 2, manifests: [descriptor(img.manifest, { annotations: { 'org.opencontainers.image.ref.name': ref } })] };
  return [
    { name: 'oci-layout', data: Buffer.from('{"imageLayoutVersion":"1.0.0"}') },
    { name: 'index.json', data: Buffer.from(JSON.stringify(index)) },
    ...imageBlobs(img).map((b) => ({ name: `blobs/sha256/${b.digest.slice(7)}`, data: b.bytes })),
  ];
}

describe('offline import refuses hostile archives', () => {
  const work = tempDir('berth-transfer-hostile-');
  const outside = path.join(work, 'outside');
  fs.mkdirSync(outside);
  let n = 0;
  const cores: Core[] = [];
  after(() => {
    for (const c of cores) c.close();
    fs.rmSync(work, { recursive: true, force: true });
  });

  /** Imports the bytes into a fresh data folder and expects refusal with `code` and nothing changed. */
  async function refused(bytes: Buffer | string, code: string, message?: RegExp): Promise<void> {
    const core = openCore(path.join(work, `data-${++n}`), { maxExpansionRatio: 100 });
    cores.push(core);
    let file: string;
    if (typeof bytes === 'string') file = bytes;
    else {
      file = path.join(work, `input-${n}.tar`);
      fs.writeFileSync(file, bytes);
    }
    await assert.rejects(core.transfer.import([file], { actor: { username: 't' } }), (e: unknown) => {
      assert.ok(e instanceof TransferError, `expected a TransferError, got ${String(e)}`);
      assert.equal(e.code, code, e.message);
      if (message) assert.match(e.message, message);
      return true;
    });
    assert.deepEqual(tagMap(core), {}, 'nothing imported');
    assert.equal(core.meta.blobs.totals().count, 0, 'no blob rows');
    assert.deepEqual(stagingLeftovers(core.config.data), [], 'staging cleaned up');
    assert.deepEqual(fs.readdirSync(outside), [], 'nothing written outside the data folder');
  }

  test('path traversal with ..', async () => {
    const img = await makeImage();
    await refused(await tarBytes([...layoutEntries(img), { name: '../outside/escape.txt', data: Buffer.from('x') }]), 'UNSAFE_PATH', /climbs out/);
    await refused(await tarBytes([{ name: 'blobs/../../outside/x', data: Buffer.from('x') }]), 'UNSAFE_PATH');
  });

  test('absolute path', async () => {
    await refused(await tarBytes([{ name: `${outside}/abs.txt`, data: Buffer.from('x') }]), 'UNSAFE_PATH', /absolute/);
  });

  test('symlink and hard link in an OCI layout', async () => {
    const img = await makeImage();
    const entries = layoutEntries(img);
    const layer = entries.pop()!;
    await refused(await tarBytes([...entries, { name: layer.name, type: 'symlink', linkname: '/etc/passwd' }]), 'LINK_REFUSED');
    await refused(await tarBytes([...layoutEntries(img), { name: 'extra', type: 'link', linkname: 'index.json' }]), 'LINK_REFUSED');
  });

  test('symlink in a layout folder is not followed', async () => {
    const img = await makeImage();
    const dir = path.join(work, 'layout-with-link');
    fs.mkdirSync(path.join(dir, 'blobs', 'sha256'), { recursive: true });
    for (const e of layoutEntries(img)) fs.writeFileSync(path.join(dir, e.name), e.data!);
    fs.symlinkSync('/etc/passwd', path.join(dir, 'blobs', 'sha256', 'link'));
    await refused(dir, 'LINK_REFUSED');
  });

  test('docker archive whose layer link points outside the archive', async () => {
    const entries: Entry[] = [
      { name: 'manifest.json', data: Buffer.from(JSON.stringify([{ Config: 'c.json', RepoTags: ['team/evil:v1'], Layers: ['l/layer.tar'] }])) },
      { name: 'c.json', data: Buffer.from('{"rootfs":{"type":"layers","diff_ids":[]}}') },
      { name: 'l/layer.tar', type: 'symlink', linkname: '../../../etc/passwd' },
    ];
    await refused(await tarBytes(entries), 'LINK_REFUSED', /outside the archive/);
  });

  test('duplicate entries', async () => {
    const img = await makeImage();
    const entries = layoutEntries(img);
    await refused(await tarBytes([...entries, entries[1]!]), 'DUPLICATE_ENTRY', /index\.json/);
    await refused(await tarBytes([...entries, { name: `./${entries[2]!.name}`, data: entries[2]!.data }]), 'DUPLICATE_ENTRY');
  });

  test('truncated archive', async () => {
    const img = await makeImage({ files: { big: Buffer.alloc(20_000, 1) } });
    const whole = await tarBytes(layoutEntries(img));
    await refused(whole.subarray(0, whole.length - 1024 - 300), 'TRUNCATED');
  });

  test('blob whose bytes do not match its digest', async () => {
    const img = await makeImage();
    const entries = layoutEntries(img);
    const last = entries[entries.length - 1]!;
    last.data = Buffer.from(last.data!);
    last.data[last.data.length - 1]! ^= 0xff;
    await refused(await tarBytes(entries), 'DIGEST_MISMATCH');
  });

  test('manifest pointing at a missing blob', async () => {
    const img = await makeImage({ layers: 2 });
    const entries = layoutEntries(img).filter((e) => !e.name.endsWith(img.layers[1]!.digest.slice(7)));
    await refused(await tarBytes(entries), 'MISSING_CONTENT', new RegExp(img.layers[1]!.digest));
  });

  test('decompression bomb', async () => {
    const file = path.join(work, 'bomb.tar.gz');
    const pack = tar.pack();
    const size = 256 * 1024 * 1024;
    const writing = pipeline(pack, zlib.createGzip({ level: 1 }), fs.createWriteStream(file));
    const entry = pack.entry({ name: 'zeros', size }, () => undefined) as unknown as Writable;
    const zeros = Buffer.alloc(1 << 20);
    for (let i = 0; i < size / zeros.length; i++) if (!entry.write(zeros)) await new Promise((r) => entry.once('drain', r));
    entry.end();
    pack.finalize();
    await writing;
    assert.ok(fs.statSync(file).size < 2 * 1024 * 1024);
    await refused(file, 'TOO_LARGE', /decompression bomb/);
  });

  test('absurd entry size', async () => {
    const bytes = await tarBytes([{ name: 'blobs/sha256/' + 'a'.repeat(64), data: Buffer.alloc(10) }]);
    // Rewrite the size field (offset 124, 12 bytes) in base-256: one pebibyte; fix the header checksum.
    const header = bytes.subarray(0, 512);
    header.fill(0, 124, 136);
    header[124] = 0x80;
    header.writeBigUInt64BE(2n ** 50n, 128);
    header.fill(0x20, 148, 156);
    let sum = 0;
    for (const b of header) sum += b;
    header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
    await refused(bytes, 'TOO_LARGE', /claims 1125899906842624 bytes/);
  });

  test('not an archive at all', async () => {
    await refused(Buffer.from('this is not a tar file, just text, long enough to fill nothing'.repeat(20)), 'FORMAT');
  });
});
