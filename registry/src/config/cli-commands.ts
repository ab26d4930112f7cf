import type { Command, Option } from 'commander';
import type { BerthConfig } from './schema.js';
import { ConfigError } from './load.js';
import { Core } from '../core.js';
import { createLogger } from '../logger.js';
import { serverHoldingDataDir } from '../lock.js';
import { createDataFolder } from '../data-folder.js';
import { formatReconcileReport, type ReconcileReport } from './reconcile.js';

/*
 * `berth init` (the only command besides `serve` that creates a data folder) and `berth config apply` (the
 * only one besides `serve` that applies the config file's registries, proxies and replication rules).
 */

type Opts = { config?: string; data?: string };

export interface ConfigCommandDeps {
  configOpt: () => Option;
  dataOpt: () => Option;
  config: (opts: Opts) => BerthConfig;
  /** The config, once the data folder is known to exist (refuses otherwise). */
  openDataFolder: (opts: Opts) => BerthConfig;
}

function reconcileOffline(cfg: BerthConfig): ReconcileReport {
  const pid = serverHoldingDataDir(cfg.data);
  if (pid !== undefined) throw new ConfigError(`a Berth server (pid ${pid}) is serving ${cfg.data}; it applies its config file when it starts: restart it instead`);
  const core = new Core(cfg, createLogger(cfg.log.level === 'info' ? 'warn' : cfg.log.level));
  try {
    return core.reconcileConfig();
  } finally {
    core.close();
  }
}

function print(report: ReconcileReport): void {
  process.stdout.write(`${formatReconcileReport(report).join('\n')}\n`);
  // A refusal is not fatal (the rest applied), but scripts must be able to notice it.
  if (report.refused.length > 0) process.exitCode = 1;
}

export function registerConfigCommands(program: Command, deps: ConfigCommandDeps): void {
  program
    .command('init')
    .description('create the data folder (and database) and apply the config file; `serve` does this too')
    .addOption(deps.configOpt())
    .addOption(deps.dataOpt())
    .action((opts: Opts) => {
      const cfg = deps.config(opts);
      const created = createDataFolder(cfg.data);
      process.stdout.write(created ? `created the data folder ${cfg.data}\n` : `the data folder ${cfg.data} exists already\n`);
      print(reconcileOffline(cfg));
    });

  program
    .command('config')
    .description('the config file')
    .command('apply')
    .description("apply the config file's registries, proxies and replication rules to a stopped Berth's data folder (serve does this at start)")
    .addOption(deps.configOpt())
    .addOption(deps.dataOpt())
    .action((opts: Opts) => print(reconcileOffline(deps.openDataFolder(opts))));
}
