import { createHash } from 'node:crypto';
import { assertSecretName, SecretStoreError, type SecretStore } from './secret-store.js';

/*
 * The OS keychain (Secret Service on Linux: GNOME Keyring, KWallet; macOS Keychain; Windows Credential Manager)
 * through @napi-rs/keyring, an optional dependency. keytar was the usual module but is archived, and on Linux it
 * crashes the process (SIGSEGV) when the keyring is locked and no unlock prompt can be shown, which is the normal
 * state of a headless machine; @napi-rs/keyring speaks the same Secret Service API and reports "is locked" as an
 * error, which is what the fallback to the encrypted file needs.
 */

type EntryOptions = { linux?: { store?: 'secret-service' | 'keyutils' } };

/** The part of @napi-rs/keyring's API Berth uses (the module is optional, so not imported by type). */
interface KeyringModule {
  AsyncEntry: new (
    service: string,
    account: string,
    options?: EntryOptions,
  ) => {
    setPassword(password: string): Promise<void>;
    deletePassword(): Promise<boolean>;
  };
  findCredentialsAsync(service: string): Promise<{ account: string; password: string }[]>;
}

/**
 * Pinned to the Secret Service on Linux: the module's default falls back to the kernel keyring, which forgets
 * everything at reboot and would lose upstream passwords silently.
 */
const entryOptions: EntryOptions = { linux: { store: 'secret-service' } };

export class KeychainSecretStore implements SecretStore {
  readonly kind = 'keychain';

  constructor(
    private readonly keyring: KeyringModule,
    /** One keychain service per data folder, so two Berth instances on one machine keep apart. */
    readonly service: string,
  ) {}

  /*
   * Reads go through a search of the service's items, not Entry.getPassword: on a keyring locked after Berth
   * started, getPassword answers "no such secret" while the search fails with "is locked", and a missing
   * upstream password must not be mistaken for an absent one.
   */
  async get(name: string): Promise<string | undefined> {
    assertSecretName(name);
    return (await this.all()).find((c) => c.account === name)?.password;
  }

  async set(name: string, value: string): Promise<void> {
    assertSecretName(name);
    await this.call(`storing ${name}`, () => new this.keyring.AsyncEntry(this.service, name, entryOptions).setPassword(value));
  }

  async delete(name: string): Promise<boolean> {
    assertSecretName(name);
    return this.call(`deleting ${name}`, () => new this.keyring.AsyncEntry(this.service, name, entryOptions).deletePassword());
  }

  async list(): Promise<string[]> {
    return (await this.all()).map((c) => c.account).sort();
  }

  private all(): Promise<{ account: string; password: string }[]> {
    return this.call('reading the keychain', () => this.keyring.findCredentialsAsync(this.service));
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw new SecretStoreError(`OS keychain (${this.service}): ${what} failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}

export function keychainService(dataDir: string): string {
  return `berth-${createHash('sha256').update(dataDir).digest('hex').slice(0, 12)}`;
}

/** The keychain, or why it cannot be used (module missing, no Secret Service, keyring locked, no answer). */
export type KeychainProbe = { store: KeychainSecretStore } | { unavailable: string };

/**
 * The keychain when the module loads and the keyring answers a search within a moment. A locked keyring fails
 * the search ("is locked"), a machine without a Secret Service fails to connect: both are reported, not thrown.
 */
export async function probeKeychain(dataDir: string, probeMs = 2000): Promise<KeychainProbe> {
  let mod: unknown;
  try {
    // A variable specifier keeps TypeScript and bundlers from requiring the optional module.
    const specifier = '@napi-rs/keyring';
    mod = await import(specifier);
  } catch {
    return { unavailable: 'the @napi-rs/keyring module is not installed' };
  }
  const k = ((mod as { default?: KeyringModule }).default ?? mod) as KeyringModule;
  if (typeof k.findCredentialsAsync !== 'function' || typeof k.AsyncEntry !== 'function') return { unavailable: '@napi-rs/keyring has an unexpected API' };
  const store = new KeychainSecretStore(k, keychainService(dataDir));
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      store.list(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`the keyring did not answer within ${probeMs} ms`)), probeMs);
      }),
    ]);
    return { store };
  } catch (e) {
    return { unavailable: e instanceof Error ? e.message : String(e) };
  } finally {
    clearTimeout(timer);
  }
}
