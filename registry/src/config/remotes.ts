import { z } from 'zod';

/*
 * The `registries:` and `proxies:` sections of the config file. The same schemas validate the admin API's
 * input (upstream/remote-registries.ts and proxy/proxy-projects.ts hold the domain objects), so the file and
 * the API can say exactly the same things.
 */

const nameSchema = z.string().regex(/^[a-z0-9]+(?:[._-][a-z0-9]+)*$/, 'lower-case letters, digits and . _ - (e.g. hq, docker-hub)').max(64);

export const registryTypeSchema = z.enum(['distribution', 'dockerhub', 'harbor', 'ghcr', 'quay', 'berth']);

export const remoteRegistrySchema = z
  .object({
    name: nameSchema,
    /** https by default; plain http only when written so. `docker.io` means Docker Hub. */
    url: z
      .string()
      .min(1)
      .refine((u) => {
        try {
          const x = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(u) ? u : `https://${u}`);
          return (x.protocol === 'http:' || x.protocol === 'https:') && x.username === '' && x.password === '' && x.search === '';
        } catch {
          return false;
        }
      }, 'an http(s) URL without credentials or query, e.g. https://registry.example.com or docker.io'),
    /** Skip TLS verification. */
    insecure: z.boolean().default(false),
    /** The password comes from the secret store (`berth secret set registry:<name>`), never from this file. */
    username: z.string().min(1).max(256).optional(),
    /** Secret holding the password or token; default `registry:<name>`. */
    passwordSecret: z.string().min(1).max(128).optional(),
    /** Defaults from the URL (docker.io → dockerhub, ghcr.io → ghcr, quay.io → quay, else distribution). */
    type: registryTypeSchema.optional(),
    /** Serve only from cache; never contact this registry. */
    offline: z.boolean().default(false),
    /** Per-request time limit for headers (connect and first byte). */
    timeoutSeconds: z.number().positive().max(600).default(15),
    /** Circuit breaker: consecutive failures (timeouts, connection errors, 5xx, 429) that mark it down … */
    failuresBeforeDown: z.number().int().min(1).max(1000).default(3),
    /** … for this long, before one request probes it again. */
    downSeconds: z.number().positive().max(86_400).default(30),
  })
  .strict();

export const proxyProjectSchema = z
  .object({
    /** Pulls of <berth>/<project>/<path> come from <registry>/<path>. */
    project: nameSchema,
    registry: nameSchema,
    /** Route mirror-style pulls (containerd `?ns=`, dockerd registry-mirrors for docker.io) here. */
    mirrorFor: z.array(z.string().min(1).max(253)).default([]),
    /** Anonymous pulls allowed (dockerd registry-mirrors do not authenticate). */
    public: z.boolean().default(false),
    /** A cached tag is checked with one HEAD at most this often. */
    manifestMaxAgeSeconds: z.number().int().min(0).max(31 * 86_400).default(300),
    /** Serve the cached copy when the upstream says the tag or manifest is gone. */
    serveStaleOn404: z.boolean().default(false),
    /** Disk cap for this project's cache; least recently pulled images are evicted by GC. 0 = no cap. */
    cacheMaxBytes: z.number().int().min(0).default(0),
    /** Images not pulled for this long are evicted by GC. 0 = keep. */
    ttlSeconds: z.number().int().min(0).default(0),
  })
  .strict();

export type RemoteRegistryConfig = z.infer<typeof remoteRegistrySchema>;
export type RemoteRegistryInput = z.input<typeof remoteRegistrySchema>;
export type ProxyProjectConfig = z.infer<typeof proxyProjectSchema>;
export type ProxyProjectInput = z.input<typeof proxyProjectSchema>;

const unique = <T>(key: (t: T) => string, what: string) => (list: T[], ctx: z.RefinementCtx) => {
  const seen = new Set<string>();
  list.forEach((t, i) => {
    const k = key(t);
    if (seen.has(k)) ctx.addIssue({ code: 'custom', message: `duplicate ${what} ${k}`, path: [i] });
    seen.add(k);
  });
};

export const registriesSchema = z.array(remoteRegistrySchema).superRefine(unique((r) => r.name, 'registry name')).default([]);
export const proxiesSchema = z.array(proxyProjectSchema).superRefine(unique((p) => p.project, 'proxy project')).default([]);
