import { Meta } from './meta/index.js';
import { StoragePaths } from './store/paths.js';
import { FsBlobStore } from './store/fs-blob-store.js';
import { UploadStore } from './store/upload-store.js';
import { EventBus } from './events/event-bus.js';
import { Registry } from './registry/index.js';
import { GarbageCollector, type GcResult } from './gc/garbage-collector.js';
import { pruneHistory, type HistoryPruned } from './gc/history-pruner.js';
import { UserService } from './auth/user-service.js';
import { TransferService } from './transfer/transfer-service.js';
import { berthVersion } from './version.js';
import type { BerthConfig } from './config/schema.js';
import type { Logger } from './logger.js';
import { ReplicationService } from './replication/replication-service.js';
import { remoteRegistrySchema, type RemoteRegistryConfig } from './config/remotes.js';
import { lazySecretStore, openSecretStore, type SecretStore } from './secrets/index.js';
import { RemoteRegistryService } from './upstream/remote-registries.js';
import { ProxyProjectService } from './proxy/proxy-projects.js';
import { CacheEvictor } from './proxy/cache-eviction.js';
import { ScanService } from './scan/scan-service.js';
import { Policies } from './policy/index.js';
import { DiskSpace } from './store/disk-space.js';
import { StagingArea } from './store/staging-area.js';
import { reconcileConfig, type ReconcileReport } from './config/reconcile.js';

/**
 * Everything that works on a data folder without HTTP: used by the server and by offline CLI commands
 * (gc, user, import …). Builds in milliseconds, so tests make one per case. It opens an existing data folder
 * (data-folder.ts creates one) and never changes what the config file declares: that is reconcileConfig(),
 * called by `serve` and `berth config apply` only.
 */
export class Core {
  readonly paths: StoragePaths;
  readonly meta: Meta;
  readonly store: FsBlobStore;
  readonly uploads: UploadStore;
  readonly events: EventBus;
  readonly registry: Registry;
  readonly gc: GarbageCollector;
  readonly users: UserService;
  readonly replication: ReplicationService;
  readonly transfer: TransferService;
  /** Upstream passwords and tokens (keychain or encrypted file; chosen on first use). */
  readonly secrets: SecretStore;
  readonly remotes: RemoteRegistryService;
  readonly proxyProjects: ProxyProjectService;
  /** Vulnerability database, scans, scan on push (started by the server), pull-gate decisions. */
  readonly scan: ScanService;
  /** Tag immutability, project quotas and tag retention; their guards are on the registry from here on. */
  readonly policies: Policies;
  /** Free space, the reserve and its ballast; every path that stores new content asks it first. */
  readonly disk: DiskSpace;

  constructor(readonly config: BerthConfig, readonly log: Logger) {
    this.paths = new StoragePaths(config.data);
    this.disk = new DiskSpace(config.data, config.storage.reserveMiB * 1024 * 1024);
    // Before SQLite opens: on a full disk the ballast's space is what lets the database (and server.pid) write.
    this.disk.releaseIfLowSync();
    this.meta = Meta.open(this.paths.database);
    this.store = new FsBlobStore(this.paths, this.disk);
    this.uploads = new UploadStore(this.paths, this.disk, { maxBlobBytes: config.limits.maxBlobBytes });
    this.events = new EventBus((e, name) => log.error({ err: e, event: name }, 'event listener failed'));
    this.disk.on('low', (s) => this.events.emit('disk.low', s));
    this.disk.on('ok', (s) => this.events.emit('disk.ok', s));
    this.registry = new Registry(this.meta, this.store, this.uploads, this.events, {
      manifestCacheBytes: config.storage.manifestCacheMiB * 1024 * 1024,
    });
    this.policies = new Policies({ meta: this.meta, registry: this.registry, events: this.events, log });
    this.gc = new GarbageCollector(this.meta, this.store, this.uploads, this.events, (dryRun) => StagingArea.sweep(this.paths, 24 * 3600_000, Date.now(), dryRun));
    this.users = new UserService(this.meta.users);
    this.transfer = new TransferService(this.registry, this.meta, this.store, this.paths, {
      berthVersion,
      maxExpansionRatio: config.transfer.maxExpansionRatio,
      reserveBytes: config.transfer.reserveMiB * 1024 * 1024,
      room: () => this.disk.admit(undefined),
    });
    this.meta.repositories.ensureProject('library', { public: true });
    this.scan = new ScanService(this.registry, this.store, this.meta, this.events, log, config.scan);
    this.secrets = lazySecretStore(() => openSecretStore({ dataDir: config.data, secretsDir: this.paths.secretsDir }));
    this.remotes = new RemoteRegistryService(this.meta, this.secrets, { limits: config.limits });
    this.proxyProjects = new ProxyProjectService(this.meta, this.remotes);
    const evictor = new CacheEvictor(this.registry, this.meta, this.proxyProjects, this.events);
    this.gc.addSweep(evictor);
    let secrets: Promise<SecretStore> | undefined;
    this.replication = new ReplicationService({
      meta: this.meta,
      registry: this.registry,
      events: this.events,
      log,
      secrets: () => (secrets ??= openSecretStore({ dataDir: config.data, secretsDir: this.paths.secretsDir })),
      registries: (name) => this.remoteRegistry(name),
    });
  }

  /**
   * Makes the database agree with the config file's registries, proxies and replication rules (see
   * config/reconcile.ts) and logs what changed and what could not be applied.
   */
  reconcileConfig(): ReconcileReport {
    const report = reconcileConfig({ remotes: this.remotes, proxies: this.proxyProjects, replication: this.replication }, this.config);
    for (const c of report.changed) this.log.info({ config: c }, 'config applied');
    for (const r of report.refused) this.log.warn({ config: r }, 'config not applied');
    return report;
  }

  /** Garbage collection, then (unless a dry run) the history tables are trimmed to gc.historyDays. */
  async runGc(dryRun: boolean, graceMinutes = this.config.gc.graceMinutes): Promise<GcResult & { historyPruned?: HistoryPruned }> {
    const uploadMaxAgeMs = this.config.gc.uploadMaxAgeMinutes * 60_000;
    const result = await this.gc.run({ dryRun, graceMs: graceMinutes * 60_000, uploadMaxAgeMs });
    if (dryRun) return result;
    return { ...result, historyPruned: await pruneHistory(this.meta, { now: Date.now(), historyDays: this.config.gc.historyDays, uploadMaxAgeMs }) };
  }

  /** A remote registry by name, as stored (the config file's are there once reconciled). */
  remoteRegistry(name: string): RemoteRegistryConfig | undefined {
    const row = this.meta.remoteRegistries.get(name);
    if (!row) return undefined;
    const r = remoteRegistrySchema.safeParse(row.spec);
    return r.success ? r.data : undefined;
  }

  close(): void {
    try {
      this.registry.flush();
    } catch (e) {
      // Last-pulled times that do not fit on a full disk are lost; closing the database must still happen.
      this.log.warn({ err: e }, 'could not write the last pull times');
    }
    void this.remotes.close();
    this.meta.close();
  }
}
