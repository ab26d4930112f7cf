import { z } from 'zod';
import { isValidRepositoryName, isValidTag } from '../../oci/reference.js';
import { tryParseDigest } from '../../oci/digest.js';
import { usernameSchema, passwordSchema, roleSchema } from '../../auth/user-service.js';

/** Schemas shared by several admin API resources. */
export const repositoryName = z
  .string()
  .refine(isValidRepositoryName, 'not a valid repository name (lower-case path components such as library/alpine)')
  .meta({ description: 'repository name, URL-encoded in paths (library%2Falpine)' });
export const digest = z.string().refine((d) => tryParseDigest(d) !== undefined, 'not a valid digest (sha256:<64 hex>)');
export const tag = z.string().refine(isValidTag, 'not a valid tag');
export { usernameSchema, passwordSchema, roleSchema };

export const timestamp = z.number().int().meta({ description: 'milliseconds since the epoch' });

export const userSchema = z.object({
  id: z.number().int(),
  username: z.string(),
  role: roleSchema,
  disabled: z.boolean(),
  createdAt: timestamp,
  updatedAt: timestamp,
});

export const platformSchema = z.object({ os: z.string(), architecture: z.string(), variant: z.string().optional() });

export const repositorySummarySchema = z.object({
  name: z.string(),
  project: z.string(),
  createdAt: timestamp,
  manifestCount: z.number().int(),
  tagCount: z.number().int(),
  bytes: z.number().int(),
  lastPushedAt: timestamp.nullable(),
  lastPulledAt: timestamp.nullable(),
});

export const manifestViewSchema = z.object({
  digest: z.string(),
  mediaType: z.string(),
  size: z.number().int(),
  artifactType: z.string().nullable(),
  subject: z.string().nullable(),
  createdAt: timestamp,
  lastPulledAt: timestamp.nullable(),
  blobBytes: z.number().int(),
  tags: z.array(z.string()),
  totalBytes: z.number().int(),
  isIndex: z.boolean(),
  referrerCount: z.number().int(),
});

export const auditEntrySchema = z.object({
  id: z.number().int(),
  at: timestamp,
  type: z.string(),
  actor: z.string().nullable(),
  repository: z.string().nullable(),
  reference: z.string().nullable(),
  detail: z.unknown(),
});

/** Query-string integers arrive as text. */
export const queryInt = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
