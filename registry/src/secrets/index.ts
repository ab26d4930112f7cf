import fs from 'node:fs';
import path from 'node:path';
import { EncryptedFileSecretStore } from './encrypted-file-store.js';
import { probeKeychain } from './keychain-store.js';
import { SecretStoreError, type SecretStore } from './secret-store.js';

export * from './secret-store.js';
export { EncryptedFileSecretStore } from './encrypted-file-store.js';
export { KeychainSecretStore, keychainService, probeKeychain } from './keychain-store.js';

export interface SecretStoreOptions {
  /** The data folder (keychain service name) and its secrets/ folder (encrypted file). */
  dataDir: string;
  secretsDir: string;
  env?: NodeJS.ProcessEnv;
  /** Where the one fallback notice goes (default: standard error). */
  warn?: (message: string) => void;
}

export type Backend = 'file' | 'keychain';

/**
 * `<data>/secrets/backend` records the backend `berth secret migrate` moved the secrets to. Only "file" changes
 * the choice: after a migration to the file, a keychain that answers again must not hide the secrets (its items
 * were deleted); after one to the keychain, auto already prefers it.
 */
function pinnedBackend(secretsDir: string): string | undefined {
  try {
    return fs.readFileSync(path.join(secretsDir, 'backend'), 'utf8').trim() || undefined;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

export function pinBackend(secretsDir: string, backend: Backend): void {
  const file = path.join(secretsDir, 'backend');
  if (backend === 'keychain') {
    fs.rmSync(file, { force: true });
    return;
  }
  fs.mkdirSync(secretsDir, { recursive: true, mode: 0o700 });
  fs.writeFileSync(file, `${backend}\n`, { mode: 0o600 });
}

/** Each reason for the fallback is said once per process, not every time a server or command opens the store. */
const fallbackSaid = new Set<string>();

/**
 * Chooses the backend. BERTH_SECRET_BACKEND=file|keychain|auto, else what `berth secret migrate` pinned, else
 * auto: the OS keychain when the module loads and the keyring answers (unlocked), else the encrypted file,
 * saying once why. The desktop app passes its safeStorage store to the server directly instead.
 */
export async function openSecretStore(opts: SecretStoreOptions): Promise<SecretStore> {
  const env = opts.env ?? process.env;
  const backend = env.BERTH_SECRET_BACKEND || pinnedBackend(opts.secretsDir) || 'auto';
  if (backend !== 'auto' && backend !== 'keychain' && backend !== 'file') {
    throw new SecretStoreError(`BERTH_SECRET_BACKEND must be file, keychain or auto, not ${backend}`);
  }
  if (backend !== 'auto') return openBackend(backend, opts);
  const probe = await probeKeychain(opts.dataDir);
  if ('store' in probe) return probe.store;
  const notice = `OS keychain not used (${probe.unavailable}); secrets are kept in the encrypted file ${path.join(opts.secretsDir, 'secrets.json')}`;
  if (!fallbackSaid.has(notice)) {
    fallbackSaid.add(notice);
    (opts.warn ?? ((m: string) => process.stderr.write(`berth: ${m}\n`)))(notice);
  }
  return fileStore(opts);
}

function fileStore(opts: SecretStoreOptions): EncryptedFileSecretStore {
  const env = opts.env ?? process.env;
  return new EncryptedFileSecretStore(opts.secretsDir, env.BERTH_SECRET_KEY || undefined);
}

/** One backend, no fallback: a keychain that cannot be used is an error naming why. */
export async function openBackend(backend: Backend, opts: SecretStoreOptions): Promise<SecretStore> {
  if (backend === 'file') return fileStore(opts);
  const probe = await probeKeychain(opts.dataDir);
  if ('store' in probe) return probe.store;
  throw new SecretStoreError(`the OS keychain cannot be used: ${probe.unavailable}`);
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

/**
 * Moves every secret to `to`: each is copied and read back from the destination before any source item is
 * deleted, so an interruption leaves every secret in at least one backend. Pins the choice (pinBackend).
 */
export async function migrateSecrets(from: SecretStore, to: SecretStore, pin: () => void): Promise<string[]> {
  const names = await from.list();
  for (const name of names) {
    const value = await from.get(name);
    if (value === undefined) throw new SecretStoreError(`${name} vanished from the ${from.kind} store during the migration; nothing was deleted`);
    await to.set(name, value);
    if ((await to.get(name)) !== value) throw new SecretStoreError(`${name} did not read back from the ${to.kind} store; nothing was deleted`);
  }
  pin();
  for (const name of names) await from.delete(name);
  return names;
}
