import type { z } from 'zod';
import type { ApiDeps } from './deps.js';
import type { Ctx } from '../state.js';

/**
 * Who may call a route: anyone, any signed-in user, users who may change content (admin, developer), or
 * admins only.
 */
export type Access = 'public' | 'user' | 'writer' | 'admin';

export const API_PREFIX = '/api/v1';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface RouteInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
}

/**
 * One admin API operation: the single recipe every route follows (rate limit → authenticate → CSRF →
 * validate → handler), with the zod schemas that also generate the OpenAPI document. `path` uses OpenAPI
 * `{param}` syntax; a path parameter holding a repository name is sent URL-encoded (`library%2Falpine`).
 */
export interface ApiRoute<P = unknown, Q = unknown, B = unknown> {
  method: HttpMethod;
  path: string;
  summary: string;
  tag: string;
  access: Access;
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  /** Response body schema (documentation and tests); undefined for 204 or a stream. */
  response?: z.ZodType;
  /** Success status; 200 unless set. */
  status?: number;
  /** The handler writes ctx.body itself (server-sent events, documents). */
  raw?: boolean;
  /** Documented content type of a raw response. */
  rawContentType?: string;
  handler(ctx: Ctx, input: RouteInput<P, Q, B>, deps: ApiDeps): unknown;
}

/** Identity helper that infers the input types from the schemas. */
export function route<P = Record<string, never>, Q = Record<string, never>, B = undefined>(r: ApiRoute<P, Q, B>): ApiRoute {
  return r as unknown as ApiRoute;
}
