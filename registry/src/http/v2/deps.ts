import type { Registry } from '../../registry/index.js';
import type { AuthDeps } from '../authn.js';
import type { Metrics } from '../metrics.js';
import type { PullThroughCache } from '../../proxy/pull-through.js';

export interface V2Deps {
  registry: Registry;
  auth: AuthDeps;
  metrics: Metrics;
  /** Pull-through cache for proxy projects (absent: no proxy projects are served). */
  proxy?: PullThroughCache | undefined;
}
