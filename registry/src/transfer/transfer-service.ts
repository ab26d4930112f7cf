import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import type { Writable } from 'node:stream';
import type { Registry } from '../registry/index.js';
import type { Actor } from '../registry/context.js';
import type { Meta } from '../meta/index.js';
import { TransferQueries } from '../meta/transfer-queries.js';
import type { BlobStore } from '../store/blob-store.js';
import type { StoragePaths } from '../store/paths.js';
import { StagingArea } from '../store/staging-area.js';
import { Exporter, type ExportOptions, type ExportResult } from './exporter.js';
import { Importer, type ImportReport, type ImporterLimits } from './importer.js';
import { groupInputs } from './split-files.js';
import { isTransferError } from './errors.js';

export type TransferSource = 'cli' | 'api' | 'drop-folder';

/** One import or export as the GUI shows it; the same object is updated and re-emitted as it progresses. */
export interface TransferActivity {
  id: string;
  kind: 'import' | 'export';
  source: TransferSource;
  /** File name(s) or "download" */
  label: string;
  state: 'running' | 'done' | 'failed';
  phase: string;
  bytesDone: number;
  bytesTotal: number | undefined;
  startedAt: number;
  finishedAt: number | undefined;
  report: ImportReport | ExportResult | undefined;
  error: { code: string; message: string } | undefined;
}

export interface TransferServiceEvents {
  /** Throttled to a few per second per activity, plus every phase change. */
  progress: [TransferActivity];
  finished: [TransferActivity];
  failed: [TransferActivity];
}

export interface TransferServiceOptions extends ImporterLimits {
  berthVersion: string;
}

/**
 * Offline transfer for every entry point (CLI, admin API, drop folder): exports stream a bundle into any
 * Writable; imports take files (whole, split parts or layout folders) and run one at a time. Listen to
 * `progress` / `finished` / `failed` for the GUI; `recent()` lists the last activities.
 */
export class TransferService extends EventEmitter<TransferServiceEvents> {
  private readonly exporter: Exporter;
  private readonly importer: Importer;
  private readonly history: TransferActivity[] = [];
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    registry: Registry,
    meta: Meta,
    store: BlobStore,
    private readonly paths: StoragePaths,
    opts: TransferServiceOptions,
  ) {
    super();
    this.exporter = new Exporter(meta, store, new TransferQueries(meta.db), opts.berthVersion);
    this.importer = new Importer(registry, paths, opts);
  }

  /** Removes staging folders an interrupted import left behind (its process gone, or older than a day). */
  sweep(dryRun = false): Promise<{ folders: number; bytes: number }> {
    return StagingArea.sweep(this.paths, 24 * 3600_000, Date.now(), dryRun);
  }

  /** Streams a bundle into `sink` (e.g. an HTTP response for a GUI download). */
  export(opts: ExportOptions, sink: Writable, source: TransferSource = 'api'): Promise<ExportResult> {
    return this.track('export', source, 'download', (a) => this.exporter.write(opts, sink, (p) => this.progress(a, 'writing', p.bytesDone, p.bytesTotal)));
  }

  exportToFile(opts: ExportOptions & { out: string; splitBytes?: number | undefined }, source: TransferSource = 'cli'): Promise<ExportResult> {
    return this.track('export', source, opts.out, (a) => this.exporter.toFile(opts, (p) => this.progress(a, 'writing', p.bytesDone, p.bytesTotal)));
  }

  /** Describes what an export would hold, without writing it (GUI preview, `--dry-run`). */
  preview(opts: ExportOptions) {
    return this.exporter.describe(opts);
  }

  /**
   * Imports each input (parts of a split bundle count as one) in turn; each is all-or-nothing. Stops at the
   * first failure and throws it; inputs imported before it stay imported.
   */
  async import(paths: string[], opts: { repository?: string | undefined; actor: Actor; source?: TransferSource }): Promise<ImportReport[]> {
    const groups = await groupInputs(paths);
    const reports: ImportReport[] = [];
    for (const files of groups) {
      const label = files.length > 1 ? `${files[0]} (+${files.length - 1} parts)` : files[0]!;
      reports.push(
        await this.serial(() =>
          this.track('import', opts.source ?? 'api', label, (a) => this.importer.run(files, opts, (p) => this.progress(a, p.phase, p.bytesDone, p.bytesTotal))),
        ),
      );
    }
    return reports;
  }

  recent(): TransferActivity[] {
    return [...this.history];
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async track<T extends ImportReport | ExportResult>(kind: 'import' | 'export', source: TransferSource, label: string, fn: (a: TransferActivity) => Promise<T>): Promise<T> {
    const a: TransferActivity = {
      id: randomUUID(),
      kind,
      source,
      label,
      state: 'running',
      phase: 'starting',
      bytesDone: 0,
      bytesTotal: undefined,
      startedAt: Date.now(),
      finishedAt: undefined,
      report: undefined,
      error: undefined,
    };
    this.history.unshift(a);
    this.history.length = Math.min(this.history.length, 50);
    this.emit('progress', a);
    try {
      const r = await fn(a);
      Object.assign(a, { state: 'done', phase: 'done', report: r, finishedAt: Date.now() });
      this.emit('finished', a);
      return r;
    } catch (e) {
      const err = e as Error & { code?: string };
      Object.assign(a, {
        state: 'failed',
        phase: 'failed',
        finishedAt: Date.now(),
        error: { code: isTransferError(e) ? e.code : typeof err.code === 'string' ? err.code : 'UNKNOWN', message: err.message },
      });
      this.emit('failed', a);
      throw e;
    }
  }

  private lastEmit = new WeakMap<TransferActivity, number>();

  private progress(a: TransferActivity, phase: string, done: number, total: number | undefined): void {
    const now = Date.now();
    const changed = a.phase !== phase;
    a.phase = phase;
    a.bytesDone = done;
    a.bytesTotal = total;
    if (changed || now - (this.lastEmit.get(a) ?? 0) >= 200) {
      this.lastEmit.set(a, now);
      this.emit('progress', a);
    }
  }
}
