import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { DesktopSettings } from './contract.js';

export const settingsSchema = z
  .object({
    port: z.number().int().min(1).max(65_535).default(5000),
    listenOnAllInterfaces: z.boolean().default(false),
    startOnLogin: z.boolean().default(false),
  })
  .strict();

export const settingsUpdateSchema = settingsSchema.partial().strict();

const defaults: DesktopSettings = settingsSchema.parse({});

/** Desktop settings in `<userData>/settings.json`; a missing or broken file means defaults (and is logged). */
export class SettingsFile {
  readonly file: string;

  constructor(dir: string, private readonly warn: (msg: string) => void = () => undefined) {
    this.file = path.join(dir, 'settings.json');
  }

  read(): DesktopSettings {
    let raw: string;
    try {
      raw = fs.readFileSync(this.file, 'utf8');
    } catch {
      return { ...defaults };
    }
    try {
      return settingsSchema.parse(JSON.parse(raw));
    } catch (e) {
      this.warn(`ignoring ${this.file}: ${(e as Error).message}`);
      return { ...defaults };
    }
  }

  update(change: Partial<DesktopSettings>): DesktopSettings {
    const next = settingsSchema.parse({ ...this.read(), ...settingsUpdateSchema.parse(change) });
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(next, null, 2), { mode: 0o600 });
    fs.renameSync(tmp, this.file);
    return next;
  }
}
