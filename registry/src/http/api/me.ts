import { z } from 'zod';
import { route } from './route.js';
import { ApiError } from './errors.js';
import { SESSION_COOKIE, limitOrThrow } from './authn.js';
import { passwordSchema, userSchema } from './schemas.js';

export const meRoutes = [
  route({
    method: 'get',
    path: '/me',
    summary: 'The calling user and what they may do',
    tag: 'me',
    access: 'user',
    response: z.object({ user: userSchema, permissions: z.object({ write: z.boolean(), admin: z.boolean() }) }),
    handler(ctx, _input, deps) {
      const p = ctx.state.auth!.principal;
      return { user: deps.users.get(p.username!)!, permissions: { write: p.role === 'admin' || p.role === 'developer', admin: p.role === 'admin' } };
    },
  }),
  route<Record<string, never>, Record<string, never>, { currentPassword: string; newPassword: string }>({
    method: 'put',
    path: '/me/password',
    summary: 'Change your own password (signs out your other sessions)',
    tag: 'me',
    access: 'user',
    body: z.object({ currentPassword: z.string().min(1).max(256), newPassword: passwordSchema }),
    async handler(ctx, { body }, deps) {
      const username = ctx.state.auth!.principal.username!;
      limitOrThrow(ctx, deps, username);
      if (!(await deps.users.authenticate(username, body.currentPassword))) {
        deps.limiter.fail(ctx.ip, username);
        throw new ApiError('validation_failed', 'the current password is wrong', { field: 'currentPassword', issues: [{ in: 'body', field: 'currentPassword', message: 'wrong password' }] });
      }
      await deps.users.setPassword(username, body.newPassword);
      deps.sessions.revokeUser(username, ctx.cookies.get(SESSION_COOKIE));
      return undefined;
    },
  }),
];
