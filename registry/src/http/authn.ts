import { DomainError } from '../errors.js';
import { anonymousPrincipal, formatScope, type AccessPolicy, type AccessScope, type Action, type Principal } from '../auth/access.js';
import { SCANNER_SUBJECT, tokenAllows, type TokenService } from '../auth/tokens.js';
import type { UserService } from '../auth/user-service.js';
import { isAccessToken, type AccessTokenService } from '../auth/access-tokens.js';
import type { AuthResult, Ctx } from './state.js';

export interface AuthDeps {
  users: UserService;
  tokens: TokenService;
  policy: AccessPolicy;
  /** Names a request for this repository may be routed to (proxy mirrors); tokens cover them too. */
  aliases?: (repository: string) => string[];
  /** Public base URL, or undefined to derive it from the request. */
  externalUrl: string | undefined;
  /** Personal access tokens, accepted wherever a password is. */
  accessTokens?: AccessTokenService;
}

/**
 * Checks a username and password, where the password may be one of the user's personal access tokens.
 * `accessToken` tells the caller which it was (a token may not, for instance, create more tokens).
 */
export async function checkCredentials(deps: Pick<AuthDeps, 'users' | 'accessTokens'>, username: string, password: string): Promise<{ principal: Principal; accessToken: boolean } | undefined> {
  // A token-shaped password is checked as a token only: a revoked or expired one costs a hash lookup, not scrypt.
  if (deps.accessTokens && isAccessToken(password)) {
    const principal = deps.accessTokens.authenticate(password, username);
    return principal && { principal, accessToken: true };
  }
  const principal = await deps.users.authenticate(username, password);
  return principal && { principal, accessToken: false };
}

/** Parses `Authorization: Basic …` into its parts, or undefined. */
export function parseBasic(header: string | undefined): { username: string; password: string } | undefined {
  if (!header || !/^basic /i.test(header)) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  if (i < 0) return undefined;
  return { username: decoded.slice(0, i), password: decoded.slice(i + 1) };
}

export function baseUrl(ctx: Ctx, externalUrl: string | undefined): string {
  return externalUrl ? externalUrl.replace(/\/+$/, '') : `${ctx.protocol}://${ctx.host}`;
}

/**
 * Who is asking on /v2: a bearer token we issued, Basic credentials (scripts, CI), or nobody.
 * Bad credentials are an error straight away; missing ones are anonymous.
 */
export async function authenticate(ctx: Ctx, deps: AuthDeps): Promise<AuthResult> {
  if (ctx.state.auth) return ctx.state.auth;
  const header = ctx.get('authorization');
  let result: AuthResult;
  if (/^bearer /i.test(header)) {
    const claims = await deps.tokens.verify(header.slice(7).trim());
    if (!claims) throw challenge(ctx, deps, undefined, 'invalid_token', 'the bearer token is invalid or expired');
    // A token names its user: once that user is disabled or deleted, its outstanding tokens stop working.
    // The scanner adapter's token is no user's: it carries its one pull scope and nothing else.
    const principal: Principal | undefined =
      claims.sub === SCANNER_SUBJECT ? { username: SCANNER_SUBJECT, role: undefined } : claims.sub ? deps.users.principalOf(claims.sub) : anonymousPrincipal;
    if (!principal) throw challenge(ctx, deps, undefined, 'invalid_token', 'the user of this token is disabled or deleted');
    result = { kind: 'token', principal, claims };
  } else if (/^basic /i.test(header)) {
    const creds = parseBasic(header);
    const checked = creds && (await checkCredentials(deps, creds.username, creds.password));
    if (!checked) throw challenge(ctx, deps, undefined, undefined, 'invalid username or password');
    result = { kind: 'basic', principal: checked.principal, accessToken: checked.accessToken };
  } else {
    result = { kind: 'anonymous', principal: anonymousPrincipal };
  }
  ctx.state.auth = result;
  return result;
}

/**
 * Throws UNAUTHORIZED (with a challenge naming the scope) or DENIED unless the request may do `action`.
 * `alsoUseful` are further scopes the request can make use of without requiring them (a mount's source
 * repository): the challenge names them too, as Distribution does, so the token a client fetches covers them.
 */
export async function authorize(
  ctx: Ctx,
  deps: AuthDeps,
  type: AccessScope['type'],
  name: string,
  action: Action,
  alsoUseful: readonly AccessScope[] = [],
): Promise<void> {
  const auth = await authenticate(ctx, deps);
  const scopes: AccessScope[] = [{ type, name, actions: type === 'registry' ? ['*'] : scopeActions(action) }, ...alsoUseful];
  if (auth.kind === 'token') {
    if (tokenAllows(auth.claims, type, name, action)) return;
    throw challenge(ctx, deps, scopes, 'insufficient_scope', `token does not grant ${action} on ${name}`);
  }
  if (deps.policy.may(auth.principal, type, name, action)) return;
  if (auth.kind === 'anonymous') throw challenge(ctx, deps, scopes, undefined, 'authentication required');
  throw new DomainError('DENIED', `${auth.principal.username ?? 'anonymous'} may not ${action} ${name}`);
}

/** Whether the current request may read another repository (cross-repository mount). */
export async function mayPull(ctx: Ctx, deps: AuthDeps, repository: string): Promise<boolean> {
  const auth = await authenticate(ctx, deps);
  if (auth.kind === 'token') return tokenAllows(auth.claims, 'repository', repository, 'pull');
  return deps.policy.may(auth.principal, 'repository', repository, 'pull');
}

/** Synchronous variant for an already authenticated request. */
export function mayPullSync(ctx: Ctx, deps: AuthDeps, repository: string): boolean {
  const auth = ctx.state.auth;
  if (!auth) return false;
  if (auth.kind === 'token') return tokenAllows(auth.claims, 'repository', repository, 'pull');
  return deps.policy.may(auth.principal, 'repository', repository, 'pull');
}

function scopeActions(action: Action): Action[] {
  // Docker clients ask for pull,push together; the challenge names what a push needs.
  return action === 'push' ? ['pull', 'push'] : [action];
}

export function challenge(ctx: Ctx, deps: AuthDeps, scopes: readonly AccessScope[] | undefined, error: string | undefined, message: string): DomainError {
  const parts = [`realm="${baseUrl(ctx, deps.externalUrl)}/auth/token"`, `service="${deps.tokens.service}"`];
  // Several scopes share one space-separated attribute (the token spec's form, which clients pass on verbatim).
  if (scopes && scopes.length > 0) parts.push(`scope="${scopes.map(formatScope).join(' ')}"`);
  if (error) parts.push(`error="${error}"`);
  return new DomainError('UNAUTHORIZED', message, undefined, { 'WWW-Authenticate': `Bearer ${parts.join(',')}` });
}
