import { z } from 'zod';
import { tryParseDigest } from '../oci/digest.js';

/** Name of the Berth description inside a bundle; written right after `oci-layout`, before any blob. */
export const BUNDLE_FILE = 'berth-bundle.json';
export const BUNDLE_FORMAT = 'berth-bundle/v1';
export const REF_NAME = 'org.opencontainers.image.ref.name';

const digest = z.string().refine((d) => tryParseDigest(d) !== undefined, { message: 'invalid digest' });
const size = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

export const bundleSchema = z.object({
  format: z.literal(BUNDLE_FORMAT),
  id: z.string().min(1).max(100),
  createdAt: z.string(),
  source: z.object({ host: z.string(), berthVersion: z.string() }).passthrough(),
  /** What an incremental bundle was cut against; null for a full bundle. */
  base: z
    .object({ bundleId: z.string().optional(), bundleCreatedAt: z.string().optional(), since: z.string().optional() })
    .nullable(),
  selection: z.object({ repositories: z.array(z.string()), tags: z.array(z.string()) }),
  /** repository:tag → digest, as in index.json. */
  images: z.array(z.object({ repository: z.string(), tag: z.string(), digest })),
  /** Every manifest (tagged, index children, referrers) in dependency order: children before parents. */
  manifests: z.array(z.object({ repository: z.string(), digest, mediaType: z.string(), size, tags: z.array(z.string()) })),
  /** Every blob the manifests use; `included: false` when an incremental bundle relies on its base for it. */
  blobs: z.array(z.object({ digest, size, included: z.boolean() })),
  totals: z.object({ blobBytes: size, includedBytes: size }),
});

export type BundleDescription = z.infer<typeof bundleSchema>;
