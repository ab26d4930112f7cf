import type { Meta } from '../meta/index.js';
import type { BlobStore } from '../store/blob-store.js';
import type { Registry } from '../registry/index.js';
import type { EventBus } from '../events/event-bus.js';
import type { Logger } from '../logger.js';
import { Scanner, ScanError, zeroCounts, type ScanReport } from './scanner.js';
import { VulnDbImporter } from './vulndb/importer.js';
import { VulnDbArtifactLoader } from './vulndb/artifact-loader.js';
import { isSeverity, severityRank, type Severity } from './severity.js';
import type { FindingRow } from '../meta/scan-reports.js';
import type { Actor } from '../registry/index.js';
import type { Inventory } from './inventory/types.js';
import { attachSbom, type AttachedSbom } from './sbom-referrer.js';
import type { AdapterEngine } from './adapter-engine.js';

export interface ScanServiceOptions {
  maxExpansionRatio: number;
  /** Projects scanned on push by configuration (the database's per-project switch adds to these). */
  onPushProjects: string[];
  /** A database built longer ago than this is stale (0: never); `dbStale` says whether that only warns. */
  dbMaxAgeDays: number;
  dbStale: 'warn' | 'block';
  /** Attach the SBOM as a referrer after each scan on push. */
  attachSbom?: boolean;
}

export interface AllowlistEntry {
  /** A CVE, GHSA or distribution advisory id; matches a finding's id or any of its aliases. */
  id: string;
  /** Epoch ms after which the entry no longer allows anything; absent: never expires. */
  expiresAt?: number;
}

const SYSTEM_ALLOWLIST_KEY = 'scan.systemAllowlist';

export interface GateDecision {
  allowed: boolean;
  /** Why not: names the worst findings, for the client's error message. */
  reason: string | undefined;
}

/**
 * Scanning as a service: the vulnerability database importer, on-demand scans, scan on push (one scan at a
 * time, in push order, the same digest once), and the pull-gate decision over stored reports.
 */
export class ScanService {
  readonly scanner: Scanner;
  readonly importer: VulnDbImporter;
  /** Loads the database from vulnerability database artifacts stored in the registry. */
  readonly artifacts: VulnDbArtifactLoader;
  private queue: Promise<void> = Promise.resolve();
  private readonly queued = new Set<string>();
  private stopWatching: (() => void) | undefined;
  private dbStamp: string | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private adapter: AdapterEngine | undefined;

  constructor(
    private readonly registry: Registry,
    store: BlobStore,
    private readonly meta: Meta,
    private readonly events: EventBus,
    private readonly log: Logger,
    private readonly opts: ScanServiceOptions,
  ) {
    this.scanner = new Scanner(registry, store, meta, { maxExpansionRatio: opts.maxExpansionRatio });
    this.importer = new VulnDbImporter(meta.vulndb);
    this.artifacts = new VulnDbArtifactLoader(meta, store, this.importer, events, log, () => this.rescanIfDatabaseChanged());
  }

  /** Scans now and announces the outcome on the bus (the GUI and the audit log listen). */
  async scan(repository: string, reference: string): Promise<ScanReport> {
    const { row } = this.registry.manifests.resolve(repository, reference);
    try {
      const r = this.adapter ? await this.scanWithAdapter(this.adapter, repository, row.digest, row.mediaType) : await this.scanner.scan(repository, row.digest);
      this.events.emit('scan.finished', { repository, digest: r.digest, status: 'ok', counts: r.counts, error: undefined });
      return r;
    } catch (e) {
      if (e instanceof ScanError && !/not a container image/.test(e.message)) {
        this.events.emit('scan.finished', { repository, digest: row.digest, status: 'failed', counts: zeroCounts(), error: e.message });
      }
      throw e;
    }
  }

  projectOf(repository: string): string {
    return this.meta.repositories.get(repository)?.project ?? (repository.includes('/') ? repository.split('/')[0]! : 'library');
  }

  scansOnPush(project: string): boolean {
    return this.opts.onPushProjects.includes(project) || this.meta.scanReports.projectSettings(project).scanOnPush;
  }

  /**
   * Subscribes to pushes (scan on push, database artifacts arriving) and loads the newest stored database
   * artifact; returns when subscribed. `idle()` resolves when the queue is empty (tests, shutdown).
   */
  watchPushes(): void {
    void this.artifacts.start();
    this.stopWatching ??= this.events.on('manifest.pushed', (e) => {
      if (!this.scansOnPush(this.projectOf(e.repository))) return;
      this.enqueue(e.repository, e.digest, { attachSbom: this.opts.attachSbom === true });
    });
  }

  enqueue(repository: string, digest: string, opts: { attachSbom?: boolean } = {}): void {
    if (this.queued.has(digest)) return;
    this.queued.add(digest);
    this.queue = this.queue.then(async () => {
      this.queued.delete(digest);
      try {
        const r = await this.scan(repository, digest);
        this.log.info({ repository, digest, counts: r.counts }, 'scanned');
        if (opts.attachSbom) {
          const sbom = await attachSbom(this.registry, repository, this.registry.manifests.resolve(repository, digest).row, r.inventory, { username: 'berth-scanner' });
          this.log.info({ repository, digest, sbom: sbom.digest }, 'SBOM attached');
        }
      } catch (e) {
        // Artifacts that are no images (signatures, SBOMs) are not scanned; anything else is worth a warning.
        const level = e instanceof ScanError && /not a container image/.test(e.message) ? 'debug' : 'warn';
        this.log[level]({ repository, digest, err: e instanceof Error ? e.message : String(e) }, 'scan failed');
      }
    });
  }

  /**
   * Rescans every artifact that has a report when the vulnerability database changed since the last call
   * (an import by this process or by `berth vulndb import` beside it). Returns how many were queued.
   */
  rescanIfDatabaseChanged(): number {
    const stamp = this.meta.vulndb
      .sources()
      .map((s) => `${s.name}:${s.generation}`)
      .join(',');
    const first = this.dbStamp === undefined;
    const changed = stamp !== this.dbStamp;
    this.dbStamp = stamp;
    if (first || !changed) return 0;
    const all = this.meta.scanReports.scannedArtifacts();
    for (const a of all) this.enqueue(a.repository, a.digest);
    this.log.info({ artifacts: all.length }, 'vulnerability database changed: rescanning');
    return all.length;
  }

  /** Checks for a new database every `ms` (the server runs this). */
  pollDatabase(ms: number): void {
    this.rescanIfDatabaseChanged();
    this.pollTimer ??= setInterval(() => this.rescanIfDatabaseChanged(), ms);
    this.pollTimer.unref();
  }

  /** Whether a stale database fails gates (pull gate, `berth scan --fail-on`) or only warns. */
  get staleBlocks(): boolean {
    return this.opts.dbStale === 'block';
  }

  /** Why the vulnerability database is stale (missing, or built more than dbMaxAgeDays ago), or undefined. */
  staleness(now = Date.now()): string | undefined {
    if (this.opts.dbMaxAgeDays <= 0) return undefined;
    const built = this.scanner.dbBuiltAt();
    if (built === undefined) return 'no vulnerability database has been imported';
    const days = (now - built) / 86_400_000;
    if (days <= this.opts.dbMaxAgeDays) return undefined;
    return `the vulnerability database was built ${new Date(built).toISOString().slice(0, 10)}, ${Math.floor(days)} days ago (the limit is ${this.opts.dbMaxAgeDays})`;
  }

  /** Scans through a Harbor scanner adapter from now on instead of Berth's own scanner (server only). */
  useAdapter(engine: AdapterEngine): void {
    this.adapter = engine;
  }

  private async scanWithAdapter(engine: AdapterEngine, repository: string, digest: string, mediaType: string): Promise<ScanReport> {
    try {
      const r = await engine.scan(repository, digest, mediaType);
      return this.scanner.saveExternal(repository, digest, r.scanner, r.findings);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      this.scanner.saveFailure(digest, message);
      throw new ScanError(`scanning ${repository}@${digest} failed: ${message}`);
    }
  }

  /**
   * Attaches the artifact's SBOM (CycloneDX) to it as a referrer, from its last successful scan or from a
   * scan made now.
   */
  async attachSbom(repository: string, reference: string, actor: Actor): Promise<AttachedSbom> {
    if (this.adapter) throw new ScanError('SBOMs come from Berth\'s own scanner; this server scans through a scanner adapter, which reports findings but no package inventory');
    const { row } = this.registry.manifests.resolve(repository, reference);
    const stored = this.meta.scanReports.get(row.digest);
    const inventory = stored?.status === 'ok' && stored.inventory ? (stored.inventory as Inventory) : (await this.scan(repository, row.digest)).inventory;
    return attachSbom(this.registry, repository, row, inventory, actor);
  }

  /** Queues a scan of every stored image and index (platforms are scanned through their index). */
  scanAll(): number {
    const all = this.meta.scanReports.topLevelArtifacts();
    for (const a of all) this.enqueue(a.repository, a.digest);
    return all.length;
  }

  /** The allowlist every project's pull gate honours, beside the project's own. */
  systemAllowlist(): AllowlistEntry[] {
    const raw = this.meta.settings.get(SYSTEM_ALLOWLIST_KEY);
    if (!raw) return [];
    const parsed: unknown = JSON.parse(raw);
    return Array.isArray(parsed) ? (parsed as AllowlistEntry[]) : [];
  }

  setSystemAllowlist(entries: AllowlistEntry[]): void {
    this.meta.settings.set(SYSTEM_ALLOWLIST_KEY, JSON.stringify(entries.map((e) => (e.expiresAt === undefined ? { id: e.id } : { id: e.id, expiresAt: e.expiresAt }))));
  }

  async idle(): Promise<void> {
    await this.artifacts.idle();
    await this.queue;
  }

  stop(): void {
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.pollTimer = undefined;
    this.stopWatching?.();
    this.stopWatching = undefined;
    this.artifacts.stop();
  }

  /**
   * The pull gate of the artifact's project: blocks when the last report has findings at or above the gate
   * severity that neither the system nor the project allowlist covers (expired entries do not count); unscanned artifacts
   * follow the project's choice.
   */
  gate(repository: string, digest: string, now = Date.now()): GateDecision {
    const settings = this.meta.scanReports.projectSettings(this.projectOf(repository));
    const threshold = settings.gateSeverity;
    if (!threshold || !isSeverity(threshold)) return { allowed: true, reason: undefined };
    const stale = this.staleness(now);
    if (stale && this.opts.dbStale === 'block') return { allowed: false, reason: `pull blocked by the vulnerability policy: ${stale}` };
    const report = this.meta.scanReports.get(digest);
    if (!report || report.status !== 'ok') {
      return settings.gateUnscanned === 'block'
        ? { allowed: false, reason: `${digest} has not been scanned and the project blocks unscanned artifacts` }
        : { allowed: true, reason: undefined };
    }
    const allowed = new Set([...this.systemAllowlist(), ...settings.allowlist].filter((a) => a.expiresAt === undefined || a.expiresAt > now).map((a) => a.id));
    const blocking = this.meta.scanReports
      .findings(digest)
      .filter((f) => isSeverity(f.severity) && severityRank(f.severity) >= severityRank(threshold))
      .filter((f) => !allowed.has(f.vulnId) && !f.aliases.some((a) => allowed.has(a)));
    if (blocking.length === 0) return { allowed: true, reason: undefined };
    return { allowed: false, reason: gateMessage(blocking, threshold) };
  }
}

function gateMessage(blocking: FindingRow[], threshold: Severity): string {
  const worst = blocking.slice(0, 5).map((f) => `${f.vulnId} (${f.severity}${f.score !== undefined ? ` ${f.score}` : ''}, ${f.package} ${f.installed}${f.fixed ? ` fixed in ${f.fixed}` : ''})`);
  const more = blocking.length > 5 ? ` and ${blocking.length - 5} more` : '';
  return `pull blocked by the vulnerability policy (${threshold} or worse): ${worst.join(', ')}${more}`;
}
