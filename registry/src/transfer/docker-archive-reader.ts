import fsp from 'node:fs/promises';
import { z } from 'zod';
import { digestOf } from '../oci/digest.js';
import { MediaTypes } from '../oci/media-types.js';
import type { StagingArea } from '../store/staging-area.js';
import { TransferError } from './errors.js';
import type { Collected, CollectedFile } from './entry-collector.js';
import type { PlanBuilder } from './plan-builder.js';
import { parseRefName, type RepoTag } from './ref-names.js';
import { followLinks, memoryFile, parseJson } from './layout-reader.js';
import { resolveLinkTarget } from './archive-entries.js';
import { memoryStream } from './entry-collector.js';

const dockerManifestSchema = z.array(
  z.object({
    Config: z.string(),
    RepoTags: z.array(z.string()).nullable().optional(),
    Layers: z.array(z.string()),
  }),
);

const configSchema = z.object({ rootfs: z.object({ diff_ids: z.array(z.string()) }).optional() }).passthrough();

const layerTypes = {
  tar: 'application/vnd.docker.image.rootfs.diff.tar',
  gzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
};

/**
 * A `docker save` / `skopeo copy … docker-archive:` tar: manifest.json names a config and layer files per
 * image. Layers are stored as they are (uncompressed tars, with Docker's media type), hashed while they were
 * staged and checked against the config's diff_ids; a Docker schema 2 manifest is written for each image.
 */
export async function planDockerArchive(c: Collected, plan: PlanBuilder, staging: StagingArea, defaultRepository: string | undefined): Promise<number> {
  // Every link must stay inside the archive, used or not; links are resolved by name, never created.
  for (const l of c.links) resolveLinkTarget(l.name, l.target, l.type);
  const images = parseJson(memoryFile(c, 'manifest.json')!, dockerManifestSchema, 'manifest.json');
  let n = 0;
  for (const [i, img] of images.entries()) {
    const where = `manifest.json image ${i + 1}`;
    const config = fileOf(c, img.Config, where);
    if (config.kind === 'present') throw new TransferError('FORMAT', `${where}: config ${img.Config} is larger than 4 MiB`);
    const configBytes = config.kind === 'memory' ? config.bytes : await fsp.readFile(config.staged.file);
    const cfg = parseJson(configBytes, configSchema, `${where} config ${img.Config}`);
    const configStaged = config.kind === 'staged' ? config.staged : await staging.write(memoryStream(configBytes));
    plan.addStagedBlob(configStaged.digest, configStaged.size, configStaged.file);

    const diffIds = cfg.rootfs?.diff_ids;
    if (diffIds && diffIds.length !== img.Layers.length) {
      throw new TransferError('FORMAT', `${where}: ${img.Layers.length} layers but the config lists ${diffIds.length} diff_ids`);
    }
    const layers: { mediaType: string; digest: string; size: number }[] = [];
    for (const [j, name] of img.Layers.entries()) {
      const f = fileOf(c, name, where);
      if (f.kind === 'present') {
        // docker save ≥ 25 names layers blobs/sha256/<hex>; a large one the registry holds was not staged.
        if (diffIds && diffIds[j] !== f.digest) throw new TransferError('DIGEST_MISMATCH', `${where}: layer ${name} is ${f.digest}, the config says ${diffIds[j]}`);
        plan.addBlob(f.digest, f.size, where);
        layers.push({ mediaType: layerTypes.tar, digest: f.digest, size: f.size });
        continue;
      }
      const staged = f.kind === 'staged' ? f.staged : await staging.write(memoryStream(f.bytes));
      const gz = await isGzip(staged.file);
      if (!gz && diffIds && diffIds[j] !== staged.digest) {
        throw new TransferError('DIGEST_MISMATCH', `${where}: layer ${name} hashes to ${staged.digest}, the config says ${diffIds[j]}`);
      }
      plan.addStagedBlob(staged.digest, staged.size, staged.file);
      layers.push({ mediaType: gz ? layerTypes.gzip : layerTypes.tar, digest: staged.digest, size: staged.size });
    }
    const body = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaTypes.dockerManifest,
        config: { mediaType: MediaTypes.dockerConfig, size: configStaged.size, digest: configStaged.digest },
        layers,
      }),
    );
    const digest = digestOf(body);
    const file = (await staging.write(memoryStream(body))).file;
    const targets = targetsOf(img.RepoTags ?? [], defaultRepository, where);
    const byRepo = new Map<string, string[]>();
    for (const t of targets) byRepo.set(t.repository, [...(byRepo.get(t.repository) ?? []), t.tag]);
    for (const [repository, tags] of byRepo) {
      plan.addBuiltManifest({ repository, digest, mediaType: MediaTypes.dockerManifest, body, file, tags });
    }
    n += 1;
  }
  return n;
}

function targetsOf(repoTags: string[], defaultRepository: string | undefined, where: string): RepoTag[] {
  if (repoTags.length > 0) return repoTags.map((r) => parseRefName(r, defaultRepository));
  if (defaultRepository === undefined) throw new TransferError('NAME', `${where} has no RepoTags; say which repository it goes to (--repository NAME)`);
  return [{ repository: defaultRepository, tag: 'latest' }];
}

function fileOf(c: Collected, name: string, where: string): CollectedFile {
  const f = c.files.get(followLinks(c, name.replace(/^\.\//, '')));
  if (!f) throw new TransferError('MISSING_CONTENT', `${where} names ${name}, which is not in the archive`);
  return f;
}

async function isGzip(file: string): Promise<boolean> {
  const fh = await fsp.open(file, 'r');
  try {
    const b = Buffer.alloc(2);
    const { bytesRead } = await fh.read(b, 0, 2, 0);
    return bytesRead === 2 && b[0] === 0x1f && b[1] === 0x8b;
  } finally {
    await fh.close();
  }
}
