import type { Logger } from '../logger.js';
import type { EventBus } from '../events/event-bus.js';
import { UpstreamError, isUpstreamError } from '../upstream/errors.js';
import type { UpstreamClient } from '../upstream/client.js';
import type { RemoteRegistryService } from '../upstream/remote-registries.js';
import { CircuitBreaker, type BreakerState } from './circuit-breaker.js';
import type { ProxyMetrics } from './proxy-metrics.js';

export interface UpstreamHealth {
  registry: string;
  state: BreakerState | 'offline';
  reason: string | undefined;
}

/**
 * Calls to upstreams on behalf of the proxy, through one circuit breaker per registry. A refused call (breaker
 * open, or `offline: true`) fails at once with an 'unavailable' UpstreamError and never touches the network.
 * Only 'unavailable' failures count against the breaker: a 404 or a lie is an answer from a live upstream.
 */
export class UpstreamGate {
  private readonly breakers = new Map<string, CircuitBreaker>();

  constructor(
    private readonly remotes: RemoteRegistryService,
    private readonly events: EventBus,
    private readonly log: Logger,
    private readonly metrics: ProxyMetrics | undefined,
  ) {
    remotes.onChange((name) => {
      // New settings (or a new URL): start from a clean breaker.
      this.breakers.get(name)?.reset();
      this.breakers.delete(name);
    });
  }

  /** Whether the registry may be asked now (not offline, breaker closed or due for a probe). Counts as the probe. */
  isOffline(registry: string): boolean {
    return this.remotes.get(registry)?.offline ?? true;
  }

  client(registry: string): UpstreamClient {
    return this.remotes.client(registry);
  }

  async call<T>(registry: string, fn: (c: UpstreamClient) => Promise<T>): Promise<T> {
    if (this.isOffline(registry)) throw new UpstreamError('unavailable', `registry ${registry} is configured offline: serving from cache only`);
    const breaker = this.breaker(registry);
    if (!breaker.allow()) throw new UpstreamError('unavailable', `registry ${registry} is marked down (${breaker.reason ?? 'failures'}); retrying later`);
    try {
      const v = await fn(this.client(registry));
      breaker.success();
      return v;
    } catch (e) {
      this.report(registry, e);
      throw e;
    }
  }

  /** Outcome of work that continues after `call` returned (a blob body). */
  report(registry: string, e: unknown): void {
    const breaker = this.breaker(registry);
    const kind = isUpstreamError(e) ? e.kind : 'unavailable';
    this.metrics?.upstreamErrors.inc({ registry, kind });
    if (kind === 'unavailable') breaker.failure((e as Error).message);
    else breaker.success();
  }

  succeeded(registry: string): void {
    this.breaker(registry).success();
  }

  health(): UpstreamHealth[] {
    return this.remotes.list().map((r) => {
      const b = this.breakers.get(r.name);
      return { registry: r.name, state: r.offline ? 'offline' : (b?.state ?? 'closed'), reason: b?.reason };
    });
  }

  private breaker(registry: string): CircuitBreaker {
    let b = this.breakers.get(registry);
    if (!b) {
      const def = this.remotes.get(registry);
      b = new CircuitBreaker({
        failures: def?.failuresBeforeDown ?? 3,
        cooldownMs: (def?.downSeconds ?? 30) * 1000,
        onChange: (state, reason) => {
          this.metrics?.upstreamUp.set({ registry }, state === 'up' ? 1 : 0);
          this.log.warn({ registry, state, reason }, state === 'down' ? 'upstream marked down; serving from cache' : 'upstream is back');
          this.events.emit('proxy.upstream', { registry, state, reason });
        },
      });
      this.metrics?.upstreamUp.set({ registry }, 1);
      this.breakers.set(registry, b);
    }
    return b;
  }
}
