import { DomainError } from '../../errors.js';
import type { Page } from '../../registry/content-service.js';
import type { Ctx } from '../state.js';

/** Reads `n` and `last` from the query; `n` must be a non-negative integer when present. */
export function pageParams(ctx: Ctx): { n: number | undefined; last: string | undefined } {
  const rawN = ctx.query.n;
  const rawLast = ctx.query.last;
  const nStr = Array.isArray(rawN) ? rawN[0] : rawN;
  const last = Array.isArray(rawLast) ? rawLast[0] : rawLast;
  let n: number | undefined;
  if (nStr !== undefined && nStr !== '') {
    if (!/^\d+$/.test(nStr)) throw new DomainError('PAGINATION_NUMBER_INVALID', `n must be a non-negative integer, not ${nStr.slice(0, 20)}`);
    n = Number(nStr);
  }
  return { n, last: last || undefined };
}

/** Sets the RFC 5988 `Link` header for the next page, as the distribution spec describes. */
export function setNextLink(ctx: Ctx, path: string, n: number | undefined, page: Page<string>): void {
  if (page.next === undefined || n === undefined) return;
  const q = new URLSearchParams({ n: String(n), last: page.next });
  ctx.set('Link', `<${path}?${q.toString()}>; rel="next"`);
}
