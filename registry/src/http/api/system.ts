import fs from 'node:fs/promises';
import { z } from 'zod';
import { route } from './route.js';
import { baseUrl } from '../authn.js';

export const systemRoutes = [
  route({
    method: 'get',
    path: '/system',
    summary: 'Version, storage used and free, counts, enabled features',
    tag: 'system',
    access: 'user',
    response: z.object({
      version: z.string(),
      uptimeSeconds: z.number().int(),
      /** host[:port] clients put in image references */
      registryHost: z.string(),
      insecure: z.boolean(),
      storage: z.object({
        dataDir: z.string().nullable(),
        berthBytes: z.number().int(),
        fsTotalBytes: z.number().int(),
        fsFreeBytes: z.number().int(),
      }),
      counts: z.object({ repositories: z.number().int(), manifests: z.number().int(), blobs: z.number().int(), users: z.number().int() }),
      features: z.record(z.string(), z.boolean()),
      gc: z.object({ schedule: z.string(), graceMinutes: z.number().int() }),
    }),
    async handler(ctx, _input, deps) {
      const blobs = deps.meta.blobs.totals();
      // statfs of the data folder: what the operator cares about is room left on that disk.
      const fsStats = await fs.statfs(deps.config.data);
      const base = new URL(baseUrl(ctx, deps.config.externalUrl));
      const admin = ctx.state.auth?.principal.role === 'admin';
      return {
        version: deps.version,
        uptimeSeconds: Math.round((Date.now() - deps.startedAt) / 1000),
        registryHost: base.host,
        insecure: base.protocol === 'http:',
        storage: {
          dataDir: admin ? deps.config.data : null,
          berthBytes: blobs.bytes,
          fsTotalBytes: fsStats.blocks * fsStats.bsize,
          fsFreeBytes: fsStats.bavail * fsStats.bsize,
        },
        counts: {
          repositories: deps.meta.repositories.count(),
          manifests: deps.meta.inventory.manifestCount(),
          blobs: blobs.count,
          users: deps.meta.users.count(),
        },
        features: deps.features,
        gc: { schedule: deps.gc.schedule ?? deps.config.gc.schedule, graceMinutes: deps.config.gc.graceMinutes },
      };
    },
  }),
];
