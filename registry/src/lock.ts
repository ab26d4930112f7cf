import fs from 'node:fs';
import path from 'node:path';
import { isDiskFull } from './store/fs-util.js';

export class DataDirInUseError extends Error {
  constructor(readonly pid: number, dir: string) {
    super(`the data folder ${dir} is in use by a running Berth server (pid ${pid})`);
    this.name = 'DataDirInUseError';
  }
}

/** pid of a live Berth server that holds the data folder, if any. */
export function serverHoldingDataDir(dir: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(path.join(dir, 'server.pid'), 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return undefined;
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

/**
 * Marks the data folder as served by this process, so a second server, or an offline maintenance command
 * (gc, import) that must not race a live server, refuses with a clear message. A stale file from a crashed
 * server (its pid no longer alive) is taken over.
 *
 * A full disk must not stop the server from starting (serving pulls, deletes and GC is how space comes back):
 * when the file cannot be written for lack of space, `onNoSpace` hears why and the server runs without it;
 * offline commands then cannot tell it is running, which is the lesser harm.
 */
export function lockDataDir(dir: string, onNoSpace: (e: Error) => void = () => undefined): () => void {
  const holder = serverHoldingDataDir(dir);
  if (holder !== undefined) throw new DataDirInUseError(holder, dir);
  const file = path.join(dir, 'server.pid');
  try {
    fs.writeFileSync(file, String(process.pid));
  } catch (e) {
    if (!isDiskFull(e)) throw e;
    fs.rmSync(file, { force: true });
    onNoSpace(e as Error);
    return () => undefined;
  }
  return () => {
    try {
      if (fs.readFileSync(file, 'utf8').trim() === String(process.pid)) fs.rmSync(file);
    } catch {
      // already gone
    }
  };
}
