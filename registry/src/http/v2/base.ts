import type { Ctx } from '../state.js';
import type { V2Deps } from './deps.js';
import { challenge, authenticate } from '../authn.js';

/** `GET /v2/`: 200 for an authenticated client, 401 with a token challenge otherwise (as Distribution does). */
export async function get(ctx: Ctx, deps: V2Deps): Promise<void> {
  const auth = await authenticate(ctx, deps.auth);
  if (auth.kind === 'anonymous') throw challenge(ctx, deps.auth, undefined, undefined, 'authentication required');
  ctx.set('Content-Type', 'application/json');
  ctx.body = '{}';
}
