/**
 * What the tray says about the core: running, an upstream offline, or replication failing. Fed by signals
 * derived from the core's events (proxy.upstream, replication.finished), so the shell needs no polling and
 * no knowledge of the core's types.
 */
export type CoreSignal = { type: 'upstream'; registry: string; up: boolean } | { type: 'replication'; rule: string; ok: boolean };

export type TrayState = 'running' | 'upstream-offline' | 'replication-failing';

export interface TrayView {
  state: TrayState;
  /** First, disabled line of the tray menu. */
  label: string;
  tooltip: string;
}

const list = (names: Set<string>) => [...names].sort().join(', ');

export class TrayStatus {
  private readonly downUpstreams = new Set<string>();
  private readonly failingRules = new Set<string>();

  constructor(private readonly address: string) {}

  /** Applies a signal; true when the view changed. */
  apply(s: CoreSignal): boolean {
    const before = JSON.stringify(this.view);
    if (s.type === 'upstream') {
      if (s.up) this.downUpstreams.delete(s.registry);
      else this.downUpstreams.add(s.registry);
    } else if (s.ok) {
      this.failingRules.delete(s.rule);
    } else {
      this.failingRules.add(s.rule);
    }
    return JSON.stringify(this.view) !== before;
  }

  get view(): TrayView {
    const problems: string[] = [];
    if (this.failingRules.size > 0) problems.push(`replication failing (${list(this.failingRules)})`);
    if (this.downUpstreams.size > 0) problems.push(`upstream offline (${list(this.downUpstreams)})`);
    // Replication failing needs the operator; an offline upstream is served from cache meanwhile.
    const state: TrayState = this.failingRules.size > 0 ? 'replication-failing' : this.downUpstreams.size > 0 ? 'upstream-offline' : 'running';
    const host = this.address.replace(/^https?:\/\//, '');
    if (problems.length === 0) return { state, label: `Berth is running on ${host}`, tooltip: `Berth: running on ${this.address}` };
    const text = problems.join('; ');
    return { state, label: `Berth: ${text}`, tooltip: `Berth on ${this.address}: ${text}` };
  }
}
