import picomatch from 'picomatch';
import { parseDigest } from '../oci/digest.js';
import { parseManifest } from '../oci/manifest.js';
import type { Meta } from '../meta/index.js';
import type { BlobStore } from '../store/blob-store.js';
import { isStored } from '../registry/manifest-service.js';
import { TransferError, isTransferError } from './errors.js';

export interface Selection {
  /** Globs over repository names (picomatch); empty = all. */
  repositories: string[];
  /** Globs over tags; empty = all. */
  tags: string[];
}

export interface SelectedManifest {
  repository: string;
  digest: string;
  mediaType: string;
  size: number;
  tags: string[];
}

export interface SelectedContent {
  images: { repository: string; tag: string; digest: string; mediaType: string; size: number }[];
  /** Children before parents, subjects before their referrers. */
  manifests: SelectedManifest[];
  /** digest → size, every blob the manifests use. */
  blobs: Map<string, number>;
  /** Tags of proxy cache projects left out because the cache holds only part of the image, and why. */
  skipped: { image: string; reason: string }[];
}

/**
 * What an export holds: the selected tags, everything their manifests reach (index children), and the
 * referrers (signatures, SBOMs) of all of it, recursively, so they travel with their subjects.
 */
export async function selectContent(meta: Meta, store: BlobStore, sel: Selection): Promise<SelectedContent> {
  const repoMatch = sel.repositories.length ? picomatch(sel.repositories) : () => true;
  const tagMatch = sel.tags.length ? picomatch(sel.tags) : () => true;
  const out: SelectedContent = { images: [], manifests: [], blobs: new Map(), skipped: [] };
  for (const name of meta.repositories.catalog('', -1)) {
    if (!repoMatch(name)) continue;
    const repo = meta.repositories.get(name)!;
    // A proxy cache holds what was pulled: a manifest whose layers nobody pulled is normal there, not damage.
    const isCache = meta.repositories.project(repo.project)?.kind === 'proxy';
    const seen = new Map<string, SelectedManifest>();
    let added: { manifests: SelectedManifest[]; blobs: string[]; seen: string[] } = { manifests: [], blobs: [], seen: [] };
    const visit = async (digest: string, where: string): Promise<void> => {
      if (seen.has(digest)) return;
      const row = meta.manifests.get(repo.id, digest);
      if (!row) throw new TransferError('MISSING_CONTENT', `${where}: manifest ${digest} is not in ${name}; cannot export an incomplete image`);
      const entry: SelectedManifest = { repository: name, digest, mediaType: row.mediaType, size: row.size, tags: [] };
      seen.set(digest, entry);
      added.seen.push(digest);
      const parsed = parseManifest(await store.readSmall(parseDigest(digest)), row.mediaType);
      for (const child of parsed.manifests) await visit(child.digest, `${where} → ${child.digest.slice(0, 19)}`);
      for (const b of parsed.blobs.filter(isStored)) {
        const size = meta.blobs.size(b.digest);
        if (size === undefined) throw new TransferError('MISSING_CONTENT', `${where}: blob ${b.digest} is missing from this registry`);
        if (!out.blobs.has(b.digest)) added.blobs.push(b.digest);
        out.blobs.set(b.digest, size);
      }
      out.manifests.push(entry);
      added.manifests.push(entry);
      for (const r of meta.manifests.referrers(repo.id, digest)) await visit(r.digest, `referrer of ${digest.slice(0, 19)}`);
    };
    for (const tag of meta.manifests.tags(repo.id, '', -1)) {
      if (!tagMatch(tag)) continue;
      const digest = meta.manifests.tagDigest(repo.id, tag)!;
      added = { manifests: [], blobs: [], seen: [] };
      try {
        await visit(digest, `${name}:${tag}`);
      } catch (e) {
        if (!isCache || !isTransferError(e) || e.code !== 'MISSING_CONTENT') throw e;
        // Take back what this tag added, so the bundle holds only complete images.
        for (const d of added.seen) seen.delete(d);
        for (const d of added.blobs) out.blobs.delete(d);
        out.manifests = out.manifests.filter((m) => !added.manifests.includes(m));
        out.skipped.push({ image: `${name}:${tag}`, reason: `incomplete in the proxy cache: ${e.message}` });
        continue;
      }
      const m = seen.get(digest)!;
      m.tags.push(tag);
      out.images.push({ repository: name, tag, digest, mediaType: m.mediaType, size: m.size });
    }
  }
  return out;
}
