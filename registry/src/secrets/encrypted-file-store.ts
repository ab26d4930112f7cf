import fs from 'node:fs';
import path from 'node:path';
import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';
import { z } from 'zod';
import { assertSecretName, SecretStoreError, type SecretStore } from './secret-store.js';

/*
 * Secrets in one file, `<data>/secrets/secrets.json`, each value sealed with AES-256-GCM under its own random
 * IV and the secret's name as additional data (so a value cannot be moved to another name). The key is
 * BERTH_SECRET_KEY (64 hex characters are used as the key itself; anything else is stretched with scrypt and
 * a salt stored in the file), or else a random key in `<data>/secrets/key`, created with mode 0600 and
 * refused when anyone but the owner may read it. The file is re-read on every call so that `berth secret set`
 * takes effect in a running server, and rewritten through a temp file and rename.
 */

const fileSchema = z.object({
  version: z.literal(1),
  /** scrypt salt for a passphrase key (hex) */
  salt: z.string().regex(/^[0-9a-f]{32}$/),
  entries: z.record(z.string(), z.object({ iv: z.string(), tag: z.string(), data: z.string() })),
});
type SecretFile = z.infer<typeof fileSchema>;

export class EncryptedFileSecretStore implements SecretStore {
  readonly kind = 'file';
  private readonly file: string;
  private readonly keyFile: string;

  constructor(
    private readonly dir: string,
    private readonly envKey: string | undefined,
  ) {
    this.file = path.join(dir, 'secrets.json');
    this.keyFile = path.join(dir, 'key');
  }

  async get(name: string): Promise<string | undefined> {
    assertSecretName(name);
    const f = this.read();
    const e = f?.entries[name];
    if (!f || !e) return undefined;
    const key = this.key(f, false);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(e.iv, 'base64'));
      decipher.setAAD(Buffer.from(name, 'utf8'));
      decipher.setAuthTag(Buffer.from(e.tag, 'base64'));
      return Buffer.concat([decipher.update(Buffer.from(e.data, 'base64')), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretStoreError(`secret ${name} cannot be decrypted: BERTH_SECRET_KEY or ${this.keyFile} is not the key it was stored with`);
    }
  }

  async set(name: string, value: string): Promise<void> {
    assertSecretName(name);
    const f = this.read() ?? { version: 1 as const, salt: randomBytes(16).toString('hex'), entries: {} };
    const key = this.key(f, true);
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(name, 'utf8'));
    const data = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
    f.entries[name] = { iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64') };
    this.write(f);
  }

  async delete(name: string): Promise<boolean> {
    assertSecretName(name);
    const f = this.read();
    if (!f || !(name in f.entries)) return false;
    delete f.entries[name];
    this.write(f);
    return true;
  }

  async list(): Promise<string[]> {
    return Object.keys(this.read()?.entries ?? {}).sort();
  }

  private read(): SecretFile | undefined {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    const r = fileSchema.safeParse(JSON.parse(text));
    if (!r.success) throw new SecretStoreError(`${this.file} is not a Berth secret file`);
    return r.data;
  }

  private write(f: SecretFile): void {
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(f, null, 1), { mode: 0o600 });
    fs.renameSync(tmp, this.file);
  }

  private key(f: SecretFile, create: boolean): Buffer {
    if (this.envKey) {
      if (/^[0-9a-fA-F]{64}$/.test(this.envKey)) return Buffer.from(this.envKey, 'hex');
      return scryptSync(this.envKey, Buffer.from(f.salt, 'hex'), 32);
    }
    try {
      const st = fs.statSync(this.keyFile);
      if ((st.mode & 0o077) !== 0) {
        throw new SecretStoreError(`${this.keyFile} may be read by others (mode ${(st.mode & 0o777).toString(8)}); chmod 600 it`);
      }
      const key = Buffer.from(fs.readFileSync(this.keyFile, 'utf8').trim(), 'hex');
      if (key.length !== 32) throw new SecretStoreError(`${this.keyFile} does not hold a 256-bit key`);
      return key;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      if (!create) throw new SecretStoreError(`the secret key ${this.keyFile} is missing; set BERTH_SECRET_KEY or restore the file`);
    }
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const key = randomBytes(32);
    // wx: two processes creating the key at once must not end up with two different keys.
    fs.writeFileSync(this.keyFile, `${key.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
    return key;
  }
}
