import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import tar from 'tar-stream';
import { Meta } from '../../../registry/src/meta/index.js';
import { VulnDbImporter } from '../../../registry/src/scan/vulndb/importer.js';
import { alpineRecords, recordsZip, zipArchive } from '../../helpers/osv-fixture.js';

function setup(t: { after(fn: () => void): void }) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-vulndb-'));
  const meta = Meta.open(path.join(dir, 'berth.db'));
  t.after(() => {
    meta.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return { dir, meta, importer: new VulnDbImporter(meta.vulndb) };
}

test('vulndb import: a broken archive leaves the served database as it was; a good one replaces it whole', async (t) => {
  const { dir, meta, importer } = setup(t);
  const good = path.join(dir, 'alpine.zip');
  fs.writeFileSync(good, recordsZip(alpineRecords()));
  await importer.importFile(good);
  assert.equal(meta.vulndb.affecting('openssl').length, 2);

  // A later archive whose last record is malformed: nothing of it may become visible.
  const records = alpineRecords().map((r) => ({ ...r, id: `${String(r.id)}-NEW` }));
  const broken = path.join(dir, 'broken.zip');
  fs.writeFileSync(broken, zipArchive({ ...Object.fromEntries(records.map((r) => [`${String(r.id)}.json`, JSON.stringify(r)])), 'zz.json': JSON.stringify({ id: 'X', affected: [{ package: { ecosystem: 'Alpine', name: 'x' }, ranges: [{ type: 'ECOSYSTEM', events: 'nope' }] }] }) }));
  await assert.rejects(importer.importFile(broken), /zz\.json: not an OSV record: affected\.0\.ranges\.0\.events/);
  assert.deepEqual(meta.vulndb.affecting('openssl').map((r) => r.vulnId).sort(), ['ALPINE-CVE-2023-5678', 'ALPINE-CVE-2024-5535']);
  assert.equal(meta.db.prepare('SELECT count(*) AS n FROM vulns').get() && (meta.db.prepare('SELECT count(*) AS n FROM vulns').get() as { n: number }).n, 3, 'the half-written generation was removed');

  // The same ecosystem again, as tar.gz: replaces the old records, old generation deleted.
  const pack = tar.pack();
  for (const r of records) pack.entry({ name: `Alpine/${String(r.id)}.json` }, JSON.stringify(r));
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack.pipe(zlib.createGzip())) chunks.push(c as Buffer);
  const tgz = path.join(dir, 'alpine.tar.gz');
  fs.writeFileSync(tgz, Buffer.concat(chunks));
  const r = await importer.importFile(tgz);
  assert.equal(r.source, 'Alpine');
  assert.ok(r.replacedGeneration !== undefined);
  assert.deepEqual(meta.vulndb.affecting('openssl').map((x) => x.vulnId).sort(), ['ALPINE-CVE-2023-5678-NEW', 'ALPINE-CVE-2024-5535-NEW']);
  assert.equal((meta.db.prepare('SELECT count(*) AS n FROM vulns').get() as { n: number }).n, 3);
  assert.equal(meta.vulndb.sources().length, 1);

  const notArchive = path.join(dir, 'x.bin');
  fs.writeFileSync(notArchive, Buffer.from([0, 1, 2, 3, 4, 5]));
  await assert.rejects(importer.importFile(notArchive), /not a zip, tar, tar\.gz or JSON file/);
});
