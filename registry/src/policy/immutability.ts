import { DomainError } from '../errors.js';
import type { Meta } from '../meta/index.js';
import type { ImmutabilityRuleRow } from '../meta/immutability.js';
import type { EventBus } from '../events/event-bus.js';
import type { Actor } from '../registry/context.js';
import type { DeleteGuard, ManifestGuard } from '../registry/manifest-service.js';
import type { BlobDeleteGuard } from '../registry/blob-service.js';
import { PolicyError } from './errors.js';
import { isReferrersTag, matcher, pathInProject, patternProblem, projectOf } from './patterns.js';
import { requireProject } from './projects.js';

export type ImmutabilityRule = ImmutabilityRuleRow;

export interface NewImmutabilityRule {
  repositories: string;
  tags: string;
  allowReferrers?: boolean;
}

/** An immutable tag and the rule that makes it so. */
interface Protector {
  tag: string;
  rule: ImmutabilityRule;
}

/**
 * Tag immutability, as Harbor has it: a tag matched by a rule of its project, once it exists, keeps pointing
 * at the same manifest. Pushing it again with the same digest is fine; moving it to another digest, deleting
 * the tag, or deleting a manifest such a tag points at is refused with DENIED naming the rule.
 *
 * The tag protects everything it reaches, or an immutable release could be hollowed out from below: the
 * children of an index, the referrers attached to any of these (signatures, SBOMs, and theirs) and the blobs
 * all of them use. Deleting any of it by digest is refused, and so is pushing a new referrer of it unless
 * every rule protecting it allows referrers (`allowReferrers`: signing or attaching an SBOM after release).
 * Referrers are append-only: once attached they are protected like the rest. The guards answer by walking up
 * from the digest at hand (index parents, users of a blob, a referrer's subject) to the tags above it, so a
 * check costs the ancestors of one digest, not the closure of every tag.
 *
 * The guards run for every entry point through the registry service: client pushes, offline imports,
 * replication into this Berth (the task fails, as in Harbor) and retention. Proxy projects take no rules (a
 * cache follows upstream).
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
    const row = this.meta.immutability.insert(project, rule.repositories, rule.tags, rule.allowReferrers ?? false);
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
    return this.matching(repository, tag)[0];
  }

  /** Every rule that makes `repository:tag` immutable. */
  private matching(repository: string, tag: string): ImmutabilityRule[] {
    if (isReferrersTag(tag)) return [];
    const rules = this.list(projectOf(repository));
    if (rules.length === 0) return [];
    const path = pathInProject(repository);
    return rules.filter((r) => matcher(r.repositories)(path) && matcher(r.tags)(tag));
  }

  /**
   * ManifestService guard: a push (or import) that would move an existing immutable tag, or add a referrer to
   * protected content when a rule protecting it does not allow referrers.
   */
  readonly pushGuard: ManifestGuard = ({ repository, tag, digest, subject, existingTagDigest }) => {
    if (tag !== undefined && existingTagDigest !== undefined && existingTagDigest !== digest) {
      const rule = this.protecting(repository, tag);
      if (rule) {
        throw new DomainError('DENIED', `tag ${repository}:${tag} is immutable (${describe(rule)}): it stays at ${existingTagDigest}; push under a new tag`, {
          repository,
          tag,
          rule: rule.id,
        });
      }
    }
    if (subject === undefined) return;
    const repo = this.meta.repositories.get(repository);
    // A referrer already attached is no change (a re-push); only new ones are asked about.
    if (!repo || this.meta.manifests.get(repo.id, digest)) return;
    for (const p of this.protectors(repo.id, repository, subject)) {
      if (p.rule.allowReferrers) continue;
      throw new DomainError(
        'DENIED',
        `tag ${repository}:${p.tag} is immutable (${describe(p.rule)}) and the rule does not allow adding referrers: ${digest} names ${subject}, which the tag protects, as its subject`,
        { repository, tag: p.tag, rule: p.rule.id },
      );
    }
  };

  /** ManifestService guard: deleting an immutable tag, or a manifest an immutable tag points at or reaches. */
  readonly deleteGuard: DeleteGuard = ({ repository, digest, tag: named, tags }) => {
    for (const tag of tags) {
      const rule = this.protecting(repository, tag);
      if (!rule) continue;
      const what = named !== undefined ? `tag ${repository}:${tag}` : `manifest ${digest} of ${repository} is tagged ${tag}, which`;
      throw new DomainError('DENIED', `${what} is immutable (${describe(rule)}) and cannot be deleted`, { repository, tag, rule: rule.id });
    }
    // Deleting a tag leaves the manifest; deleting the manifest must not take what an immutable tag reaches.
    if (named === undefined) this.refuseIfReached(repository, 'manifest', digest);
  };

  /** BlobService guard: unlinking a blob that content an immutable tag reaches uses. */
  readonly blobDeleteGuard: BlobDeleteGuard = ({ repository, digest }) => {
    this.refuseIfReached(repository, 'blob', digest);
  };

  private refuseIfReached(repository: string, kind: 'manifest' | 'blob', digest: string): void {
    const repo = this.meta.repositories.get(repository);
    if (!repo) return;
    for (const p of this.protectors(repo.id, repository, digest)) {
      throw new DomainError(
        'DENIED',
        `${kind} ${digest} of ${repository} is part of tag ${repository}:${p.tag}, which is immutable (${describe(p.rule)}), and cannot be deleted`,
        { repository, tag: p.tag, rule: p.rule.id },
      );
    }
  }

  /**
   * The immutable tags (once per rule making them so) whose content includes `digest`, nearest first: the tags of `digest` itself and of every
   * manifest above it (indexes listing it, manifests using it as a blob, the subject of a referrer), walked
   * breadth first over the repository's rows. Lazy, so a refusal stops at the first one found.
   */
  private *protectors(repoId: number, repository: string, digest: string): Generator<Protector> {
    if (this.list(projectOf(repository)).length === 0) return;
    const seen = new Set<string>([digest]);
    const queue = [digest];
    for (let i = 0; i < queue.length; i++) {
      const d = queue[i]!;
      for (const tag of this.meta.manifests.tagsOf(repoId, d)) {
        for (const rule of this.matching(repository, tag)) yield { tag, rule };
      }
      const above = this.meta.manifests.parents(repoId, d);
      const subject = this.meta.manifests.get(repoId, d)?.subject;
      if (subject) above.push(subject);
      for (const u of above) {
        if (seen.has(u)) continue;
        seen.add(u);
        queue.push(u);
      }
    }
  }
}

/** How a rule is named in errors and the audit log. */
export function describe(rule: ImmutabilityRule): string {
  return `immutability rule #${rule.id} of project ${rule.project}: repositories "${rule.repositories}", tags "${rule.tags}"${rule.allowReferrers ? ', referrers allowed' : ''}`;
}
