/**
 * One per upstream (Verdaccio's max_fails/fail_timeout, done as a breaker): after `failures` consecutive
 * failures the upstream is marked down for `cooldownMs`, and requests are answered from cache at once instead
 * of waiting for timeouts. After the cooldown a single request goes through as a probe; its success closes the
 * breaker, its failure opens it for another cooldown.
 */
export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerOptions {
  failures: number;
  cooldownMs: number;
  onChange?: (state: 'up' | 'down', reason: string | undefined) => void;
  now?: () => number;
}

export class CircuitBreaker {
  private consecutive = 0;
  private openedAt = 0;
  private probing = false;
  private current: BreakerState = 'closed';
  private lastError: string | undefined;
  private readonly now: () => number;

  constructor(private readonly opts: BreakerOptions) {
    this.now = opts.now ?? Date.now;
  }

  get state(): BreakerState {
    return this.current;
  }

  get up(): boolean {
    return this.current === 'closed';
  }

  get reason(): string | undefined {
    return this.lastError;
  }

  /** Whether a request may go to the upstream now. In half-open state only one probe at a time is let through. */
  allow(): boolean {
    if (this.current === 'closed') return true;
    if (this.current === 'open' && this.now() - this.openedAt >= this.opts.cooldownMs) {
      this.current = 'half-open';
      this.probing = false;
    }
    if (this.current === 'half-open' && !this.probing) {
      this.probing = true;
      return true;
    }
    return false;
  }

  success(): void {
    const wasDown = this.current !== 'closed';
    this.consecutive = 0;
    this.probing = false;
    this.current = 'closed';
    this.lastError = undefined;
    if (wasDown) this.opts.onChange?.('up', undefined);
  }

  failure(reason: string): void {
    this.lastError = reason;
    this.consecutive += 1;
    if (this.current === 'half-open' || (this.current === 'closed' && this.consecutive >= this.opts.failures)) {
      const wasClosed = this.current === 'closed';
      this.current = 'open';
      this.openedAt = this.now();
      this.probing = false;
      if (wasClosed) this.opts.onChange?.('down', reason);
    }
  }

  reset(): void {
    const wasDown = this.current !== 'closed';
    this.consecutive = 0;
    this.current = 'closed';
    this.probing = false;
    if (wasDown) this.opts.onChange?.('up', 'reset');
  }
}
