import type { Ctx } from '../state.js';
import { authorize } from '../authn.js';
import type { V2Deps } from './deps.js';
import { pageParams, setNextLink } from './pagination.js';

export async function list(ctx: Ctx, deps: V2Deps): Promise<void> {
  await authorize(ctx, deps.auth, 'registry', 'catalog', '*');
  const { n, last } = pageParams(ctx);
  const page = deps.registry.content.catalog(n, last);
  setNextLink(ctx, '/v2/_catalog', n, page);
  ctx.body = { repositories: page.items };
}
