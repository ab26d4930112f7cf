import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { migrate } from '../../../registry/src/meta/db.js';
import { Meta } from '../../../registry/src/meta/index.js';
import { PULL_BUCKET_MS, pullBucket } from '../../../registry/src/meta/pull-stats.js';
import { PullRecorder } from '../../../registry/src/registry/pull-recorder.js';

function tempDb(t: { after(fn: () => void): void }): Database.Database {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-pullstats-'));
  const db = new Database(path.join(dir, 'berth.db'));
  db.pragma('foreign_keys = ON');
  t.after(() => {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return db;
}

test('migration 2 adds pull_stats to a version-1 database with data, which keeps working', (t) => {
  const db = tempDb(t);
  migrate(db, undefined, 1);
  db.prepare("INSERT INTO projects (name, public, kind, created_at) VALUES ('library', 1, 'local', 1)").run();
  db.prepare("INSERT INTO repositories (name, project, created_at) VALUES ('library/alpine', 'library', 1)").run();
  migrate(db, undefined, 2);
  const cols = (db.prepare('PRAGMA table_info(pull_stats)').all() as { name: string }[]).map((c) => c.name);
  assert.deepEqual(cols, ['bucket', 'repo_id', 'count']);
  migrate(db); // the later migrations, so every table Meta prepares statements for exists
  const meta = new Meta(db);
  const repo = meta.repositories.get('library/alpine')!;
  const h = pullBucket(Date.UTC(2026, 0, 2, 10, 30));
  meta.pullStats.addMany([
    { bucket: h, repoId: repo.id, count: 2 },
    { bucket: h, repoId: repo.id, count: 3 },
    { bucket: h + PULL_BUCKET_MS, repoId: repo.id, count: 1 },
    { bucket: h, repoId: 9999, count: 7 }, // a repository deleted since the pull: skipped, not an error
  ]);
  assert.deepEqual(meta.pullStats.series(h, PULL_BUCKET_MS), [
    { at: h, count: 5 },
    { at: h + PULL_BUCKET_MS, count: 1 },
  ]);
  const day = 24 * PULL_BUCKET_MS;
  assert.deepEqual(meta.pullStats.series(0, day), [{ at: Math.floor(h / day) * day, count: 6 }]);
  assert.deepEqual(meta.pullStats.top(0, 5), [{ repository: 'library/alpine', count: 6 }]);
  assert.equal(meta.pullStats.total(h + PULL_BUCKET_MS), 1);
});

test('the pull recorder counts pulls in memory and writes them in one batch', (t) => {
  const db = tempDb(t);
  migrate(db);
  const meta = new Meta(db);
  const repo = meta.repositories.ensure('library/busybox', 'library');
  const rec = new PullRecorder(meta.manifests, 60_000, meta.pullStats);
  const at = Date.UTC(2026, 0, 2, 10, 5);
  for (let i = 0; i < 4; i++) rec.record(repo.id, 'sha256:' + 'a'.repeat(64), at + i);
  assert.equal(meta.pullStats.total(0), 0, 'nothing written before the flush');
  rec.flush();
  assert.deepEqual(meta.pullStats.series(0, PULL_BUCKET_MS), [{ at: pullBucket(at), count: 4 }]);
  rec.flush();
  assert.equal(meta.pullStats.total(0), 4, 'a second flush adds nothing');
});
