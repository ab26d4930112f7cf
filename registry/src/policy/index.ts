import type { Meta } from '../meta/index.js';
import type { EventBus } from '../events/event-bus.js';
import type { Logger } from '../logger.js';
import type { Registry } from '../registry/index.js';
import { ImmutabilityService } from './immutability.js';
import { QuotaService } from './quotas.js';
import { RetentionService } from './retention-service.js';

export { PolicyError } from './errors.js';
export { ImmutabilityService } from './immutability.js';
export { QuotaService } from './quotas.js';
export { RetentionService } from './retention-service.js';
export { RetentionScheduler } from './retention-scheduler.js';

/**
 * The content policies of a Berth (the pull gate lives with scanning): tag immutability, project quotas and
 * tag retention. Building it installs the guards on the registry service, so every entry point (client
 * pushes and deletes, offline imports, replication, retention itself) is subject to them; Core builds it for
 * the server and the offline CLI alike. The retention scheduler is started by the server.
 */
export class Policies {
  readonly immutability: ImmutabilityService;
  readonly quotas: QuotaService;
  readonly retention: RetentionService;

  constructor(deps: { meta: Meta; registry: Registry; events: EventBus; log: Logger }) {
    this.immutability = new ImmutabilityService(deps.meta, deps.events);
    this.quotas = new QuotaService(deps.meta, deps.events);
    this.retention = new RetentionService({ ...deps, immutability: this.immutability });
    deps.registry.manifests.addGuard(this.immutability.pushGuard);
    deps.registry.manifests.addDeleteGuard(this.immutability.deleteGuard);
    deps.registry.blobs.addDeleteGuard(this.immutability.blobDeleteGuard);
    deps.registry.ctx.addContentGuard(this.quotas.guard);
  }
}
