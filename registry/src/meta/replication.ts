import type { Db } from './db.js';

/*
 * Replication bookkeeping: rules (JSON specs validated by config/replication.ts), executions (one per run),
 * tasks (one per artifact of a run) and resumable upload sessions to remotes.
 */

export type RuleSource = 'file' | 'api';
export type ExecutionStatus = 'running' | 'succeeded' | 'failed' | 'interrupted';
export type TaskStatus = 'succeeded' | 'skipped' | 'failed';

export interface RuleRow {
  name: string;
  spec: unknown;
  source: RuleSource;
  createdAt: number;
  updatedAt: number;
}

export interface ExecutionRow {
  id: number;
  rule: string;
  trigger: string;
  status: ExecutionStatus;
  startedAt: number;
  finishedAt: number | null;
  planned: number;
  copied: number;
  skipped: number;
  failed: number;
  deleted: number;
  bytes: number;
  error: string | null;
}

export interface TaskRow {
  id: number;
  executionId: number;
  source: string;
  destination: string;
  digest: string | null;
  action: string;
  status: TaskStatus;
  bytes: number;
  blobs: number;
  durationMs: number;
  error: string | null;
}

export interface NewTask {
  source: string;
  destination: string;
  digest: string | undefined;
  action: string;
  status: TaskStatus;
  bytes: number;
  blobs: number;
  durationMs: number;
  error: string | undefined;
}

export interface SavedUpload {
  location: string;
  offset: number;
}

type Raw<T> = { [K in keyof T]: unknown };

const execCols = `id, rule, trigger, status, started_at AS startedAt, finished_at AS finishedAt, planned, copied, skipped, failed,
  deleted, bytes, error`;
const taskCols = `id, execution_id AS executionId, source, destination, digest, action, status, bytes, blobs, duration_ms AS durationMs, error`;

export class ReplicationTable {
  private readonly s;

  constructor(db: Db) {
    this.s = {
      rules: db.prepare<[], Raw<RuleRow> & { spec: string }>('SELECT name, spec, source, created_at AS createdAt, updated_at AS updatedAt FROM replication_rules ORDER BY name'),
      rule: db.prepare<[string], Raw<RuleRow> & { spec: string }>('SELECT name, spec, source, created_at AS createdAt, updated_at AS updatedAt FROM replication_rules WHERE name = ?'),
      upsertRule: db.prepare(
        `INSERT INTO replication_rules (name, spec, source, created_at, updated_at) VALUES (@name, @spec, @source, @now, @now)
         ON CONFLICT(name) DO UPDATE SET spec = excluded.spec, source = excluded.source, updated_at = excluded.updated_at`,
      ),
      deleteRule: db.prepare('DELETE FROM replication_rules WHERE name = ?'),
      startExec: db.prepare("INSERT INTO replication_executions (rule, trigger, status, started_at) VALUES (?, ?, 'running', ?)"),
      finishExec: db.prepare(
        `UPDATE replication_executions SET status = @status, finished_at = @finishedAt, planned = @planned, copied = @copied,
           skipped = @skipped, failed = @failed, deleted = @deleted, bytes = @bytes, error = @error WHERE id = @id`,
      ),
      interruptRunning: db.prepare("UPDATE replication_executions SET status = 'interrupted', finished_at = ?, error = 'the process stopped during the run' WHERE status = 'running'"),
      exec: db.prepare<[number], ExecutionRow>(`SELECT ${execCols} FROM replication_executions WHERE id = ?`),
      execs: db.prepare<[string, number, number], ExecutionRow>(`SELECT ${execCols} FROM replication_executions WHERE rule = ? AND id < ? ORDER BY id DESC LIMIT ?`),
      allExecs: db.prepare<[number, number], ExecutionRow>(`SELECT ${execCols} FROM replication_executions WHERE id < ? ORDER BY id DESC LIMIT ?`),
      lastExec: db.prepare<[string], ExecutionRow>(`SELECT ${execCols} FROM replication_executions WHERE rule = ? ORDER BY id DESC LIMIT 1`),
      addTask: db.prepare(
        `INSERT INTO replication_tasks (execution_id, source, destination, digest, action, status, bytes, blobs, duration_ms, error)
         VALUES (@executionId, @source, @destination, @digest, @action, @status, @bytes, @blobs, @durationMs, @error)`,
      ),
      tasks: db.prepare<[number], TaskRow>(`SELECT ${taskCols} FROM replication_tasks WHERE execution_id = ? ORDER BY id`),
      upload: db.prepare<[string, string, string], SavedUpload>('SELECT location, offset FROM replication_uploads WHERE rule = ? AND repository = ? AND digest = ?'),
      saveUpload: db.prepare(
        `INSERT INTO replication_uploads (rule, repository, digest, location, offset, updated_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT(rule, repository, digest) DO UPDATE SET location = excluded.location, offset = excluded.offset, updated_at = excluded.updated_at`,
      ),
      dropUpload: db.prepare('DELETE FROM replication_uploads WHERE rule = ? AND repository = ? AND digest = ?'),
      pruneUploads: db.prepare('DELETE FROM replication_uploads WHERE updated_at < ?'),
      // Finished executions older than the cutoff, except each rule's newest ones; tasks go with them (cascade).
      pruneExecs: db.prepare(
        `DELETE FROM replication_executions WHERE id IN (
           SELECT id FROM (SELECT id, status, started_at, ROW_NUMBER() OVER (PARTITION BY rule ORDER BY id DESC) AS rn FROM replication_executions)
           WHERE rn > @keep AND started_at < @olderThan AND status != 'running' ORDER BY id LIMIT @limit)`,
      ),
      tagTimes: db.prepare<[string], { name: string; updatedAt: number }>(
        'SELECT t.name, t.updated_at AS updatedAt FROM tags t JOIN repositories r ON r.id = t.repo_id WHERE r.name = ?',
      ),
    };
  }

  rules(): RuleRow[] {
    return this.s.rules.all().map(toRule);
  }

  rule(name: string): RuleRow | undefined {
    const r = this.s.rule.get(name);
    return r && toRule(r);
  }

  upsertRule(name: string, spec: unknown, source: RuleSource, now = Date.now()): void {
    this.s.upsertRule.run({ name, spec: JSON.stringify(spec), source, now });
  }

  deleteRule(name: string): boolean {
    return this.s.deleteRule.run(name).changes > 0;
  }

  startExecution(rule: string, trigger: string, now = Date.now()): number {
    return Number(this.s.startExec.run(rule, trigger, now).lastInsertRowid);
  }

  finishExecution(id: number, r: Omit<ExecutionRow, 'id' | 'rule' | 'trigger' | 'startedAt'>): void {
    this.s.finishExec.run({ id, ...r });
  }

  /** Runs left 'running' by a process that stopped (called at start). */
  markInterrupted(now = Date.now()): number {
    return this.s.interruptRunning.run(now).changes;
  }

  execution(id: number): ExecutionRow | undefined {
    return this.s.exec.get(id);
  }

  /** Newest first; `before` is an execution id for paging. */
  executions(rule: string | undefined, limit: number, before = Number.MAX_SAFE_INTEGER): ExecutionRow[] {
    return rule === undefined ? this.s.allExecs.all(before, limit) : this.s.execs.all(rule, before, limit);
  }

  lastExecution(rule: string): ExecutionRow | undefined {
    return this.s.lastExec.get(rule);
  }

  addTask(executionId: number, t: NewTask): void {
    this.s.addTask.run({ executionId, ...t, digest: t.digest ?? null, error: t.error ?? null });
  }

  tasks(executionId: number): TaskRow[] {
    return this.s.tasks.all(executionId);
  }

  savedUpload(rule: string, repository: string, digest: string): SavedUpload | undefined {
    return this.s.upload.get(rule, repository, digest);
  }

  saveUpload(rule: string, repository: string, digest: string, u: SavedUpload, now = Date.now()): void {
    this.s.saveUpload.run(rule, repository, digest, u.location, u.offset, now);
  }

  dropUpload(rule: string, repository: string, digest: string): void {
    this.s.dropUpload.run(rule, repository, digest);
  }

  /** Removes up to `limit` finished executions (with their tasks) older than `olderThan`, keeping each rule's newest `keep`. */
  pruneExecutions(olderThan: number, keep: number, limit = 200): number {
    return this.s.pruneExecs.run({ olderThan, keep, limit }).changes;
  }

  pruneUploads(olderThan: number): number {
    return this.s.pruneUploads.run(olderThan).changes;
  }

  /** Tag → last push time (ms) of a local repository (latestN for push rules). */
  tagTimes(repository: string): Map<string, number> {
    return new Map(this.s.tagTimes.all(repository).map((r) => [r.name, r.updatedAt]));
  }
}

function toRule(r: Raw<RuleRow> & { spec: string }): RuleRow {
  return { name: r.name as string, spec: JSON.parse(r.spec) as unknown, source: r.source as RuleSource, createdAt: r.createdAt as number, updatedAt: r.updatedAt as number };
}
