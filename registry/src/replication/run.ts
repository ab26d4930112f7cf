import { parseBandwidth, type ReplicationRule } from '../config/replication.js';
import type { RemoteRegistryConfig } from '../config/remotes.js';
import type { Meta } from '../meta/index.js';
import type { Registry } from '../registry/index.js';
import type { EventBus } from '../events/event-bus.js';
import type { SecretStore } from '../secrets/secret-store.js';
import type { Logger } from '../logger.js';
import { planRun, type Plan, type PlanItem, type PlanScope } from './planner.js';
import { Copier } from './copier.js';
import { LocalSide } from './local-side.js';
import { RemoteSide } from './remote-side.js';
import { replicationClient } from './remote-client.js';
import { TokenBucket } from './throttle.js';
import { mapLimit, type RetryPolicy } from './retry.js';
import type { DestinationSide, SourceSide } from './sides.js';

/*
 * One run of a rule: build the two sides, plan, copy with the rule's concurrency, delete last (and only when
 * every copy succeeded), record one task row per artifact, and report progress on the event bus.
 */

export interface RunDeps {
  meta: Meta;
  registry: Registry;
  events: EventBus;
  log: Logger;
  secrets: () => Promise<SecretStore>;
  registries: (name: string) => RemoteRegistryConfig | undefined;
  engine: { chunkBytes: number; retry: RetryPolicy; clientRetries: number };
}

export interface Totals {
  planned: number;
  copied: number;
  skipped: number;
  failed: number;
  deleted: number;
  bytes: number;
}

export interface RunRuleOptions {
  dryRun: boolean;
  scope: PlanScope;
  executionId?: number;
  totals?: Totals;
  signal?: AbortSignal;
}

const PROGRESS_MS = 250;

export async function runRule(deps: RunDeps, rule: ReplicationRule, opts: RunRuleOptions): Promise<Plan> {
  const remoteConfig = deps.registries(rule.registry);
  if (!remoteConfig) throw new Error(`registry ${rule.registry} is not configured`);
  if (remoteConfig.offline) throw new Error(`registry ${rule.registry} is marked offline`);
  const bucket = rule.bandwidth ? new TokenBucket(parseBandwidth(rule.bandwidth)) : undefined;
  const client = replicationClient(remoteConfig, deps.secrets, deps.engine.clientRetries);
  try {
    const remote = new RemoteSide(client, { rule: rule.name, table: deps.meta.replication, chunkBytes: deps.engine.chunkBytes, bucket });
    const local = new LocalSide(deps.registry, deps.meta.replication, { username: `replication:${rule.name}` }, bucket, { rule: rule.name, chunkBytes: deps.engine.chunkBytes });
    const [source, dest]: [SourceSide, DestinationSide] = rule.direction === 'pull' ? [remote, local] : [local, remote];
    const plan = await planRun(rule, source, dest, opts.scope);
    for (const w of plan.warnings) deps.log.warn({ rule: rule.name }, w);
    if (opts.dryRun || opts.executionId === undefined) return plan;
    await execute(deps, rule, plan, source, dest, opts.executionId, opts.totals ?? zero(), opts.signal);
    return plan;
  } finally {
    await client.close();
  }
}

async function execute(deps: RunDeps, rule: ReplicationRule, plan: Plan, source: SourceSide, dest: DestinationSide, executionId: number, totals: Totals, signal: AbortSignal | undefined): Promise<void> {
  const table = deps.meta.replication;
  totals.planned = plan.items.length;
  let done = 0;
  let current: string | undefined;
  let lastEmit = 0;
  const progress = (force = false): void => {
    const now = Date.now();
    if (!force && now - lastEmit < PROGRESS_MS) return;
    lastEmit = now;
    deps.events.emit('replication.progress', { rule: rule.name, executionId, planned: totals.planned, done, copied: totals.copied, failed: totals.failed, bytes: totals.bytes, current });
  };
  const copier = new Copier(source, dest, {
    referrers: rule.referrers,
    retry: deps.engine.retry,
    signal,
    onBytes: (n) => {
      totals.bytes += n;
      progress();
    },
    onRetry: (what, e, waitMs) => deps.log.warn({ rule: rule.name, what, err: (e as Error).message, waitMs }, 'replication step failed; retrying'),
  });
  const label = (i: PlanItem) => ({ source: `${i.source.repository}:${i.source.tag}`, destination: `${i.destination.repository}:${i.destination.tag}` });

  await mapLimit(plan.items, rule.concurrency, async (item) => {
    current = label(item).source;
    if (signal?.aborted) {
      totals.failed += 1;
      table.addTask(executionId, { ...label(item), digest: item.digest, action: item.action, status: 'failed', bytes: 0, blobs: 0, durationMs: 0, error: 'the run was stopped' });
      return;
    }
    if (item.action === 'conflict') {
      totals.skipped += 1;
      table.addTask(executionId, { ...label(item), digest: item.digest, action: item.action, status: 'skipped', bytes: 0, blobs: 0, durationMs: 0, error: item.reason });
    } else {
      const t0 = Date.now();
      try {
        const r = await copier.copy(item);
        if (r.changed) totals.copied += 1;
        else totals.skipped += 1;
        const note = r.notes.length ? r.notes.join('; ') : undefined;
        if (note) deps.log.info({ rule: rule.name, ...label(item), note }, 'replication restarted a blob');
        table.addTask(executionId, { ...label(item), digest: item.digest, action: item.action, status: r.changed ? 'succeeded' : 'skipped', bytes: r.bytes, blobs: r.blobs, durationMs: r.durationMs, error: note });
      } catch (e) {
        totals.failed += 1;
        const msg = e instanceof Error ? e.message : String(e);
        deps.log.warn({ rule: rule.name, ...label(item), err: msg }, 'replication of an artifact failed');
        table.addTask(executionId, { ...label(item), digest: item.digest, action: item.action, status: 'failed', bytes: 0, blobs: 0, durationMs: Date.now() - t0, error: msg });
      }
    }
    done += 1;
    progress();
  });

  if (plan.deletions.length > 0 && totals.failed === 0) {
    // Several tags on one manifest: deleting it once removes them all (a remote cannot delete a tag alone).
    const gone = new Set<string>();
    for (const d of plan.deletions) {
      const t0 = Date.now();
      const task = { source: '', destination: `${d.repository}:${d.tag}`, digest: d.digest, action: 'delete', bytes: 0, blobs: 0 };
      try {
        if (!gone.has(`${d.repository}@${d.digest}`)) await copier.delete(d);
        gone.add(`${d.repository}@${d.digest}`);
        totals.deleted += 1;
        table.addTask(executionId, { ...task, status: 'succeeded', durationMs: Date.now() - t0, error: undefined });
      } catch (e) {
        totals.failed += 1;
        table.addTask(executionId, { ...task, status: 'failed', durationMs: Date.now() - t0, error: (e as Error).message });
      }
    }
  }
  for (const k of plan.kept) {
    table.addTask(executionId, { source: '', destination: `${k.repository}:${k.tag}`, digest: k.digest, action: 'delete', status: 'skipped', bytes: 0, blobs: 0, durationMs: 0, error: k.reason });
  }
  current = undefined;
  progress(true);
}

function zero(): Totals {
  return { planned: 0, copied: 0, skipped: 0, failed: 0, deleted: 0, bytes: 0 };
}
