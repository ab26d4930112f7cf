import { openDatabase, type Db } from './db.js';
import { RepositoryTable } from './repositories.js';
import { BlobTable } from './blobs.js';
import { ManifestTable } from './manifests.js';
import { UserTable } from './users.js';
import { AuditTable } from './audit.js';
import { PullStatsTable } from './pull-stats.js';
import { InventoryQueries } from './inventory.js';
import { DefinitionTable, ProxyCacheQueries } from './remotes.js';
import { ReplicationTable } from './replication.js';
import { VulnDbTable } from './vulndb.js';
import { ScanReportTable } from './scan-reports.js';
import { AccessTokenTable } from './access-tokens.js';
import { SettingsTable } from './settings.js';
import { ImmutabilityTable } from './immutability.js';
import { QuotaTable } from './quotas.js';
import { RetentionTable } from './retention.js';

export type { Db } from './db.js';

/** All metadata tables over one database handle. */
export class Meta {
  readonly repositories: RepositoryTable;
  readonly blobs: BlobTable;
  readonly manifests: ManifestTable;
  readonly users: UserTable;
  readonly audit: AuditTable;
  readonly pullStats: PullStatsTable;
  readonly inventory: InventoryQueries;
  readonly remoteRegistries: DefinitionTable;
  readonly proxyProjects: DefinitionTable;
  readonly proxyCache: ProxyCacheQueries;
  readonly replication: ReplicationTable;
  readonly vulndb: VulnDbTable;
  readonly scanReports: ScanReportTable;
  readonly accessTokens: AccessTokenTable;
  readonly settings: SettingsTable;
  readonly immutability: ImmutabilityTable;
  readonly quotas: QuotaTable;
  readonly retention: RetentionTable;

  constructor(readonly db: Db) {
    this.repositories = new RepositoryTable(db, () => this.manifests.invalidate());
    this.blobs = new BlobTable(db);
    this.manifests = new ManifestTable(db);
    this.users = new UserTable(db);
    this.audit = new AuditTable(db);
    this.pullStats = new PullStatsTable(db);
    this.inventory = new InventoryQueries(db);
    this.remoteRegistries = new DefinitionTable(db, 'remote_registries');
    this.proxyProjects = new DefinitionTable(db, 'proxy_projects');
    this.proxyCache = new ProxyCacheQueries(db);
    this.replication = new ReplicationTable(db);
    this.vulndb = new VulnDbTable(db);
    this.scanReports = new ScanReportTable(db);
    this.accessTokens = new AccessTokenTable(db);
    this.settings = new SettingsTable(db);
    this.immutability = new ImmutabilityTable(db);
    this.quotas = new QuotaTable(db);
    this.retention = new RetentionTable(db);
  }

  static open(file: string): Meta {
    return new Meta(openDatabase(file));
  }

  /** Runs fn in one SQLite transaction (synchronous: nothing else runs in between). */
  tx<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  close(): void {
    this.db.close();
  }
}
