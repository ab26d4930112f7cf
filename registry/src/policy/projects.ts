import type { RepositoryTable } from '../meta/repositories.js';
import { PolicyError } from './errors.js';

/**
 * The project a policy is set on must exist (projects appear with their first push). Immutability and quotas
 * are refused on proxy projects: a cache mirrors its upstream's tags, and its size is bounded by the proxy's
 * own cache cap and TTL.
 */
export function requireProject(repositories: RepositoryTable, project: string, opts: { localOnly?: string } = {}): void {
  const p = repositories.project(project);
  if (!p) throw new PolicyError('project_not_found', `no project ${project}`);
  if (opts.localOnly && p.kind !== 'local') throw new PolicyError('invalid', `${project} is a ${p.kind} project: ${opts.localOnly}`);
}
