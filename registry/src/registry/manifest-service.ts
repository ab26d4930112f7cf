import { DomainError } from '../errors.js';
import { digestOf, looksLikeDigest, parseDigest } from '../oci/digest.js';
import { assertRepositoryName, assertTag, isValidTag } from '../oci/reference.js';
import { parseManifest, type Descriptor, type ParsedManifest } from '../oci/manifest.js';
import type { ManifestRow } from '../meta/manifests.js';
import type { RepositoryRow } from '../meta/repositories.js';
import type { Actor, RegistryContext } from './context.js';

export interface PutManifestResult {
  digest: string;
  subject: string | undefined;
}

export interface FetchedManifest {
  row: ManifestRow;
  bytes: Buffer;
}

/** Media types of layers that are, by design, not stored in registries (Docker foreign layers). */
const nonDistributable = /\.(foreign|nondistributable)\./;

/**
 * Hook for policies (immutability) that must see a manifest before it is committed; throws to refuse. `subject`
 * is the manifest's subject when it is a referrer (signature, SBOM).
 */
export type ManifestGuard = (change: {
  repository: string;
  tag: string | undefined;
  digest: string;
  subject: string | undefined;
  existingTagDigest: string | undefined;
  actor: Actor;
}) => void;

/**
 * Hook for policies (immutability) that must see a deletion before it happens: the manifest, the tag when the
 * DELETE names one, and the tags it removes (that tag, or by digest every tag pointing at it). Throws to refuse.
 */
export type DeleteGuard = (change: { repository: string; digest: string; tag: string | undefined; tags: string[]; actor: Actor }) => void;

/** Hook for policies that decide whether a manifest may be served (the vulnerability pull gate); throws to refuse. */
export type PullGuard = (pull: { repository: string; digest: string; actor: Actor }) => void;

export class ManifestService {
  private readonly guards: ManifestGuard[] = [];
  private readonly pullGuards: PullGuard[] = [];
  private readonly deleteGuards: DeleteGuard[] = [];

  constructor(private readonly ctx: RegistryContext) {}

  addGuard(guard: ManifestGuard): void {
    this.guards.push(guard);
  }

  addPullGuard(guard: PullGuard): void {
    this.pullGuards.push(guard);
  }

  addDeleteGuard(guard: DeleteGuard): void {
    this.deleteGuards.push(guard);
  }

  /** Runs the policy guards for a change committed by another path (offline import). Call inside the transaction. */
  checkGuards(change: Parameters<ManifestGuard>[0]): void {
    for (const guard of this.guards) guard(change);
  }

  /**
   * `cacheFill` (proxy cache): the manifest comes from an upstream whose blobs are fetched lazily, so
   * references are not required to exist yet, and no `manifest.pushed` event fires (nobody pushed).
   */
  async put(repository: string, reference: string, body: Buffer, contentType: string | undefined, actor: Actor, opts: { cacheFill?: boolean } = {}): Promise<PutManifestResult> {
    assertRepositoryName(repository);
    const manifest = parseManifest(body, contentType);
    let digest: string;
    let tag: string | undefined;
    if (looksLikeDigest(reference)) {
      const expected = parseDigest(reference);
      digest = digestOf(body, expected.algorithm);
      if (digest !== expected.value) {
        throw new DomainError('DIGEST_INVALID', `manifest has digest ${digest}, not ${expected.value}`);
      }
    } else {
      assertTag(reference);
      tag = reference;
      digest = digestOf(body);
    }
    const { meta } = this.ctx;
    const cacheFill = opts.cacheFill ?? false;
    const admit = () => {
      const existing = meta.repositories.get(repository);
      const existingTagDigest = existing && tag ? meta.manifests.tagDigest(existing.id, tag) : undefined;
      for (const guard of this.guards) guard({ repository, tag, digest, subject: manifest.subject?.digest, existingTagDigest, actor });
      this.ctx.checkContent({ repository, digest, size: body.length, cacheFill });
      if (!cacheFill) this.assertReferencesExist(repository, existing, manifest);
    };
    // Refusals (policies, quota, missing references) before the bytes are written, so a refused manifest leaves
    // no file behind; the transaction asks again, as something may have changed while the bytes were written.
    admit();
    // Bytes first: an orphan file after a crash is harmless (GC takes it); a row without bytes is not.
    await this.ctx.store.writeSmall(parseDigest(digest), body);

    this.ctx.tx(repository, () => {
      admit();
      const repo = this.ctx.ensureRepository(repository);
      meta.blobs.addBlob(digest, body.length);
      meta.manifests.insert({
        repoId: repo.id,
        digest,
        mediaType: manifest.mediaType,
        size: body.length,
        artifactType: manifest.artifactType,
        subject: manifest.subject?.digest,
        annotations: manifest.annotations,
        refs: [
          ...manifest.blobs.filter(isStored).map((d) => ({ child: d.digest, kind: 'blob' as const })),
          ...manifest.manifests.map((d) => ({ child: d.digest, kind: 'manifest' as const })),
        ],
      });
      if (tag) meta.manifests.tag(repo.id, tag, digest);
    });
    this.ctx.manifestCache.set(digest, body);
    if (opts.cacheFill) return { digest, subject: manifest.subject?.digest };
    this.ctx.events.emit('manifest.pushed', {
      repository,
      digest,
      tag,
      mediaType: manifest.mediaType,
      artifactType: manifest.artifactType,
      size: body.length,
      subject: manifest.subject?.digest,
      actor: actor.username,
    });
    return { digest, subject: manifest.subject?.digest };
  }

  /** Metadata only (HEAD, authorization decisions). */
  resolve(repository: string, reference: string): { repo: RepositoryRow; row: ManifestRow } {
    const repo = this.ctx.repository(repository);
    let row: ManifestRow | undefined;
    if (looksLikeDigest(reference)) {
      row = this.ctx.meta.manifests.get(repo.id, parseDigest(reference).value);
    } else if (isValidTag(reference)) {
      row = this.ctx.meta.manifests.byTag(repo.id, reference);
    }
    // A reading of a reference that is no valid tag is a plain miss (404, as in Distribution and the
    // conformance suite): nothing can be stored under it. Writes still refuse it with TAG_INVALID.
    if (!row) throw new DomainError('MANIFEST_UNKNOWN', `manifest ${reference.slice(0, 200)} is not in ${repository}`);
    return { repo, row };
  }

  async get(repository: string, reference: string, actor: Actor): Promise<FetchedManifest> {
    const { repo, row } = this.resolve(repository, reference);
    for (const guard of this.pullGuards) guard({ repository, digest: row.digest, actor });
    let bytes = this.ctx.manifestCache.get(row.digest);
    if (!bytes) {
      bytes = await this.ctx.store.readSmall(parseDigest(row.digest));
      this.ctx.manifestCache.set(row.digest, bytes);
    }
    this.recordPull(repo, row, reference, actor);
    return { row, bytes };
  }

  recordPull(repo: RepositoryRow, row: ManifestRow, reference: string, actor: Actor): void {
    this.ctx.pulls.record(repo.id, row.digest);
    this.ctx.events.emit('manifest.pulled', { repository: repo.name, digest: row.digest, reference, actor: actor.username });
  }

  /** DELETE by digest removes the manifest (and its tags); DELETE by tag removes only the tag. */
  delete(repository: string, reference: string, actor: Actor): void {
    const repo = this.ctx.repository(repository);
    const { meta } = this.ctx;
    if (looksLikeDigest(reference)) {
      const digest = parseDigest(reference).value;
      if (this.deleteGuards.length > 0 && meta.manifests.get(repo.id, digest)) {
        const tags = meta.manifests.tagsOf(repo.id, digest);
        for (const guard of this.deleteGuards) guard({ repository, digest, tag: undefined, tags, actor });
      }
      if (!meta.manifests.delete(repo.id, digest)) {
        throw new DomainError('MANIFEST_UNKNOWN', `manifest ${digest} is not in ${repository}`);
      }
      this.ctx.events.emit('manifest.deleted', { repository, digest, actor: actor.username });
      return;
    }
    assertTag(reference);
    const digest = meta.manifests.tagDigest(repo.id, reference);
    if (digest) for (const guard of this.deleteGuards) guard({ repository, digest, tag: reference, tags: [reference], actor });
    if (!digest || !meta.manifests.deleteTag(repo.id, reference)) {
      throw new DomainError('MANIFEST_UNKNOWN', `tag ${reference} is not in ${repository}`);
    }
    this.ctx.events.emit('tag.deleted', { repository, tag: reference, digest, actor: actor.username });
  }

  /** Every blob and child manifest the manifest lists is in the repository (`repo`, when it exists yet). */
  private assertReferencesExist(repository: string, repo: RepositoryRow | undefined, manifest: ParsedManifest): void {
    const { meta } = this.ctx;
    for (const d of manifest.blobs) {
      if (!isStored(d)) continue;
      if (!repo || meta.blobs.linkedSize(repo.id, d.digest) === undefined) {
        throw new DomainError('MANIFEST_BLOB_UNKNOWN', `blob ${d.digest} is not in ${repository}`, { digest: d.digest });
      }
    }
    for (const d of manifest.manifests) {
      if (!repo || !meta.manifests.get(repo.id, d.digest)) {
        throw new DomainError('MANIFEST_BLOB_UNKNOWN', `manifest ${d.digest} is not in ${repository}`, { digest: d.digest });
      }
    }
  }
}

export function isStored(d: Descriptor): boolean {
  return !(d.urls && d.urls.length > 0 && nonDistributable.test(d.mediaType));
}
