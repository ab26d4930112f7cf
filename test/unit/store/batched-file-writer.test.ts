import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BatchedFileWriter } from '../../../registry/src/store/batched-file-writer.js';
import { tempDir } from '../../helpers/test-registry.js';

test('appends every byte in order, across batch boundaries and after existing content', async (t) => {
  const dir = tempDir('berth-writer-');
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'data');
  fs.writeFileSync(file, 'head');
  // odd sizes so batches end mid-chunk, plus an empty chunk and a chunk larger than a batch
  const chunks = [1, 65_536, 0, 300_000, 1_500_000, 7, 65_536, 999_999].map((n) => randomBytes(n));
  await pipeline(Readable.from(chunks), new BatchedFileWriter(file, 256 * 1024));
  assert.ok(fs.readFileSync(file).equals(Buffer.concat([Buffer.from('head'), ...chunks])));
});

test('an empty body leaves the file as it was; a failing source is reported', async (t) => {
  const dir = tempDir('berth-writer-');
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'data');
  fs.writeFileSync(file, 'x');
  await pipeline(Readable.from([]), new BatchedFileWriter(file));
  assert.equal(fs.readFileSync(file, 'utf8'), 'x');
  const failing = new Readable({
    read() {
      this.destroy(new Error('client went away'));
    },
  });
  await assert.rejects(pipeline(failing, new BatchedFileWriter(file)), /client went away/);
  await assert.rejects(pipeline(Readable.from([Buffer.from('y')]), new BatchedFileWriter(path.join(dir, 'missing', 'data'))), /ENOENT/);
});
