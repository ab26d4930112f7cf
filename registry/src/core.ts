import fs from 'node:fs';
import { Meta } from './meta/index.js';
import { StoragePaths } from './store/paths.js';
import { FsBlobStore } from './store/fs-blob-store.js';
import { UploadStore } from './store/upload-store.js';
import { EventBus } from './events/event-bus.js';
import { Registry } from './registry/index.js';
import { GarbageCollector } from './gc/garbage-collector.js';
import { UserService } from './auth/user-service.js';
import type { BerthConfig } from './config/schema.js';
import type { Logger } from './logger.js';

/**
 * Everything that works on a data folder without HTTP: used by the server and by offline CLI commands
 * (gc, user, import …). Builds in milliseconds, so tests make one per case.
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

  constructor(readonly config: BerthConfig, readonly log: Logger) {
    fs.mkdirSync(config.data, { recursive: true, mode: 0o750 });
    this.paths = new StoragePaths(config.data);
    this.meta = Meta.open(this.paths.database);
    this.store = new FsBlobStore(this.paths);
    this.uploads = new UploadStore(this.paths);
    this.events = new EventBus((e, name) => log.error({ err: e, event: name }, 'event listener failed'));
    this.registry = new Registry(this.meta, this.store, this.uploads, this.events, {
      manifestCacheBytes: config.storage.manifestCacheMiB * 1024 * 1024,
    });
    this.gc = new GarbageCollector(this.meta, this.store, this.uploads, this.events);
    this.users = new UserService(this.meta.users);
    this.meta.repositories.ensureProject('library', { public: true });
  }

  runGc(dryRun: boolean) {
    return this.gc.run({
      dryRun,
      graceMs: this.config.gc.graceMinutes * 60_000,
      uploadMaxAgeMs: this.config.gc.uploadMaxAgeMinutes * 60_000,
    });
  }

  close(): void {
    this.registry.flush();
    this.meta.close();
  }
}
