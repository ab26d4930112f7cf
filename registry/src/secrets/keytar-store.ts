import { createHash } from 'node:crypto';
import { assertSecretName, type SecretStore } from './secret-store.js';

/** The part of keytar's API we use (the module is optional and not a dependency). */
interface Keytar {
  getPassword(service: string, account: string): Promise<string | null>;
  setPassword(service: string, account: string, password: string): Promise<void>;
  deletePassword(service: string, account: string): Promise<boolean>;
  findCredentials(service: string): Promise<{ account: string; password: string }[]>;
}

/** OS keychain (libsecret, macOS Keychain, Windows Credential Manager) through keytar. */
export class KeytarSecretStore implements SecretStore {
  readonly kind = 'keychain';

  constructor(
    private readonly keytar: Keytar,
    /** One keychain service per data folder, so two Berth instances on one machine keep apart. */
    private readonly service: string,
  ) {}

  get(name: string): Promise<string | undefined> {
    assertSecretName(name);
    return this.keytar.getPassword(this.service, name).then((v) => v ?? undefined);
  }

  set(name: string, value: string): Promise<void> {
    assertSecretName(name);
    return this.keytar.setPassword(this.service, name, value);
  }

  delete(name: string): Promise<boolean> {
    assertSecretName(name);
    return this.keytar.deletePassword(this.service, name);
  }

  async list(): Promise<string[]> {
    return (await this.keytar.findCredentials(this.service)).map((c) => c.account).sort();
  }
}

export function keychainService(dataDir: string): string {
  return `berth-${createHash('sha256').update(dataDir).digest('hex').slice(0, 12)}`;
}

/**
 * keytar when the module loads and a keyring answers within a moment; undefined otherwise (headless
 * servers have no keyring: the encrypted file is used there).
 */
export async function loadKeytar(dataDir: string, probeMs = 2000): Promise<KeytarSecretStore | undefined> {
  let mod: unknown;
  try {
    // A variable specifier keeps TypeScript and bundlers from requiring the optional module.
    const specifier = 'keytar';
    mod = await import(specifier);
  } catch {
    return undefined;
  }
  const k = ((mod as { default?: Keytar }).default ?? mod) as Keytar;
  if (typeof k.findCredentials !== 'function') return undefined;
  const service = keychainService(dataDir);
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      k.findCredentials(service),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('keyring did not answer')), probeMs);
      }),
    ]);
    return new KeytarSecretStore(k, service);
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}
