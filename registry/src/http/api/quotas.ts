import { z } from 'zod';
import { route, type ApiRoute } from './route.js';
import { actorOf, policyMapped, projectParams } from './policy-errors.js';
import { MAX_QUOTA_BYTES, type QuotaService } from '../../policy/quotas.js';

/*
 * Project storage quotas: limit and usage per project (usage = distinct blobs and manifests its repositories
 * hold). Everyone signed in reads them; administrators set limits and may rebuild the usage figures.
 */

const quotaSchema = z.object({
  project: z.string(),
  limitBytes: z.number().int().nullable().meta({ description: 'null = no limit' }),
  usedBytes: z.number().int(),
});

const setQuotaSchema = z
  .object({ limitBytes: z.number().int().min(0).max(MAX_QUOTA_BYTES).nullable().meta({ description: 'bytes; null removes the limit' }) })
  .strict();

export function quotaRoutes(quotas: QuotaService): ApiRoute[] {
  return [
    route({
      method: 'get',
      path: '/quotas',
      summary: 'Storage limit and usage of every local project',
      tag: 'policies',
      access: 'user',
      response: z.object({ items: z.array(quotaSchema) }),
      handler() {
        return { items: quotas.list() };
      },
    }),
    route({
      method: 'post',
      path: '/quotas/recompute',
      summary: 'Rebuild every project\'s usage from the stored content (a repair path; usage is kept up to date as content changes)',
      tag: 'policies',
      access: 'admin',
      response: z.object({ changed: z.array(z.object({ project: z.string(), before: z.number().int(), after: z.number().int() })) }),
      handler() {
        return { changed: quotas.recompute() };
      },
    }),
    route<{ name: string }>({
      method: 'get',
      path: '/projects/{name}/quota',
      summary: "A project's storage limit and usage",
      tag: 'policies',
      access: 'user',
      params: projectParams,
      response: quotaSchema,
      handler(_ctx, { params }) {
        return policyMapped(() => quotas.get(params.name));
      },
    }),
    route<{ name: string }, Record<string, never>, z.infer<typeof setQuotaSchema>>({
      method: 'put',
      path: '/projects/{name}/quota',
      summary: "Set a project's storage limit; pushes, mounts and imports that would exceed it are refused with DENIED",
      tag: 'policies',
      access: 'admin',
      params: projectParams,
      body: setQuotaSchema,
      response: quotaSchema,
      handler(ctx, { params, body }) {
        return policyMapped(() => quotas.set(params.name, body.limitBytes, actorOf(ctx)));
      },
    }),
  ];
}
