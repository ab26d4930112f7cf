import { RegistryError } from '../oci/errors.js';
import type { Meta } from '../meta/index.js';
import type { DefinitionSource } from '../meta/remotes.js';
import { proxyProjectSchema, type ProxyProjectConfig, type ProxyProjectInput } from '../config/remotes.js';
import type { RemoteRegistryService } from '../upstream/remote-registries.js';

export interface ProxyProject extends ProxyProjectConfig {
  source: DefinitionSource;
  createdAt: number;
  updatedAt: number;
}

/**
 * Proxy projects: a project bound to one remote registry, whose content comes from there. Definitions are
 * persisted in SQLite (the config file's `proxies:` is applied at start; the admin API creates and updates
 * the rest) and kept in memory for the request path, which asks "is this repository proxied?" on every /v2
 * call.
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

  /** The proxy project a repository belongs to, with the path below the project (`hq-cache/library/alpine` → `library/alpine`). */
  forRepository(repository: string): { proxy: ProxyProject; path: string } | undefined {
    const i = repository.indexOf('/');
    if (i < 0) return undefined;
    const proxy = this.byProject.get(repository.slice(0, i));
    return proxy && { proxy, path: repository.slice(i + 1) };
  }

  /** The proxy project that mirrors a registry (`docker.io`, `ghcr.io` …), if one does. */
  mirrorFor(registryHost: string): ProxyProject | undefined {
    return this.byMirror.get(normaliseHost(registryHost));
  }

  /** Name of the proxy project that uses a registry, for refusing its deletion. */
  usingRegistry(registry: string): string | undefined {
    return this.list().find((p) => p.registry === registry)?.project;
  }

  create(input: ProxyProjectInput, source: DefinitionSource = 'api'): ProxyProject {
    const spec = proxyProjectSchema.parse(input);
    if (this.byProject.has(spec.project)) throw new RegistryError('DENIED', `proxy project ${spec.project} exists already`);
    this.save(spec, source);
    return this.get(spec.project)!;
  }

  update(project: string, patch: Partial<ProxyProjectInput>, source: DefinitionSource = 'api'): ProxyProject {
    const existing = this.get(project);
    if (!existing) throw new RegistryError('NAME_UNKNOWN', `proxy project ${project} is not defined`);
    const { source: _s, createdAt: _c, updatedAt: _u, ...current } = existing;
    this.save(proxyProjectSchema.parse({ ...current, ...patch, project }), source);
    return this.get(project)!;
  }

  /** The project stays with its cached content, as an ordinary (writable) project. */
  delete(project: string): boolean {
    const gone = this.meta.tx(() => {
      const had = this.meta.proxyProjects.delete(project);
      if (had) this.meta.proxyCache.setProjectKind(project, 'local', false);
      return had;
    });
    this.reload();
    this.changed(project);
    return gone;
  }

  /** Applies the config file's `proxies:` (see RemoteRegistryService.applyDeclared for the rules). */
  applyDeclared(declared: ProxyProjectConfig[]): void {
    const names = new Set(declared.map((d) => d.project));
    for (const d of declared) {
      const existing = this.meta.proxyProjects.get(d.project);
      if (!existing || existing.source !== 'file' || JSON.stringify(existing.spec) !== JSON.stringify(d)) this.save(d, 'file');
    }
    for (const p of this.list()) if (p.source === 'file' && !names.has(p.project)) this.delete(p.project);
  }

  onChange(fn: (project: string) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private save(spec: ProxyProjectConfig, source: DefinitionSource): void {
    if (spec.project === 'library') throw new RegistryError('DENIED', 'the library project holds local images and cannot be a proxy');
    if (!this.registries.get(spec.registry)) throw new RegistryError('NAME_UNKNOWN', `registry ${spec.registry} is not defined`);
    for (const host of spec.mirrorFor) {
      const other = this.byMirror.get(normaliseHost(host));
      if (other && other.project !== spec.project) throw new RegistryError('DENIED', `${host} is mirrored by ${other.project} already`);
    }
    const existingProject = this.meta.repositories.project(spec.project);
    if (existingProject && existingProject.kind !== 'proxy' && this.meta.proxyCache.projectHasRepositories(spec.project)) {
      throw new RegistryError('DENIED', `project ${spec.project} holds pushed repositories; choose another name for the proxy project`);
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
      const p: ProxyProject = { ...proxyProjectSchema.parse(r.spec), source: r.source, createdAt: r.createdAt, updatedAt: r.updatedAt };
      byProject.set(p.project, p);
      for (const h of p.mirrorFor) byMirror.set(normaliseHost(h), p);
    }
    this.byProject = byProject;
    this.byMirror = byMirror;
  }

  private changed(project: string): void {
    for (const fn of this.listeners) fn(project);
  }
}

/** `index.docker.io`, `registry-1.docker.io` and `docker.io` are one registry. */
export function normaliseHost(host: string): string {
  const h = host.trim().toLowerCase().replace(/^https?:\/\//, '').replace(/\/+$/, '');
  return h === 'index.docker.io' || h === 'registry-1.docker.io' || h === 'registry.hub.docker.com' ? 'docker.io' : h;
}
