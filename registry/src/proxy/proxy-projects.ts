import { DomainError } from '../errors.js';
import type { Meta } from '../meta/index.js';
import type { DefinitionRow, DefinitionSource } from '../meta/remotes.js';
import { assertApiMayEdit } from '../config/ownership.js';
import { proxyProjectSchema, type ProxyProjectConfig, type ProxyProjectInput } from '../config/remotes.js';
import type { RemoteRegistryService } from '../upstream/remote-registries.js';

export interface ProxyProject extends ProxyProjectConfig {
  source: DefinitionSource;
  /** The config file stopped declaring it: its cache is served read-only, nothing is fetched, until deleted. */
  detached: boolean;
  createdAt: number;
  updatedAt: number;
}

/**
 * Proxy projects: a project bound to one remote registry, whose content comes from there. Definitions are
 * persisted in SQLite (owned by the config file, written only by config/reconcile.ts, or by the admin API)
 * and kept in memory for the request path, which asks "is this repository proxied?" on every /v2 call.
 * A detached project (dropped from the file) is not proxied: it stays a read-only project (kind 'proxy')
 * whose cached images are served as they are.
 */
export class ProxyProjectService {
  private byProject = new Map<string, ProxyProject>();
  private byMirror = new Map<string, ProxyProject>();
  private readonly listeners = new Set<(project: string) => void>();

  constructor(
    private readonly meta: Meta,
    private readonly registries: RemoteRegistryService,
  ) {
    this.reload();
  }

  list(): ProxyProject[] {
    return [...this.byProject.values()].sort((a, b) => a.project.localeCompare(b.project));
  }

  get(project: string): ProxyProject | undefined {
    return this.byProject.get(project);
  }

  /**
   * The proxy project a repository belongs to, with the path below the project (`hq-cache/library/alpine` →
   * `library/alpine`). Detached projects proxy nothing: their repositories are served from what is stored.
   */
  forRepository(repository: string): { proxy: ProxyProject; path: string } | undefined {
    const i = repository.indexOf('/');
    if (i < 0) return undefined;
    const proxy = this.byProject.get(repository.slice(0, i));
    return proxy && !proxy.detached ? { proxy, path: repository.slice(i + 1) } : undefined;
  }

  /** The detached proxy project a repository belongs to (its cache is read-only), if it does. */
  detachedFor(repository: string): ProxyProject | undefined {
    const i = repository.indexOf('/');
    const proxy = i < 0 ? undefined : this.byProject.get(repository.slice(0, i));
    return proxy?.detached ? proxy : undefined;
  }

  /** The proxy project that mirrors a registry (`docker.io`, `ghcr.io` …), if one does. */
  mirrorFor(registryHost: string): ProxyProject | undefined {
    return this.byMirror.get(normaliseHost(registryHost));
  }

  /** Name of the proxy project that uses a registry, for refusing its deletion. */
  usingRegistry(registry: string): string | undefined {
    return this.list().find((p) => p.registry === registry)?.project;
  }

  /** Admin API: a new API-owned proxy project. */
  create(input: ProxyProjectInput): ProxyProject {
    const spec = proxyProjectSchema.parse(input);
    if (this.byProject.has(spec.project)) throw new DomainError('DENIED', `proxy project ${spec.project} exists already`);
    this.save(spec, 'api');
    return this.get(spec.project)!;
  }

  /** Admin API: changes an API-owned proxy project (file-owned and detached ones are refused with an OwnershipError). */
  update(project: string, patch: Partial<ProxyProjectInput>): ProxyProject {
    const existing = this.get(project);
    if (!existing) throw new DomainError('NAME_UNKNOWN', `proxy project ${project} is not defined`);
    assertApiMayEdit(`proxy project ${project}`, existing, 'change');
    const { source: _s, detached: _d, createdAt: _c, updatedAt: _u, ...current } = existing;
    this.save(proxyProjectSchema.parse({ ...current, ...patch, project }), 'api');
    return this.get(project)!;
  }

  /**
   * Admin API: stops proxying (refused for file-owned projects). The project stays with its cached content,
   * as an ordinary (writable) project.
   */
  delete(project: string): boolean {
    const existing = this.get(project);
    if (!existing) return false;
    assertApiMayEdit(`proxy project ${project}`, existing, 'delete');
    const gone = this.meta.tx(() => {
      const had = this.meta.proxyProjects.delete(project);
      if (had) this.meta.proxyCache.setProjectKind(project, 'local', false);
      return had;
    });
    this.reload();
    this.changed(project);
    return gone;
  }

  /** Reconciliation only: the config file declares this proxy project (created, updated or attached again). */
  declare(spec: ProxyProjectConfig): void {
    this.save(spec, 'file');
  }

  /** Reconciliation only: the config file no longer declares this project; its cache stays, read-only. */
  detach(project: string): void {
    if (!this.meta.proxyProjects.detach(project)) return;
    this.reload();
    this.changed(project);
  }

  onChange(fn: (project: string) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private save(spec: ProxyProjectConfig, source: DefinitionSource): void {
    if (spec.project === 'library') throw new DomainError('DENIED', 'the library project holds local images and cannot be a proxy');
    if (!this.registries.get(spec.registry)) throw new DomainError('NAME_UNKNOWN', `registry ${spec.registry} is not defined`);
    for (const host of spec.mirrorFor) {
      const other = this.byMirror.get(normaliseHost(host));
      // Only attached projects route mirror pulls, so a detached one never holds a host against the file.
      if (other && other.project !== spec.project) throw new DomainError('DENIED', `${host} is mirrored by ${other.project} already`);
    }
    const existingProject = this.meta.repositories.project(spec.project);
    if (existingProject && existingProject.kind !== 'proxy' && this.meta.proxyCache.projectHasRepositories(spec.project)) {
      throw new DomainError('DENIED', `project ${spec.project} holds pushed repositories; choose another name for the proxy project`);
    }
    this.meta.tx(() => {
      this.meta.repositories.ensureProject(spec.project, { public: spec.public, kind: 'proxy' });
      this.meta.proxyCache.setProjectKind(spec.project, 'proxy', spec.public);
      this.meta.proxyProjects.upsert(spec.project, spec, source);
    });
    this.reload();
    this.changed(spec.project);
  }

  private reload(): void {
    const byProject = new Map<string, ProxyProject>();
    const byMirror = new Map<string, ProxyProject>();
    for (const r of this.meta.proxyProjects.list()) {
      const p = toProxy(r);
      byProject.set(p.project, p);
      if (!p.detached) for (const h of p.mirrorFor) byMirror.set(normaliseHost(h), p);
    }
    this.byProject = byProject;
    this.byMirror = byMirror;
  }

  private changed(project: string): void {
    for (const fn of this.listeners) fn(project);
  }
}

function toProxy(r: DefinitionRow): ProxyProject {
  return { ...proxyProjectSchema.parse(r.spec), source: r.source, detached: r.detachedAt !== null, createdAt: r.createdAt, updatedAt: r.updatedAt };
}

/** `index.docker.io`, `registry-1.docker.io` and `docker.io` are one registry. */
export function normaliseHost(host: string): string {
  const h = host.trim().toLowerCase().replace(/^https?:\/\//, '').replace(/\/+$/, '');
  return h === 'index.docker.io' || h === 'registry-1.docker.io' || h === 'registry.hub.docker.com' ? 'docker.io' : h;
}
