import type { ScanReport } from './scanner.js';

/*
 * `berth scan --server URL`: the same gate against a running Berth, through its admin API, for build
 * pipelines that do not own the data folder. Credentials come from the environment so that they stay out of
 * process listings and shell history: BERTH_TOKEN (a personal access token) or BERTH_USERNAME and
 * BERTH_PASSWORD.
 */

export class ServerScanError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}

export interface ServerCredentials {
  token?: string;
  username?: string;
  password?: string;
}

export function credentialsFromEnv(env: NodeJS.ProcessEnv = process.env): ServerCredentials {
  return { token: env.BERTH_TOKEN || undefined, username: env.BERTH_USERNAME || undefined, password: env.BERTH_PASSWORD || undefined };
}

function authorization(c: ServerCredentials): string | undefined {
  if (c.token) return `Bearer ${c.token}`;
  if (c.username !== undefined && c.password !== undefined) return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
  return undefined;
}

interface ApiErrorBody {
  error?: { id?: string; message?: string };
}

/** Asks the server to scan REPO:TAG (or REPO@DIGEST) now and returns its report. */
export interface ServerScan extends ScanReport {
  /** Why the server's database is stale, if it is, and whether its policy makes that fail gates. */
  stale: string | undefined;
  staleBlocks: boolean;
  /** Digest of the SBOM referrer attached, when asked for. */
  sbom?: string;
}

export async function scanOnServer(server: string, repository: string, ref: string, creds: ServerCredentials, attachSbom: boolean): Promise<ServerScan> {
  let base: URL;
  try {
    base = new URL(server);
  } catch {
    throw new ServerScanError(`--server must be a URL such as http://berth.local:5000, not ${server}`);
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new ServerScanError(`--server must be an http or https URL, not ${server}`);
  const auth = authorization(creds);
  if (!auth) throw new ServerScanError('set BERTH_TOKEN (an access token) or BERTH_USERNAME and BERTH_PASSWORD to scan on a server');
  const artifact = `${base.origin}${base.pathname.replace(/\/$/, '')}/api/v1/repositories/${encodeURIComponent(repository)}/artifacts/${encodeURIComponent(ref)}`;
  const call = async (url: string): Promise<unknown> => {
    let res: Response;
    try {
      res = await fetch(url, { method: 'POST', headers: { authorization: auth, accept: 'application/json' } });
    } catch (e) {
      throw new ServerScanError(`cannot reach ${base.origin}: ${(e as Error & { cause?: Error }).cause?.message ?? (e as Error).message}`);
    }
    const text = await res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new ServerScanError(`${base.origin} answered ${res.status} with something that is not JSON: is it a Berth server?`);
    }
    if (!res.ok) {
      const err = (body as ApiErrorBody).error;
      throw new ServerScanError(`${base.origin} refused the scan (${res.status}${err?.id ? ` ${err.id}` : ''}): ${err?.message ?? text.slice(0, 200)}`);
    }
    return body;
  };
  const r = (await call(`${artifact}/scan`)) as Omit<ScanReport, 'repository' | 'dbBuiltAt'> & { dbBuiltAt: number | null; stale: string | null; staleBlocks: boolean };
  const report: ServerScan = { ...r, repository, dbBuiltAt: r.dbBuiltAt ?? undefined, stale: r.stale ?? undefined, staleBlocks: r.staleBlocks === true };
  if (attachSbom) report.sbom = ((await call(`${artifact}/sbom`)) as { digest: string }).digest;
  return report;
}
