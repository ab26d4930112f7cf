import { z } from 'zod';
import { DomainError } from '../errors.js';
import { tryParseDigest } from './digest.js';
import { MediaTypes, baseMediaType, isIndexMediaType, isManifestMediaType, isValidMediaType } from './media-types.js';

/** Largest manifest we accept, as the distribution spec recommends registries allow at least 4 MiB. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

const digestString = z.string().refine((d) => tryParseDigest(d) !== undefined, { message: 'invalid digest' });
const mediaTypeString = z.string().refine(isValidMediaType, { message: 'invalid media type' });
const annotations = z.record(z.string(), z.string()).optional();

export const descriptorSchema = z.object({
  mediaType: mediaTypeString,
  digest: digestString,
  size: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  urls: z.array(z.string()).optional(),
  annotations,
  artifactType: mediaTypeString.optional(),
  data: z.string().optional(),
  platform: z
    .object({
      architecture: z.string(),
      os: z.string(),
      'os.version': z.string().optional(),
      'os.features': z.array(z.string()).optional(),
      variant: z.string().optional(),
      features: z.array(z.string()).optional(),
    })
    .optional(),
});
export type Descriptor = z.infer<typeof descriptorSchema>;

const imageManifestSchema = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  artifactType: mediaTypeString.optional(),
  config: descriptorSchema,
  layers: z.array(descriptorSchema),
  subject: descriptorSchema.optional(),
  annotations,
});

const indexSchema = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  artifactType: mediaTypeString.optional(),
  manifests: z.array(descriptorSchema),
  subject: descriptorSchema.optional(),
  annotations,
});

/** What the registry needs to know about a manifest: its kind and what it points at. */
export interface ParsedManifest {
  mediaType: string;
  /** artifactType, or the config media type of an image manifest (as the referrers API reports it). */
  artifactType: string | undefined;
  config: Descriptor | undefined;
  /** Blobs this manifest references (config + layers). Empty for an index. */
  blobs: Descriptor[];
  /** Child manifests (index entries). Empty for an image manifest. */
  manifests: Descriptor[];
  subject: Descriptor | undefined;
  annotations: Record<string, string> | undefined;
}

/**
 * Validates manifest bytes as pushed, with the Content-Type the client declared. Throws MANIFEST_INVALID
 * (with a detail naming the problem) for anything that is not a well-formed manifest of a supported type.
 */
export function parseManifest(body: Uint8Array, contentType: string | undefined): ParsedManifest {
  if (body.byteLength > MAX_MANIFEST_BYTES) {
    throw new DomainError('MANIFEST_TOO_LARGE', `manifest is larger than ${MAX_MANIFEST_BYTES} bytes`);
  }
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  } catch (e) {
    throw new DomainError('MANIFEST_INVALID', 'manifest is not valid JSON', { reason: (e as Error).message });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new DomainError('MANIFEST_INVALID', 'manifest must be a JSON object');
  }
  const obj = json as Record<string, unknown>;
  const declared = baseMediaType(contentType);
  const embedded = typeof obj.mediaType === 'string' ? obj.mediaType : undefined;

  if (obj.schemaVersion === 1 || declared === MediaTypes.dockerSchema1 || declared === MediaTypes.dockerSchema1Signed) {
    throw new DomainError('MANIFEST_INVALID', 'Docker schema 1 manifests are not supported; push schema 2 or OCI');
  }
  if (embedded !== undefined && isManifestMediaType(declared) && embedded !== declared) {
    throw new DomainError('MANIFEST_INVALID', `mediaType ${embedded} does not match Content-Type ${declared}`);
  }

  let mediaType: string;
  if (embedded !== undefined) mediaType = embedded;
  else if (isManifestMediaType(declared)) mediaType = declared;
  else if (Array.isArray(obj.manifests)) mediaType = MediaTypes.ociIndex;
  else mediaType = MediaTypes.ociManifest;

  if (!isManifestMediaType(mediaType)) {
    throw new DomainError('MANIFEST_INVALID', `unsupported manifest media type: ${mediaType.slice(0, 200)}`);
  }
  // Docker formats always carry mediaType; its absence means an OCI document.
  if (isIndexMediaType(mediaType)) {
    const r = indexSchema.safeParse(obj);
    if (!r.success) throw invalid(r.error);
    const m = r.data;
    return {
      mediaType,
      artifactType: m.artifactType,
      config: undefined,
      blobs: [],
      manifests: m.manifests,
      subject: m.subject,
      annotations: m.annotations,
    };
  }
  const r = imageManifestSchema.safeParse(obj);
  if (!r.success) throw invalid(r.error);
  const m = r.data;
  return {
    mediaType,
    artifactType: m.artifactType ?? m.config.mediaType,
    config: m.config,
    blobs: [m.config, ...m.layers],
    manifests: [],
    subject: m.subject,
    annotations: m.annotations,
  };
}

function invalid(error: z.ZodError): DomainError {
  const issues = error.issues.slice(0, 10).map((i) => ({ path: i.path.join('.'), message: i.message }));
  const first = issues[0];
  return new DomainError(
    'MANIFEST_INVALID',
    first ? `manifest invalid at ${first.path || '<root>'}: ${first.message}` : 'manifest invalid',
    { issues },
  );
}
