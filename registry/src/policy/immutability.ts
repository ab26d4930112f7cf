import { RegistryError } from '../oci/errors.js';
import type { Meta } from '../meta/index.js';
import type { ImmutabilityRuleRow } from '../meta/immutability.js';
import type { EventBus } from '../events/event-bus.js';
import type { Actor } from '../registry/context.js';
import type { DeleteGuard, ManifestGuard } from '../registry/manifest-service.js';
import { PolicyError } from './errors.js';
import { isReferrersTag, matcher, pathInProject, patternProblem, projectOf } from './patterns.js';
import { requireProject } from './projects.js';

export type ImmutabilityRule = ImmutabilityRuleRow;

export interface NewImmutabilityRule {
  repositories: string;
  tags: string;
}

/**
 * Tag immutability, as Harbor has it: a tag matched by a rule of its project, once it exists, keeps pointing
 * at the same manifest. Pushing it again with the same digest is fine; moving it to another digest, deleting
 * the tag, or deleting a manifest such a tag points at is refused with DENIED naming the rule. The guards run
 * for every entry point through the registry service: client pushes, offline imports, replication into this
 * Berth (the task fails, as in Harbor) and retention. Proxy projects take no rules (a cache follows upstream).
 */
export class ImmutabilityService {
  /** Rules per project, read once and dropped when they change (every change goes through this service). */
  private readonly cache = new Map<string, ImmutabilityRule[]>();

  constructor(
    private readonly meta: Meta,
    private readonly events: EventBus,
  ) {}

  /** The project's rules (the project must exist). */
  rules(project: string): ImmutabilityRule[] {
    requireProject(this.meta.repositories, project);
    return this.list(project);
  }

  private list(project: string): ImmutabilityRule[] {
    let rules = this.cache.get(project);
    if (!rules) {
      rules = this.meta.immutability.list(project);
      this.cache.set(project, rules);
    }
    return rules;
  }

  add(project: string, rule: NewImmutabilityRule, actor: Actor): ImmutabilityRule {
    requireProject(this.meta.repositories, project, { localOnly: 'a proxy cache follows its upstream, so its tags cannot be immutable' });
    for (const [field, value] of [['repositories', rule.repositories], ['tags', rule.tags]] as const) {
      const problem = patternProblem(value);
      if (problem) throw new PolicyError('invalid', `${field} ${problem}`);
    }
    if (this.list(project).some((r) => r.repositories === rule.repositories && r.tags === rule.tags)) {
      throw new PolicyError('conflict', `project ${project} already has this rule`);
    }
    const row = this.meta.immutability.insert(project, rule.repositories, rule.tags);
    this.cache.delete(project);
    this.events.emit('policy.changed', { project, policy: 'immutability', change: `added rule #${row.id} (${describe(row)})`, actor: actor.username });
    return row;
  }

  remove(project: string, id: number, actor: Actor): void {
    requireProject(this.meta.repositories, project);
    if (!this.meta.immutability.delete(project, id)) throw new PolicyError('not_found', `project ${project} has no immutability rule #${id}`);
    this.cache.delete(project);
    this.events.emit('policy.changed', { project, policy: 'immutability', change: `removed rule #${id}`, actor: actor.username });
  }

  /** The rule that makes `repository:tag` immutable, if one does. */
  protecting(repository: string, tag: string): ImmutabilityRule | undefined {
    if (isReferrersTag(tag)) return undefined;
    const rules = this.list(projectOf(repository));
    if (rules.length === 0) return undefined;
    const path = pathInProject(repository);
    return rules.find((r) => matcher(r.repositories)(path) && matcher(r.tags)(tag));
  }

  /** ManifestService guard: a push (or import) that would move an existing immutable tag. */
  readonly pushGuard: ManifestGuard = ({ repository, tag, digest, existingTagDigest }) => {
    if (tag === undefined || existingTagDigest === undefined || existingTagDigest === digest) return;
    const rule = this.protecting(repository, tag);
    if (!rule) return;
    throw new RegistryError('DENIED', `tag ${repository}:${tag} is immutable (${describe(rule)}): it stays at ${existingTagDigest}; push under a new tag`, {
      repository,
      tag,
      rule: rule.id,
    });
  };

  /** ManifestService guard: deleting an immutable tag, or a manifest an immutable tag points at. */
  readonly deleteGuard: DeleteGuard = ({ repository, digest, tag: named, tags }) => {
    for (const tag of tags) {
      const rule = this.protecting(repository, tag);
      if (!rule) continue;
      const what = named !== undefined ? `tag ${repository}:${tag}` : `manifest ${digest} of ${repository} is tagged ${tag}, which`;
      throw new RegistryError('DENIED', `${what} is immutable (${describe(rule)}) and cannot be deleted`, { repository, tag, rule: rule.id });
    }
  };
}

/** How a rule is named in errors and the audit log. */
export function describe(rule: ImmutabilityRule): string {
  return `immutability rule #${rule.id} of project ${rule.project}: repositories "${rule.repositories}", tags "${rule.tags}"`;
}
