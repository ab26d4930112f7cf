import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { EventEmitter } from 'node:events';
import { DomainError } from '../errors.js';

export interface DiskStatus {
  /** Free bytes of the data folder's filesystem as statfs reports them (what unprivileged writers may use). */
  freeBytes: number;
  /** storage.reserveMiB in bytes: room kept for deletes, GC and SQLite, never handed to new content. */
  reserveBytes: number;
  /** Size of the ballast files now on disk (the reserve, held; 0 once released). */
  ballastBytes: number;
  /** Bytes new content may still take: free + ballast − reserve (never negative). */
  roomBytes: number;
  /** No room for new content: writes are refused until space is freed. */
  low: boolean;
}

export interface DiskSpaceEvents {
  low: [DiskStatus];
  ok: [DiskStatus];
}

type StatFs = (dir: string) => Promise<{ bavail: number; bsize: number }>;

const CHUNK = 1 << 20;

/**
 * Keeps a full disk an operating condition instead of an outage. A ballast file (`reserve.ballast`, the size
 * of the reserve) holds space while the disk has room; once free space falls below the reserve the ballast is
 * deleted, so SQLite (deletes, audit rows, WAL checkpoints) and GC still find room when something outside
 * Berth filled the disk. New content (uploads, proxy fills, imports, replication, manifests) is admitted only
 * while `roomBytes` covers it, so Berth itself never eats the reserve. The ballast comes back once free space
 * is twice the reserve (hysteresis: re-creating it must not make the disk low again at once).
 *
 * A slice of the reserve (`startup.ballast`, a quarter, at most 8 MiB) is released only at start-up: SQLite
 * cannot even open a WAL database without a few pages for its -shm file, so a disk that filled up again after
 * the running server released its ballast would otherwise keep Berth from starting.
 */
export class DiskSpace extends EventEmitter<DiskSpaceEvents> {
  readonly ballastPath: string;
  readonly startupBallastPath: string;
  private readonly startupBytes: number;
  private last: DiskStatus;
  private filling: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly dataDir: string,
    readonly reserveBytes: number,
    private readonly statfs: StatFs = (dir) => fsp.statfs(dir),
  ) {
    super();
    this.ballastPath = path.join(dataDir, 'reserve.ballast');
    this.startupBallastPath = path.join(dataDir, 'startup.ballast');
    this.startupBytes = Math.min(8 << 20, Math.floor(reserveBytes / 4 / 4096) * 4096);
    this.last = { freeBytes: 0, reserveBytes, ballastBytes: 0, roomBytes: 0, low: false };
  }

  /** The last status checked (cheap; the metric and /readyz read it). */
  get status(): DiskStatus {
    return this.last;
  }

  /**
   * Synchronous, for start-up before the database opens: a full disk must not stop Berth from starting (SQLite
   * may need a page for its WAL, server.pid a block), so the ballast goes first when space is short.
   */
  releaseIfLowSync(): void {
    if (this.reserveBytes === 0) return;
    try {
      const s = fs.statfsSync(this.dataDir);
      if (s.bavail * s.bsize < this.reserveBytes) {
        fs.rmSync(this.ballastPath, { force: true });
        fs.rmSync(this.startupBallastPath, { force: true });
      }
    } catch {
      // statfs unsupported: the async checks report it
    }
  }

  /** Reads free space, releases or re-creates the ballast as needed and emits `low`/`ok` on changes. */
  async check(): Promise<DiskStatus> {
    if (this.reserveBytes === 0) {
      const s = await this.statfs(this.dataDir);
      return this.update(s.bavail * s.bsize, 0);
    }
    let free = await this.freeBytes();
    let main = await sizeOf(this.ballastPath);
    const startup = await sizeOf(this.startupBallastPath);
    if (main > 0 && free < this.reserveBytes && !this.filling) {
      await fsp.rm(this.ballastPath, { force: true });
      free = await this.freeBytes();
      main = 0;
    } else if (main + startup < this.reserveBytes && free >= 2 * this.reserveBytes && !this.filling) {
      this.filling = this.fillBallasts().finally(() => (this.filling = undefined));
    }
    return this.update(free, main + startup);
  }

  /**
   * Admits a write of `bytes` (undefined: not declared). Throws STORAGE_FULL (507) naming free space and the
   * reserve when it does not fit; returns how many bytes the caller may write at most, to bound a stream whose
   * length was not declared (or lied).
   */
  async admit(bytes: number | undefined): Promise<number> {
    if (this.reserveBytes === 0) return Number.POSITIVE_INFINITY;
    const s = await this.check();
    if (s.roomBytes <= 0 || (bytes !== undefined && bytes > s.roomBytes)) throw this.fullError(bytes);
    return s.roomBytes;
  }

  /** The 507 for a write that does not fit (also used when a stream passes the room admit() gave it). */
  fullError(bytes?: number): DomainError {
    const s = this.last;
    const what = bytes !== undefined ? `${mib(bytes)} do not fit` : 'no room for new content';
    return new DomainError(
      'STORAGE_FULL',
      `disk full: ${what}; ${mib(s.freeBytes + s.ballastBytes)} free on the data disk, ${mib(s.reserveBytes)} reserve kept for deletes and garbage collection (storage.reserveMiB); nothing was stored`,
      { freeBytes: s.freeBytes + s.ballastBytes, reserveBytes: s.reserveBytes },
    );
  }

  /** Checks every `intervalMs` so the ballast, the metric and disk.low/disk.ok follow the disk between writes. */
  start(intervalMs: number): void {
    const tick = () => void this.check().catch(() => undefined);
    tick();
    this.timer = setInterval(tick, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.idle();
  }

  private update(free: number, ballast: number): DiskStatus {
    const room = Math.max(0, free + ballast - this.reserveBytes);
    const next: DiskStatus = { freeBytes: free, reserveBytes: this.reserveBytes, ballastBytes: ballast, roomBytes: room, low: this.reserveBytes > 0 && room === 0 };
    const was = this.last.low;
    this.last = next;
    if (next.low && !was) this.emit('low', next);
    if (!next.low && was) this.emit('ok', next);
    return next;
  }

  private async freeBytes(): Promise<number> {
    const s = await this.statfs(this.dataDir);
    return s.bavail * s.bsize;
  }

  /** Settles once a ballast being written is complete (tests, shutdown). */
  async idle(): Promise<void> {
    await this.filling;
  }

  private async fillBallasts(): Promise<void> {
    if (this.startupBytes > 0) await fillWithZeros(this.startupBallastPath, this.startupBytes);
    await fillWithZeros(this.ballastPath, this.reserveBytes - this.startupBytes);
  }
}

async function sizeOf(file: string): Promise<number> {
  return (await fsp.stat(file).catch(() => undefined))?.size ?? 0;
}

/** Writes real zero blocks (a sparse file would hold nothing); a ballast that does not fit is removed again. */
async function fillWithZeros(file: string, bytes: number): Promise<void> {
  const zeros = Buffer.alloc(CHUNK);
  let fh: fsp.FileHandle | undefined;
  try {
    fh = await fsp.open(file, 'a', 0o600);
    let size = (await fh.stat()).size;
    while (size < bytes) {
      const n = Math.min(CHUNK, bytes - size);
      await fh.write(zeros, 0, n, size);
      size += n;
    }
    await fh.sync();
  } catch {
    await fh?.close().catch(() => undefined);
    fh = undefined;
    await fsp.rm(file, { force: true });
  } finally {
    await fh?.close();
  }
}

function mib(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MiB`;
}
