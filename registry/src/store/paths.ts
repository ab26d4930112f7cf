import path from 'node:path';
import type { Digest } from '../oci/digest.js';

/**
 * The one place that knows the on-disk layout under the data folder:
 *
 *   <data>/berth.db                          SQLite metadata (meta/)
 *   <data>/blobs/<alg>/<hex[0:2]>/<hex>      committed content, immutable, manifests included
 *   <data>/blobs/tmp/<random>                staging for small writes (manifests) before rename
 *   <data>/uploads/<uuid>/data               bytes received so far for an upload session
 *   <data>/uploads/<uuid>/info.json          repository and start time of the session
 *   <data>/secrets/                          encrypted secret file (secrets/)
 *   <data>/import/                           drop folder (transfer/)
 *
 * Staging lives on the same filesystem as the final tree so that commit is one atomic rename.
 */
export class StoragePaths {
  constructor(readonly root: string) {}

  get database(): string {
    return path.join(this.root, 'berth.db');
  }
  get blobsRoot(): string {
    return path.join(this.root, 'blobs');
  }
  get blobsTmp(): string {
    return path.join(this.root, 'blobs', 'tmp');
  }
  blob(d: Digest): string {
    return path.join(this.root, 'blobs', d.algorithm, d.hex.slice(0, 2), d.hex);
  }
  blobDir(d: Digest): string {
    return path.join(this.root, 'blobs', d.algorithm, d.hex.slice(0, 2));
  }
  get uploadsRoot(): string {
    return path.join(this.root, 'uploads');
  }
  uploadDir(id: string): string {
    return path.join(this.root, 'uploads', id);
  }
  uploadData(id: string): string {
    return path.join(this.root, 'uploads', id, 'data');
  }
  uploadInfo(id: string): string {
    return path.join(this.root, 'uploads', id, 'info.json');
  }
  get secretsDir(): string {
    return path.join(this.root, 'secrets');
  }
  get importDir(): string {
    return path.join(this.root, 'import');
  }
  get initialAdminPassword(): string {
    return path.join(this.root, 'initial-admin-password');
  }
}
