import type { Meta } from '../meta/index.js';
import type { BlobStore } from '../store/blob-store.js';
import type { Registry } from '../registry/index.js';
import { parseDigest } from '../oci/digest.js';
import { parseManifest } from '../oci/manifest.js';
import { MediaTypes } from '../oci/media-types.js';
import { InventoryBuilder } from './inventory/inventory-builder.js';
import type { Inventory } from './inventory/types.js';
import { match, type Finding } from './matcher.js';
import { severities, type Severity } from './severity.js';

export interface ScanReport {
  repository: string;
  digest: string;
  scannedAt: number;
  /** The newest build date among the imported vulnerability sources (undefined: no database imported). */
  dbBuiltAt: number | undefined;
  inventory: Inventory;
  findings: Finding[];
  counts: Record<Severity, number>;
}

export class ScanError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScanError';
  }
}

const imageConfigTypes = new Set<string>([MediaTypes.ociConfig, MediaTypes.dockerConfig]);

export interface ScannerOptions {
  /** Largest decompressed/compressed ratio a layer may have before it counts as a bomb. */
  maxExpansionRatio: number;
}

/**
 * Scans artifacts stored in the registry: resolves the manifest (an index scans each platform and aggregates),
 * streams each layer through the inventory builder, matches against the vulnerability database and records
 * the report. Reads go straight to the store: a scan is not a pull (no pull events, no gate).
 */
export class Scanner {
  constructor(
    private readonly registry: Registry,
    private readonly store: BlobStore,
    private readonly meta: Meta,
    private readonly opts: ScannerOptions,
  ) {}

  async scan(repository: string, reference: string): Promise<ScanReport> {
    const { row } = this.registry.manifests.resolve(repository, reference);
    try {
      const inventory = await this.inventoryOf(row.digest, row.mediaType, 0);
      const report = this.matchAndSave(repository, row.digest, inventory);
      return report;
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      this.saveFailure(row.digest, message);
      throw e instanceof ScanError ? e : new ScanError(`scanning ${repository}@${row.digest} failed: ${message}`);
    }
  }

  /**
   * Records the findings of an external scanner (a Harbor scanner adapter) as the artifact's report, so
   * that gates and the GUI treat them as Berth's own. There is no inventory: the note says who scanned.
   */
  saveExternal(repository: string, digest: string, scanner: string, findings: Finding[]): ScanReport {
    const inventory: Inventory = { os: undefined, packages: [], notes: [`scanned by ${scanner} through the Harbor scanner adapter API (no package inventory, so no SBOM)`], layers: [] };
    // One row per (id, package, version): an adapter may list the same finding once per layer.
    const byKey = new Map<string, Finding>();
    for (const f of findings) {
      const key = `${f.vulnId}\0${f.package}\0${f.installed}`;
      const seen = byKey.get(key);
      byKey.set(key, seen ? { ...f, ...definedFields(seen) } : f);
    }
    const unique = [...byKey.values()];
    const sorted = unique.sort((a, b) => severities.indexOf(a.severity) - severities.indexOf(b.severity) || (b.score ?? 0) - (a.score ?? 0) || a.vulnId.localeCompare(b.vulnId));
    const counts = zeroCounts();
    for (const f of sorted) counts[f.severity]++;
    const report: ScanReport = { repository, digest, scannedAt: Date.now(), dbBuiltAt: undefined, inventory, findings: sorted, counts };
    this.meta.scanReports.save({ digest, status: 'ok', scannedAt: report.scannedAt, dbBuiltAt: undefined, inventory, error: undefined, counts }, sorted);
    return report;
  }

  /** Records a failed scan, so the GUI and gates see it failed and why. */
  saveFailure(digest: string, message: string): void {
    this.meta.scanReports.save({ digest, status: 'failed', scannedAt: Date.now(), dbBuiltAt: this.dbBuiltAt(), inventory: undefined, error: message, counts: zeroCounts() }, []);
  }

  dbBuiltAt(): number | undefined {
    const dates = this.meta.vulndb.sources().map((s) => s.builtAt).filter((d): d is number => d !== undefined);
    return dates.length ? Math.max(...dates) : undefined;
  }

  private matchAndSave(repository: string, digest: string, inventory: Inventory): ScanReport {
    const { findings, problems, unchecked } = match(inventory, this.meta.vulndb);
    inventory.notes.push(...unchecked, ...problems.slice(0, 50));
    const counts = zeroCounts();
    for (const f of findings) counts[f.severity]++;
    const report: ScanReport = { repository, digest, scannedAt: Date.now(), dbBuiltAt: this.dbBuiltAt(), inventory, findings, counts };
    this.meta.scanReports.save(
      { digest, status: 'ok', scannedAt: report.scannedAt, dbBuiltAt: report.dbBuiltAt, inventory, error: undefined, counts },
      findings,
    );
    return report;
  }

  private async inventoryOf(digest: string, mediaType: string, depth: number): Promise<Inventory> {
    const bytes = await this.store.readSmall(parseDigest(digest));
    const m = parseManifest(bytes, mediaType);
    if (m.manifests.length > 0 || m.config === undefined) {
      if (depth > 0) throw new ScanError(`${digest}: nested indexes are not scanned`);
      // An index: each platform's image, packages merged (an SBOM of the whole artifact).
      const merged: Inventory = { os: undefined, packages: [], notes: [], layers: [] };
      for (const child of m.manifests) {
        if (!this.store.existsSync(parseDigest(child.digest))) {
          merged.notes.push(`${child.digest}: platform manifest not stored here, not scanned`);
          continue;
        }
        const inv = await this.inventoryOf(child.digest, child.mediaType, depth + 1);
        merged.os ??= inv.os;
        merged.packages.push(...inv.packages);
        merged.notes.push(...inv.notes);
        merged.layers.push(...inv.layers.filter((l) => !merged.layers.some((x) => x.digest === l.digest)));
      }
      return merged;
    }
    if (!imageConfigTypes.has(m.config.mediaType)) throw new ScanError(`${digest} is not a container image (config ${m.config.mediaType}); nothing to scan`);
    const builder = new InventoryBuilder({ maxExpansionRatio: this.opts.maxExpansionRatio });
    for (const layer of m.blobs.filter((b) => b !== m.config && b.digest !== m.config!.digest)) {
      if (/\.(foreign|nondistributable)\./.test(layer.mediaType)) continue;
      try {
        await builder.addLayer({ digest: layer.digest, size: layer.size, open: () => this.store.open(parseDigest(layer.digest)) });
      } catch (e) {
        throw new ScanError(`layer ${layer.digest}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    return builder.finish();
  }
}

function definedFields<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== '')) as Partial<T>;
}

export function zeroCounts(): Record<Severity, number> {
  return Object.fromEntries(severities.map((s) => [s, 0])) as Record<Severity, number>;
}
