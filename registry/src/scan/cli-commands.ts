import type { Command, Option } from 'commander';
import { Meta } from '../meta/index.js';
import { StoragePaths } from '../store/paths.js';
import type { Core } from '../core.js';
import { VulnDbImporter } from './vulndb/importer.js';
import { formatTable } from './report-format.js';
import { cycloneDx, spdx } from './sbom.js';
import { isSeverity, severityRank, severities } from './severity.js';
import { parseReference } from './reference.js';
import type { ScanReport } from './scanner.js';
import { credentialsFromEnv, scanOnServer } from './server-client.js';
import { buildVulnDbArtifact, pushVulnDbArtifact } from './vulndb/artifact.js';
import { UpstreamClient } from '../upstream/client.js';
import { lastLoadedArtifact } from './vulndb/artifact-loader.js';

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

/** `http://host:5000/security/vulndb:tag` → origin, repository, tag (latest when absent). */
function parseTarget(to: string): { origin: string; repository: string; ref: string } {
  let url: URL;
  try {
    url = new URL(to);
  } catch {
    throw new ScanCliError(`--to must look like http://HOST:PORT/REPOSITORY:TAG, not ${to}`);
  }
  const path = decodeURIComponent(url.pathname).replace(/^\/+/, '');
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || !path) throw new ScanCliError(`--to must look like http://HOST:PORT/REPOSITORY:TAG, not ${to}`);
  const { repository, ref } = parseReference(path);
  if (ref.startsWith('sha256:')) throw new ScanCliError('--to needs a tag, not a digest');
  return { origin: url.origin, repository, ref };
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
    .command('push <files...>')
    .description('publish OSV archives as a vulnerability database artifact to a registry (Berth, Harbor, Distribution…); Berths that receive it load it by themselves')
    .requiredOption('--to <url>', 'where: http(s)://HOST[:PORT]/REPOSITORY:TAG (credentials: BERTH_USERNAME and BERTH_PASSWORD)')
    .option('--insecure', 'skip TLS verification')
    .action(async (files: string[], opts: { to: string; insecure?: boolean }) => {
      const target = parseTarget(opts.to);
      const built = await buildVulnDbArtifact(files);
      const creds = credentialsFromEnv();
      const client = new UpstreamClient({
        name: target.origin,
        url: target.origin,
        insecure: opts.insecure === true,
        username: creds.username,
        password: creds.password === undefined ? undefined : async () => creds.password,
        userAgent: 'berth-vulndb-push',
      });
      try {
        const digest = await pushVulnDbArtifact(client, target.repository, target.ref, built);
        process.stdout.write(`${target.repository}:${target.ref}@${digest}: ${built.layers.length} archives, built ${iso(built.builtAt)}\n`);
      } catch (e) {
        throw new ScanCliError(`pushing to ${opts.to} failed: ${e instanceof Error ? e.message : String(e)}`);
      } finally {
        await client.close();
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
        const a = lastLoadedArtifact(meta);
        if (a) {
          process.stdout.write(`artifact\t${a.repository}@${a.digest}${a.error ? `\tfailed: ${a.error}` : ''}\n`);
        }
      } finally {
        meta.close();
      }
    });

  program
    .command('scan <reference>')
    .description('scan an image (REPO:TAG or REPO@DIGEST) in the data folder, or on a running server with --server; print the report; fail when --fail-on is met')
    .addOption(deps.configOpt())
    .addOption(deps.dataOpt())
    .option('--server <url>', 'scan on a running Berth instead (credentials: BERTH_TOKEN, or BERTH_USERNAME and BERTH_PASSWORD)')
    .option('--format <format>', 'table | json | cyclonedx | spdx', 'table')
    .option('--fail-on <severity>', `exit ${GATE_FAILED_EXIT} when a finding is at least this severe (${severities.join(', ')})`)
    .option('--attach-sbom', 'attach the SBOM (CycloneDX) to the image as an OCI referrer')
    .action(async (reference: string, opts: { config?: string; data?: string; server?: string; format: string; failOn?: string; attachSbom?: boolean }) => {
      if (!['table', 'json', 'cyclonedx', 'spdx'].includes(opts.format)) throw new ScanCliError(`--format must be table, json, cyclonedx or spdx, not ${opts.format}`);
      if (opts.failOn !== undefined && !isSeverity(opts.failOn)) throw new ScanCliError(`--fail-on must be one of ${severities.join(', ')}`);
      if (opts.server !== undefined && opts.data !== undefined) throw new ScanCliError('--server and --data exclude each other');
      const { repository, ref } = parseReference(reference);
      let outcome: { report: ScanReport; stale: string | undefined; staleBlocks: boolean; sbom: string | undefined };
      if (opts.server !== undefined) {
        const r = await scanOnServer(opts.server, repository, ref, credentialsFromEnv(), opts.attachSbom === true);
        outcome = { report: r, stale: r.stale, staleBlocks: r.staleBlocks, sbom: r.sbom };
      } else {
        const core = deps.offlineCore(opts, 'scan through the server with --server URL');
        try {
          const report = await core.scan.scan(repository, ref);
          const sbom = opts.attachSbom ? (await core.scan.attachSbom(repository, report.digest, { username: 'berth-cli' })).digest : undefined;
          outcome = { report, stale: core.scan.staleness(), staleBlocks: core.scan.staleBlocks, sbom };
        } finally {
          core.close();
        }
      }
      printReport(reference, outcome.report, opts.format);
      if (outcome.sbom) process.stderr.write(`berth: SBOM attached to ${repository}@${outcome.report.digest} as ${outcome.sbom}\n`);
      if (outcome.stale) {
        process.stderr.write(`berth: warning: ${outcome.stale}\n`);
        if (outcome.staleBlocks && opts.failOn !== undefined) process.exitCode = GATE_FAILED_EXIT;
      }
      const failOn = opts.failOn;
      if (failOn !== undefined && isSeverity(failOn)) {
        const failing = outcome.report.findings.filter((f) => severityRank(f.severity) >= severityRank(failOn));
        if (failing.length) {
          process.stderr.write(`berth: ${failing.length} vulnerabilities at ${failOn} or above (worst: ${failing.slice(0, 3).map((f) => `${f.vulnId} in ${f.package}`).join(', ')})\n`);
          process.exitCode = GATE_FAILED_EXIT;
        }
      }
    });
}

function printReport(reference: string, report: ScanReport, format: string): void {
  const subject = { name: reference, digest: report.digest };
  let out: string;
  if (format === 'table') out = formatTable(reference, report);
  else if (format === 'json') out = `${JSON.stringify({ reference, ...report }, null, 2)}\n`;
  else if (format === 'cyclonedx') out = `${JSON.stringify(cycloneDx(subject, report.inventory, report.findings), null, 2)}\n`;
  else out = `${JSON.stringify(spdx(subject, report.inventory), null, 2)}\n`;
  process.stdout.write(out);
}
