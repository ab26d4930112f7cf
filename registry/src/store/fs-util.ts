import fs from 'node:fs';
import { RegistryError } from '../oci/errors.js';

/** fsync a directory so that a rename inside it survives a power loss. */
export function fsyncDirSync(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Some filesystems refuse fsync on directories; the rename is still atomic.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** Maps filesystem errors that a client should hear about to registry errors. */
export function storageError(e: unknown): unknown {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new RegistryError('STORAGE_FULL', 'the registry storage is full; nothing was stored');
  }
  return e;
}
