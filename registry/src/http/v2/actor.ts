import type { Actor } from '../../registry/index.js';
import type { Ctx } from '../state.js';

export function actorOf(ctx: Ctx): Actor {
  return { username: ctx.state.auth?.principal.username };
}
