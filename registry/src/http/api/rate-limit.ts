/**
 * Failed-login limiter: a sliding window of failures per key (client address, and address + user name).
 * Only failures count, so a user who types the password right is never slowed down by others.
 */
export class LoginLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly perUser = 10,
    private readonly perAddress = 50,
    private readonly windowMs = 15 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Seconds until the next attempt is allowed, or 0 when it may go ahead. */
  retryAfter(address: string, username: string): number {
    const t = this.now();
    const wait = (key: string, max: number): number => {
      const list = this.recent(key, t);
      return list.length >= max ? Math.ceil((list[0]! + this.windowMs - t) / 1000) : 0;
    };
    return Math.max(wait(`a:${address}`, this.perAddress), wait(`u:${address}\u0000${username}`, this.perUser));
  }

  fail(address: string, username: string): void {
    const t = this.now();
    for (const key of [`a:${address}`, `u:${address}\u0000${username}`]) {
      const list = this.recent(key, t);
      list.push(t);
      this.failures.set(key, list);
    }
    if (this.failures.size > 100_000) this.failures.clear();
  }

  succeed(address: string, username: string): void {
    this.failures.delete(`u:${address}\u0000${username}`);
  }

  private recent(key: string, t: number): number[] {
    const list = (this.failures.get(key) ?? []).filter((x) => t - x < this.windowMs);
    if (list.length === 0) this.failures.delete(key);
    return list;
  }
}
