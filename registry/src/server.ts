import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BerthConfig } from './config/schema.js';
import { ConfigError } from './config/load.js';
import { Core } from './core.js';
import { DomainError } from './errors.js';
import { scanRoutes } from './http/api/scan.js';
import { securityRoutes } from './http/api/security.js';
import { createLogger, type Logger } from './logger.js';
import { lockDataDir } from './lock.js';
import { TokenService, SCANNER_SUBJECT } from './auth/tokens.js';
import { AdapterEngine } from './scan/adapter-engine.js';
import { AccessPolicy } from './auth/access.js';
import { projectOf } from './oci/reference.js';
import { Metrics } from './http/metrics.js';
import { createApp } from './http/app.js';
import { applyConnectionLimits, connectionsCheckingInterval, type ConnectionLimits } from './http/connection-limits.js';
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
import { replicationRoutes } from './http/api/replication.js';
import { transferRoutes } from './http/api/transfer.js';
import { registryRoutes } from './http/api/registries.js';
import { proxyRoutes } from './http/api/proxies.js';
import type { TransferActivity } from './transfer/transfer-service.js';
import { AccessTokenService } from './auth/access-tokens.js';
import { GcSchedule } from './gc/gc-schedule.js';
import { settingsRoutes } from './http/api/settings.js';
import { immutabilityRoutes } from './http/api/immutability.js';
import { quotaRoutes } from './http/api/quotas.js';
import { retentionRoutes } from './http/api/retention.js';
import { RetentionScheduler } from './policy/retention-scheduler.js';
import { createDataFolder } from './data-folder.js';
import type { ReconcileReport } from './config/reconcile.js';

export interface BerthServer {
  readonly core: Core;
  readonly url: string;
  /** The address really bound, e.g. 0.0.0.0:5000 (url is the one to connect to from this machine). */
  readonly address: string;
  readonly port: number;
  readonly auth: AuthDeps;
  /** What applying the config file's registries, proxies and replication rules changed and could not apply. */
  readonly reconciled: ReconcileReport;
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

/** Binds the port; the errors users meet say what to do instead of a bare errno. */
async function listenOn(server: http.Server, host: string, port: number, listen: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((e: unknown) => {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'EADDRINUSE' ? 'another program is already listening there'
      : code === 'EACCES' ? 'ports below 1024 need privileges (see AmbientCapabilities in build/berth.service)'
      : code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' ? `${host} is not an address of this machine`
      : undefined;
    if (!why) throw e;
    throw new ConfigError(`cannot listen on ${listen}: ${why}; choose another address with --listen HOST:PORT, BERTH_LISTEN or listen: in the config file`);
  });
}

/** Composition root: config → core → auth → HTTP app → listening server (+ scheduled GC). */
export async function startServer(config: BerthConfig, opts: StartOptions = {}): Promise<BerthServer> {
  const log = opts.log ?? createLogger(config.log.level);
  const env = opts.env ?? process.env;
  // The port is bound before anything touches the data folder: a busy port must not leave an admin user and
  // its password file behind for a server that never served. Requests that arrive before the app is wired wait
  // for it (as they would have waited for the port), so "it answers" still means "it is ready".
  const early: [http.IncomingMessage, http.ServerResponse][] = [];
  let handler: http.RequestListener = (req, res) => void early.push([req, res]);
  const limits: ConnectionLimits = {
    headersTimeoutMs: config.limits.headersTimeoutSeconds * 1000,
    idleTimeoutMs: config.limits.idleTimeoutSeconds * 1000,
    maxConnectionsPerAddress: config.limits.maxConnectionsPerAddress,
  };
  const server = http.createServer(
    { keepAliveTimeout: 65_000, requestTimeout: 0, headersTimeout: limits.headersTimeoutMs, connectionsCheckingInterval: connectionsCheckingInterval(limits) },
    (req, res) => handler(req, res),
  );
  applyConnectionLimits(server, limits);
  const { host, port } = splitListen(config.listen);
  await listenOn(server, host, port, config.listen);
  let core: Core;
  let unlock: (() => void) | undefined;
  try {
    createDataFolder(config.data);
    core = new Core(config, log);
  } catch (e) {
    server.close();
    throw e;
  }
  try {
    unlock = lockDataDir(config.data, (e) => log.warn({ err: e.message }, 'the disk is full: serving without server.pid (offline commands cannot see this server)'));
  } catch (e) {
    server.close();
    core.close();
    throw e;
  }
  // Only here (and in `berth config apply`) does the config file change the database; never fatal per entry.
  const reconciled = core.reconcileConfig();
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
  const accessTokens = new AccessTokenService(core.meta.accessTokens, (u) => core.users.principalOf(u));
  const auth: AuthDeps = { users: core.users, tokens, policy, externalUrl: config.externalUrl, accessTokens };
  const metrics = new Metrics(() => {
    const t = core.meta.blobs.totals();
    return { bytes: t.bytes, blobs: t.count, repositories: core.meta.repositories.count() };
  });
  metrics.diskGauges(() => core.disk.status);
  const stopAudit = recordAudit(core.events, core.meta.audit);
  core.events.on('disk.low', (s) => log.warn({ disk: s }, 'the data disk is at its reserve: new content is refused until space is freed'));
  core.events.on('disk.ok', (s) => log.info({ disk: s }, 'the data disk has room again: writes are accepted'));
  core.scan.watchPushes();
  core.scan.pollDatabase(config.scan.dbPollSeconds * 1000);
  core.registry.manifests.addPullGuard(({ repository, digest, actor }) => {
    // A scanner adapter must read what the gate holds back until it has been scanned.
    if (actor.username === SCANNER_SUBJECT) return;
    const gate = core.scan.gate(repository, digest);
    if (!gate.allowed) throw new DomainError('DENIED', gate.reason ?? 'pull blocked by the vulnerability policy');
  });
  const proxyMetrics = new ProxyMetrics(metrics.registry);
  // Eviction runs in Core's GC sweep, which has no metrics; its events feed the counter (the bus dies with core).
  core.events.on('proxy.evicted', (e) => proxyMetrics.evicted.inc({ project: e.project, reason: e.reason }));
  const proxy = new PullThroughCache(core.registry, core.proxyProjects, core.remotes, core.paths, core.events, log, proxyMetrics);
  // Imports and exports report on the TransferService; the event bus carries them to the GUI's live feed.
  const toBus = (a: TransferActivity) =>
    core.events.emit('transfer.activity', { id: a.id, kind: a.kind, source: a.source, label: a.label, state: a.state, phase: a.phase, bytesDone: a.bytesDone, bytesTotal: a.bytesTotal, error: a.error });
  for (const e of ['progress', 'finished', 'failed'] as const) core.transfer.on(e, toBus);
  const health = () => proxy.gate.health();
  auth.aliases = (repository) => proxy.mirrorAliases(repository);

  // The GC schedule can be changed from the GUI; a stored setting overrides config.gc.schedule.
  const gcSchedule = new GcSchedule(core.meta.settings, config.gc.schedule, () => {
    core
      .runGc(false)
      .then((r) => log.info({ gc: r }, 'scheduled garbage collection finished'))
      .catch((e: unknown) => log.error({ err: e }, 'scheduled garbage collection failed'));
  }, log);

  let ready = false;
  // The scheduler starts after the server listens; until then no rule has a next run to show.
  let nextReplicationRun: (rule: string) => Date | null = () => null;
  // Retention schedules per project (live-editable through the API); started with the other schedulers below.
  const retentionScheduler = new RetentionScheduler(core.policies.retention, log);
  const api = apiMiddleware({
    meta: core.meta,
    registry: core.registry,
    inventory: new Inventory(core.registry.ctx),
    users: core.users,
    events: core.events,
    gc: { run: (dryRun) => core.runGc(dryRun), get isRunning() { return core.gc.isRunning; }, get schedule() { return gcSchedule.state.schedule; } },
    auth,
    config,
    version: berthVersion,
    startedAt: Date.now(),
    sessions: new SessionStore(),
    limiter: new LoginLimiter(),
    features: { replication: true, transfer: true, proxy: true, scan: true, policies: true },
    extraRoutes: [
      ...settingsRoutes({
        gcSchedule,
        storage: {
          dataDir: core.paths.root,
          database: core.paths.database,
          blobs: core.paths.blobsRoot,
          uploads: core.paths.uploadsRoot,
          secrets: core.paths.secretsDir,
          dropFolder: config.transfer.watch ? config.transfer.dropFolder || core.paths.importDir : null,
        },
      }),
      ...scanRoutes(core.scan),
      ...securityRoutes(core.scan),
      ...immutabilityRoutes(core.policies.immutability),
      ...quotaRoutes(core.policies.quotas),
      ...retentionRoutes(core.policies.retention, (project) => retentionScheduler.nextRun(project)),
      ...replicationRoutes(core.replication, (rule) => nextReplicationRun(rule)),
      ...transferRoutes({ transfer: core.transfer, paths: core.paths, reserveBytes: config.transfer.reserveMiB * 1024 * 1024 }),
      ...registryRoutes({
        remotes: core.remotes,
        secrets: core.secrets,
        health,
        usedBy: (r) => {
          const p = core.proxyProjects.usingRegistry(r);
          if (p) return `proxy project ${p}`;
          const rule = core.replication.list().find((v) => v.rule.registry === r);
          return rule ? `replication rule ${rule.rule.name}` : undefined;
        },
      }),
      ...proxyRoutes({ proxies: core.proxyProjects, meta: core.meta, metrics: proxyMetrics, health, offline: (r) => core.remotes.get(r)?.offline ?? false }),
    ],
  });
  const extra = [api, uiMiddleware(opts.uiDir ?? findUiDir())];
  const app = createApp({ registry: core.registry, auth, metrics, log, logRequests: config.log.requests, ready: () => ready, extra, proxy, disk: core.disk });
  handler = app.callback();
  for (const [req, res] of early.splice(0)) handler(req, res);
  const address = server.address() as AddressInfo;
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const url = `http://${shownHost}:${address.port}`;

  const adapter = config.scan.adapter;
  if (adapter) {
    const secret = adapter.credentialSecret;
    core.scan.useAdapter(
      new AdapterEngine(core.store, {
        url: adapter.url,
        credential: async () => (secret ? core.secrets.get(secret) : undefined),
        timeoutMs: adapter.timeoutSeconds * 1000,
        registryUrl: adapter.registryUrl ?? config.externalUrl ?? url,
        pullToken: async (repository) => (await tokens.issue(SCANNER_SUBJECT, [{ type: 'repository', name: repository, actions: ['pull'] }])).token,
      }),
    );
    log.info({ adapter: adapter.url }, 'scanning through a Harbor scanner adapter');
  }

  gcSchedule.start();
  core.disk.start(5000);
  // Replication schedules and onPush triggers; call replicationScheduler.sync() after changing rules.
  const replicationScheduler = new ReplicationScheduler(core.replication, core.events, log);
  replicationScheduler.sync();
  nextReplicationRun = (rule) => replicationScheduler.nextRun(rule);
  retentionScheduler.sync();

  await core.transfer
    .sweep()
    .then((r) => r.folders > 0 && log.info({ folders: r.folders, bytes: r.bytes }, 'removed staging folders of interrupted imports'))
    .catch((e: unknown) => log.warn({ err: e }, 'could not sweep stale import staging folders'));
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
    address: `${host.includes(':') ? `[${host}]` : host}:${address.port}`,
    port: address.port,
    auth,
    reconciled,
    close() {
      closing ??= (async () => {
        ready = false;
        await core.disk.stop();
        await gcSchedule.stop();
        await replicationScheduler.stop();
        await retentionScheduler.stop();
        await core.policies.retention.idle();
        await core.replication.close();
        await dropFolder?.close();
        core.scan.stop();
        await core.scan.idle();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
          setTimeout(() => server.closeAllConnections(), 2000).unref();
        });
        stopAudit();
        accessTokens.close();
        for (const e of ['progress', 'finished', 'failed'] as const) core.transfer.off(e, toBus);
        core.close();
        unlock?.();
      })();
      return closing;
    },
  };
}
