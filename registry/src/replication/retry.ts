import { isUpstreamError } from '../upstream/errors.js';

export interface RetryPolicy {
  /** Attempts in all (1 = no retry). */
  attempts: number;
  /** First backoff step (ms), doubled each time, with ±25 % jitter. */
  baseMs: number;
  /** Longest single wait, Retry-After included (ms). */
  maxMs: number;
}

export const defaultRetry: RetryPolicy = { attempts: 5, baseMs: 500, maxMs: 30_000 };

/** Whether another attempt may help: the link or the remote was down or busy (5xx, 429, timeouts). */
export function isTransient(e: unknown): boolean {
  if (isUpstreamError(e, 'unavailable')) return true;
  const code = (e as { code?: string } | undefined)?.code ?? '';
  return /^(ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT|UND_ERR_)/.test(code);
}

/**
 * Runs `fn` until it succeeds, fails for a reason a retry cannot fix, or runs out of attempts. Waits the
 * remote's Retry-After when it said one (429/503), else exponential backoff with jitter.
 */
export async function withRetry<T>(policy: RetryPolicy, fn: (attempt: number) => Promise<T>, signal?: AbortSignal, onRetry?: (e: unknown, waitMs: number) => void): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (e) {
      if (attempt >= policy.attempts || !isTransient(e) || signal?.aborted) throw e;
      const backoff = policy.baseMs * 2 ** (attempt - 1) * (0.75 + Math.random() / 2);
      const retryAfter = isUpstreamError(e) && e.retryAfterSeconds !== undefined ? e.retryAfterSeconds * 1000 : 0;
      const wait = Math.min(policy.maxMs, Math.max(backoff, retryAfter));
      onRetry?.(e, wait);
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}

/** Runs fn over items with at most `limit` at a time; results in input order. Rejections are returned, not thrown. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<PromiseSettledResult<R>[]> {
  const out: PromiseSettledResult<R>[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      try {
        out[i] = { status: 'fulfilled', value: await fn(items[i]!, i) };
      } catch (reason) {
        out[i] = { status: 'rejected', reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}
