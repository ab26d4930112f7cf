import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { migrate, openDatabase } from '../../../registry/src/meta/db.js';
import { migrations } from '../../../registry/src/meta/migrations.js';
import { Meta } from '../../../registry/src/meta/index.js';
import { RepositoryTable } from '../../../registry/src/meta/repositories.js';
import { BlobTable } from '../../../registry/src/meta/blobs.js';
import { ManifestTable } from '../../../registry/src/meta/manifests.js';
import { QuotaTable } from '../../../registry/src/meta/quotas.js';

/*
 * The quota usage counter is kept by triggers (migration 7); whatever sequence of links, manifests, deletes,
 * GC-style unlinks and repository deletions happens, it must equal the usage computed from scratch.
 */

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-quota-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const d = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;

test('quota migration: built at N-1 with content, migrated, usage counts each distinct digest of a project once', (t) => {
  const version = migrations.find((m) => m.name.startsWith('policies'))!.version;
  const db = new Database(path.join(tempDir(t), 'berth.db'));
  t.after(() => db.close());
  db.pragma('foreign_keys = ON');
  migrate(db, migrations, version - 1);
  // Meta needs the new tables; seed through the older ones' modules.
  const meta = { repositories: new RepositoryTable(db), blobs: new BlobTable(db), manifests: new ManifestTable(db) };
  const a = meta.repositories.ensure('team/a', 'team');
  const b = meta.repositories.ensure('team/b', 'team');
  const c = meta.repositories.ensure('other/c', 'other');
  meta.blobs.addBlob(d(1), 1000);
  meta.blobs.addBlob(d(2), 300);
  meta.blobs.addBlob(d(3), 50);
  meta.blobs.link(a.id, d(1));
  meta.blobs.link(b.id, d(1)); // same blob twice in one project: counted once
  meta.blobs.link(b.id, d(2));
  meta.blobs.link(c.id, d(1));
  meta.manifests.insert({ repoId: a.id, digest: d(3), mediaType: 'x', size: 50, artifactType: undefined, subject: undefined, annotations: undefined, refs: [] });
  migrate(db, migrations, version);
  const quotas = new QuotaTable(db);
  assert.deepEqual(quotas.get('team'), { project: 'team', limitBytes: null, usedBytes: 1350 });
  assert.deepEqual(quotas.get('other'), { project: 'other', limitBytes: null, usedBytes: 1000 });
  assert.equal(quotas.holds('team', d(2)), true);
  assert.equal(quotas.holds('other', d(2)), false);
});

test('quota counter follows links, manifests, unlinks, cascades and repository deletion; recompute agrees', (t) => {
  const meta = new Meta(openDatabase(path.join(tempDir(t), 'berth.db')));
  t.after(() => meta.close());
  const sizes = [0, 700, 1300, 90, 4000, 25];
  sizes.forEach((s, i) => i > 0 && meta.blobs.addBlob(d(i), s));
  const check = (label: string) => {
    for (const p of ['team', 'other']) assert.equal(meta.quotas.get(p).usedBytes, meta.quotas.computedUsage(p), `${label}: ${p}`);
  };
  const a = meta.repositories.ensure('team/a', 'team');
  const b = meta.repositories.ensure('team/b', 'team');
  const c = meta.repositories.ensure('other/c', 'other');
  meta.tx(() => {
    meta.blobs.link(a.id, d(1));
    meta.blobs.link(a.id, d(1)); // an upsert (same link again) adds nothing
    meta.blobs.link(b.id, d(1));
    meta.blobs.link(b.id, d(2));
  });
  assert.equal(meta.quotas.get('team').usedBytes, 2000);
  check('links');
  // A manifest whose bytes are also linked as a blob in the project counts once.
  meta.manifests.insert({ repoId: a.id, digest: d(3), mediaType: 'x', size: 90, artifactType: undefined, subject: undefined, annotations: undefined, refs: [{ child: d(1), kind: 'blob' }] });
  meta.blobs.link(b.id, d(3));
  meta.manifests.tag(a.id, 'v1', d(3));
  assert.equal(meta.quotas.get('team').usedBytes, 2090);
  check('manifest');
  meta.blobs.link(c.id, d(4));
  check('other project');
  // A rolled-back transaction leaves the counter as it was.
  assert.throws(() =>
    meta.tx(() => {
      meta.blobs.link(a.id, d(5));
      throw new Error('abort');
    }),
  );
  assert.equal(meta.quotas.get('team').usedBytes, 2090);
  meta.blobs.unlink(a.id, d(1));
  assert.equal(meta.quotas.get('team').usedBytes, 2090, 'still linked from team/b');
  meta.blobs.unlink(b.id, d(1));
  assert.equal(meta.quotas.get('team').usedBytes, 1390);
  meta.manifests.delete(a.id, d(3)); // cascades to its tag and refs
  assert.equal(meta.quotas.get('team').usedBytes, 1390, 'd(3) is still linked as a blob in team/b');
  meta.blobs.unlink(b.id, d(3));
  assert.equal(meta.quotas.get('team').usedBytes, 1300);
  check('deletes');
  // GC's stale-link removal goes through the same table.
  const cutoff = Date.now() + 1000;
  for (const l of meta.blobs.staleLinks(cutoff)) meta.blobs.deleteStaleLink(l.repoId, l.digest, cutoff);
  assert.equal(meta.quotas.get('team').usedBytes, 0);
  assert.equal(meta.quotas.get('other').usedBytes, 0);
  check('gc');
  meta.blobs.link(b.id, d(4));
  meta.manifests.insert({ repoId: b.id, digest: d(5), mediaType: 'x', size: 25, artifactType: undefined, subject: undefined, annotations: undefined, refs: [] });
  meta.repositories.delete(b.id, 'team/b');
  assert.equal(meta.quotas.get('team').usedBytes, 0, 'deleting a repository releases its content');
  check('repository deleted');
  meta.quotas.setLimit('team', 5000);
  assert.deepEqual(meta.quotas.get('team'), { project: 'team', limitBytes: 5000, usedBytes: 0 });
  // recompute repairs a counter that drifted (a hand-edited database) and reports it
  meta.blobs.link(a.id, d(2));
  meta.db.prepare("UPDATE project_quotas SET used_bytes = 7 WHERE project = 'team'").run();
  assert.deepEqual(meta.quotas.recompute(), [{ project: 'team', before: 7, after: 1300 }]);
  assert.deepEqual(meta.quotas.get('team'), { project: 'team', limitBytes: 5000, usedBytes: 1300 });
  assert.deepEqual(meta.quotas.recompute(), []);
});
