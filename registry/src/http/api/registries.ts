import { z } from 'zod';
import { route, type ApiRoute } from './route.js';
import { ApiError } from './errors.js';
import { timestamp } from './schemas.js';
import { patchSchema } from './patch-schema.js';
import { remoteRegistrySchema, type RemoteRegistryInput } from '../../config/remotes.js';
import { registryPasswordSecret, type SecretStore } from '../../secrets/secret-store.js';
import { assertApiMayEdit } from '../../config/ownership.js';
import { isUpstreamError } from '../../upstream/errors.js';
import type { RemoteRegistry, RemoteRegistryService } from '../../upstream/remote-registries.js';
import type { UpstreamHealth } from '../../proxy/upstreams.js';

/*
 * Remote registries (proxy upstreams and replication peers, issues 3 and 4). The password goes straight into
 * the secret store; responses only say whether one is stored. Health is the proxy's circuit breaker state.
 */

export interface RegistryRouteDeps {
  remotes: RemoteRegistryService;
  secrets: SecretStore;
  health: () => UpstreamHealth[];
  /** Who still uses a registry (a proxy project or a replication rule), to refuse its deletion. */
  usedBy: (registry: string) => string | undefined;
}

const name = z.string().regex(/^[a-z0-9]+(?:[._-][a-z0-9]+)*$/, 'lower-case letters, digits and . _ -').max(64);
const password = z.string().min(1).max(4096).meta({ description: 'stored in the secret store, never returned' });

export const registryViewSchema = z.object({
  name: z.string(),
  url: z.string(),
  type: z.string().nullable(),
  insecure: z.boolean(),
  offline: z.boolean(),
  username: z.string().nullable(),
  hasPassword: z.boolean(),
  timeoutSeconds: z.number(),
  failuresBeforeDown: z.number().int(),
  downSeconds: z.number(),
  /** 'file': defined in the config file, read-only here (config/ownership.ts). */
  source: z.enum(['file', 'api']),
  /** Dropped from the config file: kept, read-only, until deleted. */
  detached: z.boolean(),
  health: z.object({ state: z.string(), reason: z.string().nullable() }),
  createdAt: timestamp,
  updatedAt: timestamp,
});

// The file's schema minus what the API handles itself: the name comes from the path on updates, and
// passwordSecret stays a file-only setting (the API stores passwords under registry:<name>).
const fields = remoteRegistrySchema.omit({ passwordSecret: true });
const createBody = fields.extend({ password: password.optional() }).strict();
const updateBody = patchSchema(fields.omit({ name: true }))
  .extend({ password: password.nullable().optional().meta({ description: 'a new password; null removes the stored one' }) })
  .strict();

type CreateBody = z.output<typeof createBody>;
type UpdateBody = z.output<typeof updateBody>;

export function registryRoutes(deps: RegistryRouteDeps): ApiRoute[] {
  const { remotes, secrets } = deps;
  const secretOf = (r: RemoteRegistry) => r.passwordSecret ?? registryPasswordSecret(r.name);
  const view = async (r: RemoteRegistry, stored?: Set<string>) => {
    const names = stored ?? new Set(await secrets.list());
    const h = deps.health().find((x) => x.registry === r.name);
    return {
      name: r.name,
      url: r.url,
      type: r.type ?? null,
      insecure: r.insecure,
      offline: r.offline,
      username: r.username ?? null,
      hasPassword: names.has(secretOf(r)),
      timeoutSeconds: r.timeoutSeconds,
      failuresBeforeDown: r.failuresBeforeDown,
      downSeconds: r.downSeconds,
      source: r.source,
      detached: r.detached,
      health: { state: h?.state ?? 'closed', reason: h?.reason ?? null },
      createdAt: r.createdAt,
      updatedAt: r.updatedAt,
    };
  };
  const existing = (n: string) => {
    const r = remotes.get(n);
    if (!r) throw new ApiError('not_found', `registry ${n} is not defined`);
    return r;
  };

  return [
    route({
      method: 'get',
      path: '/registries',
      summary: 'Remote registries with health and whether a password is stored',
      tag: 'registries',
      access: 'admin',
      response: z.object({ items: z.array(registryViewSchema) }),
      async handler() {
        const stored = new Set(await secrets.list());
        return { items: await Promise.all(remotes.list().map((r) => view(r, stored))) };
      },
    }),
    route<Record<string, never>, Record<string, never>, CreateBody>({
      method: 'post',
      path: '/registries',
      summary: 'Add a remote registry; the password goes into the secret store',
      tag: 'registries',
      access: 'admin',
      status: 201,
      body: createBody,
      response: registryViewSchema,
      async handler(_ctx, { body }) {
        const { password: pw, ...spec } = body;
        if (remotes.get(spec.name)) throw new ApiError('conflict', `registry ${spec.name} exists already`);
        // The secret first: a registry must never exist with a half-stored password.
        if (pw !== undefined) await secrets.set(registryPasswordSecret(spec.name), pw);
        return view(remotes.create(spec as RemoteRegistryInput));
      },
    }),
    route<{ name: string }, Record<string, never>, UpdateBody>({
      method: 'patch',
      path: '/registries/{name}',
      summary: 'Change a remote registry (URL, user, password, offline switch …)',
      tag: 'registries',
      access: 'admin',
      params: z.object({ name }),
      body: updateBody,
      response: registryViewSchema,
      async handler(_ctx, { params, body }) {
        const r = existing(params.name);
        const { password: pw, ...patch } = body;
        // The definition is checked (and, if the file owns it, refused) before the password is touched.
        const updated = Object.keys(patch).length > 0 ? remotes.update(params.name, patch as Partial<RemoteRegistryInput>) : r;
        // The password is never in the config file, so it may be set for file-owned registries too.
        if (pw === null) await secrets.delete(secretOf(r));
        else if (pw !== undefined) await secrets.set(secretOf(r), pw);
        if (pw !== undefined) remotes.credentialsChanged(params.name);
        return view(remotes.get(params.name) ?? updated);
      },
    }),
    route<{ name: string }>({
      method: 'delete',
      path: '/registries/{name}',
      summary: 'Remove a remote registry and its stored password (refused while a proxy or rule uses it)',
      tag: 'registries',
      access: 'admin',
      params: z.object({ name }),
      async handler(_ctx, { params }) {
        const r = existing(params.name);
        assertApiMayEdit(`registry ${params.name}`, r, 'delete'); // ownership before use: the file is the answer
        const user = deps.usedBy(params.name);
        if (user) throw new ApiError('conflict', `registry ${params.name} is used by ${user}; change or delete that first`);
        remotes.delete(params.name);
        if (!r.passwordSecret) await secrets.delete(secretOf(r));
        return undefined;
      },
    }),
    route<{ name: string }>({
      method: 'post',
      path: '/registries/{name}/test',
      summary: 'Test the connection: reachable, credentials accepted, how long it took',
      tag: 'registries',
      access: 'admin',
      params: z.object({ name }),
      response: z.object({ ok: z.boolean(), reachable: z.boolean(), authenticated: z.boolean().nullable(), latencyMs: z.number().int(), message: z.string() }),
      async handler(_ctx, { params }) {
        const r = existing(params.name);
        const client = remotes.client(params.name);
        const t0 = Date.now();
        try {
          await client.ping();
        } catch (e) {
          return { ok: false, reachable: false, authenticated: null, latencyMs: Date.now() - t0, message: (e as Error).message };
        }
        const latencyMs = Date.now() - t0;
        // Docker Hub refuses the catalog to everyone, so it cannot tell good credentials from bad ones.
        if (r.type === 'dockerhub' || /(^|\/\/)(docker\.io|registry-1\.docker\.io)/.test(r.url)) {
          return { ok: true, reachable: true, authenticated: null, latencyMs, message: 'reachable (Docker Hub checks credentials on the first pull)' };
        }
        // /v2/ answers 401 to anyone; listing one catalog entry proves the credentials (or anonymous access).
        try {
          await client.catalog({ n: 1 });
          return { ok: true, reachable: true, authenticated: true, latencyMs, message: 'connected; credentials accepted' };
        } catch (e) {
          if (isUpstreamError(e, 'unauthorized') || isUpstreamError(e, 'denied')) {
            return { ok: false, reachable: true, authenticated: false, latencyMs, message: `reachable, but the credentials were refused: ${(e as Error).message}` };
          }
          return { ok: true, reachable: true, authenticated: null, latencyMs, message: 'reachable (it offers no catalog, so credentials were not checked)' };
        }
      },
    }),
  ];
}
