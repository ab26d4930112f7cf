import type { Db } from './db.js';

export interface RetentionRuleRow {
  id: number;
  project: string;
  /** Glob over the repository path inside the project. */
  repositories: string;
  /** Glob over tag names. */
  tags: string;
  /** Keep the N most recently pushed matching tags of each repository. */
  keepLatest: number | null;
  /** Keep matching tags pushed or pulled within N days. */
  keepDays: number | null;
  /** Also remove untagged manifests of the matching repositories. */
  untagged: boolean;
  createdAt: number;
}

export type RetentionRunStatus = 'running' | 'succeeded' | 'failed' | 'interrupted';

export interface RetentionRunRow {
  id: number;
  project: string;
  trigger: string;
  actor: string | null;
  dryRun: boolean;
  status: RetentionRunStatus;
  startedAt: number;
  finishedAt: number | null;
  tagsKept: number;
  tagsRemoved: number;
  manifestsRemoved: number;
  errors: string[];
  /** What was (or would be) removed: `repository:tag` and `repository@digest`, capped. */
  items: string[];
}

/** One repository as the retention planner sees it: tags with push times, manifests with pull times and links. */
export interface RepositorySnapshot {
  name: string;
  tags: { name: string; digest: string; pushedAt: number }[];
  manifests: { digest: string; pushedAt: number; pulledAt: number | null; subject: string | null; children: string[] }[];
}

interface RawRule {
  id: number;
  project: string;
  repositories: string;
  tags: string;
  keep_latest: number | null;
  keep_days: number | null;
  untagged: number;
  created_at: number;
}

interface RawRun {
  id: number;
  project: string;
  trigger: string;
  actor: string | null;
  dry_run: number;
  status: RetentionRunStatus;
  started_at: number;
  finished_at: number | null;
  tags_kept: number;
  tags_removed: number;
  manifests_removed: number;
  errors: string;
  items: string;
}

const ruleCols = 'id, project, repositories, tags, keep_latest, keep_days, untagged, created_at';
const runCols = 'id, project, trigger, actor, dry_run, status, started_at, finished_at, tags_kept, tags_removed, manifests_removed, errors, items';

const toRule = (r: RawRule): RetentionRuleRow => ({
  id: r.id,
  project: r.project,
  repositories: r.repositories,
  tags: r.tags,
  keepLatest: r.keep_latest,
  keepDays: r.keep_days,
  untagged: r.untagged === 1,
  createdAt: r.created_at,
});

const toRun = (r: RawRun): RetentionRunRow => ({
  id: r.id,
  project: r.project,
  trigger: r.trigger,
  actor: r.actor,
  dryRun: r.dry_run === 1,
  status: r.status,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
  tagsKept: r.tags_kept,
  tagsRemoved: r.tags_removed,
  manifestsRemoved: r.manifests_removed,
  errors: JSON.parse(r.errors) as string[],
  items: JSON.parse(r.items) as string[],
});

/** Runs kept per project; older ones are dropped as new ones start. */
export const RETENTION_HISTORY = 50;

/** Tag retention: rules, per-project schedules, run history, and the snapshot the planner works on. */
export class RetentionTable {
  private readonly rulesStmt;
  private readonly insertRuleStmt;
  private readonly deleteRuleStmt;
  private readonly scheduleStmt;
  private readonly schedulesStmt;
  private readonly setScheduleStmt;
  private readonly deleteScheduleStmt;
  private readonly insertRunStmt;
  private readonly finishRunStmt;
  private readonly pruneRunsStmt;
  private readonly runsStmt;
  private readonly runStmt;
  private readonly interruptStmt;
  private readonly reposStmt;
  private readonly tagsStmt;
  private readonly manifestsStmt;
  private readonly childrenStmt;

  constructor(private readonly db: Db) {
    this.rulesStmt = db.prepare<[string], RawRule>(`SELECT ${ruleCols} FROM retention_rules WHERE project = ? ORDER BY id`);
    this.insertRuleStmt = db.prepare<[string, string, string, number | null, number | null, number, number], RawRule>(
      `INSERT INTO retention_rules (project, repositories, tags, keep_latest, keep_days, untagged, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING ${ruleCols}`,
    );
    this.deleteRuleStmt = db.prepare('DELETE FROM retention_rules WHERE project = ? AND id = ?');
    this.scheduleStmt = db.prepare<[string], { schedule: string }>('SELECT schedule FROM retention_schedules WHERE project = ?');
    this.schedulesStmt = db.prepare<[], { project: string; schedule: string }>("SELECT project, schedule FROM retention_schedules WHERE schedule != '' ORDER BY project");
    this.setScheduleStmt = db.prepare(
      'INSERT INTO retention_schedules (project, schedule, updated_at) VALUES (?, ?, ?) ON CONFLICT(project) DO UPDATE SET schedule = excluded.schedule, updated_at = excluded.updated_at',
    );
    this.deleteScheduleStmt = db.prepare('DELETE FROM retention_schedules WHERE project = ?');
    this.insertRunStmt = db.prepare<[string, string, string | null, number, number], { id: number }>(
      "INSERT INTO retention_runs (project, trigger, actor, dry_run, status, started_at) VALUES (?, ?, ?, ?, 'running', ?) RETURNING id",
    );
    this.finishRunStmt = db.prepare(
      `UPDATE retention_runs SET status = @status, finished_at = @finishedAt, tags_kept = @tagsKept, tags_removed = @tagsRemoved,
       manifests_removed = @manifestsRemoved, errors = @errors, items = @items WHERE id = @id`,
    );
    this.pruneRunsStmt = db.prepare(
      'DELETE FROM retention_runs WHERE project = @project AND id NOT IN (SELECT id FROM retention_runs WHERE project = @project ORDER BY id DESC LIMIT @keep)',
    );
    this.runsStmt = db.prepare<[string, number], RawRun>(`SELECT ${runCols} FROM retention_runs WHERE project = ? ORDER BY id DESC LIMIT ?`);
    this.runStmt = db.prepare<[number], RawRun>(`SELECT ${runCols} FROM retention_runs WHERE id = ?`);
    this.interruptStmt = db.prepare("UPDATE retention_runs SET status = 'interrupted', finished_at = ? WHERE status = 'running'");
    this.reposStmt = db.prepare<[string], { id: number; name: string }>('SELECT id, name FROM repositories WHERE project = ? ORDER BY name');
    this.tagsStmt = db.prepare<[number], { name: string; digest: string; updated_at: number }>('SELECT name, digest, updated_at FROM tags WHERE repo_id = ?');
    this.manifestsStmt = db.prepare<[number], { digest: string; created_at: number; last_pulled_at: number | null; subject: string | null }>(
      'SELECT digest, created_at, last_pulled_at, subject FROM manifests WHERE repo_id = ?',
    );
    this.childrenStmt = db.prepare<[number], { parent: string; child: string }>("SELECT parent, child FROM manifest_refs WHERE repo_id = ? AND kind = 'manifest'");
  }

  rules(project: string): RetentionRuleRow[] {
    return this.rulesStmt.all(project).map(toRule);
  }

  insertRule(project: string, r: Pick<RetentionRuleRow, 'repositories' | 'tags' | 'keepLatest' | 'keepDays' | 'untagged'>, now = Date.now()): RetentionRuleRow {
    return toRule(this.insertRuleStmt.get(project, r.repositories, r.tags, r.keepLatest, r.keepDays, r.untagged ? 1 : 0, now)!);
  }

  deleteRule(project: string, id: number): boolean {
    return this.deleteRuleStmt.run(project, id).changes > 0;
  }

  /** The project's cron schedule; '' = none. */
  schedule(project: string): string {
    return this.scheduleStmt.get(project)?.schedule ?? '';
  }

  /** Projects with a schedule. */
  schedules(): { project: string; schedule: string }[] {
    return this.schedulesStmt.all();
  }

  setSchedule(project: string, schedule: string, now = Date.now()): void {
    if (schedule === '') this.deleteScheduleStmt.run(project);
    else this.setScheduleStmt.run(project, schedule, now);
  }

  startRun(project: string, trigger: string, actor: string | undefined, dryRun: boolean, now = Date.now()): number {
    return this.db.transaction(() => {
      const id = this.insertRunStmt.get(project, trigger, actor ?? null, dryRun ? 1 : 0, now)!.id;
      this.pruneRunsStmt.run({ project, keep: RETENTION_HISTORY });
      return id;
    })();
  }

  finishRun(
    id: number,
    r: Pick<RetentionRunRow, 'tagsKept' | 'tagsRemoved' | 'manifestsRemoved' | 'errors' | 'items'> & { status: 'succeeded' | 'failed' },
    now = Date.now(),
  ): void {
    this.finishRunStmt.run({ id, status: r.status, finishedAt: now, tagsKept: r.tagsKept, tagsRemoved: r.tagsRemoved, manifestsRemoved: r.manifestsRemoved, errors: JSON.stringify(r.errors), items: JSON.stringify(r.items) });
  }

  runs(project: string, limit: number): RetentionRunRow[] {
    return this.runsStmt.all(project, limit).map(toRun);
  }

  run(id: number): RetentionRunRow | undefined {
    const r = this.runStmt.get(id);
    return r && toRun(r);
  }

  /** Runs a previous process left `running` (it stopped mid-run). */
  markInterrupted(now = Date.now()): number {
    return this.interruptStmt.run(now).changes;
  }

  /** The project's repositories as the planner needs them; read in one transaction for a consistent picture. */
  snapshot(project: string): RepositorySnapshot[] {
    return this.db.transaction(() =>
      this.reposStmt.all(project).map((repo) => {
        const children = new Map<string, string[]>();
        for (const c of this.childrenStmt.all(repo.id)) {
          const list = children.get(c.parent) ?? [];
          list.push(c.child);
          children.set(c.parent, list);
        }
        return {
          name: repo.name,
          tags: this.tagsStmt.all(repo.id).map((t) => ({ name: t.name, digest: t.digest, pushedAt: t.updated_at })),
          manifests: this.manifestsStmt.all(repo.id).map((m) => ({
            digest: m.digest,
            pushedAt: m.created_at,
            pulledAt: m.last_pulled_at,
            subject: m.subject,
            children: children.get(m.digest) ?? [],
          })),
        };
      }),
    )();
  }
}
