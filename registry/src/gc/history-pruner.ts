import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { Meta } from '../meta/index.js';

export interface HistoryPruned {
  auditEntries: number;
  replicationExecutions: number;
  replicationUploads: number;
}

/** Each replication rule keeps at least this many of its newest executions, however old. */
export const EXECUTIONS_KEPT_PER_RULE = 20;

/**
 * Bounds the history tables (audit log, replication executions and their tasks, saved upload positions),
 * which otherwise grow for the life of an appliance that nobody logs into. Runs with each garbage
 * collection; deletes in small chunks with a yield between them so pushes and pulls are not held up.
 */
export async function pruneHistory(meta: Meta, opts: { now: number; historyDays: number; uploadMaxAgeMs: number }): Promise<HistoryPruned> {
  const cutoff = opts.now - opts.historyDays * 86_400_000;
  const result: HistoryPruned = { auditEntries: 0, replicationExecutions: 0, replicationUploads: 0 };
  for (let n = meta.audit.prune(cutoff); n > 0; n = meta.audit.prune(cutoff)) {
    result.auditEntries += n;
    await yieldToLoop();
  }
  for (let n = meta.replication.pruneExecutions(cutoff, EXECUTIONS_KEPT_PER_RULE); n > 0; n = meta.replication.pruneExecutions(cutoff, EXECUTIONS_KEPT_PER_RULE)) {
    result.replicationExecutions += n;
    await yieldToLoop();
  }
  // A saved position in a remote upload session outlives the session on no registry for this long.
  result.replicationUploads = meta.replication.pruneUploads(opts.now - opts.uploadMaxAgeMs);
  return result;
}
