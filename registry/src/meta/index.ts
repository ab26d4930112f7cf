import { openDatabase, type Db } from './db.js';
import { RepositoryTable } from './repositories.js';
import { BlobTable } from './blobs.js';
import { ManifestTable } from './manifests.js';
import { UserTable } from './users.js';
import { AuditTable } from './audit.js';

export type { Db } from './db.js';

/** All metadata tables over one database handle. */
export class Meta {
  readonly repositories: RepositoryTable;
  readonly blobs: BlobTable;
  readonly manifests: ManifestTable;
  readonly users: UserTable;
  readonly audit: AuditTable;

  constructor(readonly db: Db) {
    this.repositories = new RepositoryTable(db);
    this.blobs = new BlobTable(db);
    this.manifests = new ManifestTable(db);
    this.users = new UserTable(db);
    this.audit = new AuditTable(db);
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
