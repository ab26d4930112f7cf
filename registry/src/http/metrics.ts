import { Counter, Gauge, Histogram, Registry as PromRegistry, collectDefaultMetrics } from 'prom-client';
import type { Socket } from 'node:net';
import type { Ctx, Middleware } from './state.js';

/** Prometheus metrics of one server instance (own registry, so tests can run many servers in one process). */
export class Metrics {
  readonly registry = new PromRegistry();
  readonly requests: Counter<'method' | 'route' | 'status'>;
  readonly duration: Histogram<'method' | 'route'>;
  readonly bytesIn: Counter;
  readonly bytesOut: Counter;
  readonly storageBytes: Gauge;
  readonly storageBlobs: Gauge;
  readonly repositories: Gauge;

  constructor(storage: () => { bytes: number; blobs: number; repositories: number }) {
    collectDefaultMetrics({ register: this.registry, prefix: 'berth_' });
    this.requests = new Counter({
      name: 'berth_http_requests_total',
      help: 'HTTP requests by method, route and status',
      labelNames: ['method', 'route', 'status'],
      registers: [this.registry],
    });
    this.duration = new Histogram({
      name: 'berth_http_request_duration_seconds',
      help: 'HTTP request latency',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60],
      registers: [this.registry],
    });
    this.bytesIn = new Counter({ name: 'berth_http_bytes_received_total', help: 'Bytes received', registers: [this.registry] });
    this.bytesOut = new Counter({ name: 'berth_http_bytes_sent_total', help: 'Bytes sent', registers: [this.registry] });
    const read = (): ReturnType<typeof storage> => storage();
    this.storageBytes = new Gauge({
      name: 'berth_storage_bytes',
      help: 'Bytes of committed blobs',
      registers: [this.registry],
      collect() {
        this.set(read().bytes);
      },
    });
    this.storageBlobs = new Gauge({
      name: 'berth_storage_blobs',
      help: 'Number of committed blobs',
      registers: [this.registry],
      collect() {
        this.set(read().blobs);
      },
    });
    this.repositories = new Gauge({
      name: 'berth_repositories',
      help: 'Repositories holding at least one manifest',
      registers: [this.registry],
      collect() {
        this.set(read().repositories);
      },
    });
  }

  /** Gauges of the data disk: free bytes, the reserve, and 1 while writes are refused for lack of room. */
  diskGauges(read: () => { freeBytes: number; ballastBytes: number; reserveBytes: number; low: boolean }): void {
    const gauge = (name: string, help: string, value: () => number) =>
      new Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          this.set(value());
        },
      });
    // The ballast is reserve Berth holds, not space anyone used: free counts it.
    gauge('berth_disk_free_bytes', 'Free bytes on the data disk (the reserve ballast counted as free)', () => read().freeBytes + read().ballastBytes);
    gauge('berth_disk_reserve_bytes', 'Bytes kept free for deletes and GC (storage.reserveMiB)', () => read().reserveBytes);
    gauge('berth_disk_low', '1 while new content is refused because free space is at the reserve', () => (read().low ? 1 : 0));
  }

  /**
   * Counts every request once it has been answered; bytes from the socket counters (cheap, no stream taps).
   * Bytes are counted from where the socket's previous response left off, not from when this middleware runs:
   * by then the socket has already read the headers and often a small body (a manifest) with them.
   */
  middleware(): Middleware {
    const counted = new WeakMap<Socket, { read: number; written: number }>();
    return async (ctx: Ctx, next) => {
      const started = process.hrtime.bigint();
      const socket = ctx.req.socket;
      ctx.res.once('close', () => {
        const route = ctx.state.route || 'other';
        this.requests.inc({ method: ctx.method, route, status: String(ctx.status) });
        this.duration.observe({ method: ctx.method, route }, Number(process.hrtime.bigint() - started) / 1e9);
        const before = counted.get(socket) ?? { read: 0, written: 0 };
        const now = { read: socket.bytesRead, written: socket.bytesWritten };
        this.bytesIn.inc(Math.max(0, now.read - before.read));
        this.bytesOut.inc(Math.max(0, now.written - before.written));
        counted.set(socket, now);
      });
      await next();
    };
  }
}
