import { EncryptedFileSecretStore } from './encrypted-file-store.js';
import { loadKeytar } from './keytar-store.js';
import { SecretStoreError, type SecretStore } from './secret-store.js';

export * from './secret-store.js';
export { EncryptedFileSecretStore } from './encrypted-file-store.js';

export interface SecretStoreOptions {
  /** The data folder (keychain service name) and its secrets/ folder (encrypted file). */
  dataDir: string;
  secretsDir: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * Chooses the backend. BERTH_SECRET_BACKEND=file|keychain|auto (default auto: the OS keychain when keytar
 * loads and a keyring answers, else the encrypted file). The desktop app passes its safeStorage store to the
 * server directly instead.
 */
export async function openSecretStore(opts: SecretStoreOptions): Promise<SecretStore> {
  const env = opts.env ?? process.env;
  const backend = env.BERTH_SECRET_BACKEND || 'auto';
  const file = () => new EncryptedFileSecretStore(opts.secretsDir, env.BERTH_SECRET_KEY || undefined);
  if (backend === 'file') return file();
  if (backend !== 'auto' && backend !== 'keychain') {
    throw new SecretStoreError(`BERTH_SECRET_BACKEND must be file, keychain or auto, not ${backend}`);
  }
  const keychain = await loadKeytar(opts.dataDir);
  if (keychain) return keychain;
  if (backend === 'keychain') throw new SecretStoreError('BERTH_SECRET_BACKEND=keychain, but keytar did not load or no keyring answered');
  return file();
}

/** A SecretStore whose backend is chosen on first use (the choice is async; constructors are not). */
export function lazySecretStore(open: () => Promise<SecretStore>): SecretStore {
  let store: Promise<SecretStore> | undefined;
  const s = () => (store ??= open());
  return {
    get kind() {
      return 'lazy';
    },
    get: async (name) => (await s()).get(name),
    set: async (name, value) => (await s()).set(name, value),
    delete: async (name) => (await s()).delete(name),
    list: async () => (await s()).list(),
  };
}
