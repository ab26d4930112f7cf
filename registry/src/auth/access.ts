import type { Role } from '../meta/users.js';

export type Action = 'pull' | 'push' | 'delete' | '*';

/** A resource scope as Docker token auth spells it: `repository:library/alpine:pull,push`. */
export interface AccessScope {
  type: 'repository' | 'registry';
  name: string;
  actions: Action[];
}

const knownActions = new Set(['pull', 'push', 'delete', '*']);

/** Parses one `scope` parameter (which may hold several space-separated scopes). Unknown parts are dropped. */
export function parseScopes(raw: string): AccessScope[] {
  const out: AccessScope[] = [];
  for (const part of raw.split(' ')) {
    if (!part) continue;
    const first = part.indexOf(':');
    const last = part.lastIndexOf(':');
    if (first < 0 || last === first) continue;
    // A resource type may carry a class in parentheses (`repository(plugin)`); the class is ignored.
    const type = part.slice(0, first).replace(/\(.*\)$/, '');
    if (type !== 'repository' && type !== 'registry') continue;
    const name = part.slice(first + 1, last);
    const actions = part
      .slice(last + 1)
      .split(',')
      .filter((a): a is Action => knownActions.has(a));
    out.push({ type, name, actions });
  }
  return out;
}

export function formatScope(s: AccessScope): string {
  return `${s.type}:${s.name}:${s.actions.join(',')}`;
}

export interface Principal {
  username: string | undefined;
  role: Role | undefined;
}

export const anonymousPrincipal: Principal = { username: undefined, role: undefined };

export interface ProjectInfo {
  isPublic(project: string): boolean;
  /** Proxy projects refuse client writes (their content comes from upstream). */
  isReadOnly(project: string): boolean;
}

/**
 * Decides what a principal may do. Role-based for now: admin everything; developer pull, push and delete;
 * guest pull; anonymous pull on public projects. Per-project membership is a later milestone.
 */
export class AccessPolicy {
  constructor(private readonly projects: ProjectInfo, private readonly projectOf: (repo: string) => string) {}

  granted(p: Principal, scope: AccessScope): Action[] {
    if (scope.type === 'registry') {
      // Every signed-in user may list repositories; all roles can pull every project today.
      return scope.name === 'catalog' && p.role !== undefined ? scope.actions.filter((a) => a === '*') : [];
    }
    const allowed = new Set<Action>();
    const project = this.projectOf(scope.name);
    if (p.role === 'admin') {
      allowed.add('pull').add('push').add('delete').add('*');
    } else if (p.role === 'developer') {
      allowed.add('pull').add('push').add('delete');
    } else if (p.role === 'guest') {
      allowed.add('pull');
    } else if (this.projects.isPublic(project)) {
      allowed.add('pull');
    }
    // Writes into read-only projects are refused at the registry layer with a precise error, not here:
    // a client that asked for push must still get a token good for pull.
    return scope.actions.filter((a) => allowed.has(a));
  }

  may(p: Principal, type: AccessScope['type'], name: string, action: Action): boolean {
    return this.granted(p, { type, name, actions: [action] }).includes(action);
  }
}
