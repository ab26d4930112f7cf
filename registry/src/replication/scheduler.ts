import cron, { type ScheduledTask } from 'node-cron';
import type { EventBus } from '../events/event-bus.js';
import type { Logger } from '../logger.js';
import { repositorySelector, tagFilter } from './selection.js';
import { ReplicationError, type ReplicationService } from './replication-service.js';

/*
 * Triggers: cron schedules and onPush. A failed run needs no special retry: the next schedule plans again
 * from what is at both sides. Pushes made by replication itself (actor `replication:*`) trigger nothing, so
 * two rules cannot bounce an artifact between registries. Bursts (an index and its children) are coalesced.
 */

const PUSH_DEBOUNCE_MS = 300;

export class ReplicationScheduler {
  private readonly tasks = new Map<string, { expr: string; task: ScheduledTask }>();
  private readonly pendingPush = new Map<string, Set<string>>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly offPush: () => void;
  private readonly offChange: () => void;
  private stopped = false;

  constructor(
    private readonly service: ReplicationService,
    events: EventBus,
    private readonly log: Logger,
  ) {
    this.offChange = service.onRulesChanged(() => this.sync());
    this.offPush = events.on('manifest.pushed', (e) => {
      if (e.actor?.startsWith('replication:')) return;
      this.onPushed(e.repository, e.tag);
    });
  }

  /** Brings cron tasks in line with the rules (call after start and after any rule change). */
  sync(): void {
    if (this.stopped) return;
    const wanted = new Map(this.service.list().filter((v) => v.rule.enabled && v.rule.schedule).map((v) => [v.rule.name, v.rule.schedule!]));
    for (const [name, t] of this.tasks) {
      if (wanted.get(name) !== t.expr) {
        void t.task.stop();
        this.tasks.delete(name);
      }
    }
    for (const [name, expr] of wanted) {
      if (this.tasks.has(name)) continue;
      const task = cron.schedule(expr, () => this.fire(name, 'schedule'));
      this.tasks.set(name, { expr, task });
    }
  }

  /** When the rule's cron schedule fires next; null when it has none, is disabled or unknown. */
  nextRun(name: string): Date | null {
    return this.tasks.get(name)?.task.getNextRun() ?? null;
  }

  /** Rules an onPush trigger is waiting to start (debounced), by name: what a push has set in motion. */
  pending(): string[] {
    return [...this.timers.keys()].sort();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.offPush();
    this.offChange();
    for (const t of this.timers.values()) clearTimeout(t);
    await Promise.all([...this.tasks.values()].map((t) => t.task.stop()));
    this.tasks.clear();
  }

  private onPushed(repository: string, tag: string | undefined): void {
    for (const v of this.service.list()) {
      const r = v.rule;
      if (!r.enabled || !r.onPush || r.direction !== 'push') continue;
      if (!repositorySelector(r.repositories).matches(repository)) continue;
      if (tag !== undefined && !tagFilter(r)(tag)) continue;
      const set = this.pendingPush.get(r.name) ?? new Set<string>();
      set.add(repository);
      this.pendingPush.set(r.name, set);
      if (!this.timers.has(r.name)) this.timers.set(r.name, setTimeout(() => this.flushPush(r.name), PUSH_DEBOUNCE_MS));
    }
  }

  private flushPush(name: string): void {
    this.timers.delete(name);
    if (this.stopped) return;
    if (this.service.isRunning(name)) {
      // Try again shortly; the pushed repositories stay pending.
      this.timers.set(name, setTimeout(() => this.flushPush(name), 1000));
      return;
    }
    const repositories = [...(this.pendingPush.get(name) ?? [])];
    this.pendingPush.delete(name);
    if (repositories.length) this.fire(name, 'push', repositories);
  }

  private fire(name: string, trigger: 'schedule' | 'push', repositories?: string[]): void {
    try {
      this.service.start(name, { trigger, scope: repositories ? { repositories } : {} });
    } catch (e) {
      if (e instanceof ReplicationError && e.kind === 'conflict') {
        this.log.info({ rule: name, trigger }, 'replication rule is still running; this trigger is skipped');
        return;
      }
      this.log.error({ err: e, rule: name }, 'replication trigger failed');
    }
  }
}
