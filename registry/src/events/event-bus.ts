import { EventEmitter } from 'node:events';

/** Everything that happens to content, for audit, metrics, triggers (replication on push, scan on push) and the GUI. */
export interface BerthEvents {
  'blob.pushed': { repository: string; digest: string; size: number; actor: string | undefined; mounted: boolean };
  'blob.deleted': { repository: string; digest: string; actor: string | undefined };
  'manifest.pushed': {
    repository: string;
    digest: string;
    tag: string | undefined;
    mediaType: string;
    /** artifactType, or an image manifest's config media type (what the referrers API reports). */
    artifactType: string | undefined;
    size: number;
    subject: string | undefined;
    actor: string | undefined;
  };
  'manifest.pulled': { repository: string; digest: string; reference: string; actor: string | undefined };
  'manifest.deleted': { repository: string; digest: string; actor: string | undefined };
  'tag.deleted': { repository: string; tag: string; digest: string; actor: string | undefined };
  'gc.finished': { dryRun: boolean; blobsRemoved: number; bytesFreed: number; uploadsRemoved: number; linksRemoved: number; durationMs: number };
  'replication.started': { rule: string; executionId: number; trigger: string };
  /** At most a few per second per run (replication/progress.ts). */
  'replication.progress': { rule: string; executionId: number; planned: number; done: number; copied: number; failed: number; bytes: number; current: string | undefined };
  'replication.finished': {
    rule: string;
    executionId: number;
    status: 'succeeded' | 'failed';
    copied: number;
    skipped: number;
    failed: number;
    deleted: number;
    bytes: number;
    durationMs: number;
    error: string | undefined;
  };
  /** A proxy project stored content fetched from its upstream. */
  'proxy.cached': { repository: string; registry: string; kind: 'manifest' | 'blob'; digest: string; reference: string | undefined; size: number };
  /** An upstream's circuit breaker changed state (down: requests are answered from cache without waiting). */
  'proxy.upstream': { registry: string; state: 'up' | 'down'; reason: string | undefined };
  /** The garbage collector evicted a cached manifest (cache cap or TTL of a proxy project). */
  'proxy.evicted': { project: string; repository: string; digest: string; reason: 'cap' | 'ttl' };
  /** An import or export started, progressed (a few per second) or ended; the TransferService's activity record. */
  'transfer.activity': {
    id: string;
    kind: 'import' | 'export';
    source: string;
    label: string;
    state: 'running' | 'done' | 'failed';
    phase: string;
    bytesDone: number;
    bytesTotal: number | undefined;
    error: { code: string; message: string } | undefined;
  };
  /** A scan ended (on push, on demand, or a rescan after a new vulnerability database). */
  'scan.finished': {
    repository: string;
    digest: string;
    status: 'ok' | 'failed';
    counts: Record<'critical' | 'high' | 'medium' | 'low' | 'unknown', number>;
    error: string | undefined;
  };
  /** A vulnerability source was imported: from a file (CLI, API) or from a database artifact in the registry. */
  'vulndb.loaded': { source: string; records: number; builtAt: number | undefined; origin: string };
  /** An administrator changed a project's immutability rules, quota or retention rules/schedule. */
  'policy.changed': { project: string; policy: 'immutability' | 'quota' | 'retention'; change: string; actor: string | undefined };
  /** A retention run (or dry run) of a project ended; its record is in the run history. */
  'retention.finished': {
    project: string;
    runId: number;
    dryRun: boolean;
    trigger: string;
    status: 'succeeded' | 'failed';
    tagsRemoved: number;
    manifestsRemoved: number;
    errors: number;
  };
  /** No room above the disk reserve: new content is refused (507) until space is freed. */
  'disk.low': DiskEvent;
  /** Room above the reserve again: writes are accepted. */
  'disk.ok': DiskEvent;
}

export type EventName = keyof BerthEvents;

/** Free space of the data disk (store/disk-space.ts). */
export interface DiskEvent {
  freeBytes: number;
  reserveBytes: number;
  ballastBytes: number;
  roomBytes: number;
  low: boolean;
}

/** A typed wrapper over EventEmitter; listeners' errors never reach the emitter (content paths must not fail). */
export class EventBus {
  private readonly emitter = new EventEmitter();
  private readonly onError: (e: unknown, name: string) => void;

  constructor(onError: (e: unknown, name: string) => void = () => undefined) {
    this.emitter.setMaxListeners(100);
    this.onError = onError;
  }

  on<K extends EventName>(name: K, listener: (payload: BerthEvents[K]) => void): () => void {
    const wrapped = (p: BerthEvents[K]): void => {
      try {
        listener(p);
      } catch (e) {
        this.onError(e, name);
      }
    };
    this.emitter.on(name, wrapped);
    return () => this.emitter.off(name, wrapped);
  }

  /** Every event, with its name (audit log, server-sent events). */
  onAny(listener: <K extends EventName>(name: K, payload: BerthEvents[K]) => void): () => void {
    const offs = (Object.keys(eventNames) as EventName[]).map((n) => this.on(n, (p) => listener(n, p)));
    return () => offs.forEach((off) => off());
  }

  emit<K extends EventName>(name: K, payload: BerthEvents[K]): void {
    this.emitter.emit(name, payload);
  }
}

const eventNames: Record<EventName, true> = {
  'blob.pushed': true,
  'blob.deleted': true,
  'manifest.pushed': true,
  'manifest.pulled': true,
  'manifest.deleted': true,
  'tag.deleted': true,
  'gc.finished': true,
  'replication.started': true,
  'replication.progress': true,
  'replication.finished': true,
  'proxy.cached': true,
  'proxy.upstream': true,
  'proxy.evicted': true,
  'transfer.activity': true,
  'scan.finished': true,
  'vulndb.loaded': true,
  'policy.changed': true,
  'retention.finished': true,
  'disk.low': true,
  'disk.ok': true,
};
