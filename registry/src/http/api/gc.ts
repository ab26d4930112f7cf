import { z } from 'zod';
import { route } from './route.js';
import { timestamp } from './schemas.js';

const resultSchema = z.object({
  dryRun: z.boolean(),
  linksRemoved: z.number().int(),
  blobsRemoved: z.number().int(),
  bytesFreed: z.number().int(),
  orphanFilesRemoved: z.number().int().optional(),
  uploadsRemoved: z.number().int(),
  importStagingRemoved: z.number().int().optional(),
  durationMs: z.number().int(),
});

export const gcRoutes = [
  route({
    method: 'get',
    path: '/gc',
    summary: 'Garbage collection: schedule, whether it is running, the last result',
    tag: 'gc',
    access: 'user',
    response: z.object({
      running: z.boolean(),
      schedule: z.string(),
      graceMinutes: z.number().int(),
      last: z.object({ at: timestamp, actor: z.string().nullable(), result: resultSchema }).nullable(),
    }),
    handler(_ctx, _input, deps) {
      // The audit log already keeps every GC result (scheduled, CLI or API), so it is the one source.
      const last = deps.meta.audit.latest('gc.finished');
      return {
        running: deps.gc.isRunning,
        schedule: deps.gc.schedule ?? deps.config.gc.schedule,
        graceMinutes: deps.config.gc.graceMinutes,
        last: last ? { at: last.at, actor: last.actor, result: resultSchema.parse(last.detail) } : null,
      };
    },
  }),
  route<Record<string, never>, Record<string, never>, { dryRun: boolean }>({
    method: 'post',
    path: '/gc',
    summary: 'Run garbage collection now (or a dry run that only reports); joins a run already going',
    tag: 'gc',
    access: 'admin',
    body: z.object({ dryRun: z.boolean().default(false) }).strict(),
    response: resultSchema,
    handler(_ctx, { body }, deps) {
      return deps.gc.run(body.dryRun);
    },
  }),
];
