import { Counter, Gauge, type Registry as PromRegistry } from 'prom-client';

/** Prometheus series of the proxy cache, registered in the server's metrics registry. */
export class ProxyMetrics {
  readonly hits: Counter<'project' | 'kind'>;
  readonly misses: Counter<'project' | 'kind'>;
  readonly staleServed: Counter<'project' | 'reason'>;
  readonly upstreamBytes: Counter<'registry'>;
  readonly servedBytes: Counter<'project'>;
  readonly upstreamErrors: Counter<'registry' | 'kind'>;
  readonly upstreamUp: Gauge<'registry'>;
  readonly evicted: Counter<'project' | 'reason'>;

  constructor(registry: PromRegistry) {
    const registers = [registry];
    this.hits = new Counter({ name: 'berth_proxy_cache_hits_total', help: 'Proxy requests answered from cache', labelNames: ['project', 'kind'], registers });
    this.misses = new Counter({ name: 'berth_proxy_cache_misses_total', help: 'Proxy requests that went to the upstream', labelNames: ['project', 'kind'], registers });
    this.staleServed = new Counter({
      name: 'berth_proxy_stale_served_total',
      help: 'Cached tags served without revalidation because the upstream failed, was down or offline',
      labelNames: ['project', 'reason'],
      registers,
    });
    this.upstreamBytes = new Counter({ name: 'berth_proxy_upstream_bytes_total', help: 'Blob bytes fetched from upstreams', labelNames: ['registry'], registers });
    this.servedBytes = new Counter({ name: 'berth_proxy_served_bytes_total', help: 'Blob bytes served from proxy projects (cache and fills)', labelNames: ['project'], registers });
    this.upstreamErrors = new Counter({ name: 'berth_proxy_upstream_errors_total', help: 'Failed upstream requests by kind', labelNames: ['registry', 'kind'], registers });
    this.upstreamUp = new Gauge({ name: 'berth_proxy_upstream_up', help: '1 when the upstream circuit breaker is closed', labelNames: ['registry'], registers });
    this.evicted = new Counter({ name: 'berth_proxy_evicted_total', help: 'Cached manifests evicted by GC', labelNames: ['project', 'reason'], registers });
  }
}
