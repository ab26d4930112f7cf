import { DomainError } from '../../errors.js';
import { assertRepositoryName } from '../../oci/reference.js';
import type { Ctx } from '../state.js';
import type { V2Deps } from './deps.js';
import * as base from './base.js';
import * as blobs from './blobs.js';
import * as uploads from './uploads.js';
import * as manifests from './manifests.js';
import * as tags from './tags.js';
import * as catalog from './catalog.js';
import * as referrers from './referrers.js';
import { proxyDispatch, routeMirror } from './proxy.js';

export interface RouteParams {
  name: string;
  ref: string;
}

type Handler = (ctx: Ctx, deps: V2Deps, p: RouteParams) => Promise<void>;

interface Route {
  id: string;
  pattern: RegExp;
  methods: Partial<Record<string, Handler>>;
}

/*
 * The distribution API's URL grammar. Repository names contain slashes, so routes are matched on the raw
 * (undecoded) path from the end: `<name>/manifests/<ref>` etc. An encoded slash or dot segment in a name
 * then fails the name grammar (NAME_INVALID) instead of being decoded into something else.
 */
const routes: Route[] = [
  { id: 'base', pattern: /^\/v2\/?$/, methods: { GET: base.get, HEAD: base.get } },
  { id: 'catalog', pattern: /^\/v2\/_catalog$/, methods: { GET: catalog.list } },
  { id: 'tags', pattern: /^\/v2\/(.+)\/tags\/list$/, methods: { GET: tags.list } },
  {
    id: 'manifests',
    pattern: /^\/v2\/(.+)\/manifests\/([^/]+)$/,
    methods: { GET: manifests.get, HEAD: manifests.get, PUT: manifests.put, DELETE: manifests.del },
  },
  { id: 'uploads_start', pattern: /^\/v2\/(.+)\/blobs\/uploads\/?$/, methods: { POST: uploads.start } },
  {
    id: 'uploads',
    pattern: /^\/v2\/(.+)\/blobs\/uploads\/([^/]+)$/,
    methods: { GET: uploads.status, PATCH: uploads.patch, PUT: uploads.complete, DELETE: uploads.cancel },
  },
  { id: 'blobs', pattern: /^\/v2\/(.+)\/blobs\/([^/]+)$/, methods: { GET: blobs.get, HEAD: blobs.get, DELETE: blobs.del } },
  { id: 'referrers', pattern: /^\/v2\/(.+)\/referrers\/([^/]+)$/, methods: { GET: referrers.list } },
];

export function v2Middleware(deps: V2Deps) {
  return async (ctx: Ctx, next: () => Promise<void>): Promise<void> => {
    if (ctx.path !== '/v2' && !ctx.path.startsWith('/v2/')) return next();
    ctx.set('Docker-Distribution-API-Version', 'registry/2.0');
    for (const route of routes) {
      const m = route.pattern.exec(ctx.path);
      if (!m) continue;
      ctx.state.route = `v2_${route.id}`;
      const handler = route.methods[ctx.method];
      if (!handler) {
        ctx.set('Allow', Object.keys(route.methods).join(', '));
        throw new DomainError('UNSUPPORTED', `${ctx.method} is not supported on this endpoint`, undefined, {});
      }
      const params: RouteParams = { name: m[1] ?? '', ref: m[2] ?? '' };
      if (route.id !== 'base' && route.id !== 'catalog') assertRepositoryName(params.name);
      if (deps.proxy && route.id !== 'base' && route.id !== 'catalog') {
        routeMirror(ctx, deps.proxy, route.id, params);
        if (await proxyDispatch(ctx, deps, deps.proxy, route.id, params)) return;
      }
      await handler(ctx, deps, params);
      return;
    }
    ctx.state.route = 'v2_unknown';
    throw new DomainError('NAME_INVALID', 'no such endpoint, or an invalid repository name in the path');
  };
}
