import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { replicationCore } from '../helpers/replication.js';

/*
 * The history tables stay bounded: each GC removes audit entries and finished replication executions (with
 * their tasks) older than gc.historyDays, keeps each rule's newest 20 and anything still running, and forgets
 * saved upload positions older than the upload age limit. A dry run touches nothing.
 */

const DAY = 86_400_000;

test('GC trims the audit log and replication history to gc.historyDays', async (t) => {
  const core = replicationCore({ gc: { schedule: '', graceMinutes: 0, uploadMaxAgeMinutes: 60, historyDays: 30 } });
  t.after(() => {
    core.close();
    fs.rmSync(core.config.data, { recursive: true, force: true });
  });
  const meta = core.meta;
  const now = Date.now();
  for (let i = 0; i < 7000; i++) meta.audit.add({ at: now - 40 * DAY + i, type: 'manifest.pulled', actor: null, repository: 'a/b', reference: 'x', detail: undefined });
  for (let i = 0; i < 5; i++) meta.audit.add({ at: now - DAY, type: 'manifest.pushed', actor: null, repository: 'a/b', reference: 'y', detail: undefined });

  const task = { source: 's', destination: 'd', digest: undefined, action: 'copy', status: 'succeeded' as const, bytes: 1, blobs: 1, durationMs: 1, error: undefined };
  const finish = { status: 'succeeded' as const, finishedAt: now, planned: 1, copied: 1, skipped: 0, failed: 0, deleted: 0, bytes: 1, error: null };
  const oldIds: number[] = [];
  for (let i = 0; i < 25; i++) {
    const id = meta.replication.startExecution('busy', 'schedule', now - 60 * DAY + i);
    meta.replication.addTask(id, task);
    meta.replication.finishExecution(id, finish);
    oldIds.push(id);
  }
  for (let i = 0; i < 3; i++) meta.replication.finishExecution(meta.replication.startExecution('quiet', 'manual', now - 60 * DAY + i), finish);
  const running = meta.replication.startExecution('quiet', 'manual', now - 50 * DAY);
  const recent = meta.replication.startExecution('busy', 'manual', now - DAY);
  meta.replication.finishExecution(recent, finish);
  meta.replication.saveUpload('busy', 'a/b', 'sha256:' + 'a'.repeat(64), { location: 'http://x/upload/1', offset: 10 }, now - 2 * 3_600_000);
  meta.replication.saveUpload('busy', 'a/b', 'sha256:' + 'b'.repeat(64), { location: 'http://x/upload/2', offset: 10 }, now);

  const dry = await core.runGc(true);
  assert.equal(dry.historyPruned, undefined);
  assert.equal(meta.audit.recent(10_000).length, 7005, 'a dry run removes nothing');

  const r = await core.runGc(false);
  assert.deepEqual(r.historyPruned, { auditEntries: 7000, replicationExecutions: 6, replicationUploads: 1 });
  assert.deepEqual(meta.audit.recent(10_000).map((e) => e.type).filter((x) => x === 'manifest.pulled'), []);
  assert.equal(meta.audit.recent(10_000).filter((e) => e.type === 'manifest.pushed').length, 5);
  const busy = meta.replication.executions('busy', 100);
  assert.equal(busy.length, 20, "the rule's newest 20 stay, however old");
  assert.equal(busy[0]!.id, recent);
  assert.deepEqual(oldIds.slice(0, 6).map((id) => meta.replication.execution(id)), [undefined, undefined, undefined, undefined, undefined, undefined]);
  assert.deepEqual(meta.replication.tasks(oldIds[0]!), [], 'tasks went with their execution');
  assert.equal(meta.replication.tasks(oldIds[24]!).length, 1);
  const quiet = meta.replication.executions('quiet', 100);
  assert.equal(quiet.length, 4, 'a rule with few executions keeps them all');
  assert.ok(quiet.some((e) => e.id === running && e.status === 'running'));
  assert.equal(meta.replication.savedUpload('busy', 'a/b', 'sha256:' + 'a'.repeat(64)), undefined);
  assert.ok(meta.replication.savedUpload('busy', 'a/b', 'sha256:' + 'b'.repeat(64)));
});
