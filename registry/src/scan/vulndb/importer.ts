import path from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { VulnDbTable, VulnRecordRow } from '../../meta/vulndb.js';
import { archiveDocuments } from './archive-reader.js';
import { recordsIn, toRow } from './osv.js';

export interface ImportResult {
  source: string;
  records: number;
  /** The newest `modified` date among the records: the database's build date. */
  builtAt: number | undefined;
  durationMs: number;
  replacedGeneration: number | undefined;
}

export class VulnDbImportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VulnDbImportError';
  }
}

/** Records per transaction: large enough to be fast, small enough that pushes are not held up noticeably. */
const BATCH = 2000;

/**
 * Imports an OSV archive as a new generation beside the served one and switches to it only when every record
 * was read and stored: a bad archive or a crash leaves the old database serving (the half-written generation
 * is swept by `sweep()`).
 */
export class VulnDbImporter {
  constructor(private readonly table: VulnDbTable) {}

  /** `label` is what the source list shows as its origin (default: the file's name). */
  async importFile(file: string, opts: { source?: string; label?: string } = {}): Promise<ImportResult> {
    const started = Date.now();
    const gen = this.table.newGeneration(opts.source ?? '(importing)');
    const ecosystems = new Set<string>();
    let records = 0;
    let builtAt: number | undefined;
    let batch: VulnRecordRow[] = [];
    try {
      for await (const doc of archiveDocuments(file)) {
        let raw: unknown;
        try {
          raw = JSON.parse(doc.text);
        } catch (e) {
          throw new VulnDbImportError(`${doc.name}: not valid JSON (${(e as Error).message})`);
        }
        for (const item of recordsIn(raw)) {
          let row: VulnRecordRow;
          try {
            row = toRow(item);
          } catch (e) {
            throw new VulnDbImportError(`${doc.name}: ${(e as Error).message}`);
          }
          for (const a of row.affected) ecosystems.add(a.ecosystem.split(':')[0]!);
          const m = row.modified ? Date.parse(row.modified) : NaN;
          if (!Number.isNaN(m) && (builtAt === undefined || m > builtAt)) builtAt = m;
          batch.push(row);
          records++;
        }
        if (batch.length >= BATCH) {
          this.table.insertMany(gen, batch);
          batch = [];
          await yieldToLoop();
        }
      }
      this.table.insertMany(gen, batch);
      if (records === 0) throw new VulnDbImportError(`${opts.label ?? file}: no OSV records found`);
    } catch (e) {
      await this.drop(gen);
      if (e instanceof VulnDbImportError) throw e;
      throw new VulnDbImportError(`${opts.label ?? path.basename(file)}: ${(e as Error).message}`);
    }
    // One archive per ecosystem replaces that ecosystem's previous import; a mixed archive is its own source.
    const source = opts.source ?? ([...ecosystems].sort().join(',') || path.basename(file));
    const replaced = this.table.activate(source, gen, { builtAt, records, file: opts.label ?? path.basename(file) });
    if (replaced !== undefined) await this.drop(replaced);
    return { source, records, builtAt, durationMs: Date.now() - started, replacedGeneration: replaced };
  }

  /**
   * Removes generations nothing serves, left by interrupted imports. Only old ones: another process (the CLI
   * beside a running server) may be filling a young one right now.
   */
  async sweep(olderThanMs = 6 * 3_600_000): Promise<void> {
    for (const gen of this.table.unusedGenerations(Date.now() - olderThanMs)) await this.drop(gen);
  }

  private async drop(gen: number): Promise<void> {
    while (this.table.dropChunk(gen)) await yieldToLoop();
  }
}
