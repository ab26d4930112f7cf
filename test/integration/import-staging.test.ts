import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createTestRegistry, tempDir } from '../helpers/test-registry.js';

/*
 * Issue #12 §6: a killed import leaves blobs/tmp/import-* behind. Start-up removes what a process that no
 * longer exists left (not after 24 h), and GC removes and reports it too.
 */

/** A staging folder as an import in a process that was then killed leaves it: its pid is gone, it is minutes old. */
function killedImportStaging(data: string, bytes: number): string {
  const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
  const dir = path.join(data, 'blobs', 'tmp', `import-${Date.now() - 60_000}-p${dead}-${randomUUID()}`);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, '1'), Buffer.alloc(bytes, 1));
  return dir;
}

test('start-up removes staging folders of killed imports at once; GC removes and reports them', async () => {
  const data = tempDir();
  try {
    const leftover = killedImportStaging(data, 4096);
    let reg = await createTestRegistry({ data });
    assert.equal(fs.existsSync(leftover), false, 'start-up removed the killed import staging folder');
    const later = killedImportStaging(data, 8192);
    const gc = await reg.server.core.runGc(false);
    assert.equal(gc.importStagingRemoved, 1);
    assert.ok(gc.bytesFreed >= 8192);
    assert.equal(fs.existsSync(later), false);
    // A staging folder of this live process (an import in progress) is left alone.
    const mine = path.join(data, 'blobs', 'tmp', `import-${Date.now()}-p${process.pid}-${randomUUID()}`);
    fs.mkdirSync(mine);
    assert.equal((await reg.server.core.runGc(false)).importStagingRemoved, 0);
    assert.ok(fs.existsSync(mine));
    await reg.close();
    reg = await createTestRegistry({ data });
    await reg.close();
  } finally {
    fs.rmSync(data, { recursive: true, force: true });
  }
});
