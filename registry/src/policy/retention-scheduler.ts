import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from '../logger.js';
import { RETENTION_ACTOR, type RetentionService } from './retention-service.js';

/**
 * Runs each project's retention on its cron schedule: one node-cron task per project, replaced live when a
 * schedule changes through the API. A firing while the project's previous run is still going is skipped.
 */
export class RetentionScheduler {
  private readonly tasks = new Map<string, { expr: string; task: ScheduledTask }>();
  private readonly off: () => void;
  private stopped = false;

  constructor(
    private readonly service: RetentionService,
    private readonly log: Logger,
  ) {
    this.off = service.onScheduleChanged(() => this.sync());
  }

  /** Brings the cron tasks in line with the stored schedules (call once at start; changes call it too). */
  sync(): void {
    if (this.stopped) return;
    const wanted = new Map(this.service.schedules().map((s) => [s.project, s.schedule]));
    for (const [project, t] of this.tasks) {
      if (wanted.get(project) === t.expr) continue;
      // destroy, not stop: a stopped task stays in node-cron's global registry.
      void t.task.destroy();
      this.tasks.delete(project);
    }
    for (const [project, expr] of wanted) {
      if (this.tasks.has(project)) continue;
      if (!cron.validate(expr)) {
        this.log.warn({ project, schedule: expr }, 'retention schedule is not a valid cron expression; it does not run');
        continue;
      }
      this.tasks.set(project, { expr, task: cron.schedule(expr, () => this.fire(project)) });
    }
  }

  /** When the project's schedule fires next; null without a schedule. */
  nextRun(project: string): Date | null {
    return this.tasks.get(project)?.task.getNextRun() ?? null;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.off();
    await Promise.all([...this.tasks.values()].map((t) => t.task.destroy()));
    this.tasks.clear();
  }

  private fire(project: string): void {
    if (this.stopped) return;
    if (this.service.isRunning(project)) {
      this.log.info({ project }, 'retention of this project is still running; this schedule is skipped');
      return;
    }
    this.service
      .run(project, { dryRun: false, trigger: 'schedule', actor: { username: RETENTION_ACTOR } })
      .then(({ run }) => this.log.info({ project, run: run.id, status: run.status, tagsRemoved: run.tagsRemoved, manifestsRemoved: run.manifestsRemoved }, 'scheduled retention finished'))
      .catch((e: unknown) => this.log.error({ err: e, project }, 'scheduled retention failed'));
  }
}
