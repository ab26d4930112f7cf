import { z } from 'zod';
import cron from 'node-cron';
import semver from 'semver';
import picomatch from 'picomatch';

/*
 * The `replication:` section of the config file. The admin API validates rules with the same schema, so the
 * file, the API and the GUI can say exactly the same things (replication/replication-service.ts).
 */

const nameSchema = z.string().regex(/^[a-z0-9]+(?:[._-][a-z0-9]+)*$/, 'lower-case letters, digits and . _ - (e.g. from-hq)').max(64);

/** `10MiB/s`, `512KiB/s`, `1.5MB/s`, `800kB/s`, `100B/s`. */
const bandwidthPattern = /^(\d+(?:\.\d+)?)\s*(B|[kKMG]B|[KMG]iB)\/s$/;
const units: Record<string, number> = { B: 1, kB: 1e3, KB: 1e3, MB: 1e6, GB: 1e9, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 };

/** Bytes per second of a bandwidth string (validated by the schema). */
export function parseBandwidth(s: string): number {
  const m = bandwidthPattern.exec(s.trim());
  if (!m) throw new Error(`bandwidth ${s} is not like 10MiB/s`);
  return Math.floor(Number(m[1]) * units[m[2]!]!);
}

const globSchema = z
  .string()
  .min(1)
  .max(256)
  .refine((g) => {
    try {
      picomatch(g.replace(/^!/, ''));
      return g.replace(/^!/, '') !== '';
    } catch {
      return false;
    }
  }, 'a glob such as apps/** or !apps/internal/**');

export const replicationRuleSchema = z
  .object({
    name: nameSchema,
    /** One of `registries:` (or a registry created through the admin API). */
    registry: nameSchema,
    /** pull: remote → Berth; push: Berth → remote. */
    direction: z.enum(['pull', 'push']),
    /**
     * Source repositories: doublestar globs, `!pattern` excludes. Names without glob characters are used as
     * they are, so remotes without a catalog API (GHCR, ACR) work with explicit names.
     */
    repositories: z.array(globSchema).min(1),
    /** Tag globs (any may match); absent = every tag. */
    tags: z.array(globSchema).optional(),
    tagRegex: z
      .string()
      .max(256)
      .refine((r) => {
        try {
          new RegExp(r);
          return true;
        } catch {
          return false;
        }
      }, 'a JavaScript regular expression')
      .optional(),
    /** A semver range; tags that are no version (`latest`) do not match it. A leading `v` is allowed. */
    semver: z
      .string()
      .max(256)
      .refine((r) => semver.validRange(r) !== null, 'a semver range such as ">=1.2 <2"')
      .optional(),
    /** Keep only the N newest of the matching tags of each repository (see replication/tag-filter.ts). */
    latestN: z.number().int().min(1).max(10_000).optional(),
    /** Path prefix on the receiving side (`mirror` → mirror/library/busybox). */
    destination: z
      .string()
      .regex(/^[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*)*$/, 'a repository path prefix such as mirror or site-a/builds')
      .optional(),
    /** Drop this many leading path levels of the source name (the last level always stays). */
    flatten: z.number().int().min(0).max(16).default(0),
    /** cron expression (node-cron); absent = manual only. */
    schedule: z
      .string()
      .refine((s) => cron.validate(s), 'a cron expression such as "0 2 * * *"')
      .optional(),
    /** Push rules only: replicate each local push as it happens. */
    onPush: z.boolean().default(false),
    /** Remove tags on the receiving side that the source no longer has (among the tags this rule selects). */
    deleteRemoved: z.boolean().default(false),
    /** Replace a different artifact under the same tag; false keeps the receiving side's and reports a conflict. */
    override: z.boolean().default(true),
    /** Copy referrers (signatures, SBOMs) of every copied manifest. */
    referrers: z.boolean().default(true),
    /** Bandwidth cap for this rule's blob bytes, e.g. 10MiB/s. */
    bandwidth: z.string().regex(bandwidthPattern, 'a rate such as 10MiB/s or 500KiB/s').optional(),
    /** Artifacts copied at the same time. */
    concurrency: z.number().int().min(1).max(32).default(4),
    enabled: z.boolean().default(true),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (r.onPush && r.direction !== 'push') ctx.addIssue({ code: 'custom', message: 'onPush applies to push rules only', path: ['onPush'] });
    if (!r.repositories.some((g) => !g.startsWith('!'))) {
      ctx.addIssue({ code: 'custom', message: 'at least one repository pattern must not be an exclusion', path: ['repositories'] });
    }
  });

export type ReplicationRule = z.infer<typeof replicationRuleSchema>;
export type ReplicationRuleInput = z.input<typeof replicationRuleSchema>;

export const replicationSchema = z
  .array(replicationRuleSchema)
  .superRefine((list, ctx) => {
    const seen = new Set<string>();
    list.forEach((r, i) => {
      if (seen.has(r.name)) ctx.addIssue({ code: 'custom', message: `duplicate replication rule ${r.name}`, path: [i, 'name'] });
      seen.add(r.name);
    });
  })
  .default([]);
