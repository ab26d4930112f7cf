import type { Registry } from '../../registry/index.js';
import type { AuthDeps } from '../authn.js';
import type { Metrics } from '../metrics.js';

export interface V2Deps {
  registry: Registry;
  auth: AuthDeps;
  metrics: Metrics;
}
