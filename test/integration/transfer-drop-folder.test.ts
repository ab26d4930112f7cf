import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createTestRegistry, tempDir } from '../helpers/test-registry.js';
import { makeImage } from '../helpers/oci-image.js';
import { openCore, push } from '../helpers/transfer-fixtures.js';
import type { TransferActivity } from '../../registry/src/transfer/transfer-service.js';

async function waitFor<T>(what: string, fn: () => T | undefined, timeoutMs = 15_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const v = fn();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

test('a running server imports bundles dropped into <data>/import: processed/ with a report, failed/ with the reason', async () => {
  const work = tempDir('berth-drop-');
  const src = openCore(path.join(work, 'src'));
  const img = await makeImage({ layers: 2 });
  await push(src, 'team/drop', 'v1', img.manifest, [img.config, ...img.layers]);
  const bundle = path.join(work, 'bundle.tar');
  await src.transfer.exportToFile({ out: bundle, selection: { repositories: [], tags: [] } });
  src.close();

  const reg = await createTestRegistry({ transfer: { settleSeconds: 0.3 } });
  try {
    const drop = path.join(reg.data, 'import');
    const events: TransferActivity[] = [];
    reg.server.core.transfer.on('finished', (a) => events.push(structuredClone(a)));
    reg.server.core.transfer.on('failed', (a) => events.push(structuredClone(a)));

    // Written slowly, in two halves: it must not be picked up before it stops growing.
    const bytes = fs.readFileSync(bundle);
    const target = path.join(drop, 'site-a.tar');
    fs.writeFileSync(target, bytes.subarray(0, 4096));
    await new Promise((r) => setTimeout(r, 150));
    fs.appendFileSync(target, bytes.subarray(4096));

    const report = await waitFor('the processed report', () => fs.readdirSync(path.join(drop, 'processed')).find((f) => f.endsWith('site-a.tar.json')));
    const json = JSON.parse(fs.readFileSync(path.join(drop, 'processed', report), 'utf8')) as { ok: boolean; report: { images: string[] } };
    assert.equal(json.ok, true);
    assert.deepEqual(json.report.images, ['team/drop:v1']);
    assert.equal(fs.existsSync(target), false, 'moved out of the drop folder');
    const r = await reg.fetch('/v2/team/drop/manifests/v1', { headers: { accept: img.manifest.mediaType } });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('docker-content-digest'), img.manifest.digest);

    fs.writeFileSync(path.join(drop, 'junk.tar'), Buffer.alloc(3000, 0x41));
    const failed = await waitFor('the failure report', () => fs.readdirSync(path.join(drop, 'failed')).find((f) => f.endsWith('junk.tar.json')));
    const why = JSON.parse(fs.readFileSync(path.join(drop, 'failed', failed), 'utf8')) as { ok: boolean; error: { code: string; message: string } };
    assert.equal(why.ok, false);
    assert.equal(why.error.code, 'FORMAT');
    assert.ok(fs.readdirSync(path.join(drop, 'failed')).some((f) => f.endsWith('-junk.tar')), 'the bad file is kept in failed/');

    assert.deepEqual(events.map((e) => [e.kind, e.source, e.state]), [
      ['import', 'drop-folder', 'done'],
      ['import', 'drop-folder', 'failed'],
    ]);
  } finally {
    await reg.close();
    fs.rmSync(work, { recursive: true, force: true });
  }
});
