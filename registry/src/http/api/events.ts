import { PassThrough } from 'node:stream';
import { route } from './route.js';
import type { EventName } from '../../events/event-bus.js';

/** Pulls can come by the thousand per second; the live feed sends at most one per repository per window. */
const PULL_COALESCE_MS = 1000;
const HEARTBEAT_MS = 25_000;

export const eventRoutes = [
  route({
    method: 'get',
    path: '/events',
    summary: 'Server-sent events: pushes, deletions, GC and the progress of other services, as they happen',
    tag: 'events',
    access: 'user',
    raw: true,
    rawContentType: 'text/event-stream',
    handler(ctx, _input, deps) {
      const stream = new PassThrough();
      ctx.req.socket.setTimeout(0);
      ctx.req.socket.setNoDelay(true);
      ctx.status = 200;
      ctx.set('Content-Type', 'text/event-stream; charset=utf-8');
      ctx.set('Cache-Control', 'no-store');
      ctx.set('X-Accel-Buffering', 'no');
      ctx.body = stream;
      let id = 0;
      const send = (name: string, payload: unknown): void => {
        stream.write(`id: ${++id}\nevent: ${name}\ndata: ${JSON.stringify({ ...(payload as object), at: Date.now() })}\n\n`);
      };
      const lastPull = new Map<string, number>();
      const off = deps.events.onAny((name: EventName, payload) => {
        if (name === 'manifest.pulled') {
          const repo = (payload as { repository: string }).repository;
          const now = Date.now();
          if (now - (lastPull.get(repo) ?? 0) < PULL_COALESCE_MS) return;
          lastPull.set(repo, now);
          if (lastPull.size > 10_000) lastPull.clear();
        }
        send(name, payload);
      });
      stream.write(`retry: 3000\n: connected\n\n`);
      const heartbeat = setInterval(() => stream.write(': keep-alive\n\n'), HEARTBEAT_MS);
      heartbeat.unref();
      const close = (): void => {
        clearInterval(heartbeat);
        off();
        stream.end();
      };
      ctx.req.once('close', close);
      ctx.res.once('close', close);
    },
  }),
];
