#!/usr/bin/env node
import { Command, Option } from 'commander';
import { loadConfig, ConfigError } from './config/load.js';
import type { BerthConfig } from './config/schema.js';
import { startServer } from './server.js';
import { Core } from './core.js';
import { createLogger } from './logger.js';
import { serverHoldingDataDir } from './lock.js';
import { roleSchema } from './auth/user-service.js';

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

/** Offline commands work on the data folder directly and must not race a running server. */
function offlineCore(opts: CommonOpts, what: string): Core {
  const cfg = config(opts);
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
    process.stderr.write(
      `Berth is serving on ${server.url}\n  registry: ${server.url.replace(/^https?:\/\//, '')} (plain HTTP: use --tls-verify=false / insecure-registries)\n  GUI:      ${server.url}/\n  data:     ${cfg.data}\n`,
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
      const r = await core.gc.run({
        dryRun: opts.dryRun ?? false,
        graceMs: (opts.graceMinutes ?? core.config.gc.graceMinutes) * 60_000,
        uploadMaxAgeMs: core.config.gc.uploadMaxAgeMinutes * 60_000,
      });
      process.stdout.write(
        `${r.dryRun ? 'would remove' : 'removed'}: ${r.blobsRemoved} blobs, ${r.orphanFilesRemoved} orphan files, ` +
          `${r.linksRemoved} unused links, ${r.uploadsRemoved} stale uploads; ${formatBytes(r.bytesFreed)} ${r.dryRun ? 'would be ' : ''}freed in ${r.durationMs} ms\n`,
      );
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
  .addOption(new Option('--role <role>', 'admin | developer | guest').default('developer'))
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
  const msg = e instanceof Error ? e.message : String(e);
  process.stderr.write(`berth: ${msg}\n`);
  process.exit(e instanceof ConfigError || (e as Error)?.name === 'ZodError' || (e as Error)?.name === 'UserError' ? 2 : 1);
});
