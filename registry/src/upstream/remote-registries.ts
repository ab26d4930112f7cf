import { DomainError } from '../errors.js';
import type { Meta } from '../meta/index.js';
import type { DefinitionRow, DefinitionSource } from '../meta/remotes.js';
import { remoteRegistrySchema, type RemoteRegistryConfig, type RemoteRegistryInput } from '../config/remotes.js';
import { assertApiMayEdit } from '../config/ownership.js';
import { registryPasswordSecret, type SecretStore } from '../secrets/secret-store.js';
import { UpstreamClient, type UpstreamOptions } from './client.js';

export interface RemoteRegistry extends RemoteRegistryConfig {
  source: DefinitionSource;
  /** The config file stopped declaring it: kept read-only until deleted. */
  detached: boolean;
  createdAt: number;
  updatedAt: number;
}

/**
 * The remote registries Berth talks to (proxy upstreams, replication peers): definitions persisted in SQLite,
 * owned either by the config file (written only by config/reconcile.ts) or by the admin API (create, update,
 * delete below, which refuse file-owned definitions). Also hands out one UpstreamClient per registry (rebuilt when its definition changes); passwords
 * come from the SecretStore when a request needs them.
 */
export class RemoteRegistryService {
  private readonly clients = new Map<string, { client: UpstreamClient; updatedAt: number }>();
  private readonly listeners = new Set<(name: string) => void>();

  constructor(
    private readonly meta: Meta,
    private readonly secrets: SecretStore,
    /** Test and bench knobs (timeouts, retries, backoff) applied to every client. */
    private readonly clientDefaults: Partial<UpstreamOptions> = {},
  ) {}

  list(): RemoteRegistry[] {
    return this.meta.remoteRegistries.list().map((r) => this.toView(r));
  }

  get(name: string): RemoteRegistry | undefined {
    const r = this.meta.remoteRegistries.get(name);
    return r && this.toView(r);
  }

  /** Admin API: a new API-owned registry. */
  create(input: RemoteRegistryInput): RemoteRegistry {
    const spec = remoteRegistrySchema.parse(input);
    if (this.meta.remoteRegistries.get(spec.name)) throw new DomainError('DENIED', `registry ${spec.name} exists already`);
    this.meta.remoteRegistries.upsert(spec.name, spec, 'api');
    return this.get(spec.name)!;
  }

  /** Admin API: changes an API-owned registry (file-owned and detached ones are refused with an OwnershipError). */
  update(name: string, patch: Partial<RemoteRegistryInput>): RemoteRegistry {
    const existing = this.get(name);
    if (!existing) throw new DomainError('NAME_UNKNOWN', `registry ${name} is not defined`);
    assertApiMayEdit(`registry ${name}`, existing, 'change');
    const { source: _s, detached: _d, createdAt: _c, updatedAt: _u, ...current } = existing;
    const spec = remoteRegistrySchema.parse({ ...current, ...patch, name });
    this.meta.remoteRegistries.upsert(name, spec, 'api');
    this.changed(name);
    return this.get(name)!;
  }

  /** Admin API: refused for file-owned registries and while a proxy project uses the registry (`inUse` names it). */
  delete(name: string, inUse: (registry: string) => string | undefined = () => undefined): boolean {
    const existing = this.get(name);
    if (!existing) return false;
    assertApiMayEdit(`registry ${name}`, existing, 'delete');
    const user = inUse(name);
    if (user) throw new DomainError('DENIED', `registry ${name} is used by ${user}`);
    const gone = this.meta.remoteRegistries.delete(name);
    this.changed(name);
    return gone;
  }

  /** The stored password changed (it lives in the secret store, not in the definition): rebuild the client. */
  credentialsChanged(name: string): void {
    this.changed(name);
  }

  /** Reconciliation only: the config file declares this registry (created, updated or attached again). */
  declare(spec: RemoteRegistryConfig): void {
    this.meta.remoteRegistries.upsert(spec.name, spec, 'file');
    this.changed(spec.name);
  }

  /** Reconciliation only: the config file no longer declares this registry; it stays, read-only. */
  detach(name: string): void {
    if (this.meta.remoteRegistries.detach(name)) this.changed(name);
  }

  /** The client for a registry (kept while its definition is unchanged). */
  client(name: string): UpstreamClient {
    const def = this.get(name);
    if (!def) throw new DomainError('NAME_UNKNOWN', `registry ${name} is not defined`);
    const cached = this.clients.get(name);
    if (cached && cached.updatedAt === def.updatedAt) return cached.client;
    void cached?.client.close();
    const secret = def.passwordSecret ?? registryPasswordSecret(name);
    const client = new UpstreamClient({
      retries: 2,
      ...this.clientDefaults,
      name,
      url: def.url,
      ...(def.type ? { type: def.type } : {}),
      insecure: def.insecure,
      ...(def.username ? { username: def.username } : {}),
      password: () => this.secrets.get(secret),
      timeouts: { headersMs: def.timeoutSeconds * 1000, ...this.clientDefaults.timeouts },
    });
    this.clients.set(name, { client, updatedAt: def.updatedAt });
    return client;
  }

  /** Called with the registry name whenever a definition changes (breakers reset, caches drop). */
  onChange(fn: (name: string) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  async close(): Promise<void> {
    await Promise.all([...this.clients.values()].map((c) => c.client.close()));
    this.clients.clear();
  }

  private toView(r: DefinitionRow): RemoteRegistry {
    return { ...remoteRegistrySchema.parse(r.spec), source: r.source, detached: r.detachedAt !== null, createdAt: r.createdAt, updatedAt: r.updatedAt };
  }

  private changed(name: string): void {
    const c = this.clients.get(name);
    if (c) {
      this.clients.delete(name);
      void c.client.close();
    }
    for (const fn of this.listeners) fn(name);
  }
}
