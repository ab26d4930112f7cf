import { z } from 'zod';
import { route, type ApiRoute } from './route.js';
import { timestamp } from './schemas.js';
import { actorOf, globSchema, policyMapped, projectParams, projectRuleParams } from './policy-errors.js';
import type { ImmutabilityService } from '../../policy/immutability.js';

/*
 * Tag immutability rules of a project. Everyone signed in reads them (clients need to know why a push was
 * refused); administrators change them.
 */

const ruleSchema = z.object({
  id: z.number().int(),
  project: z.string(),
  repositories: z.string().meta({ description: 'glob over the repository path inside the project (** = all)' }),
  tags: z.string().meta({ description: 'glob over tag names' }),
  allowReferrers: z.boolean().meta({ description: 'new referrers (signatures, SBOMs) of the content a matching tag protects may be pushed' }),
  createdAt: timestamp,
});

const newRuleSchema = z
  .object({
    repositories: globSchema.default('**'),
    tags: globSchema,
    allowReferrers: z.boolean().default(false),
  })
  .strict();

export function immutabilityRoutes(immutability: ImmutabilityService): ApiRoute[] {
  return [
    route<{ name: string }>({
      method: 'get',
      path: '/projects/{name}/immutability-rules',
      summary: "A project's tag immutability rules",
      tag: 'policies',
      access: 'user',
      params: projectParams,
      response: z.object({ items: z.array(ruleSchema) }),
      handler(_ctx, { params }) {
        return policyMapped(() => ({ items: immutability.rules(params.name) }));
      },
    }),
    route<{ name: string }, Record<string, never>, z.infer<typeof newRuleSchema>>({
      method: 'post',
      path: '/projects/{name}/immutability-rules',
      summary: 'Add a tag immutability rule: matching tags, once pushed, cannot be moved to another digest or deleted, nor can what they reach (index children, referrers, blobs)',
      tag: 'policies',
      access: 'admin',
      status: 201,
      params: projectParams,
      body: newRuleSchema,
      response: ruleSchema,
      handler(ctx, { params, body }) {
        return policyMapped(() => immutability.add(params.name, body, actorOf(ctx)));
      },
    }),
    route<{ name: string; id: number }>({
      method: 'delete',
      path: '/projects/{name}/immutability-rules/{id}',
      summary: 'Remove a tag immutability rule',
      tag: 'policies',
      access: 'admin',
      params: projectRuleParams,
      handler(ctx, { params }) {
        policyMapped(() => immutability.remove(params.name, params.id, actorOf(ctx)));
        return undefined;
      },
    }),
  ];
}
