import { z } from 'zod';
import { route, type ApiRoute } from './route.js';
import { ApiError } from './errors.js';
import { timestamp } from './schemas.js';
import { patchSchema } from './patch-schema.js';
import { proxyProjectSchema, type ProxyProjectInput } from '../../config/remotes.js';
import type { ProxyProject, ProxyProjectService } from '../../proxy/proxy-projects.js';
import type { ProxyMetrics } from '../../proxy/proxy-metrics.js';
import type { UpstreamHealth } from '../../proxy/upstreams.js';
import type { Meta } from '../../meta/index.js';
import { isDomainError } from '../../errors.js';

/*
 * Proxy cache projects (issue 3): definitions, with what the GUI shows beside them — cache size against its
 * cap, hits and misses since start (the Prometheus counters), the upstream's health and offline switch.
 * The offline switch belongs to the registry (PATCH /registries/{name} {offline}); it is shown here too.
 */

export interface ProxyRouteDeps {
  proxies: ProxyProjectService;
  meta: Meta;
  metrics: ProxyMetrics | undefined;
  health: () => UpstreamHealth[];
  offline: (registry: string) => boolean;
}

const project = z.string().regex(/^[a-z0-9]+(?:[._-][a-z0-9]+)*$/, 'lower-case letters, digits and . _ -').max(64);

export const proxyViewSchema = z.object({
  project: z.string(),
  registry: z.string(),
  mirrorFor: z.array(z.string()),
  public: z.boolean(),
  manifestMaxAgeSeconds: z.number().int(),
  serveStaleOn404: z.boolean(),
  cacheMaxBytes: z.number().int(),
  ttlSeconds: z.number().int(),
  /** 'file': defined in the config file, read-only here (config/ownership.ts). */
  source: z.enum(['file', 'api']),
  /** Dropped from the config file: its cache is served read-only, nothing is fetched, until deleted. */
  detached: z.boolean(),
  cacheBytes: z.number().int(),
  hits: z.number().int(),
  misses: z.number().int(),
  /** hits / (hits + misses) since the server started; null before the first request. */
  hitRate: z.number().nullable(),
  servedBytes: z.number().int(),
  /** Blob bytes fetched from this project's upstream registry since start (shared by projects on that registry). */
  upstreamBytes: z.number().int(),
  upstream: z.object({ state: z.string(), reason: z.string().nullable(), offline: z.boolean() }),
  createdAt: timestamp,
  updatedAt: timestamp,
});

const createBody = proxyProjectSchema;
const updateBody = patchSchema(proxyProjectSchema.omit({ project: true }));

type Counter = { get(): Promise<{ values: { value: number; labels: Record<string, string | number> }[] }> };

const byProject = (c: Counter | undefined) => byLabel(c, 'project');

async function byLabel(c: Counter | undefined, label: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (!c) return out;
  for (const v of (await c.get()).values) {
    const p = String(v.labels[label] ?? '');
    out.set(p, (out.get(p) ?? 0) + v.value);
  }
  return out;
}

/** Domain refusals of the proxy service (exists already, unknown registry, mirror taken) as API errors. */
function proxyApiError(e: unknown): unknown {
  if (!isDomainError(e)) return e;
  return new ApiError(e.code === 'NAME_UNKNOWN' ? 'validation_failed' : 'conflict', e.message);
}

export function proxyRoutes(deps: ProxyRouteDeps): ApiRoute[] {
  const { proxies } = deps;
  const views = async (list: ProxyProject[]) => {
    const [hits, misses, served, fetched] = await Promise.all([
      byProject(deps.metrics?.hits),
      byProject(deps.metrics?.misses),
      byProject(deps.metrics?.servedBytes),
      byLabel(deps.metrics?.upstreamBytes, 'registry'),
    ]);
    const health = deps.health();
    return list.map((p) => {
      const h = hits.get(p.project) ?? 0;
      const m = misses.get(p.project) ?? 0;
      const up = health.find((x) => x.registry === p.registry);
      return {
        ...p,
        cacheBytes: deps.meta.proxyCache.usage(p.project),
        hits: h,
        misses: m,
        hitRate: h + m > 0 ? h / (h + m) : null,
        servedBytes: served.get(p.project) ?? 0,
        upstreamBytes: fetched.get(p.registry) ?? 0,
        upstream: { state: up?.state ?? 'closed', reason: up?.reason ?? null, offline: deps.offline(p.registry) },
      };
    });
  };
  const one = async (p: ProxyProject) => (await views([p]))[0]!;
  const guarded = <T>(fn: () => T): T => {
    try {
      return fn();
    } catch (e) {
      throw proxyApiError(e);
    }
  };

  return [
    route({
      method: 'get',
      path: '/proxies',
      summary: 'Proxy cache projects with cache size, hit rate and upstream health',
      tag: 'proxies',
      access: 'admin',
      response: z.object({ items: z.array(proxyViewSchema) }),
      async handler() {
        return { items: await views(proxies.list()) };
      },
    }),
    route<Record<string, never>, Record<string, never>, z.output<typeof createBody>>({
      method: 'post',
      path: '/proxies',
      summary: 'Create a proxy cache project bound to a remote registry',
      tag: 'proxies',
      access: 'admin',
      status: 201,
      body: createBody,
      response: proxyViewSchema,
      handler(_ctx, { body }) {
        if (proxies.get(body.project)) throw new ApiError('conflict', `proxy project ${body.project} exists already`);
        return one(guarded(() => proxies.create(body as ProxyProjectInput)));
      },
    }),
    route<{ project: string }, Record<string, never>, z.output<typeof updateBody>>({
      method: 'patch',
      path: '/proxies/{project}',
      summary: 'Change a proxy cache project (cap, TTL, freshness, mirror routing …)',
      tag: 'proxies',
      access: 'admin',
      params: z.object({ project }),
      body: updateBody,
      response: proxyViewSchema,
      handler(_ctx, { params, body }) {
        if (!proxies.get(params.project)) throw new ApiError('not_found', `proxy project ${params.project} is not defined`);
        return one(guarded(() => proxies.update(params.project, body as Partial<ProxyProjectInput>)));
      },
    }),
    route<{ project: string }>({
      method: 'delete',
      path: '/proxies/{project}',
      summary: 'Stop proxying: the project keeps its cached images as an ordinary project',
      tag: 'proxies',
      access: 'admin',
      params: z.object({ project }),
      handler(_ctx, { params }) {
        if (!proxies.delete(params.project)) throw new ApiError('not_found', `proxy project ${params.project} is not defined`);
        return undefined;
      },
    }),
  ];
}
