import type * as Undici from 'undici';

let loading: Promise<typeof Undici> | undefined;

/**
 * undici, loaded on the first request to a remote. It costs ~20 MB of resident memory (and, once loaded,
 * becomes the process's fetch dispatcher): an edge Berth that never proxies or replicates should not pay
 * for it, and a push's peak memory stays lower.
 */
export function undici(): Promise<typeof Undici> {
  return (loading ??= import('undici'));
}
