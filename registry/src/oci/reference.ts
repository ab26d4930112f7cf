import { DomainError } from '../errors.js';

// Grammar from the OCI distribution spec (v1.1), section "Pulling manifests".
const componentPattern = '[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*';
const namePattern = new RegExp(`^${componentPattern}(?:/${componentPattern})*$`);
const tagPattern = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;

export const MAX_NAME_LENGTH = 255;

export function isValidRepositoryName(name: string): boolean {
  return name.length > 0 && name.length <= MAX_NAME_LENGTH && namePattern.test(name);
}

export function assertRepositoryName(name: string): void {
  if (!isValidRepositoryName(name)) {
    throw new DomainError('NAME_INVALID', `invalid repository name: ${name.slice(0, 300)}`);
  }
}

export function isValidTag(tag: string): boolean {
  return tagPattern.test(tag);
}

export function assertTag(tag: string): void {
  if (!isValidTag(tag)) throw new DomainError('TAG_INVALID', `invalid tag: ${tag.slice(0, 200)}`);
}

/** The project is the first path component; single-component names live in `library`. */
export function projectOf(name: string): string {
  const i = name.indexOf('/');
  return i === -1 ? 'library' : name.slice(0, i);
}
