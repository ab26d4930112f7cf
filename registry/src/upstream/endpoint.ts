/** Well-known registry kinds; they change host names, path defaults and a few protocol details. */
export type RegistryType = 'distribution' | 'dockerhub' | 'harbor' | 'ghcr' | 'quay' | 'berth';

export interface Endpoint {
  /** Base URL requests go to, without a trailing slash: https://registry-1.docker.io */
  apiBase: string;
  type: RegistryType;
}

/**
 * Where the API of a configured registry URL lives. `docker.io` (and its aliases) is a name, not the API host:
 * Docker Hub serves the registry API on registry-1.docker.io. URLs without a scheme are https.
 */
export function resolveEndpoint(url: string, type?: RegistryType): Endpoint {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : `https://${url}`;
  const u = new URL(withScheme);
  const host = u.host.toLowerCase();
  let detected: RegistryType = 'distribution';
  if (host === 'docker.io' || host === 'index.docker.io' || host === 'registry-1.docker.io' || host === 'registry.hub.docker.com') {
    detected = 'dockerhub';
    u.host = 'registry-1.docker.io';
  } else if (host === 'ghcr.io') detected = 'ghcr';
  else if (host === 'quay.io') detected = 'quay';
  return { apiBase: `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`, type: type ?? detected };
}

/** Docker Hub keeps official images under `library/`: `alpine` is `library/alpine` there. */
export function upstreamRepository(path: string, type: RegistryType): string {
  return type === 'dockerhub' && !path.includes('/') ? `library/${path}` : path;
}
