import { z } from 'zod';
import { ApiError } from './errors.js';
import { PolicyError } from '../../policy/errors.js';
import { queryInt } from './schemas.js';
import type { Ctx } from '../state.js';
import type { Actor } from '../../registry/context.js';

/** Shared by the policy resources (immutability.ts, quotas.ts, retention.ts): error mapping and parameters. */

export function policyApiError(e: unknown): unknown {
  if (!(e instanceof PolicyError)) return e;
  const id = e.kind === 'invalid' ? 'validation_failed' : e.kind;
  return new ApiError(id, e.message);
}

export function policyMapped<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw policyApiError(e);
  }
}

export async function policyMappedAsync<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw policyApiError(e);
  }
}

export const projectParams = z.object({ name: z.string().min(1).max(255) });
export const projectRuleParams = z.object({ name: z.string().min(1).max(255), id: queryInt(1, Number.MAX_SAFE_INTEGER) });

/** The signed-in user as the policy services record them. */
export const actorOf = (ctx: Ctx): Actor => ({ username: ctx.state.auth?.principal.username });

export const globSchema = z.string().min(1).max(255).meta({ description: 'doublestar glob (picomatch); a leading ! inverts' });
