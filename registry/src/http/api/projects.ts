import { z } from 'zod';
import { route } from './route.js';
import { ApiError } from './errors.js';
import { timestamp } from './schemas.js';

const projectSchema = z.object({ name: z.string(), public: z.boolean(), kind: z.string(), createdAt: timestamp });

export const projectRoutes = [
  route({
    method: 'get',
    path: '/projects',
    summary: 'Projects (the first path component of repository names) and whether anonymous users may pull',
    tag: 'projects',
    access: 'user',
    response: z.object({ items: z.array(projectSchema) }),
    handler(_ctx, _input, deps) {
      return { items: deps.meta.repositories.projects() };
    },
  }),
  route<{ name: string }, Record<string, never>, { public: boolean }>({
    method: 'patch',
    path: '/projects/{name}',
    summary: 'Make a project public (anonymous pull) or private',
    tag: 'projects',
    access: 'admin',
    params: z.object({ name: z.string().min(1).max(255) }),
    body: z.object({ public: z.boolean() }).strict(),
    response: projectSchema,
    handler(_ctx, { params, body }, deps) {
      if (!deps.meta.repositories.project(params.name)) throw new ApiError('project_not_found', `no project ${params.name}`);
      deps.meta.repositories.setPublic(params.name, body.public);
      return deps.meta.repositories.project(params.name)!;
    },
  }),
];
