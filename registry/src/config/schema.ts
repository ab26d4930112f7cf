import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { proxiesSchema, registriesSchema } from './remotes.js';
import { replicationSchema } from './replication.js';

const listenSchema = z
  .string()
  .regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]*):\d{1,5}$/, 'HOST:PORT, e.g. 0.0.0.0:5000 or 127.0.0.1:0');

export const configSchema = z
  .object({
    listen: listenSchema.default('0.0.0.0:5000'),
    data: z.string().min(1).default(defaultDataDir()),
    /** Public base URL clients use (token realm, Location headers). Derived from the request when absent. */
    externalUrl: z.string().url().optional(),
    log: z
      .object({
        level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
        requests: z.boolean().default(true),
      })
      .strict()
      .default({ level: 'info', requests: true }),
    auth: z
      .object({
        service: z.string().min(1).default('berth'),
        tokenTtlSeconds: z.number().int().min(30).max(86_400).default(300),
      })
      .strict()
      .default({ service: 'berth', tokenTtlSeconds: 300 }),
    gc: z
      .object({
        /** cron expression; empty string disables scheduled GC */
        schedule: z.string().default('30 3 * * *'),
        /** unreferenced content younger than this is kept (a push may still be linking it) */
        graceMinutes: z.number().int().min(0).default(24 * 60),
        /** upload sessions idle longer than this are removed */
        uploadMaxAgeMinutes: z.number().int().min(1).default(24 * 60),
        /** audit entries and replication executions older than this are removed by each GC (each rule keeps its newest 20) */
        historyDays: z.number().int().min(1).max(36_500).default(90),
      })
      .strict()
      .default({ schedule: '30 3 * * *', graceMinutes: 24 * 60, uploadMaxAgeMinutes: 24 * 60, historyDays: 90 }),
    storage: z
      .object({
        manifestCacheMiB: z.number().int().min(0).max(4096).default(32),
        /**
         * Disk kept free for deletes, GC and SQLite (a ballast file of this size, released when the disk fills);
         * new content that would eat into it is refused with 507. 0 = off.
         */
        reserveMiB: z.number().int().min(0).max(1_048_576).default(128),
      })
      .strict()
      .default({ manifestCacheMiB: 32, reserveMiB: 128 }),
    /** Vulnerability scanning. See scan/. Per-project switches (scan on push, pull gate) live in the database. */
    scan: z
      .object({
        /** Refuse a layer that decompresses to more than this many times its size (decompression bombs). */
        maxExpansionRatio: z.number().int().min(2).max(100_000).default(200),
        /** Scan pushes to these projects (in addition to projects switched on through the API). */
        onPushProjects: z.array(z.string()).default([]),
        /** How often the server looks for a newly imported vulnerability database (then rescans what it scanned). */
        dbPollSeconds: z.number().min(1).max(86_400).default(60),
        /** A vulnerability database built longer ago than this is stale (0: never). */
        dbMaxAgeDays: z.number().min(0).max(3650).default(0),
        /** What a stale database does: warn (scan output, logs) or block (pull gates and `berth scan --fail-on` fail). */
        dbStale: z.enum(['warn', 'block']).default('warn'),
        /** After a scan on push, attach the image's SBOM (CycloneDX) to it as an OCI referrer. */
        attachSbom: z.boolean().default(false),
        /**
         * Scan through a Harbor pluggable scanner adapter (e.g. the Trivy adapter) instead of Berth's own
         * scanner. The adapter pulls from Berth at `registryUrl` (default: externalUrl, then the listen address)
         * with a short-lived pull-only token.
         */
        adapter: z
          .object({
            url: z.url({ protocol: /^https?$/ }),
            /** Name of a secret (berth secret set NAME) holding the Authorization header value the adapter expects. */
            credentialSecret: z.string().min(1).optional(),
            registryUrl: z.url({ protocol: /^https?$/ }).optional(),
            timeoutSeconds: z.number().int().min(10).max(86_400).default(600),
          })
          .strict()
          .optional(),
      })
      .strict()
      .default({ maxExpansionRatio: 200, onPushProjects: [], dbPollSeconds: 60, dbMaxAgeDays: 0, dbStale: 'warn', attachSbom: false }),
    /** What peers and clients may send, and how long they may stall (see README, Limits). */
    limits: z
      .object({
        /** Largest manifest accepted from a client or an upstream (at most 4 MiB, the OCI-wide cap). */
        manifestMaxBytes: z.number().int().min(1024).max(4 * 1024 * 1024).default(4 * 1024 * 1024),
        /** Largest blob whose size nobody declared (chunked uploads, upstream bodies without Content-Length). */
        maxBlobBytes: z.number().int().min(1).default(64 * 1024 ** 3),
        /** A client must send its request headers within this long. */
        headersTimeoutSeconds: z.number().min(0.1).max(3600).default(30),
        /** A connection that sends or accepts no byte for this long is closed (upload sessions stay resumable). */
        idleTimeoutSeconds: z.number().min(0.1).max(86_400).default(60),
        /** Open connections allowed from one client address (0 = no cap). */
        maxConnectionsPerAddress: z.number().int().min(0).default(128),
      })
      .strict()
      .default({ manifestMaxBytes: 4 * 1024 * 1024, maxBlobBytes: 64 * 1024 ** 3, headersTimeoutSeconds: 30, idleTimeoutSeconds: 60, maxConnectionsPerAddress: 128 }),
    /** Offline transfer (bundles, drop folder). See transfer/. */
    transfer: z
      .object({
        /** Folder watched for bundles while serving; empty = `<data>/import`. */
        dropFolder: z.string().default(''),
        watch: z.boolean().default(true),
        /** A dropped file is imported once its size has not changed for this long. */
        settleSeconds: z.number().min(0.1).max(600).default(5),
        /** Refuse an archive that decompresses to more than this many times its size (decompression bombs). */
        maxExpansionRatio: z.number().int().min(2).max(100_000).default(100),
        /** Disk space an import must leave free. */
        reserveMiB: z.number().int().min(0).default(256),
      })
      .strict()
      .default({ dropFolder: '', watch: true, settleSeconds: 5, maxExpansionRatio: 100, reserveMiB: 256 }),
    /** Remote registries (proxy cache upstreams, replication peers). See config/remotes.ts. */
    registries: registriesSchema,
    /** Pull-through proxy projects, each bound to one of `registries`. */
    proxies: proxiesSchema,
    /** Replication rules (pull from / push to `registries`). See config/replication.ts. */
    replication: replicationSchema,
  })
  .strict()
  .superRefine((c, ctx) => {
    const names = new Set(c.registries.map((r) => r.name));
    c.replication.forEach((r, i) => {
      if (!names.has(r.registry)) ctx.addIssue({ code: 'custom', message: `registry ${r.registry} is not in registries`, path: ['replication', i, 'registry'] });
    });
    c.proxies.forEach((p, i) => {
      if (!names.has(p.registry)) ctx.addIssue({ code: 'custom', message: `registry ${p.registry} is not in registries`, path: ['proxies', i, 'registry'] });
    });
  });

export type BerthConfig = z.infer<typeof configSchema>;
export type BerthConfigInput = z.input<typeof configSchema>;

/** `$BERTH_DATA`, else `$XDG_DATA_HOME/berth`, else `~/.local/share/berth`; `/var/lib/berth` for root. */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.XDG_DATA_HOME) return path.join(env.XDG_DATA_HOME, 'berth');
  if (process.getuid?.() === 0) return '/var/lib/berth';
  return path.join(os.homedir(), '.local', 'share', 'berth');
}
