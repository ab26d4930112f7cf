/**
 * Shares one in-flight operation per key: the first caller starts it, later callers with the same key get
 * the same promise, so every waiter sees the same result or the same error (Zot's in-flight sharing told
 * only one waiter the error). The entry is dropped when the operation settles, or later when `hold` says so
 * (a blob fill stays joinable until its bytes are committed).
 */
export class InFlight<T> {
  private readonly running = new Map<string, Promise<T>>();

  get size(): number {
    return this.running.size;
  }

  has(key: string): boolean {
    return this.running.has(key);
  }

  run(key: string, start: () => Promise<T>, hold?: (value: T) => Promise<unknown>): Promise<T> {
    const existing = this.running.get(key);
    if (existing) return existing;
    const p = start();
    this.running.set(key, p);
    const drop = (): void => {
      if (this.running.get(key) === p) this.running.delete(key);
    };
    p.then(
      (v) => (hold ? hold(v).then(drop, drop) : drop()),
      drop,
    );
    return p;
  }
}
