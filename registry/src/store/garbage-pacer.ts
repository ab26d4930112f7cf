import v8 from 'node:v8';
import vm from 'node:vm';

/*
 * Request bodies arrive as 64 KiB buffers that are garbage as soon as they are on disk. V8 frees them only
 * after tens of MiB have piled up (its external-memory heuristic), and the C allocator keeps those pages, so
 * one large push would raise the process's RSS by that much for good (measured: +35-65 MiB for a 1 GiB push,
 * with the peak varying run to run). Asking for a young-generation collection every few MiB streamed keeps
 * the pile small; scavenging a nearly empty young generation costs well under a millisecond.
 *
 * Process-wide on purpose: the pile is the process's, whichever upload fed it.
 */

const EVERY_BYTES = 8 * 1024 * 1024;
let pending = 0;
let minorGc: (() => void) | undefined;
let resolved = false;

function collector(): (() => void) | undefined {
  if (!resolved) {
    resolved = true;
    try {
      // `gc` exists only with --expose-gc; setting the flag now exposes it to contexts created afterwards.
      v8.setFlagsFromString('--expose-gc');
      const gc = vm.runInNewContext('gc') as ((opts?: { type: 'minor' | 'major' }) => void) | undefined;
      if (typeof gc === 'function') minorGc = () => gc({ type: 'minor' });
    } catch {
      minorGc = undefined; // not available: memory is merely less tight, nothing breaks
    }
  }
  return minorGc;
}

/** Counts streamed bytes; every few MiB, collects the young generation. */
export function noteStreamedBytes(n: number): void {
  pending += n;
  if (pending < EVERY_BYTES) return;
  pending = 0;
  collector()?.();
}
