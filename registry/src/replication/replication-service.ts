import { replicationRuleSchema, parseBandwidth, type ReplicationRule } from '../config/replication.js';
import type { RemoteRegistryConfig } from '../config/remotes.js';
import type { Meta } from '../meta/index.js';
import type { ExecutionRow, RuleSource, TaskRow } from '../meta/replication.js';
import type { Registry } from '../registry/index.js';
import type { EventBus } from '../events/event-bus.js';
import type { SecretStore } from '../secrets/secret-store.js';
import type { Logger } from '../logger.js';
import { formatPlan, type Plan, type PlanScope } from './planner.js';
import { defaultRetry, type RetryPolicy } from './retry.js';
import { runRule } from './run.js';
import { assertApiMayEdit } from '../config/ownership.js';

/*
 * ReplicationService: the one entry point for rules and runs (server, CLI, admin API). Rules live in SQLite,
 * owned by the config file (source 'file', written only by config/reconcile.ts) or by the API (source 'api').
 * One active run per rule; a second request for a running rule is refused (manual) or queued once (onPush).
 */

export class ReplicationError extends Error {
  constructor(
    readonly kind: 'not_found' | 'conflict' | 'invalid',
    message: string,
  ) {
    super(message);
    this.name = 'ReplicationError';
  }
}

export interface EngineOptions {
  /** Blobs above this size go to remotes in resumable chunks of this size (default 16 MiB). */
  chunkBytes: number;
  /** Retries of one step (a blob, a manifest) inside a run. */
  retry: RetryPolicy;
  /** Retries of one HTTP request inside the client (default 2). */
  clientRetries: number;
}

export interface ReplicationDeps {
  meta: Meta;
  registry: Registry;
  events: EventBus;
  log: Logger;
  secrets: () => Promise<SecretStore>;
  /** A remote registry by name (config file or admin API), undefined when unknown. */
  registries: (name: string) => RemoteRegistryConfig | undefined;
  engine?: Partial<EngineOptions>;
}

export interface RuleView {
  rule: ReplicationRule;
  source: RuleSource;
  running: boolean;
  lastExecution: ExecutionRow | undefined;
}

export interface RunResult {
  execution: ExecutionRow;
  plan: Plan | undefined;
}

export interface RunOptions {
  trigger?: 'manual' | 'schedule' | 'push' | 'cli' | 'api';
  scope?: PlanScope;
}

export class ReplicationService {
  private readonly active = new Map<string, { executionId: number; done: Promise<RunResult>; abort: AbortController }>();
  private readonly engine: EngineOptions;
  private closed = false;
  private readonly changeListeners = new Set<() => void>();

  constructor(private readonly deps: ReplicationDeps) {
    this.engine = { chunkBytes: 16 * 1024 * 1024, retry: defaultRetry, clientRetries: 2, ...deps.engine };
    const n = deps.meta.replication.markInterrupted();
    if (n > 0) deps.log.warn({ runs: n }, 'replication runs were interrupted when the process stopped; they run again at their next trigger');
  }

  /** Reconciliation only: the config file declares this rule (created or updated). */
  declare(rule: ReplicationRule): void {
    this.deps.meta.replication.upsertRule(rule.name, rule, 'file');
    this.changed();
  }

  /**
   * Reconciliation only: the config file no longer declares this rule. A rule holds no content, so it goes
   * (its execution history stays until GC trims it); a running one finishes first and goes at the next apply.
   */
  undeclare(name: string): boolean {
    if (this.active.has(name)) return false;
    this.deps.meta.replication.deleteRule(name);
    this.changed();
    return true;
  }

  list(): RuleView[] {
    return this.deps.meta.replication.rules().map((row) => this.view(row.name, row.spec, row.source));
  }

  get(name: string): RuleView {
    const row = this.deps.meta.replication.rule(name);
    if (!row) throw new ReplicationError('not_found', `replication rule ${name} does not exist`);
    return this.view(row.name, row.spec, row.source);
  }

  /** Validates with the config file's schema (zod errors name the field). */
  create(input: unknown): RuleView {
    const rule = this.validate(input);
    if (this.deps.meta.replication.rule(rule.name)) throw new ReplicationError('conflict', `replication rule ${rule.name} exists already`);
    this.deps.meta.replication.upsertRule(rule.name, rule, 'api');
    this.changed();
    return this.get(rule.name);
  }

  update(name: string, input: unknown): RuleView {
    assertApiMayEdit(`replication rule ${name}`, { source: this.get(name).source, detached: false }, 'change');
    const rule = this.validate({ ...(input as object), name });
    this.deps.meta.replication.upsertRule(name, rule, 'api');
    this.changed();
    return this.get(name);
  }

  delete(name: string): void {
    assertApiMayEdit(`replication rule ${name}`, { source: this.get(name).source, detached: false }, 'delete');
    if (this.active.has(name)) throw new ReplicationError('conflict', `replication rule ${name} is running; wait for it or stop the server`);
    if (!this.deps.meta.replication.deleteRule(name)) throw new ReplicationError('not_found', `replication rule ${name} does not exist`);
    this.changed();
  }

  /** What a run would do now, without doing it. */
  async preview(name: string, scope: PlanScope = {}): Promise<Plan> {
    const { rule } = this.get(name);
    return runRule(this.runDeps(), rule, { dryRun: true, scope });
  }

  /** What a rule that is not saved yet would do now (the GUI editor's live preview). Validated like create. */
  async previewDraft(input: unknown): Promise<Plan> {
    const rule = this.validate(input);
    return runRule(this.runDeps(), rule, { dryRun: true, scope: {} });
  }

  /** Called after any rule change (the scheduler re-syncs its cron tasks). Returns an unsubscribe function. */
  onRulesChanged(fn: () => void): () => void {
    this.changeListeners.add(fn);
    return () => this.changeListeners.delete(fn);
  }

  isRunning(name: string): boolean {
    return this.active.has(name);
  }

  /**
   * Starts a run and returns at once with its execution id; `done` settles when it ends (never rejects: a
   * failed run is a result with status 'failed').
   */
  start(name: string, opts: RunOptions = {}): { executionId: number; done: Promise<RunResult> } {
    if (this.closed) throw new ReplicationError('conflict', 'replication is shutting down');
    const { rule } = this.get(name);
    const running = this.active.get(name);
    if (running) throw new ReplicationError('conflict', `replication rule ${name} is running already (execution ${running.executionId})`);
    const trigger = opts.trigger ?? 'manual';
    const executionId = this.deps.meta.replication.startExecution(name, trigger);
    const abort = new AbortController();
    const done = this.execute(rule, executionId, trigger, opts.scope ?? {}, abort.signal).finally(() => this.active.delete(name));
    this.active.set(name, { executionId, done, abort });
    return { executionId, done };
  }

  run(name: string, opts: RunOptions = {}): Promise<RunResult> {
    return this.start(name, opts).done;
  }

  executions(rule: string | undefined, limit = 50, before?: number): ExecutionRow[] {
    return this.deps.meta.replication.executions(rule, Math.min(Math.max(limit, 1), 500), before);
  }

  execution(id: number): { execution: ExecutionRow; tasks: TaskRow[] } {
    const execution = this.deps.meta.replication.execution(id);
    if (!execution) throw new ReplicationError('not_found', `replication execution ${id} does not exist`);
    return { execution, tasks: this.deps.meta.replication.tasks(id) };
  }

  /** Stops accepting runs, aborts the active ones between steps and waits for them. */
  async close(): Promise<void> {
    this.closed = true;
    for (const a of this.active.values()) a.abort.abort();
    await Promise.all([...this.active.values()].map((a) => a.done));
  }

  private async execute(rule: ReplicationRule, executionId: number, trigger: string, scope: PlanScope, signal: AbortSignal): Promise<RunResult> {
    const { meta, events, log } = this.deps;
    const t0 = Date.now();
    events.emit('replication.started', { rule: rule.name, executionId, trigger });
    const totals = { planned: 0, copied: 0, skipped: 0, failed: 0, deleted: 0, bytes: 0 };
    let plan: Plan | undefined;
    let error: string | undefined;
    try {
      plan = await runRule(this.runDeps(), rule, { dryRun: false, scope, executionId, totals, signal });
      log.debug({ rule: rule.name, plan: formatPlan(plan) }, 'replication plan');
      if (totals.failed > 0) error = `${totals.failed} of ${totals.planned} artifacts failed; see the tasks of execution ${executionId}`;
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
    }
    const status = error ? 'failed' : 'succeeded';
    const finishedAt = Date.now();
    meta.replication.finishExecution(executionId, { status, finishedAt, ...totals, error: error ?? null });
    events.emit('replication.finished', { rule: rule.name, executionId, status, ...totals, durationMs: finishedAt - t0, error });
    (error ? log.warn : log.info).call(log, { rule: rule.name, executionId, trigger, ...totals, durationMs: finishedAt - t0, error }, 'replication run finished');
    return { execution: meta.replication.execution(executionId)!, plan };
  }

  private changed(): void {
    for (const fn of this.changeListeners) fn();
  }

  private runDeps() {
    return { ...this.deps, engine: this.engine };
  }

  private validate(input: unknown): ReplicationRule {
    const rule = replicationRuleSchema.parse(input);
    if (!this.deps.registries(rule.registry)) throw new ReplicationError('invalid', `registry ${rule.registry} is not configured`);
    if (rule.bandwidth) parseBandwidth(rule.bandwidth);
    return rule;
  }

  private view(name: string, spec: unknown, source: RuleSource): RuleView {
    return {
      rule: replicationRuleSchema.parse(spec),
      source,
      running: this.active.has(name),
      lastExecution: this.deps.meta.replication.lastExecution(name),
    };
  }
}
