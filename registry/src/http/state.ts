import type Koa from 'koa';
import type { Logger } from 'pino';
import type { Principal } from '../auth/access.js';
import type { TokenClaims } from '../auth/tokens.js';

export interface BerthState {
  requestId: string;
  log: Logger;
  /** Metric label for the matched route (low cardinality). */
  route: string;
  auth: AuthResult | undefined;
}

export type AuthResult =
  | { kind: 'anonymous'; principal: Principal }
  | { kind: 'basic'; principal: Principal; /** a personal access token, not a password */ accessToken?: boolean }
  | { kind: 'token'; principal: Principal; claims: TokenClaims }
  | { kind: 'session'; principal: Principal };

export type Ctx = Koa.ParameterizedContext<BerthState>;
export type Middleware = Koa.Middleware<BerthState>;
