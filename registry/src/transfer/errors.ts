/**
 * Why an import or export was refused. `code` is stable (GUI, drop-folder reports, tests); the message
 * names the entry or digest at fault. Nothing has been made visible when one of these is thrown.
 */
export type TransferErrorCode =
  | 'UNSAFE_PATH' // absolute path, `..`, NUL or backslash in an entry name
  | 'LINK_REFUSED' // symlink or hard link where the format has no use for one, or pointing outside the archive
  | 'ENTRY_TYPE' // device, fifo or other special file
  | 'DUPLICATE_ENTRY'
  | 'TRUNCATED'
  | 'DIGEST_MISMATCH'
  | 'SIZE_MISMATCH'
  | 'MISSING_CONTENT' // a manifest points at a blob or manifest that is neither in the archive nor in the registry
  | 'TOO_LARGE' // decompression bomb, absurd entry size, more than the disk can take
  | 'FORMAT' // not a Berth bundle, OCI layout or Docker archive; malformed JSON
  | 'NAME' // reference name that cannot become repository:tag
  | 'TOOL' // zstd missing or failing
  | 'INPUT'; // file not found, parts missing

export class TransferError extends Error {
  constructor(
    readonly code: TransferErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'TransferError';
  }
}

export function isTransferError(e: unknown): e is TransferError {
  return e instanceof TransferError;
}
