import { RegistryError } from '../oci/errors.js';
import type { Meta } from '../meta/index.js';
import type { DefinitionSource } from '../meta/remotes.js';
import { remoteRegistrySchema, type RemoteRegistryConfig, type RemoteRegistryInput } from '../config/remotes.js';
import { registryPasswordSecret, type SecretStore } from '../secrets/secret-store.js';
import { UpstreamClient, type UpstreamOptions } from './client.js';

export interface RemoteRegistry extends RemoteRegistryConfig {
  source: DefinitionSource;
  createdAt: number;
  updatedAt: number;
}

/**
 * The remote registries Berth talks to (proxy upstreams, replication peers): definitions persisted in SQLite,
 * with the config file as the declarative source applied at start, and the admin API creating and updating
 * the rest. Also hands out one UpstreamClient per registry (rebuilt when its definition changes); passwords
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
    return this.meta.remoteRegistries.list().map((r) => ({ ...remoteRegistrySchema.parse(r.spec), source: r.source, createdAt: r.createdAt, updatedAt: r.updatedAt }));
  }

  get(name: string): RemoteRegistry | undefined {
    const r = this.meta.remoteRegistries.get(name);
    return r && { ...remoteRegistrySchema.parse(r.spec), source: r.source, createdAt: r.createdAt, updatedAt: r.updatedAt };
  }

  create(input: RemoteRegistryInput, source: DefinitionSource = 'api'): RemoteRegistry {
    const spec = remoteRegistrySchema.parse(input);
    if (this.meta.remoteRegistries.get(spec.name)) throw new RegistryError('DENIED', `registry ${spec.name} exists already`);
    this.meta.remoteRegistries.upsert(spec.name, spec, source);
    return this.get(spec.name)!;
  }

  update(name: string, patch: Partial<RemoteRegistryInput>, source: DefinitionSource = 'api'): RemoteRegistry {
    const existing = this.get(name);
    if (!existing) throw new RegistryError('NAME_UNKNOWN', `registry ${name} is not defined`);
    const { source: _s, createdAt: _c, updatedAt: _u, ...current } = existing;
    const spec = remoteRegistrySchema.parse({ ...current, ...patch, name });
    this.meta.remoteRegistries.upsert(name, spec, source);
    this.changed(name);
    return this.get(name)!;
  }

  /** Refused while a proxy project uses the registry (`inUse` names it). */
  delete(name: string, inUse: (registry: string) => string | undefined = () => undefined): boolean {
    const user = inUse(name);
    if (user) throw new RegistryError('DENIED', `registry ${name} is used by ${user}`);
    const gone = this.meta.remoteRegistries.delete(name);
    this.changed(name);
    return gone;
  }

  /**
   * Applies the config file's `registries:`: creates or updates every entry (marked as coming from the file)
   * and removes file-sourced entries the file no longer lists. Entries made through the API stay.
   */
  applyDeclared(declared: RemoteRegistryConfig[], inUse: (registry: string) => string | undefined): void {
    const names = new Set(declared.map((d) => d.name));
    for (const d of declared) {
      const existing = this.meta.remoteRegistries.get(d.name);
      if (!existing || JSON.stringify(existing.spec) !== JSON.stringify(d) || existing.source !== 'file') {
        this.meta.remoteRegistries.upsert(d.name, d, 'file');
        this.changed(d.name);
      }
    }
    for (const r of this.meta.remoteRegistries.list()) {
      if (r.source === 'file' && !names.has(r.name) && !inUse(r.name)) this.delete(r.name);
    }
  }

  /** The client for a registry (kept while its definition is unchanged). */
  client(name: string): UpstreamClient {
    const def = this.get(name);
    if (!def) throw new RegistryError('NAME_UNKNOWN', `registry ${name} is not defined`);
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

  private changed(name: string): void {
    const c = this.clients.get(name);
    if (c) {
      this.clients.delete(name);
      void c.client.close();
    }
    for (const fn of this.listeners) fn(name);
  }
}
