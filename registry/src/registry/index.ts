import type { Meta } from '../meta/index.js';
import type { BlobStore } from '../store/blob-store.js';
import type { UploadStore } from '../store/upload-store.js';
import type { EventBus } from '../events/event-bus.js';
import { RegistryContext } from './context.js';
import { BlobService } from './blob-service.js';
import { UploadService } from './upload-service.js';
import { ManifestService } from './manifest-service.js';
import { ContentService } from './content-service.js';
import { CacheFillService } from './cache-fill.js';
import { ImportService } from './import-service.js';

export { anonymous, type Actor } from './context.js';
export { uploadLocation, rangeHeader } from './upload-service.js';

/** The registry service: every change to content goes through here, whatever the entry point. */
export class Registry {
  readonly ctx: RegistryContext;
  readonly blobs: BlobService;
  readonly uploads: UploadService;
  readonly manifests: ManifestService;
  readonly content: ContentService;
  readonly cacheFill: CacheFillService;
  readonly imports: ImportService;

  constructor(meta: Meta, store: BlobStore, uploads: UploadStore, events: EventBus, opts: { manifestCacheBytes?: number; pullFlushMs?: number } = {}) {
    this.ctx = new RegistryContext(meta, store, uploads, events, opts);
    this.blobs = new BlobService(this.ctx);
    this.uploads = new UploadService(this.ctx);
    this.manifests = new ManifestService(this.ctx);
    this.content = new ContentService(this.ctx);
    this.cacheFill = new CacheFillService(this.ctx, this.manifests);
    this.imports = new ImportService(this.ctx, this.manifests);
  }

  /** Writes pending last-pulled times; call before closing the database. */
  flush(): void {
    this.ctx.pulls.flush();
  }
}
