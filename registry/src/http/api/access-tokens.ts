import { z } from 'zod';
import { route } from './route.js';
import { ApiError } from './errors.js';
import { timestamp } from './schemas.js';
import { AccessTokenError, tokenNameSchema, type AccessTokenService } from '../../auth/access-tokens.js';
import type { ApiDeps } from './deps.js';
import type { Ctx } from '../state.js';

const tokenSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  createdAt: timestamp,
  expiresAt: timestamp.nullable().meta({ description: 'null: never expires' }),
  lastUsedAt: timestamp.nullable().meta({ description: 'updated in batches, up to a minute late' }),
});

const DAY = 24 * 60 * 60 * 1000;

function service(deps: ApiDeps): AccessTokenService {
  const s = deps.auth.accessTokens;
  if (!s) throw new ApiError('unavailable', 'access tokens are not enabled on this server');
  return s;
}

const view = ({ id, name, createdAt, expiresAt, lastUsedAt }: z.infer<typeof tokenSchema>) => ({ id, name, createdAt, expiresAt, lastUsedAt });

function me(ctx: Ctx): string {
  const username = ctx.state.auth?.principal.username;
  if (!username) throw new ApiError('unauthenticated', 'sign in first');
  return username;
}

/** Your own personal access tokens (for docker login, skopeo, CI and scripts). */
export const accessTokenRoutes = [
  route({
    method: 'get',
    path: '/me/tokens',
    summary: 'Your personal access tokens (never the secrets)',
    tag: 'access-tokens',
    access: 'user',
    response: z.object({ items: z.array(tokenSchema) }),
    handler(ctx, _input, deps) {
      return { items: service(deps).list(me(ctx)).map(view) };
    },
  }),
  route<Record<string, never>, Record<string, never>, { name: string; expiresInDays: number | null }>({
    method: 'post',
    path: '/me/tokens',
    summary: 'Create a personal access token; the secret is in this response only. Use it as the password for docker login, Basic auth, or as a Bearer on /api/v1',
    tag: 'access-tokens',
    access: 'user',
    status: 201,
    body: z
      .object({
        name: tokenNameSchema,
        expiresInDays: z.number().int().min(1).max(3650).nullable().default(90).meta({ description: 'null: never expires' }),
      })
      .strict(),
    response: tokenSchema.extend({ token: z.string() }),
    handler(ctx, { body }, deps) {
      const auth = ctx.state.auth;
      // A leaked token must not be able to outlive its expiry by minting successors.
      if (auth?.kind === 'basic' && auth.accessToken) throw new ApiError('forbidden', 'an access token cannot create access tokens; sign in with your password');
      const expiresAt = body.expiresInDays === null ? null : Date.now() + body.expiresInDays * DAY;
      try {
        const { token, info } = service(deps).create(me(ctx), body.name, expiresAt);
        return { ...view(info), token };
      } catch (e) {
        if (e instanceof AccessTokenError && e.kind === 'exists') throw new ApiError('conflict', e.message, { field: 'name' });
        throw e;
      }
    },
  }),
  route<{ id: number }>({
    method: 'delete',
    path: '/me/tokens/{id}',
    summary: 'Revoke one of your access tokens (takes effect at once)',
    tag: 'access-tokens',
    access: 'user',
    params: z.object({ id: z.coerce.number().int().min(1) }),
    handler(ctx, { params }, deps) {
      try {
        service(deps).revoke(me(ctx), params.id);
      } catch (e) {
        if (e instanceof AccessTokenError) throw new ApiError('not_found', e.message);
        throw e;
      }
      return undefined;
    },
  }),
  // An admin's view of everybody's tokens: see what a user has issued, revoke a leaked one.
  route<{ name: string }>({
    method: 'get',
    path: '/users/{name}/tokens',
    summary: "A user's access tokens (never their secrets); admins only",
    tag: 'access-tokens',
    access: 'admin',
    params: z.object({ name: z.string().min(1).max(100) }),
    response: z.object({ items: z.array(tokenSchema) }),
    handler(_ctx, { params }, deps) {
      if (!deps.auth.users.get(params.name)) throw new ApiError('user_not_found', `no user ${params.name}`);
      return { items: service(deps).list(params.name).map(view) };
    },
  }),
  route<{ name: string; id: number }>({
    method: 'delete',
    path: '/users/{name}/tokens/{id}',
    summary: "Revoke a user's access token (takes effect at once); admins only",
    tag: 'access-tokens',
    access: 'admin',
    params: z.object({ name: z.string().min(1).max(100), id: z.coerce.number().int().min(1) }),
    handler(_ctx, { params }, deps) {
      try {
        service(deps).revoke(params.name, params.id);
      } catch (e) {
        if (e instanceof AccessTokenError) throw new ApiError('not_found', e.message);
        throw e;
      }
      return undefined;
    },
  }),
];
