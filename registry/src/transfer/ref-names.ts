import { isValidRepositoryName, isValidTag } from '../oci/reference.js';
import { TransferError } from './errors.js';

export interface RepoTag {
  repository: string;
  tag: string;
}

/**
 * Turns a reference name found in an archive into repository:tag in this registry:
 * - `team/app:v1` as is; a registry host in front (`docker.io/`, `ghcr.io/`, `host:5000/`) is dropped;
 * - a bare tag (`v1`, as skopeo's `oci-archive:FILE:v1` writes it) goes into `defaultRepository`;
 * - `@digest` suffixes are ignored (the digest is the manifest's own).
 */
export function parseRefName(ref: string, defaultRepository: string | undefined): RepoTag {
  let r = ref.trim();
  const at = r.indexOf('@');
  if (at >= 0) r = r.slice(0, at);
  const slash = r.lastIndexOf('/');
  const colon = r.lastIndexOf(':');
  let repository: string;
  let tag: string;
  if (slash < 0 && colon < 0) {
    if (defaultRepository === undefined) {
      throw new TransferError('NAME', `reference "${ref}" names only a tag; say which repository it goes to (--repository NAME)`);
    }
    repository = defaultRepository;
    tag = r;
  } else if (colon > slash) {
    repository = r.slice(0, colon);
    tag = r.slice(colon + 1);
  } else {
    repository = r;
    tag = 'latest';
  }
  const parts = repository.split('/');
  if (parts.length > 1 && (parts[0]!.includes('.') || parts[0]!.includes(':') || parts[0] === 'localhost')) parts.shift();
  repository = parts.join('/');
  if (!isValidRepositoryName(repository)) throw new TransferError('NAME', `reference "${ref}": "${repository}" is not a valid repository name`);
  if (!isValidTag(tag)) throw new TransferError('NAME', `reference "${ref}": "${tag}" is not a valid tag`);
  return { repository, tag };
}
