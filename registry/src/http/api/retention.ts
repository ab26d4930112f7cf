import { z } from 'zod';
import { route, type ApiRoute } from './route.js';
import { queryInt, timestamp } from './schemas.js';
import { actorOf, globSchema, policyMapped, policyMappedAsync, projectParams, projectRuleParams } from './policy-errors.js';
import { MAX_KEEP_DAYS, MAX_KEEP_LATEST, type RetentionRun, type RetentionService } from '../../policy/retention-service.js';

/*
 * Tag retention of a project: rules, schedule, dry run (the plan, exactly what a run would remove), run now,
 * and the run history. Everyone signed in reads; administrators change rules and start runs.
 */

const ruleSchema = z.object({
  id: z.number().int(),
  project: z.string(),
  repositories: z.string(),
  tags: z.string(),
  keepLatest: z.number().int().nullable(),
  keepDays: z.number().int().nullable(),
  untagged: z.boolean(),
  createdAt: timestamp,
});

const newRuleSchema = z
  .object({
    repositories: globSchema.default('**'),
    tags: globSchema.default('**'),
    keepLatest: z.number().int().min(0).max(MAX_KEEP_LATEST).nullable().default(null).meta({ description: 'keep the N most recently pushed matching tags per repository' }),
    keepDays: z.number().int().min(0).max(MAX_KEEP_DAYS).nullable().default(null).meta({ description: 'keep matching tags pushed or pulled within N days' }),
    untagged: z.boolean().default(false).meta({ description: 'also remove untagged manifests of the matching repositories' }),
  })
  .strict()
  .refine((r) => r.keepLatest !== null || r.keepDays !== null, { message: 'set keepLatest, keepDays or both', path: ['keepLatest'] });

const policySchema = z.object({
  project: z.string(),
  schedule: z.string().meta({ description: "cron expression; '' = only on demand" }),
  nextRunAt: timestamp.nullable(),
  running: z.boolean(),
  rules: z.array(ruleSchema),
});

const plannedTag = z.object({ tag: z.string(), digest: z.string(), reason: z.string() });
const planSchema = z.object({
  project: z.string(),
  createdAt: timestamp,
  repositories: z.array(
    z.object({
      repository: z.string(),
      kept: z.array(plannedTag),
      removeTags: z.array(plannedTag),
      removeManifests: z.array(z.object({ digest: z.string(), tags: z.array(z.string()), reason: z.string() })),
    }),
  ),
  totals: z.object({ repositories: z.number().int(), tagsKept: z.number().int(), tagsRemoved: z.number().int(), manifestsRemoved: z.number().int() }),
});

const runFields = {
  id: z.number().int(),
  project: z.string(),
  trigger: z.enum(['manual', 'schedule']),
  actor: z.string().nullable(),
  dryRun: z.boolean(),
  status: z.enum(['running', 'succeeded', 'failed', 'interrupted']),
  startedAt: timestamp,
  finishedAt: timestamp.nullable(),
  tagsKept: z.number().int(),
  tagsRemoved: z.number().int(),
  manifestsRemoved: z.number().int(),
  errors: z.array(z.string()),
};
const runSummarySchema = z.object({ ...runFields, itemCount: z.number().int() });
const runSchema = z.object({ ...runFields, items: z.array(z.string()).meta({ description: 'repository:tag and repository@digest removed (or, in a dry run, that would be)' }) });

const summary = ({ items, ...run }: RetentionRun) => ({ ...run, itemCount: items.length });

export function retentionRoutes(retention: RetentionService, nextRun: (project: string) => Date | null = () => null): ApiRoute[] {
  const policy = (project: string) => ({
    project,
    schedule: retention.schedule(project),
    nextRunAt: nextRun(project)?.getTime() ?? null,
    running: retention.isRunning(project),
    rules: retention.rules(project),
  });
  return [
    route<{ name: string }>({
      method: 'get',
      path: '/projects/{name}/retention',
      summary: "A project's tag retention: rules, schedule, next run, whether a run is going on",
      tag: 'policies',
      access: 'user',
      params: projectParams,
      response: policySchema,
      handler(_ctx, { params }) {
        return policyMapped(() => policy(params.name));
      },
    }),
    route<{ name: string }, Record<string, never>, { schedule: string }>({
      method: 'put',
      path: '/projects/{name}/retention/schedule',
      summary: "Set when a project's retention runs by itself (cron; '' = only on demand)",
      tag: 'policies',
      access: 'admin',
      params: projectParams,
      body: z.object({ schedule: z.string().max(100) }).strict(),
      response: policySchema,
      handler(ctx, { params, body }) {
        return policyMapped(() => {
          retention.setSchedule(params.name, body.schedule, actorOf(ctx));
          return policy(params.name);
        });
      },
    }),
    route<{ name: string }, Record<string, never>, z.infer<typeof newRuleSchema>>({
      method: 'post',
      path: '/projects/{name}/retention/rules',
      summary: 'Add a retention rule',
      tag: 'policies',
      access: 'admin',
      status: 201,
      params: projectParams,
      body: newRuleSchema,
      response: ruleSchema,
      handler(ctx, { params, body }) {
        return policyMapped(() => retention.addRule(params.name, body, actorOf(ctx)));
      },
    }),
    route<{ name: string; id: number }>({
      method: 'delete',
      path: '/projects/{name}/retention/rules/{id}',
      summary: 'Remove a retention rule',
      tag: 'policies',
      access: 'admin',
      params: projectRuleParams,
      handler(ctx, { params }) {
        policyMapped(() => retention.removeRule(params.name, params.id, actorOf(ctx)));
        return undefined;
      },
    }),
    route<{ name: string }>({
      method: 'post',
      path: '/projects/{name}/retention/dry-run',
      summary: 'What a run would do now: every tag kept (and why), every tag and manifest removed; removes nothing',
      tag: 'policies',
      access: 'admin',
      params: projectParams,
      response: z.object({ run: runSchema, plan: planSchema }),
      handler(ctx, { params }) {
        return policyMappedAsync(() => retention.run(params.name, { dryRun: true, trigger: 'manual', actor: actorOf(ctx) }));
      },
    }),
    route<{ name: string }>({
      method: 'post',
      path: '/projects/{name}/retention/run',
      summary: "Run a project's retention now; answers when it is done with the run record and the plan it carried out",
      tag: 'policies',
      access: 'admin',
      params: projectParams,
      response: z.object({ run: runSchema, plan: planSchema }),
      handler(ctx, { params }) {
        return policyMappedAsync(() => retention.run(params.name, { dryRun: false, trigger: 'manual', actor: actorOf(ctx) }));
      },
    }),
    route<{ name: string }, { limit: number }>({
      method: 'get',
      path: '/projects/{name}/retention/runs',
      summary: 'Recent retention runs of a project, newest first (the last 50 are kept)',
      tag: 'policies',
      access: 'user',
      params: projectParams,
      query: z.object({ limit: queryInt(1, 50).default(20) }),
      response: z.object({ items: z.array(runSummarySchema) }),
      handler(_ctx, { params, query }) {
        return policyMapped(() => ({ items: retention.runs(params.name, query.limit).map(summary) }));
      },
    }),
    route<{ name: string; id: number }>({
      method: 'get',
      path: '/projects/{name}/retention/runs/{id}',
      summary: 'One retention run with what it removed',
      tag: 'policies',
      access: 'user',
      params: projectRuleParams,
      response: runSchema,
      handler(_ctx, { params }) {
        return policyMapped(() => retention.getRun(params.name, params.id));
      },
    }),
  ];
}
