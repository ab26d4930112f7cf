import type { CoreSignal } from './tray-status.js';

/** The parts of the core the tray status listens to (structural, so main/ stays a thin shell). */
export interface SignalSource {
  events: {
    on(name: 'proxy.upstream', l: (e: { registry: string; state: 'up' | 'down' }) => void): () => void;
    on(name: 'replication.finished', l: (e: { rule: string; status: 'succeeded' | 'failed' }) => void): () => void;
  };
  replication: { list(): { rule: { name: string }; lastExecution: { status: string } | undefined }[] };
}

/**
 * Replays the current state (the last run of each replication rule; upstream breakers start closed, so only
 * their events matter), then forwards changes. Returns the unsubscribe function.
 */
export function watchCoreSignals(core: SignalSource, onSignal: (s: CoreSignal) => void): () => void {
  for (const r of core.replication.list()) {
    if (r.lastExecution) onSignal({ type: 'replication', rule: r.rule.name, ok: r.lastExecution.status !== 'failed' });
  }
  const offUpstream = core.events.on('proxy.upstream', (e) => onSignal({ type: 'upstream', registry: e.registry, up: e.state === 'up' }));
  const offReplication = core.events.on('replication.finished', (e) => onSignal({ type: 'replication', rule: e.rule, ok: e.status === 'succeeded' }));
  return () => {
    offUpstream();
    offReplication();
  };
}
