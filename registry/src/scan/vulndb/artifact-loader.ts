import type { Meta } from '../../meta/index.js';
import type { BlobStore } from '../../store/blob-store.js';
import type { EventBus } from '../../events/event-bus.js';
import type { Logger } from '../../logger.js';
import { parseDigest } from '../../oci/digest.js';
import { parseManifest } from '../../oci/manifest.js';
import type { VulnDbImporter } from './importer.js';
import { CREATED_ANNOTATION, SOURCE_ANNOTATION, TITLE_ANNOTATION, VULNDB_ARTIFACT_TYPE } from './artifact.js';

/** What was last loaded from an artifact (or failed to load), kept in the settings table across restarts. */
export interface LoadedMark {
  digest: string;
  repository: string;
  builtAt: number;
  loadedAt: number;
  error?: string;
}

const LOADED_KEY = 'vulndb.artifact';

/** The database artifact last loaded (or that last failed), as recorded in the settings table. */
export function lastLoadedArtifact(meta: Meta): LoadedMark | undefined {
  const raw = meta.settings.get(LOADED_KEY);
  return raw ? (JSON.parse(raw) as LoadedMark) : undefined;
}

export interface LoadOutcome {
  status: 'loaded' | 'current' | 'none' | 'failed';
  digest?: string;
  repository?: string;
  builtAt?: number;
  error?: string;
}

/**
 * Loads the vulnerability database from database artifacts stored in the registry: whenever one arrives (a
 * push, a replication pull, an offline bundle import) and once at start, the newest of them by build date is
 * imported unless it is what was loaded last. Each of its OSV layers replaces its source atomically, so the
 * old database serves until the new one is complete; an artifact that fails is remembered and not retried
 * until a newer one arrives.
 */
export class VulnDbArtifactLoader {
  private chain: Promise<unknown> = Promise.resolve();
  private off: (() => void) | undefined;

  constructor(
    private readonly meta: Meta,
    private readonly store: BlobStore,
    private readonly importer: VulnDbImporter,
    private readonly events: EventBus,
    private readonly log: Logger,
    /** Called after a database was loaded (the scan service rescans). */
    private readonly onLoaded: () => void,
  ) {}

  /** Listens for database artifacts arriving and loads the newest stored one now. */
  start(): Promise<LoadOutcome> {
    this.off ??= this.events.on('manifest.pushed', (e) => {
      if (e.artifactType === VULNDB_ARTIFACT_TYPE) void this.loadNewest();
    });
    return this.loadNewest();
  }

  stop(): void {
    this.off?.();
    this.off = undefined;
  }

  /** The artifact last loaded (or that last failed), for the status API. */
  lastLoaded(): LoadedMark | undefined {
    return lastLoadedArtifact(this.meta);
  }

  /** Resolves when no load is running. */
  async idle(): Promise<void> {
    await this.chain;
  }

  /** Serialised: two artifacts arriving together load one after the other, newest last. */
  loadNewest(): Promise<LoadOutcome> {
    const run = this.chain.then(() => this.loadNewestNow());
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async loadNewestNow(): Promise<LoadOutcome> {
    const candidates = this.meta.vulndb
      .artifactsOfType(VULNDB_ARTIFACT_TYPE)
      .map((a) => ({ ...a, builtAt: builtAtOf(a.annotations[CREATED_ANNOTATION], a.createdAt) }))
      .sort((a, b) => b.builtAt - a.builtAt || b.createdAt - a.createdAt);
    const newest = candidates[0];
    if (!newest) return { status: 'none' };
    const last = this.lastLoaded();
    if (last && (last.digest === newest.digest || last.builtAt > newest.builtAt)) {
      return { status: last.error ? 'failed' : 'current', digest: last.digest, repository: last.repository, builtAt: last.builtAt, error: last.error };
    }
    const mark: LoadedMark = { digest: newest.digest, repository: newest.repository, builtAt: newest.builtAt, loadedAt: Date.now() };
    try {
      await this.importArtifact(newest.repository, newest.digest);
    } catch (e) {
      mark.error = e instanceof Error ? e.message : String(e);
      this.meta.settings.set(LOADED_KEY, JSON.stringify(mark));
      this.log.error({ repository: newest.repository, digest: newest.digest, err: mark.error }, 'vulnerability database artifact not loaded; the previous database keeps serving');
      return { status: 'failed', digest: newest.digest, repository: newest.repository, builtAt: newest.builtAt, error: mark.error };
    }
    this.meta.settings.set(LOADED_KEY, JSON.stringify(mark));
    this.onLoaded();
    return { status: 'loaded', digest: newest.digest, repository: newest.repository, builtAt: newest.builtAt };
  }

  private async importArtifact(repository: string, digest: string): Promise<void> {
    const m = parseManifest(await this.store.readSmall(parseDigest(digest)), undefined);
    const layers = m.blobs.filter((b) => b.digest !== m.config?.digest);
    if (layers.length === 0) throw new Error(`${repository}@${digest} has no OSV archive layers`);
    for (const layer of layers) {
      const d = parseDigest(layer.digest);
      // Layers of a stored manifest are stored, unless the artifact arrived without them (a proxy fill of
      // the manifest alone): say so rather than fail deep in the archive reader.
      if (!this.store.existsSync(d)) throw new Error(`layer ${layer.digest} of ${repository}@${digest} is not stored here`);
      const title = layer.annotations?.[TITLE_ANNOTATION] ?? layer.digest.slice(7, 19);
      const label = `${repository}@${digest.slice(0, 19)} ${title}`;
      const r = await this.importer.importFile(this.store.readablePath(d), { source: layer.annotations?.[SOURCE_ANNOTATION], label });
      this.log.info({ repository, digest, layer: layer.digest, source: r.source, records: r.records }, 'vulnerability database loaded from artifact');
      this.events.emit('vulndb.loaded', { source: r.source, records: r.records, builtAt: r.builtAt, origin: label });
    }
  }
}

function builtAtOf(annotation: string | undefined, fallback: number): number {
  const t = annotation ? Date.parse(annotation) : NaN;
  return Number.isNaN(t) ? fallback : t;
}
