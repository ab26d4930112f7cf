import type { Db } from './db.js';

/** Read-only queries offline export needs beyond the registry's own (incremental bundles by date). */
export class TransferQueries {
  private readonly createdStmt;

  constructor(db: Db) {
    this.createdStmt = db.prepare<[string], { created_at: number }>('SELECT created_at FROM blobs WHERE digest = ?');
  }

  /** When the blob was first committed here (ms), or undefined. */
  blobCreatedAt(digest: string): number | undefined {
    return this.createdStmt.get(digest)?.created_at;
  }
}
