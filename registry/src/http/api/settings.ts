import { z } from 'zod';
import { route } from './route.js';
import { ApiError } from './errors.js';
import { baseUrl } from '../authn.js';
import { GcSchedule, InvalidScheduleError } from '../../gc/gc-schedule.js';

export interface SettingsDeps {
  gcSchedule: GcSchedule;
  /** Where Berth keeps its data, for the operator (admins only). */
  storage: { dataDir: string; database: string; blobs: string; uploads: string; secrets: string; dropFolder: string | null };
}

const gcScheduleSchema = z.object({
  schedule: z.string().meta({ description: "cron expression in force; '' = scheduled GC off" }),
  source: z.enum(['config', 'settings']),
  configDefault: z.string(),
});

const settingsSchema = z.object({
  gc: gcScheduleSchema,
  storage: z.object({ dataDir: z.string(), database: z.string(), blobs: z.string(), uploads: z.string(), secrets: z.string(), dropFolder: z.string().nullable() }),
  tls: z.object({
    externalUrl: z.string().nullable(),
    /** Berth serves plain HTTP itself; TLS is terminated by a reverse proxy in front of it. */
    servedOverHttps: z.boolean(),
    note: z.string(),
  }),
});

const tlsNote =
  'Berth serves plain HTTP. For TLS, put a reverse proxy (nginx, Caddy, HAProxy) in front of it and set externalUrl to its https:// address; until then, clients must treat this registry as insecure.';

/** System settings changed at run time: the GC schedule (stored, applied live), plus storage and TLS facts. */
export function settingsRoutes(s: SettingsDeps) {
  return [
    route({
      method: 'get',
      path: '/system/settings',
      summary: 'System settings: GC schedule, storage paths, TLS status',
      tag: 'system',
      access: 'admin',
      response: settingsSchema,
      handler(ctx, _input, deps) {
        const url = deps.config.externalUrl ?? null;
        return {
          gc: s.gcSchedule.state,
          storage: s.storage,
          tls: { externalUrl: url, servedOverHttps: new URL(baseUrl(ctx, url ?? undefined)).protocol === 'https:', note: tlsNote },
        };
      },
    }),
    route<Record<string, never>, Record<string, never>, { gcSchedule: string | null }>({
      method: 'patch',
      path: '/system/settings',
      summary: "Change the GC schedule (cron, '' = off, null = back to the config file's value); applied at once",
      tag: 'system',
      access: 'admin',
      body: z.object({ gcSchedule: z.string().trim().max(100).nullable() }).strict(),
      response: gcScheduleSchema,
      async handler(_ctx, { body }) {
        try {
          return await s.gcSchedule.set(body.gcSchedule);
        } catch (e) {
          if (e instanceof InvalidScheduleError) {
            throw new ApiError('validation_failed', `body gcSchedule: ${e.message}`, { field: 'gcSchedule', issues: [{ in: 'body', field: 'gcSchedule', message: e.message }] });
          }
          throw e;
        }
      },
    }),
  ];
}
