import { z } from 'zod';

/**
 * Where upstream passwords and tokens live. Three backends implement it: the OS keychain
 * (keychain-store.ts, @napi-rs/keyring, when the module loads and the keyring answers unlocked), Electron safeStorage (plugged in by the
 * desktop app through this same interface), and an AES-256-GCM encrypted file (encrypted-file-store.ts).
 * Values never appear in the config file, in the database or in logs; callers hold them only as long as a
 * request needs them.
 */
export interface SecretStore {
  /** Which backend answers: 'keychain', 'file', 'safe-storage', … (shown by `berth secret list`). */
  readonly kind: string;
  get(name: string): Promise<string | undefined>;
  set(name: string, value: string): Promise<void>;
  /** True when the secret existed. */
  delete(name: string): Promise<boolean>;
  /** Names only, sorted. */
  list(): Promise<string[]>;
}

/** Secret names: `registry:hq`, `replication/hq-token` … (no whitespace, no control characters). */
export const secretNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:/@-]{0,127}$/, 'a secret name is 1-128 letters, digits and . _ : / @ - (starting with a letter or digit)');

export function assertSecretName(name: string): void {
  secretNameSchema.parse(name);
}

/** The secret that holds a remote registry's password unless the registry names another. */
export function registryPasswordSecret(registry: string): string {
  return `registry:${registry}`;
}

export class SecretStoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretStoreError';
  }
}
