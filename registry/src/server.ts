import http from 'node:http';
import type { AddressInfo } from 'node:net';
import cron from 'node-cron';
import type { BerthConfig } from './config/schema.js';
import { Core } from './core.js';
import { createLogger, type Logger } from './logger.js';
import { lockDataDir } from './lock.js';
import { TokenService } from './auth/tokens.js';
import { AccessPolicy } from './auth/access.js';
import { projectOf } from './oci/reference.js';
import { Metrics } from './http/metrics.js';
import { createApp } from './http/app.js';
import type { AuthDeps } from './http/authn.js';
import { recordAudit } from './events/audit-recorder.js';
import { ProxyMetrics } from './proxy/proxy-metrics.js';
import { PullThroughCache } from './proxy/pull-through.js';
import { apiMiddleware } from './http/api/index.js';
import { SessionStore } from './http/api/session-store.js';
import { LoginLimiter } from './http/api/rate-limit.js';
import { uiMiddleware, findUiDir } from './http/ui.js';
import { Inventory } from './registry/inventory.js';
import { berthVersion } from './version.js';
import { ReplicationScheduler } from './replication/scheduler.js';
import { DropFolderWatcher } from './transfer/drop-folder.js';

export interface BerthServer {
  readonly core: Core;
  readonly url: string;
  readonly port: number;
  readonly auth: AuthDeps;
  close(): Promise<void>;
}

export interface StartOptions {
  log?: Logger;
  env?: NodeJS.ProcessEnv;
  /** Called once with the generated admin password on first start (the CLI prints it). */
  onAdminCreated?: (info: { username: string; generated: string | undefined; file: string }) => void;
  /** Folder of the built GUI (renderer/dist); found next to the code when absent. */
  uiDir?: string;
}

function splitListen(listen: string): { host: string; port: number } {
  const i = listen.lastIndexOf(':');
  const host = listen.slice(0, i).replace(/^\[|\]$/g, '') || '0.0.0.0';
  return { host, port: Number(listen.slice(i + 1)) };
}

/** Composition root: config → core → auth → HTTP app → listening server (+ scheduled GC). */
export async function startServer(config: BerthConfig, opts: StartOptions = {}): Promise<BerthServer> {
  const log = opts.log ?? createLogger(config.log.level);
  const env = opts.env ?? process.env;
  const core = new Core(config, log);
  let unlock: (() => void) | undefined;
  try {
    unlock = lockDataDir(config.data);
  } catch (e) {
    core.close();
    throw e;
  }
  const admin = await core.users.bootstrapAdmin(env.BERTH_ADMIN_PASSWORD, core.paths.initialAdminPassword);
  if (admin.created) {
    opts.onAdminCreated?.({ username: 'admin', generated: admin.generated, file: core.paths.initialAdminPassword });
    log.info({ user: 'admin', passwordFile: admin.generated ? core.paths.initialAdminPassword : undefined }, 'created the admin user');
  }

  const tokens = new TokenService('berth', config.auth.service, config.auth.tokenTtlSeconds);
  const policy = new AccessPolicy(
    {
      isPublic: (p) => core.meta.repositories.project(p)?.public ?? p === 'library',
      isReadOnly: (p) => core.meta.repositories.project(p)?.kind === 'proxy',
    },
    projectOf,
  );
  const auth: AuthDeps = { users: core.users, tokens, policy, externalUrl: config.externalUrl };
  const metrics = new Metrics(() => {
    const t = core.meta.blobs.totals();
    return { bytes: t.bytes, blobs: t.count, repositories: core.meta.repositories.count() };
  });
  const stopAudit = recordAudit(core.events, core.meta.audit);
  const proxy = new PullThroughCache(core.registry, core.proxyProjects, core.remotes, core.paths, core.events, log, new ProxyMetrics(metrics.registry));
  auth.aliases = (repository) => proxy.mirrorAliases(repository);

  let ready = false;
  const api = apiMiddleware({
    meta: core.meta,
    registry: core.registry,
    inventory: new Inventory(core.registry.ctx),
    users: core.users,
    events: core.events,
    gc: { run: (dryRun) => core.runGc(dryRun), get isRunning() { return core.gc.isRunning; } },
    auth,
    config,
    version: berthVersion,
    startedAt: Date.now(),
    sessions: new SessionStore(),
    limiter: new LoginLimiter(),
    features: {},
  });
  const extra = [api, uiMiddleware(opts.uiDir ?? findUiDir())];
  const app = createApp({ registry: core.registry, auth, metrics, log, logRequests: config.log.requests, ready: () => ready, extra, proxy });
  const server = http.createServer({ keepAliveTimeout: 65_000, requestTimeout: 0, headersTimeout: 60_000 }, app.callback());
  const { host, port } = splitListen(config.listen);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((e: unknown) => {
    stopAudit();
    unlock?.();
    core.close();
    throw e;
  });
  const address = server.address() as AddressInfo;
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const url = `http://${shownHost}:${address.port}`;

  const gcTask =
    config.gc.schedule && cron.validate(config.gc.schedule)
      ? cron.schedule(config.gc.schedule, () => {
          core
            .runGc(false)
            .then((r) => log.info({ gc: r }, 'scheduled garbage collection finished'))
            .catch((e: unknown) => log.error({ err: e }, 'scheduled garbage collection failed'));
        })
      : undefined;
  if (config.gc.schedule && !gcTask) log.warn({ schedule: config.gc.schedule }, 'gc.schedule is not a valid cron expression; scheduled GC is off');
  // Replication schedules and onPush triggers; call replicationScheduler.sync() after changing rules.
  const replicationScheduler = new ReplicationScheduler(core.replication, core.events, log);
  replicationScheduler.sync();

  await core.transfer.sweep().catch((e: unknown) => log.warn({ err: e }, 'could not sweep stale import staging folders'));
  const dropFolder = config.transfer.watch
    ? new DropFolderWatcher(core.transfer, { folder: config.transfer.dropFolder || core.paths.importDir, settleMs: config.transfer.settleSeconds * 1000 }, log)
    : undefined;
  await dropFolder?.start().catch((e: unknown) => log.error({ err: e }, 'cannot watch the drop folder; imports by CLI and GUI still work'));

  ready = true;
  log.info({ url, data: config.data }, 'berth is serving');

  let closing: Promise<void> | undefined;
  return {
    core,
    url,
    port: address.port,
    auth,
    close() {
      closing ??= (async () => {
        ready = false;
        await gcTask?.stop();
        await replicationScheduler.stop();
        await core.replication.close();
        await dropFolder?.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
          setTimeout(() => server.closeAllConnections(), 2000).unref();
        });
        stopAudit();
        core.close();
        unlock?.();
      })();
      return closing;
    },
  };
}
