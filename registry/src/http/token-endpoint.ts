import { DomainError } from '../errors.js';
import { anonymousPrincipal, parseScopes, type AccessScope, type Principal } from '../auth/access.js';
import { checkCredentials, parseBasic, type AuthDeps } from './authn.js';
import { readSmallBody } from './body.js';
import type { Ctx } from './state.js';

/**
 * Docker registry token endpoint (`GET /auth/token?service=…&scope=…`, Basic credentials optional) and the
 * OAuth2 password grant (`POST` form) some clients use. Anonymous callers get tokens limited to what
 * anonymous users may do; a token never grants more than the principal may.
 */
export async function tokenEndpoint(ctx: Ctx, deps: AuthDeps): Promise<void> {
  let principal: Principal = anonymousPrincipal;
  let scopes: AccessScope[];
  let username: string | undefined;
  let password: string | undefined;
  if (ctx.method === 'POST') {
    const form = new URLSearchParams((await readSmallBody(ctx.req, 64 * 1024)).toString('utf8'));
    const grant = form.get('grant_type');
    if (grant !== 'password') throw new DomainError('UNSUPPORTED', `grant_type ${grant ?? '(none)'} is not supported`);
    username = form.get('username') ?? undefined;
    password = form.get('password') ?? undefined;
    scopes = form.getAll('scope').flatMap(parseScopes);
  } else {
    const creds = parseBasic(ctx.get('authorization'));
    username = creds?.username;
    password = creds?.password;
    const raw = ctx.query.scope;
    scopes = (Array.isArray(raw) ? raw : raw ? [raw] : []).flatMap(parseScopes);
  }
  if (username !== undefined) {
    const p = (await checkCredentials(deps, username, password ?? ''))?.principal;
    if (!p) {
      throw new DomainError('UNAUTHORIZED', 'invalid username or password', undefined, {
        'WWW-Authenticate': `Basic realm="${deps.tokens.service}"`,
      });
    }
    principal = p;
  }
  const withAliases = scopes.flatMap((s) =>
    s.type === 'repository' && deps.aliases ? [s, ...deps.aliases(s.name).map((name) => ({ ...s, name }))] : [s],
  );
  const access = withAliases
    .map((s) => ({ ...s, actions: deps.policy.granted(principal, s) }))
    .filter((s) => s.actions.length > 0);
  const issued = await deps.tokens.issue(principal.username, access);
  ctx.set('Cache-Control', 'no-store');
  ctx.body = {
    token: issued.token,
    access_token: issued.token,
    expires_in: issued.expiresIn,
    issued_at: issued.issuedAt.toISOString(),
  };
}
