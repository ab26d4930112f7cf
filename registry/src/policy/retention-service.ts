import cron from 'node-cron';
import type { Meta } from '../meta/index.js';
import type { RetentionRuleRow, RetentionRunRow } from '../meta/retention.js';
import type { EventBus } from '../events/event-bus.js';
import type { Logger } from '../logger.js';
import type { Registry } from '../registry/index.js';
import type { Actor } from '../registry/context.js';
import type { ImmutabilityService } from './immutability.js';
import { PolicyError } from './errors.js';
import { patternProblem } from './patterns.js';
import { requireProject } from './projects.js';
import { planRetention, type RetentionPlan } from './retention-planner.js';
import { executeRetentionPlan } from './retention-executor.js';

export type RetentionRule = RetentionRuleRow;
export type RetentionRun = RetentionRunRow;
export type NewRetentionRule = Pick<RetentionRule, 'repositories' | 'tags' | 'keepLatest' | 'keepDays' | 'untagged'>;

export const MAX_KEEP_LATEST = 100_000;
export const MAX_KEEP_DAYS = 36_500;
/** Items recorded per run in the history (the plan of a dry run answers in full). */
const MAX_ITEMS = 1000;

/** The actor of scheduled runs in events and the audit log; a run started by hand carries its user. */
export const RETENTION_ACTOR = 'retention';

export interface RetentionDeps {
  meta: Meta;
  registry: Registry;
  immutability: ImmutabilityService;
  events: EventBus;
  log: Logger;
}

/**
 * Tag retention per project: rules, a cron schedule, runs on demand or on schedule (one at a time per project),
 * dry runs, and a short history. A run plans from a fresh snapshot (retention-planner.ts) and removes through
 * the registry service (retention-executor.ts); garbage collection reclaims the blobs afterwards as usual.
 */
export class RetentionService {
  private readonly running = new Map<string, Promise<RetentionRun>>();
  private readonly scheduleListeners = new Set<() => void>();

  constructor(private readonly deps: RetentionDeps) {
    const n = deps.meta.retention.markInterrupted();
    if (n > 0) deps.log.warn({ runs: n }, 'retention runs were interrupted by the last stop');
  }

  rules(project: string): RetentionRule[] {
    requireProject(this.deps.meta.repositories, project);
    return this.deps.meta.retention.rules(project);
  }

  addRule(project: string, rule: NewRetentionRule, actor: Actor): RetentionRule {
    requireProject(this.deps.meta.repositories, project);
    for (const [field, value] of [['repositories', rule.repositories], ['tags', rule.tags]] as const) {
      const problem = patternProblem(value);
      if (problem) throw new PolicyError('invalid', `${field} ${problem}`);
    }
    if (rule.keepLatest === null && rule.keepDays === null) throw new PolicyError('invalid', 'a rule keeps the N most recently pushed tags (keepLatest), those pushed or pulled within N days (keepDays), or both');
    if (rule.keepLatest !== null && !(Number.isInteger(rule.keepLatest) && rule.keepLatest >= 0 && rule.keepLatest <= MAX_KEEP_LATEST)) {
      throw new PolicyError('invalid', `keepLatest must be a whole number from 0 to ${MAX_KEEP_LATEST}`);
    }
    if (rule.keepDays !== null && !(Number.isInteger(rule.keepDays) && rule.keepDays >= 0 && rule.keepDays <= MAX_KEEP_DAYS)) {
      throw new PolicyError('invalid', `keepDays must be a whole number from 0 to ${MAX_KEEP_DAYS}`);
    }
    const row = this.deps.meta.retention.insertRule(project, rule);
    this.deps.events.emit('policy.changed', { project, policy: 'retention', change: `added rule #${row.id} (${describeRule(row)})`, actor: actor.username });
    return row;
  }

  removeRule(project: string, id: number, actor: Actor): void {
    requireProject(this.deps.meta.repositories, project);
    if (!this.deps.meta.retention.deleteRule(project, id)) throw new PolicyError('not_found', `project ${project} has no retention rule #${id}`);
    this.deps.events.emit('policy.changed', { project, policy: 'retention', change: `removed rule #${id}`, actor: actor.username });
  }

  /** The project's cron schedule ('' = runs only on demand). */
  schedule(project: string): string {
    requireProject(this.deps.meta.repositories, project);
    return this.deps.meta.retention.schedule(project);
  }

  schedules(): { project: string; schedule: string }[] {
    return this.deps.meta.retention.schedules();
  }

  setSchedule(project: string, schedule: string, actor: Actor): void {
    requireProject(this.deps.meta.repositories, project);
    const s = schedule.trim();
    if (s !== '' && !cron.validate(s)) throw new PolicyError('invalid', `"${s}" is not a valid cron expression (five fields, e.g. "0 4 * * *" for 04:00 every day; six with seconds)`);
    this.deps.meta.retention.setSchedule(project, s);
    this.deps.events.emit('policy.changed', { project, policy: 'retention', change: s ? `schedule "${s}"` : 'no schedule', actor: actor.username });
    for (const fn of this.scheduleListeners) fn();
  }

  /** Called after a schedule changes (the scheduler re-syncs its cron tasks). */
  onScheduleChanged(fn: () => void): () => void {
    this.scheduleListeners.add(fn);
    return () => this.scheduleListeners.delete(fn);
  }

  isRunning(project: string): boolean {
    return this.running.has(project);
  }

  /** What a run would do now. Pending pull times are written first, so "pulled within N days" sees them. */
  plan(project: string, now = Date.now()): RetentionPlan {
    requireProject(this.deps.meta.repositories, project);
    const { meta, registry, immutability } = this.deps;
    registry.flush();
    return planRetention({
      project,
      rules: meta.retention.rules(project),
      repositories: meta.retention.snapshot(project),
      now,
      immutable: (repository, tag) => immutability.protecting(repository, tag),
    });
  }

  /**
   * A run (or dry run) of the project's rules, recorded in the history. A dry run removes nothing and records
   * what a run would remove. Only one real run per project at a time.
   */
  async run(project: string, opts: { dryRun: boolean; trigger: 'manual' | 'schedule'; actor: Actor }): Promise<{ run: RetentionRun; plan: RetentionPlan }> {
    requireProject(this.deps.meta.repositories, project);
    if (!opts.dryRun && this.running.has(project)) throw new PolicyError('conflict', `a retention run of project ${project} is already running`);
    const { meta, registry, events, log } = this.deps;
    const id = meta.retention.startRun(project, opts.trigger, opts.actor.username, opts.dryRun);
    let plan: RetentionPlan | undefined;
    const work = (async (): Promise<RetentionRun> => {
      try {
        plan = this.plan(project);
        const outcome = opts.dryRun
          ? { tagsRemoved: plan.totals.tagsRemoved, manifestsRemoved: plan.totals.manifestsRemoved, errors: [], removed: plannedItems(plan) }
          : await executeRetentionPlan(plan, registry, opts.actor);
        meta.retention.finishRun(id, {
          status: outcome.errors.length ? 'failed' : 'succeeded',
          tagsKept: plan.totals.tagsKept,
          tagsRemoved: outcome.tagsRemoved,
          manifestsRemoved: outcome.manifestsRemoved,
          errors: capped(outcome.errors),
          items: capped(outcome.removed),
        });
      } catch (e) {
        log.error({ err: e, project }, 'retention run failed');
        meta.retention.finishRun(id, { status: 'failed', tagsKept: 0, tagsRemoved: 0, manifestsRemoved: 0, errors: [(e as Error).message], items: [] });
      }
      const run = meta.retention.run(id)!;
      events.emit('retention.finished', {
        project,
        runId: id,
        dryRun: opts.dryRun,
        trigger: opts.trigger,
        status: run.status === 'succeeded' ? 'succeeded' : 'failed',
        tagsRemoved: run.tagsRemoved,
        manifestsRemoved: run.manifestsRemoved,
        errors: run.errors.length,
      });
      return run;
    })();
    if (!opts.dryRun) {
      this.running.set(project, work);
      void work.finally(() => this.running.delete(project));
    }
    const run = await work;
    return { run, plan: plan ?? { project, createdAt: run.startedAt, repositories: [], totals: { repositories: 0, tagsKept: 0, tagsRemoved: 0, manifestsRemoved: 0 } } };
  }

  runs(project: string, limit: number): RetentionRun[] {
    requireProject(this.deps.meta.repositories, project);
    return this.deps.meta.retention.runs(project, limit);
  }

  getRun(project: string, id: number): RetentionRun {
    const run = this.deps.meta.retention.run(id);
    if (!run || run.project !== project) throw new PolicyError('not_found', `project ${project} has no retention run ${id}`);
    return run;
  }

  /** Resolves when no run is in progress (server stop). */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.running.values()]);
  }
}

export function describeRule(r: NewRetentionRule): string {
  const keep = [
    r.keepLatest !== null ? `the ${r.keepLatest} most recently pushed` : undefined,
    r.keepDays !== null ? `those pushed or pulled within ${r.keepDays} days` : undefined,
  ].filter(Boolean);
  return `repositories "${r.repositories}", tags "${r.tags}": keep ${keep.join(' and ')}${r.untagged ? '; remove untagged manifests' : ''}`;
}

function plannedItems(plan: RetentionPlan): string[] {
  const items: string[] = [];
  for (const r of plan.repositories) {
    for (const t of r.removeTags) items.push(`${r.repository}:${t.tag}`);
    for (const m of r.removeManifests) {
      for (const t of m.tags) items.push(`${r.repository}:${t}`);
      items.push(`${r.repository}@${m.digest}`);
    }
  }
  return items;
}

function capped(items: string[]): string[] {
  return items.length <= MAX_ITEMS ? items : [...items.slice(0, MAX_ITEMS), `… and ${items.length - MAX_ITEMS} more`];
}
