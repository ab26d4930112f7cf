import type { AuditTable } from '../meta/audit.js';
import type { EventBus } from './event-bus.js';

/**
 * Writes content-changing events to the audit table. Pulls are not audited row by row (see PullRecorder), nor
 * are proxy cache fills (`proxy.cached`: one per pulled blob); evictions and upstream up/down changes are.
 */
export function recordAudit(events: EventBus, audit: AuditTable): () => void {
  const offs = [
    events.on('manifest.pushed', (e) =>
      audit.add({ at: Date.now(), type: 'manifest.pushed', actor: e.actor ?? null, repository: e.repository, reference: e.tag ?? e.digest, detail: { digest: e.digest, mediaType: e.mediaType, size: e.size } }),
    ),
    events.on('manifest.deleted', (e) =>
      audit.add({ at: Date.now(), type: 'manifest.deleted', actor: e.actor ?? null, repository: e.repository, reference: e.digest, detail: undefined }),
    ),
    events.on('tag.deleted', (e) =>
      audit.add({ at: Date.now(), type: 'tag.deleted', actor: e.actor ?? null, repository: e.repository, reference: e.tag, detail: { digest: e.digest } }),
    ),
    events.on('blob.deleted', (e) =>
      audit.add({ at: Date.now(), type: 'blob.deleted', actor: e.actor ?? null, repository: e.repository, reference: e.digest, detail: undefined }),
    ),
    events.on('proxy.evicted', (e) =>
      audit.add({ at: Date.now(), type: 'proxy.evicted', actor: null, repository: e.repository, reference: e.digest, detail: { project: e.project, reason: e.reason } }),
    ),
    events.on('proxy.upstream', (e) =>
      audit.add({ at: Date.now(), type: 'proxy.upstream', actor: null, repository: null, reference: null, detail: { registry: e.registry, state: e.state, reason: e.reason ?? null } }),
    ),
    events.on('policy.changed', (e) =>
      audit.add({ at: Date.now(), type: 'policy.changed', actor: e.actor ?? null, repository: null, reference: e.project, detail: { policy: e.policy, change: e.change } }),
    ),
    events.on('retention.finished', (e) =>
      e.dryRun ? undefined : audit.add({ at: Date.now(), type: 'retention.finished', actor: null, repository: null, reference: e.project, detail: e }),
    ),
    // On a full disk this row may not fit either: the bus swallows listener errors, the metric still says it.
    ...(['disk.low', 'disk.ok'] as const).map((type) =>
      events.on(type, (e) => audit.add({ at: Date.now(), type, actor: null, repository: null, reference: null, detail: { freeBytes: e.freeBytes, reserveBytes: e.reserveBytes } })),
    ),
    events.on('gc.finished', (e) =>
      audit.add({ at: Date.now(), type: 'gc.finished', actor: null, repository: null, reference: null, detail: e }),
    ),
  ];
  return () => offs.forEach((off) => off());
}
