import { parseManifest, type ParsedManifest } from '../oci/manifest.js';
import { parseDigest } from '../oci/digest.js';
import { isDomainError } from '../errors.js';
import { isStored } from '../registry/manifest-service.js';
import type { ImportBatch, ImportBlob, ImportManifest } from '../registry/import-service.js';
import { TransferError } from './errors.js';
import { bytesOf, type Collected } from './entry-collector.js';

export interface ContentLookup {
  hasBlob(digest: string): boolean;
}

/**
 * Builds the batch the registry commits, from what was collected: walks each manifest tree (index children
 * first), checks every descriptor's size against the bytes and that every referenced blob is either in the
 * archive (staged, verified) or already in the registry.
 */
export class PlanBuilder {
  private readonly manifests = new Map<string, ImportManifest>();
  private readonly blobs = new Map<string, ImportBlob>();

  constructor(
    private readonly collected: Collected,
    private readonly registry: ContentLookup,
  ) {}

  /** Adds a manifest tree under `repository`, tagging its root with `tags`. `where` names it in errors. */
  async add(repository: string, digest: string, mediaType: string | undefined, size: number | undefined, tags: string[], where: string): Promise<void> {
    const key = `${repository}@${digest}`;
    const known = this.manifests.get(key);
    if (known) {
      for (const t of tags) if (!known.tags.includes(t)) known.tags.push(t);
      return;
    }
    const d = parseDigest(digest);
    const f = this.collected.files.get(`blobs/${d.algorithm}/${d.hex}`);
    if (!f || f.kind !== 'staged') {
      throw new TransferError('MISSING_CONTENT', `${where}: manifest ${digest} is not in the archive`);
    }
    if (size !== undefined && f.size !== size) {
      throw new TransferError('SIZE_MISMATCH', `${where}: manifest ${digest} has ${f.size} bytes, its descriptor says ${size}`);
    }
    const body = await bytesOf(f);
    let parsed: ParsedManifest;
    try {
      parsed = parseManifest(body, mediaType);
    } catch (e) {
      if (isDomainError(e)) throw new TransferError('FORMAT', `${where}: manifest ${digest}: ${e.message}`);
      throw e;
    }
    for (const child of parsed.manifests) {
      await this.add(repository, child.digest, child.mediaType, child.size, [], `${where} → ${child.digest.slice(0, 19)}`);
    }
    for (const b of parsed.blobs.filter(isStored)) this.addBlob(b.digest, b.size, `${where}: manifest ${digest}`);
    this.manifests.set(key, { repository, digest, mediaType: parsed.mediaType, body, file: f.staged.file, tags: [...tags] });
  }

  addBlob(digest: string, size: number, where: string): void {
    if (this.blobs.has(digest)) return;
    const d = parseDigest(digest);
    const f = this.collected.files.get(`blobs/${d.algorithm}/${d.hex}`);
    if (f && f.size !== size) {
      throw new TransferError('SIZE_MISMATCH', `${where} says blob ${digest} has ${size} bytes; the archive has ${f.size}`);
    }
    if (f?.kind === 'staged') {
      this.blobs.set(digest, { digest, size, file: f.staged.file });
    } else if ((f?.kind === 'present' || !f) && this.registry.hasBlob(digest)) {
      this.blobs.set(digest, { digest, size, file: undefined });
    } else {
      throw new TransferError('MISSING_CONTENT', `${where} uses blob ${digest}, which is neither in the archive nor in the registry`);
    }
  }

  /** A blob staged under another name (Docker archives name layers freely). */
  addStagedBlob(digest: string, size: number, file: string): void {
    if (!this.blobs.has(digest)) this.blobs.set(digest, { digest, size, file });
  }

  /** A manifest built here (Docker archives have none); `file` holds exactly `body`. */
  addBuiltManifest(m: ImportManifest): void {
    const key = `${m.repository}@${m.digest}`;
    const known = this.manifests.get(key);
    if (!known) {
      this.manifests.set(key, m);
      return;
    }
    for (const t of m.tags) if (!known.tags.includes(t)) known.tags.push(t);
  }

  batch(): ImportBatch {
    return { blobs: [...this.blobs.values()], manifests: [...this.manifests.values()] };
  }
}
