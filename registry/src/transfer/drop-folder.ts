import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import chokidar, { type FSWatcher } from 'chokidar';
import type { Logger } from '../logger.js';
import type { TransferService } from './transfer-service.js';
import { isTransferError } from './errors.js';

const partPattern = /^(.*)\.part(\d{3,})$/;

export interface DropFolderOptions {
  folder: string;
  /** A file is imported once its size has not changed for this long. */
  settleMs: number;
}

/**
 * Watches a folder (default `<data>/import/`, or a USB mount point): each file that has stopped growing is
 * imported, then moved to `processed/` with a JSON report beside it, or to `failed/` with the reason. Parts of
 * a split bundle wait until the set reads as complete. Hidden files and the two result folders are ignored.
 */
export class DropFolderWatcher {
  private watcher: FSWatcher | undefined;
  private readonly pending = new Map<string, NodeJS.Timeout>();
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly transfer: TransferService,
    private readonly opts: DropFolderOptions,
    private readonly log: Logger,
  ) {}

  get processedDir(): string {
    return path.join(this.opts.folder, 'processed');
  }
  get failedDir(): string {
    return path.join(this.opts.folder, 'failed');
  }

  async start(): Promise<void> {
    await fsp.mkdir(this.processedDir, { recursive: true });
    await fsp.mkdir(this.failedDir, { recursive: true });
    this.watcher = chokidar.watch(this.opts.folder, {
      depth: 0,
      ignoreInitial: false,
      ignored: (p: string) => {
        const base = path.basename(p);
        return p !== this.opts.folder && (base.startsWith('.') || p === this.processedDir || p === this.failedDir);
      },
      awaitWriteFinish: { stabilityThreshold: this.opts.settleMs, pollInterval: Math.min(250, this.opts.settleMs) },
    });
    this.watcher.on('add', (file: string) => this.schedule(file));
    this.watcher.on('change', (file: string) => this.schedule(file));
    this.watcher.on('error', (e: unknown) => this.log.error({ err: e }, 'drop folder watcher failed'));
    await new Promise<void>((resolve) => this.watcher!.once('ready', () => resolve()));
    this.log.info({ folder: this.opts.folder }, 'watching the drop folder for bundles');
  }

  async close(): Promise<void> {
    for (const t of this.pending.values()) clearTimeout(t);
    this.pending.clear();
    await this.watcher?.close();
    await this.chain;
  }

  private schedule(file: string): void {
    if (path.dirname(file) !== this.opts.folder) return;
    const key = partPattern.exec(file)?.[1] ?? file;
    clearTimeout(this.pending.get(key));
    // awaitWriteFinish already waited for the file to settle; the short delay lets sibling parts arrive.
    this.pending.set(
      key,
      setTimeout(() => {
        this.pending.delete(key);
        this.chain = this.chain.then(() => this.process(key));
      }, 100),
    );
  }

  private async process(key: string): Promise<void> {
    const isSplit = !fs.existsSync(key) && fs.existsSync(`${key}.part001`);
    if (!isSplit && !fs.existsSync(key)) return;
    const files = isSplit ? (await fsp.readdir(this.opts.folder)).filter((f) => f.startsWith(`${path.basename(key)}.part`)).map((f) => path.join(this.opts.folder, f)) : [key];
    try {
      const reports = await this.transfer.import(isSplit ? [`${key}.part001`] : [key], { actor: { username: 'drop-folder' }, source: 'drop-folder' });
      await this.moveAll(files, this.processedDir, { ok: true, report: reports[0] });
      this.log.info({ file: key, report: reports[0] }, 'imported a bundle from the drop folder');
    } catch (e) {
      // An incomplete split set is not a failure yet: the next part will arrive and trigger another try.
      if (isSplit && isTransferError(e) && (e.code === 'TRUNCATED' || e.code === 'INPUT')) {
        this.log.info({ file: key, reason: e.message }, 'split bundle in the drop folder is not complete yet');
        return;
      }
      const reason = { ok: false, error: { code: isTransferError(e) ? e.code : 'UNKNOWN', message: (e as Error).message } };
      await this.moveAll(files, this.failedDir, reason);
      this.log.warn({ file: key, reason: reason.error }, 'drop folder import failed');
    }
  }

  private async moveAll(files: string[], dir: string, report: unknown): Promise<void> {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const first = path.basename(files[0]!).replace(partPattern, '$1');
    for (const f of files) await fsp.rename(f, path.join(dir, `${stamp}-${path.basename(f)}`)).catch(() => undefined);
    await fsp.writeFile(path.join(dir, `${stamp}-${first}.json`), JSON.stringify(report, null, 2));
  }
}
