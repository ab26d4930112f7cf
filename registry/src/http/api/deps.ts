import type { Meta } from '../../meta/index.js';
import type { Registry } from '../../registry/index.js';
import type { Inventory } from '../../registry/inventory.js';
import type { UserService } from '../../auth/user-service.js';
import type { EventBus } from '../../events/event-bus.js';
import type { GcResult } from '../../gc/garbage-collector.js';
import type { BerthConfig } from '../../config/schema.js';
import type { AuthDeps } from '../authn.js';
import type { SessionStore } from './session-store.js';
import type { LoginLimiter } from './rate-limit.js';
import type { ApiRoute } from './route.js';

/** Everything the admin API handlers use, handed in by the composition root (server.ts). */
export interface ApiDeps {
  meta: Meta;
  registry: Registry;
  inventory: Inventory;
  users: UserService;
  events: EventBus;
  /** schedule: the cron expression in force when it can change at run time (else config.gc.schedule). */
  gc: { run(dryRun: boolean): Promise<GcResult>; readonly isRunning: boolean; readonly schedule?: string };
  auth: AuthDeps;
  config: BerthConfig;
  version: string;
  startedAt: number;
  sessions: SessionStore;
  limiter: LoginLimiter;
  /**
   * Capabilities beyond the core (proxy, replication, transfer, scanning …), reported by /system so the GUI
   * shows their pages and dashboard tiles only when the service exists.
   */
  features: Record<string, boolean>;
  /** Routes of other services, mounted under /api/v1 with the same recipe and listed in the OpenAPI document. */
  extraRoutes?: ApiRoute[];
}
