import type { Readable } from 'node:stream';
import { parseOsRelease } from './parsers.js';
import { walkLayer, type LayerChanges, type LayerFile } from './layer-walker.js';
import type { Inventory, InventoryPackage, OsInfo, ParsedPackage } from './types.js';

/*
 * Builds an image's inventory from its layers, bottom to top, as a container runtime would stack them:
 * a whiteout deletes a path (and everything under it) from lower layers, an opaque whiteout empties a
 * directory of lower content, a file in a higher layer replaces the lower one. Each package is attributed to
 * the lowest layer from which its name and version stayed present at the same path.
 */

interface PathState {
  file: LayerFile;
  layer: number;
  /** name@version → first layer (in the unbroken history of this path) that listed it. */
  since: Map<string, number>;
  packages: ParsedPackage[];
}

const EMPTY: Buffer = Buffer.alloc(0);

const key = (p: ParsedPackage) => `${p.type}\0${p.name}\0${p.version}`;

export interface LayerSource {
  digest: string;
  size: number;
  open(): Readable;
}

function under(p: string, dir: string): boolean {
  return dir === '' || p === dir || p.startsWith(`${dir}/`);
}

export class InventoryBuilder {
  private readonly paths = new Map<string, PathState>();
  private readonly notes = new Set<string>();
  private readonly layers: { digest: string; size: number }[] = [];

  constructor(private readonly opts: { maxExpansionRatio: number }) {}

  async addLayer(layer: LayerSource): Promise<void> {
    const changes = await walkLayer(layer.open(), { maxExpansionRatio: this.opts.maxExpansionRatio });
    this.apply(changes, this.layers.length);
    this.layers.push({ digest: layer.digest, size: layer.size });
  }

  /** Whiteouts act on lower layers only, so they are applied before this layer's own files. */
  apply(changes: LayerChanges, index: number): void {
    for (const dir of changes.opaque) for (const p of [...this.paths.keys()]) if (p !== dir && under(p, dir)) this.paths.delete(p);
    for (const gone of changes.deleted) for (const p of [...this.paths.keys()]) if (under(p, gone)) this.paths.delete(p);
    for (const p of changes.replaced) this.paths.delete(p);
    for (const f of changes.files) {
      const before = this.paths.get(f.path);
      let packages: ParsedPackage[] = [];
      if (f.data !== undefined) {
        try {
          packages = f.target.parseBytes ? f.target.parseBytes(f.data) : f.target.parse ? f.target.parse(f.data.toString('utf8')) : [];
        } catch (e) {
          this.notes.add(`/${f.path} (layer ${index + 1}): ${(e as Error).message}; its packages were not scanned`);
        }
      }
      const since = new Map<string, number>();
      for (const p of packages) since.set(key(p), before?.since.get(key(p)) ?? index);
      // Parsed package databases are not kept: only os-release's bytes are read again (in finish).
      const file = f.target.kind === 'packages' && f.data !== undefined ? { ...f, data: EMPTY } : f;
      this.paths.set(f.path, { file, layer: index, since, packages });
    }
    for (const r of changes.refused) this.notes.add(`layer ${index + 1}: entry ${JSON.stringify(r)} escapes the root and was ignored`);
  }

  finish(): Inventory {
    let os: OsInfo | undefined;
    const osFile = this.paths.get('etc/os-release') ?? this.paths.get('usr/lib/os-release');
    if (osFile?.file.data) os = parseOsRelease(osFile.file.data.toString('utf8'));
    const packages: InventoryPackage[] = [];
    const seen = new Set<string>();
    for (const [p, st] of [...this.paths].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const { target, data, size } = st.file;
      if (target.kind === 'unsupported') {
        this.notes.add(`/${p}: ${target.note}`);
        continue;
      }
      if (data === undefined) {
        this.notes.add(`/${p}: ${size} bytes is more than the ${target.maxBytes} bytes the scanner reads; its packages were not scanned`);
        continue;
      }
      for (const pkg of st.packages) {
        // npm packages appear both in lockfiles and node_modules: one entry per name and version.
        const k = key(pkg);
        if (seen.has(k)) continue;
        seen.add(k);
        const digest = this.layers[st.since.get(k) ?? st.layer]?.digest ?? '';
        packages.push({ ...pkg, path: p, layer: digest });
      }
    }
    return { os, packages, notes: [...this.notes], layers: this.layers };
  }
}
