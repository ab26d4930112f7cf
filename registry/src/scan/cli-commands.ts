import type { Command, Option } from 'commander';
import { Meta } from '../meta/index.js';
import { StoragePaths } from '../store/paths.js';
import type { Core } from '../core.js';
import { VulnDbImporter } from './vulndb/importer.js';
import { formatTable } from './report-format.js';
import { cycloneDx, spdx } from './sbom.js';
import { isSeverity, severityRank, severities } from './severity.js';
import { parseReference } from './reference.js';

interface Deps {
  configOpt: () => Option;
  dataOpt: () => Option;
  dataDir: (opts: { config?: string; data?: string }) => string;
  offlineCore: (opts: { config?: string; data?: string }, what: string) => Core;
}

/** Exit status when --fail-on finds a vulnerability at or above the given severity (errors exit 1 or 2). */
export const GATE_FAILED_EXIT = 3;

export class ScanCliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}

const iso = (ms: number | undefined) => (ms === undefined ? '-' : new Date(ms).toISOString());

export function registerScanCommands(program: Command, deps: Deps): void {
  const vulndb = program.command('vulndb').description('the offline vulnerability database (OSV records)');
  vulndb
    .command('import <files...>')
    .description('import OSV archives (osv.dev all.zip per ecosystem, tar, tar.gz or one JSON record); each replaces its ecosystem atomically')
    .addOption(deps.configOpt())
    .addOption(deps.dataOpt())
    .option('--source <name>', 'name the source (default: the ecosystems in the archive)')
    .action(async (files: string[], opts: { config?: string; data?: string; source?: string }) => {
      // Straight on the database, not through Core: a running server keeps serving the old records meanwhile
      // (SQLite WAL) and sees the new ones once the import switches generations.
      const meta = Meta.open(new StoragePaths(deps.dataDir(opts)).database);
      try {
        const importer = new VulnDbImporter(meta.vulndb);
        for (const f of files) {
          const r = await importer.importFile(f, { source: opts.source });
          process.stdout.write(`${f}: ${r.records} records for ${r.source} in ${r.durationMs} ms; built ${iso(r.builtAt)}\n`);
        }
        await importer.sweep();
      } finally {
        meta.close();
      }
    });
  vulndb
    .command('status')
    .description('list imported sources, their record counts and build dates')
    .addOption(deps.configOpt())
    .addOption(deps.dataOpt())
    .action((opts: { config?: string; data?: string }) => {
      const meta = Meta.open(new StoragePaths(deps.dataDir(opts)).database);
      try {
        const sources = meta.vulndb.sources();
        if (!sources.length) process.stdout.write('no vulnerability database imported (berth vulndb import FILE)\n');
        for (const s of sources) process.stdout.write(`${s.name}\t${s.records} records\tbuilt ${iso(s.builtAt)}\timported ${iso(s.importedAt)}\t${s.file}\n`);
      } finally {
        meta.close();
      }
    });

  program
    .command('scan <reference>')
    .description('scan an image stored in the data folder (REPO:TAG or REPO@DIGEST), print the report, and fail when --fail-on is met')
    .addOption(deps.configOpt())
    .addOption(deps.dataOpt())
    .option('--format <format>', 'table | json | cyclonedx | spdx', 'table')
    .option('--fail-on <severity>', `exit ${GATE_FAILED_EXIT} when a finding is at least this severe (${severities.join(', ')})`)
    .action(async (reference: string, opts: { config?: string; data?: string; format: string; failOn?: string }) => {
      if (!['table', 'json', 'cyclonedx', 'spdx'].includes(opts.format)) throw new ScanCliError(`--format must be table, json, cyclonedx or spdx, not ${opts.format}`);
      if (opts.failOn !== undefined && !isSeverity(opts.failOn)) throw new ScanCliError(`--fail-on must be one of ${severities.join(', ')}`);
      const { repository, ref } = parseReference(reference);
      const core = deps.offlineCore(opts, 'scan through the server');
      try {
        const report = await core.scan.scan(repository, ref);
        const subject = { name: reference, digest: report.digest };
        let out: string;
        if (opts.format === 'table') out = formatTable(reference, report);
        else if (opts.format === 'json') out = `${JSON.stringify({ reference, ...report }, null, 2)}\n`;
        else if (opts.format === 'cyclonedx') out = `${JSON.stringify(cycloneDx(subject, report.inventory, report.findings), null, 2)}\n`;
        else out = `${JSON.stringify(spdx(subject, report.inventory), null, 2)}\n`;
        process.stdout.write(out);
        const stale = core.scan.staleness();
        if (stale) {
          process.stderr.write(`berth: warning: ${stale}\n`);
          if (core.config.scan.dbStale === 'block' && opts.failOn !== undefined) process.exitCode = GATE_FAILED_EXIT;
        }
        const failOn = opts.failOn;
        if (failOn !== undefined && isSeverity(failOn)) {
          const failing = report.findings.filter((f) => severityRank(f.severity) >= severityRank(failOn));
          if (failing.length) {
            process.stderr.write(`berth: ${failing.length} vulnerabilities at ${failOn} or above (worst: ${failing.slice(0, 3).map((f) => `${f.vulnId} in ${f.package}`).join(', ')})\n`);
            process.exitCode = GATE_FAILED_EXIT;
          }
        }
      } finally {
        core.close();
      }
    });
}
