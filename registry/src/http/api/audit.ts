import { z } from 'zod';
import { route } from './route.js';
import { auditEntrySchema, queryInt, repositoryName } from './schemas.js';

export const auditRoutes = [
  route<Record<string, never>, { before?: number; limit: number; type?: string; typePrefix?: string; repository?: string }>({
    method: 'get',
    path: '/audit',
    summary: 'The audit log, newest first; page with `before` = the `next` of the previous page',
    tag: 'audit',
    access: 'writer',
    query: z.object({
      before: queryInt(1, Number.MAX_SAFE_INTEGER).optional(),
      limit: queryInt(1, 200).default(50),
      type: z.string().regex(/^[a-z]+(\.[a-z_]+)*$/, 'an event type such as manifest.pushed').optional(),
      typePrefix: z.string().regex(/^[a-z]+\.?$/, 'a type prefix such as manifest.').optional(),
      repository: repositoryName.optional(),
    }),
    response: z.object({ items: z.array(auditEntrySchema), next: z.number().int().nullable() }),
    handler(_ctx, { query }, deps) {
      const items = deps.meta.audit.page(query);
      return { items, next: items.length === query.limit ? items[items.length - 1]!.id : null };
    },
  }),
];
