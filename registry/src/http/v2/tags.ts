import type { Ctx } from '../state.js';
import { authorize } from '../authn.js';
import type { V2Deps } from './deps.js';
import type { RouteParams } from './routes.js';
import { pageParams, setNextLink } from './pagination.js';

export async function list(ctx: Ctx, deps: V2Deps, p: RouteParams): Promise<void> {
  await authorize(ctx, deps.auth, 'repository', p.name, 'pull');
  const { n, last } = pageParams(ctx);
  const page = deps.registry.content.tags(p.name, n, last);
  setNextLink(ctx, `/v2/${p.name}/tags/list`, n, page);
  ctx.body = { name: p.name, tags: page.items };
}
