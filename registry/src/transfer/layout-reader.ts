import { z } from 'zod';
import { TransferError } from './errors.js';
import { bundleSchema, BUNDLE_FILE, REF_NAME, type BundleDescription } from './bundle-manifest.js';
import type { Collected } from './entry-collector.js';
import type { PlanBuilder, ContentLookup } from './plan-builder.js';
import { parseRefName } from './ref-names.js';
import { resolveLinkTarget } from './archive-entries.js';

const indexSchema = z.object({
  schemaVersion: z.literal(2),
  manifests: z.array(
    z.object({
      mediaType: z.string().optional(),
      digest: z.string(),
      size: z.number().int().nonnegative(),
      annotations: z.record(z.string(), z.string()).optional(),
    }),
  ),
});

export function parseJson<T>(bytes: Buffer, schema: z.ZodType<T>, what: string): T {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw new TransferError('FORMAT', `${what} is not valid JSON: ${(e as Error).message}`);
  }
  const r = schema.safeParse(json);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new TransferError('FORMAT', `${what} is malformed at ${i?.path.join('.') || '<root>'}: ${i?.message ?? 'invalid'}`);
  }
  return r.data;
}

export function memoryFile(c: Collected, name: string): Buffer | undefined {
  const f = c.files.get(name);
  return f?.kind === 'memory' ? f.bytes : undefined;
}

export function readBundleDescription(c: Collected): BundleDescription | undefined {
  const b = memoryFile(c, BUNDLE_FILE);
  return b && parseJson(b, bundleSchema, BUNDLE_FILE);
}

/** Links have no place in a Berth bundle or an OCI layout. */
export function refuseLinks(c: Collected, format: string): void {
  const l = c.links[0];
  if (l) throw new TransferError('LINK_REFUSED', `${format} holds a ${l.type} (${l.name} -> ${l.target}); only regular files are accepted`);
}

/**
 * A Berth bundle: the description says which manifest goes to which repository (referrers and untagged
 * index children too) and which blobs an incremental bundle leaves to its base.
 */
export async function planBerthBundle(c: Collected, bundle: BundleDescription, plan: PlanBuilder, registry: ContentLookup): Promise<void> {
  refuseLinks(c, 'the bundle');
  for (const b of bundle.blobs) {
    const [alg, hex] = b.digest.split(':');
    const f = c.files.get(`blobs/${alg}/${hex}`);
    if (b.included && !f) {
      throw new TransferError('TRUNCATED', `blob ${b.digest} is listed in ${BUNDLE_FILE} but missing from the archive (truncated or a part missing?)`);
    }
    if (!b.included && !f && !registry.hasBlob(b.digest)) {
      const base = bundle.base?.bundleId ? `bundle ${bundle.base.bundleId} (${bundle.base.bundleCreatedAt ?? '?'})` : `content exported before ${bundle.base?.since ?? '?'}`;
      throw new TransferError('MISSING_CONTENT', `this incremental bundle builds on ${base}, which is not imported here: blob ${b.digest} is missing. Import the base first.`);
    }
  }
  for (const m of bundle.manifests) {
    await plan.add(m.repository, m.digest, m.mediaType, m.size, m.tags, `${m.repository}@${m.digest.slice(0, 19)}`);
  }
}

/** A plain OCI image layout (skopeo oci:/oci-archive:, oras, Hauler, docker save ≥ 25). */
export async function planOciLayout(c: Collected, plan: PlanBuilder, defaultRepository: string | undefined): Promise<number> {
  const bytes = memoryFile(c, 'index.json');
  if (!bytes) throw new TransferError('FORMAT', 'the OCI layout has no index.json');
  refuseLinks(c, 'the OCI layout');
  const index = parseJson(bytes, indexSchema, 'index.json');
  let n = 0;
  for (const m of index.manifests) {
    const ref = m.annotations?.['io.containerd.image.name'] ?? m.annotations?.[REF_NAME];
    if (ref === undefined && defaultRepository === undefined) {
      throw new TransferError('NAME', `index.json entry ${m.digest} has no reference name; say which repository it goes to (--repository NAME)`);
    }
    const target = ref === undefined ? { repository: defaultRepository!, tag: undefined } : parseRefName(ref, defaultRepository);
    await plan.add(target.repository, m.digest, m.mediaType, m.size, target.tag ? [target.tag] : [], ref ?? m.digest);
    n += 1;
  }
  return n;
}

/** The file a name stands for, following in-archive links (Docker archives use them for legacy layer folders). */
export function followLinks(c: Collected, name: string): string {
  let current = name;
  for (let hops = 0; hops < 8; hops++) {
    if (c.files.has(current)) return current;
    const link = c.links.find((l) => l.name === current);
    if (!link) return current;
    current = resolveLinkTarget(link.name, link.target, link.type);
  }
  throw new TransferError('LINK_REFUSED', `${name}: too many levels of links`);
}
