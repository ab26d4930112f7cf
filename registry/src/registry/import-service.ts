import { DomainError } from '../errors.js';
import { digestOf, parseDigest } from '../oci/digest.js';
import { assertRepositoryName, assertTag } from '../oci/reference.js';
import { parseManifest, type ParsedManifest } from '../oci/manifest.js';
import { storageError } from '../store/fs-util.js';
import { isStored, type ManifestService } from './manifest-service.js';
import type { Actor, RegistryContext } from './context.js';

/** A blob of an import: a verified staged file to move into place, or (no file) one the registry must already hold. */
export interface ImportBlob {
  digest: string;
  size: number;
  file: string | undefined;
}

export interface ImportManifest {
  repository: string;
  digest: string;
  mediaType: string;
  body: Buffer;
  /** Staged file with exactly `body`, moved into place if the registry does not hold it yet. */
  file: string;
  tags: string[];
}

export interface ImportBatch {
  blobs: ImportBlob[];
  /** In dependency order: index children before their index. */
  manifests: ImportManifest[];
}

export interface ImportOutcome {
  manifestsAdded: number;
  tagsChanged: number;
  blobsAdded: number;
  bytesAdded: number;
}

/**
 * Commits a whole verified batch (offline import) at once: files are renamed into place, then every row goes
 * into one transaction, so the batch becomes visible completely or not at all. Policy guards, events and
 * audit apply as for a push.
 */
export class ImportService {
  constructor(
    private readonly ctx: RegistryContext,
    private readonly manifests: ManifestService,
  ) {}

  /** Whether `repository:tag` already points at `digest` (a repeated import is a no-op). */
  tagPointsAt(repository: string, tag: string, digest: string): boolean {
    const repo = this.ctx.meta.repositories.get(repository);
    return repo !== undefined && this.ctx.meta.manifests.tagDigest(repo.id, tag) === digest;
  }

  /** Whether the registry holds the bytes of this blob. */
  hasBlob(digest: string): boolean {
    return this.ctx.meta.blobs.size(digest) !== undefined && this.ctx.store.existsSync(parseDigest(digest));
  }

  hasManifest(repository: string, digest: string): boolean {
    const repo = this.ctx.meta.repositories.get(repository);
    return repo !== undefined && this.ctx.meta.manifests.get(repo.id, digest) !== undefined;
  }

  commit(batch: ImportBatch, actor: Actor): ImportOutcome {
    const { meta, store } = this.ctx;
    const parsed = new Map<ImportManifest, ParsedManifest>();
    for (const m of batch.manifests) {
      assertRepositoryName(m.repository);
      m.tags.forEach(assertTag);
      if (digestOf(m.body, parseDigest(m.digest).algorithm) !== m.digest) {
        throw new DomainError('DIGEST_INVALID', `manifest bytes do not match ${m.digest}`);
      }
      parsed.set(m, parseManifest(m.body, m.mediaType));
    }
    const sizes = new Map<string, number>();
    for (const b of batch.blobs) {
      if (b.file === undefined && !this.hasBlob(b.digest)) {
        throw new DomainError('MANIFEST_BLOB_UNKNOWN', `blob ${b.digest} is neither in the import nor in the registry`, { digest: b.digest });
      }
      sizes.set(b.digest, b.file === undefined ? meta.blobs.size(b.digest)! : b.size);
    }
    for (const m of batch.manifests) sizes.set(m.digest, m.body.length);

    // Files first (synchronously, as uploads do, so GC cannot interleave): a crash leaves only orphans GC takes.
    const newBlobs = new Set<string>();
    try {
      for (const b of batch.blobs) {
        if (b.file !== undefined && !this.hasBlob(b.digest)) {
          store.commitFileSync(b.file, parseDigest(b.digest));
          newBlobs.add(b.digest);
        }
      }
      for (const m of batch.manifests) {
        if (!newBlobs.has(m.digest) && !this.hasBlob(m.digest)) {
          store.commitFileSync(m.file, parseDigest(m.digest));
          newBlobs.add(m.digest);
        }
      }
    } catch (e) {
      throw storageError(e);
    }

    const pushedBlobs: { repository: string; digest: string; size: number }[] = [];
    const pushedManifests: { m: ImportManifest; tag: string | undefined }[] = [];
    let tagsChanged = 0;
    let manifestsAdded = 0;
    try {
      meta.tx(() => {
        for (const d of newBlobs) meta.blobs.addBlob(d, sizes.get(d)!);
        for (const m of batch.manifests) {
          const p = parsed.get(m)!;
          const existing = meta.repositories.get(m.repository);
          const changedTags = m.tags.filter((t) => !existing || meta.manifests.tagDigest(existing.id, t) !== m.digest);
          const isNew = !existing || meta.manifests.get(existing.id, m.digest) === undefined;
          for (const tag of changedTags) {
            const existingTagDigest = existing ? meta.manifests.tagDigest(existing.id, tag) : undefined;
            this.manifests.checkGuards({ repository: m.repository, tag, digest: m.digest, subject: p.subject?.digest, existingTagDigest, actor });
          }
          if (isNew && changedTags.length === 0) {
            this.manifests.checkGuards({ repository: m.repository, tag: undefined, digest: m.digest, subject: p.subject?.digest, existingTagDigest: undefined, actor });
          }
          const repo = this.ctx.ensureRepository(m.repository);
          for (const d of p.blobs.filter(isStored)) {
            const size = sizes.get(d.digest) ?? meta.blobs.size(d.digest);
            if (size === undefined) {
              throw new DomainError('MANIFEST_BLOB_UNKNOWN', `manifest ${m.digest} in ${m.repository} uses blob ${d.digest}, which is missing`, { digest: d.digest });
            }
            if (meta.blobs.linkedSize(repo.id, d.digest) === undefined) {
              this.ctx.checkContent({ repository: m.repository, digest: d.digest, size, cacheFill: false });
              meta.blobs.link(repo.id, d.digest);
              pushedBlobs.push({ repository: m.repository, digest: d.digest, size });
            }
          }
          for (const d of p.manifests) {
            if (!meta.manifests.get(repo.id, d.digest)) {
              throw new DomainError('MANIFEST_BLOB_UNKNOWN', `index ${m.digest} in ${m.repository} lists manifest ${d.digest}, which is missing`, { digest: d.digest });
            }
          }
          if (isNew) {
            manifestsAdded += 1;
            this.ctx.checkContent({ repository: m.repository, digest: m.digest, size: m.body.length, cacheFill: false });
            meta.blobs.addBlob(m.digest, m.body.length);
            meta.manifests.insert({
              repoId: repo.id,
              digest: m.digest,
              mediaType: p.mediaType,
              size: m.body.length,
              artifactType: p.artifactType,
              subject: p.subject?.digest,
              annotations: p.annotations,
              refs: [
                ...p.blobs.filter(isStored).map((d) => ({ child: d.digest, kind: 'blob' as const })),
                ...p.manifests.map((d) => ({ child: d.digest, kind: 'manifest' as const })),
              ],
            });
            if (changedTags.length === 0) pushedManifests.push({ m, tag: undefined });
          }
          for (const tag of changedTags) {
            meta.manifests.tag(repo.id, tag, m.digest);
            pushedManifests.push({ m, tag });
            tagsChanged += 1;
          }
        }
      });
    } catch (e) {
      // Rolled back: forget repository rows cached inside the transaction.
      for (const m of batch.manifests) meta.repositories.forget(m.repository);
      throw e;
    }

    for (const b of pushedBlobs) this.ctx.events.emit('blob.pushed', { ...b, actor: actor.username, mounted: !newBlobs.has(b.digest) });
    for (const { m, tag } of pushedManifests) {
      const p = parsed.get(m)!;
      this.ctx.events.emit('manifest.pushed', {
        repository: m.repository,
        digest: m.digest,
        tag,
        mediaType: p.mediaType,
        artifactType: p.artifactType,
        size: m.body.length,
        subject: p.subject?.digest,
        actor: actor.username,
      });
    }
    let bytesAdded = 0;
    for (const d of newBlobs) bytesAdded += sizes.get(d)!;
    return {
      manifestsAdded,
      tagsChanged,
      blobsAdded: newBlobs.size,
      bytesAdded,
    };
  }
}
