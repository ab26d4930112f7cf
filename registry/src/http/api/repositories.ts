import { z } from 'zod';
import { route } from './route.js';
import { ApiError } from './errors.js';
import { digest, manifestViewSchema, platformSchema, queryInt, repositoryName, repositorySummarySchema, tag, timestamp } from './schemas.js';
import type { Ctx } from '../state.js';
import type { ApiDeps } from './deps.js';

const descriptor = z.object({ digest: z.string(), mediaType: z.string(), size: z.number().int() });

function mayDelete(ctx: Ctx, deps: ApiDeps, name: string): void {
  const p = ctx.state.auth!.principal;
  if (!deps.auth.policy.may(p, 'repository', name, 'delete')) throw new ApiError('forbidden', `${p.username} may not delete in ${name}`);
}

export const repositoryRoutes = [
  route<Record<string, never>, { q: string; limit: number; offset: number }>({
    method: 'get',
    path: '/repositories',
    summary: 'Repositories with manifest and tag counts, size, last push and pull',
    tag: 'repositories',
    access: 'user',
    query: z.object({ q: z.string().max(255).default(''), limit: queryInt(1, 500).default(100), offset: queryInt(0, 1_000_000).default(0) }),
    response: z.object({ items: z.array(repositorySummarySchema), total: z.number().int() }),
    handler(_ctx, { query }, deps) {
      return deps.inventory.list(query.q, query.limit, query.offset);
    },
  }),
  route<{ name: string }>({
    method: 'get',
    path: '/repositories/{name}',
    summary: 'A repository: tags and manifests with digests and sizes',
    tag: 'repositories',
    access: 'user',
    params: z.object({ name: repositoryName }),
    response: repositorySummarySchema.extend({
      tags: z.array(z.object({ name: z.string(), digest: z.string(), updatedAt: timestamp })),
      manifests: z.array(manifestViewSchema),
    }),
    handler(_ctx, { params }, deps) {
      return deps.inventory.repository(params.name);
    },
  }),
  route<{ name: string; digest: string }>({
    method: 'get',
    path: '/repositories/{name}/manifests/{digest}',
    summary: 'An artifact: platforms of an index, config and layers, referrers, tags',
    tag: 'repositories',
    access: 'user',
    params: z.object({ name: repositoryName, digest }),
    response: manifestViewSchema.extend({
      children: z.array(descriptor.extend({ platform: platformSchema.nullable(), present: z.boolean() })),
      config: descriptor.nullable(),
      layers: z.array(descriptor),
      platform: platformSchema.nullable(),
      imageCreated: z.string().nullable(),
      annotations: z.record(z.string(), z.string()),
      referrers: z.array(z.object({ digest: z.string(), mediaType: z.string(), artifactType: z.string().nullable(), size: z.number().int(), createdAt: timestamp })),
      parents: z.array(z.string()),
    }),
    handler(_ctx, { params }, deps) {
      return deps.inventory.artifact(params.name, params.digest);
    },
  }),
  route<{ name: string; tag: string }>({
    method: 'delete',
    path: '/repositories/{name}/tags/{tag}',
    summary: 'Delete a tag (the manifest stays until deleted by digest)',
    tag: 'repositories',
    access: 'writer',
    params: z.object({ name: repositoryName, tag }),
    handler(ctx, { params }, deps) {
      mayDelete(ctx, deps, params.name);
      deps.registry.manifests.delete(params.name, params.tag, { username: ctx.state.auth!.principal.username });
      return undefined;
    },
  }),
  route<{ name: string; digest: string }>({
    method: 'delete',
    path: '/repositories/{name}/manifests/{digest}',
    summary: 'Delete a manifest and every tag pointing at it; GC frees the space later',
    tag: 'repositories',
    access: 'writer',
    params: z.object({ name: repositoryName, digest }),
    handler(ctx, { params }, deps) {
      mayDelete(ctx, deps, params.name);
      deps.registry.manifests.delete(params.name, params.digest, { username: ctx.state.auth!.principal.username });
      return undefined;
    },
  }),
];
