import { createHash, type Hash } from 'node:crypto';
import { DomainError } from '../errors.js';

export type DigestAlgorithm = 'sha256' | 'sha512';

export interface Digest {
  readonly algorithm: DigestAlgorithm;
  readonly hex: string;
  /** `algorithm:hex`, the canonical string form. */
  readonly value: string;
}

const hexLength: Record<DigestAlgorithm, number> = { sha256: 64, sha512: 128 };
// The spec's grammar allows other algorithms; we only accept registered ones we can verify.
const digestPattern = /^([a-z0-9]+(?:[+._-][a-z0-9]+)*):([a-zA-Z0-9=_-]+)$/;

export function isDigestAlgorithm(a: string): a is DigestAlgorithm {
  return a === 'sha256' || a === 'sha512';
}

/** Parses and validates a digest string; throws DIGEST_INVALID (or UNSUPPORTED for unknown algorithms). */
export function parseDigest(input: string): Digest {
  const m = digestPattern.exec(input);
  if (!m) throw new DomainError('DIGEST_INVALID', `invalid digest: ${truncate(input)}`);
  const algorithm = m[1]!;
  const hex = m[2]!;
  if (!isDigestAlgorithm(algorithm)) {
    throw new DomainError('DIGEST_INVALID', `unsupported digest algorithm: ${truncate(algorithm)}`);
  }
  if (hex.length !== hexLength[algorithm] || !/^[a-f0-9]+$/.test(hex)) {
    throw new DomainError('DIGEST_INVALID', `invalid ${algorithm} digest: ${truncate(input)}`);
  }
  return { algorithm, hex, value: `${algorithm}:${hex}` };
}

export function tryParseDigest(input: string): Digest | undefined {
  try {
    return parseDigest(input);
  } catch {
    return undefined;
  }
}

export function looksLikeDigest(ref: string): boolean {
  return ref.includes(':');
}

export function newHasher(algorithm: DigestAlgorithm): Hash {
  return createHash(algorithm);
}

export function digestOf(data: Uint8Array | string, algorithm: DigestAlgorithm = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(data).digest('hex')}`;
}

function truncate(s: string): string {
  return s.length > 150 ? `${s.slice(0, 150)}…` : s;
}
