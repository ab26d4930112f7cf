import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { Readable, Writable } from 'node:stream';
import { MediaTypes } from '../../oci/media-types.js';
import { EMPTY_CONFIG, emptyConfigDescriptor } from '../../oci/empty-config.js';
import { archiveDocuments } from './archive-reader.js';
import { recordsIn } from './osv.js';

/*
 * The vulnerability database as an OCI artifact, so that it travels like any other content: replicated from
 * headquarters, carried in an offline bundle, or pushed with `berth vulndb push` or `oras push`. One manifest
 * whose layers are OSV archives (the same files `berth vulndb import` takes); its build date is the
 * manifest's `org.opencontainers.image.created` annotation.
 */

export const VULNDB_ARTIFACT_TYPE = 'application/vnd.berth.vulndb.v1';
/** Layer media type of an OSV archive (zip, tar, tar.gz or one JSON record: the reader sniffs which). */
export const VULNDB_LAYER_TYPE = 'application/vnd.berth.vulndb.osv.v1';
export const CREATED_ANNOTATION = 'org.opencontainers.image.created';
export const TITLE_ANNOTATION = 'org.opencontainers.image.title';
/** Optional per-layer source name (otherwise the ecosystems in the archive name it, as on import). */
export const SOURCE_ANNOTATION = 'io.berth.vulndb.source';

export interface ArtifactLayerFile {
  file: string;
  digest: string;
  size: number;
}

export interface BuiltArtifact {
  manifest: Buffer;
  config: { digest: string; bytes: Buffer };
  layers: ArtifactLayerFile[];
  builtAt: number;
}

async function hashFile(file: string): Promise<{ digest: string; size: number }> {
  const h = crypto.createHash('sha256');
  let size = 0;
  await pipeline(
    fs.createReadStream(file),
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        h.update(chunk);
        size += chunk.length;
        cb();
      },
    }),
  );
  return { digest: `sha256:${h.digest('hex')}`, size };
}

/** The newest `modified` date among an archive's records: what an import would call its build date. */
export async function archiveBuiltAt(file: string): Promise<number | undefined> {
  let newest: number | undefined;
  for await (const doc of archiveDocuments(file)) {
    let raw: unknown;
    try {
      raw = JSON.parse(doc.text);
    } catch {
      throw new Error(`${path.basename(file)}: ${doc.name} is not valid JSON`);
    }
    for (const r of recordsIn(raw)) {
      const m = r && typeof r === 'object' ? Date.parse(String((r as { modified?: unknown }).modified)) : NaN;
      if (!Number.isNaN(m) && (newest === undefined || m > newest)) newest = m;
    }
  }
  return newest;
}

/**
 * Builds the artifact's manifest over OSV archive files (streamed: hashed and read, never held). The build
 * date is the newest record's `modified` date unless given.
 */
export async function buildVulnDbArtifact(files: string[], opts: { builtAt?: number } = {}): Promise<BuiltArtifact> {
  if (files.length === 0) throw new Error('no OSV archive given');
  const layers: ArtifactLayerFile[] = [];
  let builtAt = opts.builtAt;
  for (const file of files) {
    layers.push({ file, ...(await hashFile(file)) });
    if (opts.builtAt === undefined) {
      const b = await archiveBuiltAt(file);
      if (b !== undefined && (builtAt === undefined || b > builtAt)) builtAt = b;
    }
  }
  builtAt ??= Date.now();
  const manifest = {
    schemaVersion: 2,
    mediaType: MediaTypes.ociManifest,
    artifactType: VULNDB_ARTIFACT_TYPE,
    config: emptyConfigDescriptor,
    layers: layers.map((l) => ({ mediaType: VULNDB_LAYER_TYPE, digest: l.digest, size: l.size, annotations: { [TITLE_ANNOTATION]: path.basename(l.file) } })),
    annotations: { [CREATED_ANNOTATION]: new Date(builtAt).toISOString() },
  };
  return { manifest: Buffer.from(JSON.stringify(manifest)), config: { digest: emptyConfigDescriptor.digest, bytes: EMPTY_CONFIG }, layers, builtAt };
}

/** The part of the upstream client a push needs (kept narrow so any registry client fits). */
export interface ArtifactPushTarget {
  headBlob(repo: string, digest: string): Promise<number | undefined>;
  pushBlob(repo: string, digest: string, size: number, open: () => Readable): Promise<void>;
  putManifest(repo: string, ref: string, bytes: Buffer, mediaType: string): Promise<string>;
}

/** Pushes a built database artifact: blobs the registry lacks, streamed from their files, then the manifest. */
export async function pushVulnDbArtifact(target: ArtifactPushTarget, repo: string, tag: string, built: BuiltArtifact): Promise<string> {
  if ((await target.headBlob(repo, built.config.digest)) === undefined) {
    await target.pushBlob(repo, built.config.digest, built.config.bytes.length, () => Readable.from([built.config.bytes]));
  }
  for (const l of built.layers) {
    if ((await target.headBlob(repo, l.digest)) === undefined) await target.pushBlob(repo, l.digest, l.size, () => fs.createReadStream(l.file));
  }
  return target.putManifest(repo, tag, built.manifest, MediaTypes.ociManifest);
}
