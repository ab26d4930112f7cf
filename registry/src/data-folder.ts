import fs from 'node:fs';
import { ConfigError } from './config/load.js';
import { StoragePaths } from './store/paths.js';

/*
 * The data folder is found, never invented (issue 12): only `berth serve` and `berth init` create one. Every
 * other command opens the folder the service uses (--data, BERTH_DATA, the config's `data`, the default) and
 * refuses, with one line naming it, when it or its database is missing; a typo must not start an empty Berth.
 */

/** Exit code 2 in the CLI, like every configuration error. */
export class DataFolderError extends ConfigError {
  constructor(message: string) {
    super(message);
    this.name = 'DataFolderError';
  }
}

/** Throws a DataFolderError unless `dir` holds a Berth database. `origin` says where the path came from. */
export function requireDataFolder(dir: string, origin: string): void {
  const hint = `create one with "berth init --data ${dir}" (or start "berth serve" on it), or point --data, BERTH_DATA or the config's data at the folder the server uses`;
  if (!fs.existsSync(dir)) throw new DataFolderError(`no Berth data folder at ${dir} (${origin}): ${hint}`);
  if (!fs.existsSync(new StoragePaths(dir).database)) throw new DataFolderError(`${dir} (${origin}) is not a Berth data folder (no berth.db): ${hint}`);
}

/** Creates the data folder (private to its owner's group) when missing; true when it was missing. */
export function createDataFolder(dir: string): boolean {
  const existed = fs.existsSync(new StoragePaths(dir).database);
  fs.mkdirSync(dir, { recursive: true, mode: 0o750 });
  return !existed;
}
