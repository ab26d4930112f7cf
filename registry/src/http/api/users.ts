import { z } from 'zod';
import { route } from './route.js';
import { ApiError } from './errors.js';
import { passwordSchema, roleSchema, userSchema, usernameSchema } from './schemas.js';
import type { ApiDeps } from './deps.js';
import type { Role } from '../../meta/users.js';

/** Refuses changes that would leave nobody able to administer Berth. */
function keepAnAdmin(deps: ApiDeps, username: string, change: string): void {
  const target = deps.users.get(username);
  if (!target || target.role !== 'admin' || target.disabled) return;
  const others = deps.users.list().filter((u) => u.role === 'admin' && !u.disabled && u.username !== username);
  if (others.length === 0) throw new ApiError('conflict', `${username} is the last enabled admin; ${change} would lock everyone out`);
}

export const userRoutes = [
  route({
    method: 'get',
    path: '/users',
    summary: 'All users',
    tag: 'users',
    access: 'admin',
    response: z.object({ items: z.array(userSchema) }),
    handler(_ctx, _input, deps) {
      return { items: deps.users.list() };
    },
  }),
  route<Record<string, never>, Record<string, never>, { username: string; password: string; role: Role }>({
    method: 'post',
    path: '/users',
    summary: 'Create a user',
    tag: 'users',
    access: 'admin',
    status: 201,
    body: z.object({ username: usernameSchema, password: passwordSchema, role: roleSchema }),
    response: userSchema,
    async handler(_ctx, { body }, deps) {
      return deps.users.create(body.username, body.password, body.role);
    },
  }),
  route<{ username: string }, Record<string, never>, { role?: Role; disabled?: boolean; password?: string }>({
    method: 'patch',
    path: '/users/{username}',
    summary: 'Change role, enable/disable, or set a new password',
    tag: 'users',
    access: 'admin',
    params: z.object({ username: usernameSchema }),
    body: z
      .object({ role: roleSchema.optional(), disabled: z.boolean().optional(), password: passwordSchema.optional() })
      .strict()
      .refine((b) => b.role !== undefined || b.disabled !== undefined || b.password !== undefined, 'give role, disabled or password'),
    response: userSchema,
    async handler(_ctx, { params, body }, deps) {
      const { username } = params;
      if (!deps.users.get(username)) throw new ApiError('user_not_found', `no user ${username}`);
      if ((body.role !== undefined && body.role !== 'admin') || body.disabled === true) keepAnAdmin(deps, username, 'this change');
      if (body.role !== undefined) deps.users.setRole(username, body.role);
      if (body.disabled !== undefined) deps.users.setDisabled(username, body.disabled);
      if (body.password !== undefined) await deps.users.setPassword(username, body.password);
      if (body.disabled === true || body.password !== undefined) deps.sessions.revokeUser(username);
      return deps.users.get(username)!;
    },
  }),
  route<{ username: string }>({
    method: 'delete',
    path: '/users/{username}',
    summary: 'Delete a user',
    tag: 'users',
    access: 'admin',
    params: z.object({ username: usernameSchema }),
    handler(ctx, { params }, deps) {
      if (params.username === ctx.state.auth!.principal.username) throw new ApiError('conflict', 'you cannot delete yourself');
      keepAnAdmin(deps, params.username, 'deleting them');
      deps.users.delete(params.username);
      deps.sessions.revokeUser(params.username);
      return undefined;
    },
  }),
];
