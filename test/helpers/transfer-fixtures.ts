import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { createDataFolder } from '../../registry/src/data-folder.js';
import { Core } from '../../registry/src/core.js';
import { validateConfig } from '../../registry/src/config/load.js';
import { createLogger } from '../../registry/src/logger.js';
import type { Blob } from './oci-image.js';

/** A Berth core (no HTTP) on a data folder (created, as `berth init` does), as the offline CLI commands use it. */
export function openCore(data: string, transfer: Record<string, unknown> = {}): Core {
  createDataFolder(data);
  return new Core(validateConfig({ data, log: { level: 'silent', requests: false }, gc: { schedule: '' }, transfer }), createLogger('silent'));
}

const actor = { username: 'test' };

/** Pushes blobs then a manifest through the registry service, as a client push would. */
export async function push(core: Core, repository: string, reference: string, manifest: Blob, blobs: Blob[]): Promise<void> {
  for (const b of blobs) await core.registry.uploads.monolithic(repository, b.digest, Readable.from([b.bytes]), { contentLength: b.size }, actor);
  await core.registry.manifests.put(repository, reference, manifest.bytes, manifest.mediaType, actor);
}

/** repository:tag → digest for everything in the registry. */
export function tagMap(core: Core): Record<string, string> {
  const out: Record<string, string> = {};
  for (const repo of core.meta.repositories.catalog('', -1)) {
    const row = core.meta.repositories.get(repo)!;
    for (const t of core.meta.manifests.tags(row.id, '', -1)) out[`${repo}:${t}`] = core.meta.manifests.tagDigest(row.id, t)!;
  }
  return out;
}

/** Files left in the import staging area (must be none after any import, good or bad). */
export function stagingLeftovers(data: string): string[] {
  const tmp = path.join(data, 'blobs', 'tmp');
  return fs.existsSync(tmp) ? fs.readdirSync(tmp).filter((f) => f.startsWith('import-')) : [];
}
