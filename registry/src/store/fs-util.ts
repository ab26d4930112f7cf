import fs from 'node:fs';
import { DomainError } from '../errors.js';

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

/** The disk (or the user's quota) is full: ENOSPC/EDQUOT from the filesystem, SQLITE_FULL from the database. */
export function isDiskFull(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT' || code === 'SQLITE_FULL';
}

/** Maps filesystem errors that a client should hear about to registry errors. */
export function storageError(e: unknown): unknown {
  if (isDiskFull(e)) {
    return new DomainError('STORAGE_FULL', 'the registry storage is full; nothing was stored');
  }
  return e;
}
