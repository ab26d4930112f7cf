#!/usr/bin/env node
import { Command, Option } from 'commander';
import { loadConfig, ConfigError } from './config/load.js';
import { defaultDataDir, type BerthConfig } from './config/schema.js';
import { startServer } from './server.js';
import { Core } from './core.js';
import { createLogger } from './logger.js';
import { serverHoldingDataDir } from './lock.js';
import { roleSchema } from './auth/user-service.js';
import { formatPlan } from './replication/planner.js';
import { parseSize } from './transfer/split-files.js';
import { isTransferError } from './transfer/errors.js';
import { renderProgress } from './transfer/progress-bar.js';
import type { TransferActivity } from './transfer/transfer-service.js';
import { registerSecretCommands } from './secrets/cli-commands.js';
import { registerScanCommands } from './scan/cli-commands.js';
import { registerTokenCommands } from './auth/token-cli.js';
import { registerConfigCommands } from './config/cli-commands.js';
import { formatReconcileReport } from './config/reconcile.js';
import { requireDataFolder } from './data-folder.js';
import { describeError, count } from './cli-errors.js';

const program = new Command();
program.name('berth').description('Berth: an OCI registry appliance for the edge').version('0.1.0');

interface CommonOpts {
  config?: string;
  data?: string;
  listen?: string;
}

function config(opts: CommonOpts): BerthConfig {
  return loadConfig({ file: opts.config, flags: { data: opts.data, listen: opts.listen } });
}

/**
 * The data folder the service uses (--data, BERTH_DATA, the config's `data`, the default: the same resolution
 * as `serve`), which must exist: only `serve` and `init` create one (data-folder.ts).
 */
function openDataFolder(opts: CommonOpts): BerthConfig {
  const cfg = config(opts);
  const file = opts.config ?? process.env.BERTH_CONFIG;
  const origin = opts.data
    ? 'from --data'
    : process.env.BERTH_DATA
      ? 'from BERTH_DATA'
      : file && cfg.data !== defaultDataDir()
        ? `from ${file}`
        : 'the default';
  requireDataFolder(cfg.data, origin);
  return cfg;
}

/** Offline commands work on the data folder directly and must not race a running server. */
function offlineCore(opts: CommonOpts, what: string): Core {
  const cfg = openDataFolder(opts);
  const pid = serverHoldingDataDir(cfg.data);
  if (pid !== undefined) {
    throw new ConfigError(`a Berth server (pid ${pid}) is serving ${cfg.data}; stop it first, or ${what}`);
  }
  return new Core(cfg, createLogger(cfg.log.level === 'info' ? 'warn' : cfg.log.level));
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) throw new ConfigError('pipe the password on standard input, e.g. printf %s "$PW" | berth user add NAME');
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

const configOpt = () => new Option('-c, --config <file>', 'YAML config file (env BERTH_CONFIG)');
const dataOpt = () => new Option('-d, --data <dir>', 'data folder (env BERTH_DATA)');

program
  .command('serve')
  .description('serve the registry, admin API and GUI')
  .addOption(configOpt())
  .addOption(dataOpt())
  .addOption(new Option('-l, --listen <host:port>', 'address to listen on (env BERTH_LISTEN)'))
  .action(async (opts: CommonOpts) => {
    const cfg = config(opts);
    const server = await startServer(cfg, {
      onAdminCreated: ({ generated, file }) => {
        if (generated) {
          process.stderr.write(
            `\nBerth created the user "admin" with the password:\n\n    ${generated}\n\n` +
              `It is also in ${file} (readable only by you). Change it after signing in.\n\n`,
          );
        } else {
          process.stderr.write('\nBerth created the user "admin" with the password from BERTH_ADMIN_PASSWORD.\n\n');
        }
      },
    });
    process.stderr.write(`${formatReconcileReport(server.reconciled).join('\n')}\n`);
    process.stderr.write(
      `Berth is listening on ${server.address}${/^(0\.0\.0\.0|\[::\]):/.test(server.address) ? ' (all interfaces)' : ''}\n` +
        `  registry: ${server.url.replace(/^https?:\/\//, '')} (plain HTTP: use --tls-verify=false / insecure-registries)\n  GUI:      ${server.url}/\n  data:     ${cfg.data}\n`,
    );
    const shutdown = (signal: string) => {
      process.stderr.write(`\n${signal}: shutting down\n`);
      server.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.once('SIGINT', () => shutdown('SIGINT'));
    process.once('SIGTERM', () => shutdown('SIGTERM'));
  });

program
  .command('gc')
  .description('remove unreferenced blobs and stale uploads (server must be stopped; the server also runs GC on a schedule)')
  .addOption(configOpt())
  .addOption(dataOpt())
  .option('--dry-run', 'report what would be removed, remove nothing')
  .option('--grace-minutes <n>', 'keep unreferenced content younger than this', (v) => Number(v))
  .action(async (opts: CommonOpts & { dryRun?: boolean; graceMinutes?: number }) => {
    const core = offlineCore(opts, 'trigger GC from the GUI or POST /api/v1/gc');
    try {
      const r = await core.runGc(opts.dryRun ?? false, opts.graceMinutes);
      process.stdout.write(
        `${r.dryRun ? 'would remove' : 'removed'}: ${r.manifestsEvicted ? `${r.manifestsEvicted} proxy cache manifests (evicted), ` : ''}` +
          `${r.blobsRemoved} blobs, ${r.orphanFilesRemoved} orphan files, ` +
          `${r.linksRemoved} unused links, ${r.uploadsRemoved} stale uploads, ${r.importStagingRemoved ?? 0} interrupted import staging folders; ${formatBytes(r.bytesFreed)} ${r.dryRun ? 'would be ' : ''}freed in ${r.durationMs} ms\n`,
      );
      const h = r.historyPruned;
      if (h && h.auditEntries + h.replicationExecutions + h.replicationUploads > 0) {
        process.stdout.write(`history older than ${core.config.gc.historyDays} days: ${h.auditEntries} audit entries, ${h.replicationExecutions} replication executions, ${h.replicationUploads} saved upload positions removed\n`);
      }
    } finally {
      core.close();
    }
  });

const user = program.command('user').description('manage users (offline, on the data folder)');
user
  .command('add <name>')
  .description('create a user; the password is read from standard input')
  .addOption(configOpt())
  .addOption(dataOpt())
  .addOption(new Option('--role <role>', 'the user’s role').choices(roleSchema.options).default('developer'))
  .action(async (name: string, opts: CommonOpts & { role: string }) => {
    const role = roleSchema.parse(opts.role);
    const core = offlineCore(opts, 'use the GUI');
    try {
      await core.users.create(name, await readStdin(), role);
      process.stdout.write(`created ${role} ${name}\n`);
    } finally {
      core.close();
    }
  });
user
  .command('passwd <name>')
  .description('set a password, read from standard input')
  .addOption(configOpt())
  .addOption(dataOpt())
  .action(async (name: string, opts: CommonOpts) => {
    const core = offlineCore(opts, 'use the GUI');
    try {
      await core.users.setPassword(name, await readStdin());
      process.stdout.write(`password of ${name} changed\n`);
    } finally {
      core.close();
    }
  });
user
  .command('list')
  .addOption(configOpt())
  .addOption(dataOpt())
  .action((opts: CommonOpts) => {
    const core = offlineCore(opts, 'use the GUI');
    try {
      for (const u of core.users.list()) process.stdout.write(`${u.username}\t${u.role}${u.disabled ? '\tdisabled' : ''}\n`);
    } finally {
      core.close();
    }
  });
user
  .command('delete <name>')
  .addOption(configOpt())
  .addOption(dataOpt())
  .action((name: string, opts: CommonOpts) => {
    const core = offlineCore(opts, 'use the GUI');
    try {
      core.users.delete(name);
      process.stdout.write(`deleted ${name}\n`);
    } finally {
      core.close();
    }
  });

const collect = (v: string, prev: string[]) => [...prev, v];

/** A progress bar on stdout when it is a terminal; nothing otherwise (scripts read the summary line). */
function progressBar(core: Core): () => void {
  if (!process.stdout.isTTY) return () => undefined;
  const draw = (a: TransferActivity) => process.stdout.write(`\r${renderProgress(a).slice(0, (process.stdout.columns || 100) - 1)}\x1b[K`);
  core.transfer.on('progress', draw);
  return () => {
    core.transfer.off('progress', draw);
    process.stdout.write('\r\x1b[K');
  };
}

function transferFailure(what: string, e: unknown): Error {
  return isTransferError(e) ? new Error(`${what} refused (${e.code}): ${e.message}; nothing was changed`) : (e as Error);
}

program
  .command('export')
  .description('write a bundle (OCI layout + berth-bundle.json in one tar) for the other side of an air gap; works while serving too')
  .addOption(configOpt())
  .addOption(dataOpt())
  .requiredOption('-o, --out <file>', 'bundle file to write (FILE.part001 … with --split)')
  .option('-r, --repository <glob>', 'repositories to export (repeatable; default all)', collect, [] as string[])
  .option('-t, --tag <glob>', 'tags to export (repeatable; default all)', collect, [] as string[])
  .option('--since <bundle-or-date>', 'incremental: leave out blobs an earlier bundle had, or blobs older than a date')
  .option('--zstd', 'compress with zstd (layers are compressed already; this helps mostly with uncompressed ones)')
  .option('--gzip', 'compress with gzip')
  .option('--split <size>', 'cut into parts of this size, e.g. 4G or 700M')
  .action(async (opts: CommonOpts & { out: string; repository: string[]; tag: string[]; since?: string; zstd?: boolean; gzip?: boolean; split?: string }) => {
    // Export only reads: it may run beside a live server (SQLite WAL gives it a consistent view).
    const cfg = openDataFolder(opts);
    const core = new Core(cfg, createLogger(cfg.log.level === 'info' ? 'warn' : cfg.log.level));
    const stop = progressBar(core);
    try {
      const r = await core.transfer.exportToFile({
        out: opts.out,
        splitBytes: opts.split ? parseSize(opts.split) : undefined,
        selection: { repositories: opts.repository, tags: opts.tag },
        since: opts.since,
        compression: opts.zstd ? 'zstd' : opts.gzip ? 'gzip' : 'none',
      });
      stop();
      process.stdout.write(
        `exported ${count(r.images.length, 'tag')}, ${count(r.manifests, 'manifest')}, ${r.blobsIncluded}/${count(r.blobs, 'blob')} (${formatBytes(r.bytesIncluded)}) in ${r.durationMs} ms to ${r.files.join(', ')}\n`,
      );
      for (const k of r.skipped) process.stdout.write(`skipped ${k.image}: ${k.reason}\n`);
    } catch (e) {
      stop();
      throw transferFailure('export', e);
    } finally {
      core.close();
    }
  });

program
  .command('import <files...>')
  .description('import Berth bundles (whole, split, incremental), OCI layouts (folder or tar) and docker-archive tars')
  .addOption(configOpt())
  .addOption(dataOpt())
  .option('-r, --repository <name>', 'repository for images whose reference names only a tag (e.g. skopeo oci-archive:FILE:TAG)')
  .option('--json', 'print the reports as JSON')
  .action(async (files: string[], opts: CommonOpts & { repository?: string; json?: boolean }) => {
    const core = offlineCore(opts, 'drop the file into the drop folder or upload it in the GUI');
    const stop = progressBar(core);
    try {
      const reports = await core.transfer.import(files, { repository: opts.repository, actor: { username: 'cli' }, source: 'cli' });
      stop();
      if (opts.json) process.stdout.write(`${JSON.stringify(reports, null, 2)}\n`);
      else
        for (const r of reports) {
          process.stdout.write(
            r.noop
              ? `${r.inputs[0]}: already imported, nothing to do (${r.durationMs} ms)\n`
              : `${r.inputs[0]}: imported ${r.format}: ${count(r.images.length, 'tag')} (${r.tagsChanged} changed), ${count(r.manifestsAdded, 'manifest')}, ${count(r.blobsAdded, 'blob')} (${formatBytes(r.bytesAdded)}) in ${r.durationMs} ms\n`,
          );
        }
    } catch (e) {
      stop();
      throw transferFailure('import', e);
    } finally {
      core.close();
    }
  });

program
  .command('replicate')
  .description('run one replication rule once (offline; the server runs schedules and onPush itself); exits 1 when the run fails')
  .addOption(configOpt())
  .addOption(dataOpt())
  .requiredOption('-r, --rule <name>', 'the rule to run (from `replication:` in the config file)')
  .option('--dry-run', 'print the plan, copy nothing')
  .action(async (opts: CommonOpts & { rule: string; dryRun?: boolean }) => {
    const core = offlineCore(opts, 'run the rule from the GUI');
    try {
      if (!core.replication.list().some((v) => v.rule.name === opts.rule) && core.config.replication.some((r) => r.name === opts.rule)) {
        throw new ConfigError(`replication rule ${opts.rule} is in the config file but not applied to ${core.config.data}: run berth config apply (same --config and --data) or start the server with it first`);
      }
      if (opts.dryRun) {
        process.stdout.write(`${formatPlan(await core.replication.preview(opts.rule))}\n`);
        return;
      }
      const { execution: e } = await core.replication.run(opts.rule, { trigger: 'cli' });
      process.stdout.write(
        `${opts.rule}: ${e.status} in ${(e.finishedAt ?? Date.now()) - e.startedAt} ms: ${e.copied} copied, ${e.skipped} up to date or skipped, ` +
          `${e.failed} failed, ${e.deleted} deleted, ${formatBytes(e.bytes)} sent (execution ${e.id})\n`,
      );
      if (e.status !== 'succeeded') {
        for (const t of core.replication.execution(e.id).tasks.filter((t) => t.status === 'failed')) {
          process.stderr.write(`  failed ${t.source || t.destination}: ${t.error ?? ''}\n`);
        }
        if (e.error) process.stderr.write(`berth: ${e.error}\n`);
        process.exitCode = 1;
      }
    } finally {
      core.close();
    }
  });

registerSecretCommands(program, { configOpt, dataOpt, dataDir: (opts) => openDataFolder(opts).data });
registerScanCommands(program, { configOpt, dataOpt, dataDir: (opts) => openDataFolder(opts).data, offlineCore });
registerConfigCommands(program, { configOpt, dataOpt, config, openDataFolder });
registerTokenCommands(program, { configOpt, dataOpt, offlineCore });

function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i += 1;
  }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

program.parseAsync(process.argv).catch((e: unknown) => {
  process.stderr.write(`berth: ${describeError(e)}\n`);
  process.exit(e instanceof ConfigError || (e as Error)?.name === 'SecretStoreError' || (e as Error)?.name === 'ZodError' || (e as Error)?.name === 'UserError' ? 2 : 1);
});
