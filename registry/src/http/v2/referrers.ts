import { MediaTypes } from '../../oci/media-types.js';
import type { Ctx } from '../state.js';
import { authorize } from '../authn.js';
import type { V2Deps } from './deps.js';
import type { RouteParams } from './routes.js';

export async function list(ctx: Ctx, deps: V2Deps, p: RouteParams): Promise<void> {
  await authorize(ctx, deps.auth, 'repository', p.name, 'pull');
  const raw = ctx.query.artifactType;
  const artifactType = (Array.isArray(raw) ? raw[0] : raw) || undefined;
  const index = deps.registry.content.referrers(p.name, p.ref, artifactType);
  if (artifactType) ctx.set('OCI-Filters-Applied', 'artifactType');
  ctx.set('Content-Type', MediaTypes.ociIndex);
  ctx.body = JSON.stringify(index);
}
