import { z } from 'zod';
import { route } from './route.js';
import { timestamp } from './schemas.js';
import { PULL_BUCKET_MS } from '../../meta/pull-stats.js';

const ranges = {
  '24h': { spanMs: 24 * PULL_BUCKET_MS, stepMs: PULL_BUCKET_MS },
  '7d': { spanMs: 7 * 24 * PULL_BUCKET_MS, stepMs: 24 * PULL_BUCKET_MS },
  '30d': { spanMs: 30 * 24 * PULL_BUCKET_MS, stepMs: 24 * PULL_BUCKET_MS },
} as const;

export const metricsRoutes = [
  route<Record<string, never>, { range: keyof typeof ranges }>({
    method: 'get',
    path: '/metrics/summary',
    summary: 'Dashboard figures: pulls over time (every step present, zero when idle), top repositories',
    tag: 'metrics',
    access: 'user',
    query: z.object({ range: z.enum(['24h', '7d', '30d']).default('7d') }),
    response: z.object({
      range: z.string(),
      stepMs: z.number().int(),
      pulls: z.array(z.object({ at: timestamp, count: z.number().int() })),
      totalPulls: z.number().int(),
      topRepositories: z.array(z.object({ repository: z.string(), count: z.number().int() })),
    }),
    handler(_ctx, { query }, deps) {
      // Pending pull counts are in memory for up to a few seconds; write them so the chart is current.
      deps.registry.flush();
      const { spanMs, stepMs } = ranges[query.range];
      const last = Math.floor(Date.now() / stepMs) * stepMs;
      const from = last - spanMs + stepMs;
      const counts = new Map(deps.meta.pullStats.series(from, stepMs).map((p) => [p.at, p.count]));
      const pulls = [];
      for (let at = from; at <= last; at += stepMs) pulls.push({ at, count: counts.get(at) ?? 0 });
      return {
        range: query.range,
        stepMs,
        pulls,
        totalPulls: pulls.reduce((n, p) => n + p.count, 0),
        topRepositories: deps.meta.pullStats.top(from, 5),
      };
    },
  }),
];
