import { z } from 'zod';
import { route, type ApiRoute } from './route.js';
import { ApiError } from './errors.js';
import { queryInt, timestamp } from './schemas.js';
import { replicationRuleSchema } from '../../config/replication.js';
import { ReplicationError, type ReplicationService } from '../../replication/replication-service.js';

/*
 * Replication rules and runs (issue 4) for the GUI and scripts. Rules are validated by the config file's
 * schema inside the service, so the file, the API and the GUI accept exactly the same things.
 */

const ruleName = z.string().min(1).max(64);

const executionSchema = z.object({
  id: z.number().int(),
  rule: z.string(),
  trigger: z.string(),
  status: z.enum(['running', 'succeeded', 'failed', 'interrupted']),
  startedAt: timestamp,
  finishedAt: timestamp.nullable(),
  planned: z.number().int(),
  copied: z.number().int(),
  skipped: z.number().int(),
  failed: z.number().int(),
  deleted: z.number().int(),
  bytes: z.number().int(),
  error: z.string().nullable(),
});

const taskSchema = z.object({
  id: z.number().int(),
  executionId: z.number().int(),
  source: z.string(),
  destination: z.string(),
  digest: z.string().nullable(),
  action: z.string(),
  status: z.enum(['succeeded', 'skipped', 'failed']),
  bytes: z.number().int(),
  blobs: z.number().int(),
  durationMs: z.number().int(),
  error: z.string().nullable(),
});

const ruleViewSchema = z.object({
  rule: z.record(z.string(), z.unknown()),
  source: z.enum(['file', 'api']),
  running: z.boolean(),
  lastExecution: executionSchema.nullable(),
  /** When the cron schedule fires next (null: no schedule, disabled, or the scheduler is not running). */
  nextRunAt: timestamp.nullable(),
});

const planSchema = z.object({
  rule: z.string(),
  direction: z.enum(['pull', 'push']),
  registry: z.string(),
  createdAt: timestamp,
  repositories: z.array(z.string()),
  items: z.array(
    z.object({
      source: z.object({ repository: z.string(), tag: z.string() }),
      destination: z.object({ repository: z.string(), tag: z.string() }),
      digest: z.string(),
      mediaType: z.string(),
      action: z.enum(['copy', 'skip', 'conflict']),
      reason: z.string(),
    }),
  ),
  deletions: z.array(z.object({ repository: z.string(), tag: z.string(), digest: z.string() })),
  kept: z.array(z.object({ repository: z.string(), tag: z.string(), digest: z.string(), reason: z.string() })),
  warnings: z.array(z.string()),
});

/** The rule as the service validates it; `.passthrough`-free so unknown keys are named in the error. */
const ruleBody = replicationRuleSchema;
const ruleUpdateBody = z.record(z.string(), z.unknown()).meta({ description: 'a whole rule (as for create); the name in the path wins' });

function mapped<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw replicationApiError(e);
  }
}

async function mappedAsync<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw replicationApiError(e);
  }
}

function replicationApiError(e: unknown): unknown {
  if (e instanceof ReplicationError) return new ApiError(e.kind === 'not_found' ? 'not_found' : e.kind === 'conflict' ? 'conflict' : 'validation_failed', e.message);
  return e;
}

export function replicationRoutes(service: ReplicationService, nextRun: (rule: string) => Date | null = () => null): ApiRoute[] {
  const view = (v: ReturnType<ReplicationService['get']>) => ({ ...v, lastExecution: v.lastExecution ?? null, nextRunAt: nextRun(v.rule.name)?.getTime() ?? null });
  return [
    route({
      method: 'get',
      path: '/replication/rules',
      summary: 'Replication rules, each with whether it is running and its last execution',
      tag: 'replication',
      access: 'admin',
      response: z.object({ items: z.array(ruleViewSchema) }),
      handler() {
        return { items: service.list().map(view) };
      },
    }),
    route<Record<string, never>, Record<string, never>, unknown>({
      method: 'post',
      path: '/replication/rules',
      summary: 'Create a replication rule (same fields as the config file)',
      tag: 'replication',
      access: 'admin',
      status: 201,
      body: ruleBody,
      response: ruleViewSchema,
      handler(_ctx, { body }) {
        return mapped(() => view(service.create(body)));
      },
    }),
    route<{ name: string }, Record<string, never>, unknown>({
      method: 'put',
      path: '/replication/rules/{name}',
      summary: 'Replace a replication rule',
      tag: 'replication',
      access: 'admin',
      params: z.object({ name: ruleName }),
      body: ruleUpdateBody,
      response: ruleViewSchema,
      handler(_ctx, { params, body }) {
        return mapped(() => view(service.update(params.name, body)));
      },
    }),
    route<{ name: string }>({
      method: 'delete',
      path: '/replication/rules/{name}',
      summary: 'Delete a replication rule (its execution history stays)',
      tag: 'replication',
      access: 'admin',
      params: z.object({ name: ruleName }),
      handler(_ctx, { params }) {
        mapped(() => service.delete(params.name));
        return undefined;
      },
    }),
    route<{ name: string }>({
      method: 'post',
      path: '/replication/rules/{name}/run',
      summary: 'Run a rule now; follow it with replication.* server-sent events or GET /replication/executions/{id}',
      tag: 'replication',
      access: 'admin',
      status: 202,
      params: z.object({ name: ruleName }),
      response: z.object({ executionId: z.number().int() }),
      handler(_ctx, { params }) {
        const { executionId } = mapped(() => service.start(params.name, { trigger: 'api' }));
        return { executionId };
      },
    }),
    route<{ name: string }>({
      method: 'get',
      path: '/replication/rules/{name}/preview',
      summary: 'What a run of a saved rule would do now (contacts the remote; copies nothing)',
      tag: 'replication',
      access: 'admin',
      params: z.object({ name: ruleName }),
      response: planSchema,
      handler(_ctx, { params }) {
        return mappedAsync(() => service.preview(params.name));
      },
    }),
    route<Record<string, never>, Record<string, never>, unknown>({
      method: 'post',
      path: '/replication/preview',
      summary: 'What a rule that is not saved yet would match (the editor’s live preview; copies nothing)',
      tag: 'replication',
      access: 'admin',
      body: ruleBody,
      response: planSchema,
      handler(_ctx, { body }) {
        return mappedAsync(() => service.previewDraft(body));
      },
    }),
    route<Record<string, never>, { rule?: string; limit: number; before?: number }>({
      method: 'get',
      path: '/replication/executions',
      summary: 'Execution history, newest first (page with `before` = the last id seen)',
      tag: 'replication',
      access: 'admin',
      query: z.object({ rule: ruleName.optional(), limit: queryInt(1, 500).default(50), before: queryInt(1, Number.MAX_SAFE_INTEGER).optional() }),
      response: z.object({ items: z.array(executionSchema) }),
      handler(_ctx, { query }) {
        return { items: service.executions(query.rule, query.limit, query.before) };
      },
    }),
    route<{ id: number }>({
      method: 'get',
      path: '/replication/executions/{id}',
      summary: 'One execution with its per-artifact tasks (bytes, duration, error)',
      tag: 'replication',
      access: 'admin',
      params: z.object({ id: queryInt(1, Number.MAX_SAFE_INTEGER) }),
      response: z.object({ execution: executionSchema, tasks: z.array(taskSchema) }),
      handler(_ctx, { params }) {
        return mapped(() => service.execution(params.id));
      },
    }),
  ];
}
