import { UpstreamClient } from '../upstream/client.js';
import type { RemoteRegistryConfig } from '../config/remotes.js';
import { registryPasswordSecret, type SecretStore } from '../secrets/secret-store.js';

/** An UpstreamClient for a configured remote; the password is read from the secret store when a request needs it. */
export function replicationClient(r: RemoteRegistryConfig, secrets: () => Promise<SecretStore>, retries: number): UpstreamClient {
  return new UpstreamClient({
    name: r.name,
    url: r.url,
    type: r.type,
    insecure: r.insecure,
    username: r.username,
    password: async () => (await secrets()).get(r.passwordSecret ?? registryPasswordSecret(r.name)),
    timeouts: { headersMs: r.timeoutSeconds * 1000 },
    retries,
    userAgent: 'berth-replication',
  });
}
