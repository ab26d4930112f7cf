import type { BerthConfig } from './schema.js';
import type { RemoteRegistryService } from '../upstream/remote-registries.js';
import type { ProxyProjectService } from '../proxy/proxy-projects.js';
import type { ReplicationService } from '../replication/replication-service.js';

/*
 * The one step that makes the database agree with the config file's `registries:`, `proxies:` and
 * `replication:` (issue 12). Only `berth serve` (at start) and `berth config apply` call it; no other command
 * touches config-owned definitions. Rules (config/ownership.ts):
 * - what the file declares is created, updated or attached again, and owned by the file (source 'file');
 * - a registry or proxy project the file no longer declares is detached, never deleted: the proxy cache stays,
 *   served read-only, until an admin deletes it; a dropped replication rule (no content) is removed;
 * - a name the admin API owns, or a proxy project whose name is a local project holding pushed images, is
 *   refused and reported; the rest of the file still applies. Reconciling never throws for one entry.
 */

export interface ReconcileReport {
  /** What this run changed, one sentence each (`proxy project hub added`). */
  changed: string[];
  /** Declared and already as declared. */
  kept: string[];
  /** Declared but not applied, with the reason. */
  refused: string[];
}

export interface ReconcileDeps {
  remotes: RemoteRegistryService;
  proxies: ProxyProjectService;
  replication: ReplicationService;
}

type Declared = Pick<BerthConfig, 'registries' | 'proxies' | 'replication'>;

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const apiOwned = (what: string) => `${what}: a definition of that name was made in the GUI or admin API; delete it there to let the config file define it`;

export function reconcileConfig(deps: ReconcileDeps, file: Declared): ReconcileReport {
  const report: ReconcileReport = { changed: [], kept: [], refused: [] };
  const { remotes, proxies, replication } = deps;
  const attempt = (what: string, fn: () => void) => {
    try {
      fn();
    } catch (e) {
      report.refused.push(`${what}: ${e instanceof Error ? e.message : String(e)}`);
    }
  };

  // Registries first: proxy projects and rules refer to them.
  const appliedRegistries = new Set<string>();
  /** Why a declared entry is not even tried: its name is owned by the API, or the registry it uses was not applied. */
  const refusal = (what: string, existing: { source: string } | undefined, registry?: string): string | undefined => {
    if (existing && existing.source !== 'file') return apiOwned(what);
    if (registry !== undefined && !appliedRegistries.has(registry)) return `${what}: its registry ${registry} was not applied`;
    return undefined;
  };
  for (const d of file.registries) {
    const what = `registry ${d.name}`;
    const existing = remotes.get(d.name);
    const why = refusal(what, existing);
    if (why) {
      report.refused.push(why);
      continue;
    }
    attempt(what, () => {
      if (!existing) {
        remotes.declare(d);
        report.changed.push(`${what} added`);
      } else {
        const { source: _s, detached, createdAt: _c, updatedAt: _u, ...spec } = existing;
        if (!detached && same(spec, d)) report.kept.push(what);
        else {
          remotes.declare(d);
          report.changed.push(detached ? `${what} declared again (attached)` : `${what} updated`);
        }
      }
      appliedRegistries.add(d.name);
    });
  }

  // Dropped proxy projects are detached before declared ones are applied, so a mirror host can move between them.
  const declaredProjects = new Set(file.proxies.map((p) => p.project));
  for (const p of proxies.list()) {
    if (p.source === 'file' && !p.detached && !declaredProjects.has(p.project)) {
      proxies.detach(p.project);
      report.changed.push(`proxy project ${p.project} detached: no longer in the config file; its cache is kept, read-only, until an admin deletes it`);
    }
  }
  for (const d of file.proxies) {
    const what = `proxy project ${d.project}`;
    const existing = proxies.get(d.project);
    const why = refusal(what, existing, d.registry);
    if (why) {
      report.refused.push(why);
      continue;
    }
    attempt(what, () => {
      if (!existing) {
        proxies.declare(d);
        report.changed.push(`${what} added`);
        return;
      }
      const { source: _s, detached, createdAt: _c, updatedAt: _u, ...spec } = existing;
      if (!detached && same(spec, d)) return void report.kept.push(what);
      proxies.declare(d);
      report.changed.push(detached ? `${what} declared again (attached; proxying resumes)` : `${what} updated`);
    });
  }

  const declaredRegistries = new Set(file.registries.map((r) => r.name));
  for (const r of remotes.list()) {
    if (r.source === 'file' && !r.detached && !declaredRegistries.has(r.name)) {
      remotes.detach(r.name);
      report.changed.push(`registry ${r.name} detached: no longer in the config file; kept, read-only, until an admin deletes it`);
    }
  }

  const declaredRules = new Set(file.replication.map((r) => r.name));
  for (const v of replication.list()) {
    if (v.source !== 'file' || declaredRules.has(v.rule.name)) continue;
    if (replication.undeclare(v.rule.name)) report.changed.push(`replication rule ${v.rule.name} removed: no longer in the config file`);
    else report.refused.push(`replication rule ${v.rule.name}: no longer in the config file but running; it is removed at the next apply`);
  }
  for (const d of file.replication) {
    const what = `replication rule ${d.name}`;
    const existing = replication.list().find((v) => v.rule.name === d.name);
    const why = refusal(what, existing, d.registry);
    if (why) {
      report.refused.push(why);
      continue;
    }
    attempt(what, () => {
      if (existing && same(existing.rule, d)) return void report.kept.push(what);
      replication.declare(d);
      report.changed.push(`${what} ${existing ? 'updated' : 'added'}`);
    });
  }
  return report;
}

/** The report as lines for people (the serve banner, `berth config apply`); unchanged entries are counted only. */
export function formatReconcileReport(r: ReconcileReport): string[] {
  return [
    `config file: ${r.changed.length} changed, ${r.kept.length} unchanged, ${r.refused.length} not applied`,
    ...r.changed.map((c) => `  changed: ${c}`),
    ...r.refused.map((c) => `  NOT APPLIED: ${c}`),
  ];
}
