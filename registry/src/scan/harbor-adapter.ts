import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { severityFromLabel, severityFromScore, cvss3BaseScore, type Severity } from './severity.js';
import type { Finding } from './matcher.js';

/*
 * A client for Harbor's pluggable scanner adapter API (v1.0/1.1: GET /metadata, POST /scan, GET
 * /scan/{id}/report), so that a site can use a scanner it already runs (the Trivy adapter, a vendor's)
 * instead of Berth's own. The adapter pulls the artifact from Berth with the short-lived, pull-only token
 * Berth hands it; its findings land in the same reports and pull gates as Berth's own.
 */

export const SCAN_REQUEST_TYPE = 'application/vnd.scanner.adapter.scan.request+json; version=1.0';
export const HARBOR_REPORT_TYPE = 'application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0';

export class AdapterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AdapterError';
  }
}

export interface AdapterOptions {
  /** Base URL of the adapter; the API lives under /api/v1. */
  url: string;
  /** Value of the Authorization header the adapter expects, if any (from the secret store). */
  credential: () => Promise<string | undefined>;
  /** How long one artifact's scan may take before it counts as failed. */
  timeoutMs: number;
  /** Poll interval when the adapter gives no Refresh-After. */
  pollMs?: number;
}

export interface AdapterArtifact {
  /** The URL the adapter pulls from (Berth as the adapter reaches it) and the Authorization it sends. */
  registry: { url: string; authorization: string };
  repository: string;
  digest: string;
  mediaType: string;
}

const metadataSchema = z.object({
  scanner: z.object({ name: z.string(), vendor: z.string().optional(), version: z.string().optional() }),
  capabilities: z.array(z.object({ consumes_mime_types: z.array(z.string()), produces_mime_types: z.array(z.string()) })).min(1),
});
export type AdapterMetadata = z.infer<typeof metadataSchema>;

const vulnerabilitySchema = z.object({
  id: z.string().min(1),
  package: z.string().min(1),
  version: z.string(),
  fix_version: z.string().nullish(),
  severity: z.string().nullish(),
  description: z.string().nullish(),
  preferred_cvss: z.object({ score_v3: z.number().nullish(), vector_v3: z.string().nullish() }).nullish(),
  layer: z.object({ digest: z.string().nullish() }).nullish(),
});
const reportSchema = z.object({
  scanner: z.object({ name: z.string(), version: z.string().optional() }).optional(),
  vulnerabilities: z.array(vulnerabilitySchema).nullish(),
});

export class HarborAdapterClient {
  private readonly base: string;

  constructor(private readonly opts: AdapterOptions) {
    this.base = `${opts.url.replace(/\/+$/, '')}/api/v1`;
  }

  private async call(path: string, init: RequestInit & { headers: Record<string, string> }): Promise<Response> {
    const credential = await this.opts.credential();
    if (credential) init.headers.authorization = credential;
    try {
      return await fetch(`${this.base}${path}`, { ...init, redirect: 'manual', signal: AbortSignal.timeout(30_000) });
    } catch (e) {
      throw new AdapterError(`scanner adapter at ${this.opts.url} unreachable: ${(e as Error & { cause?: Error }).cause?.message ?? (e as Error).message}`);
    }
  }

  async metadata(): Promise<AdapterMetadata> {
    const res = await this.call('/metadata', { headers: { accept: 'application/vnd.scanner.adapter.metadata+json; version=1.0' } });
    if (!res.ok) throw new AdapterError(`scanner adapter metadata: HTTP ${res.status}`);
    const parsed = metadataSchema.safeParse(await res.json().catch(() => undefined));
    if (!parsed.success) throw new AdapterError('scanner adapter metadata is not what the adapter API specifies');
    return parsed.data;
  }

  /** Requests a scan and polls for its report until done, failed or timed out. */
  async scan(artifact: AdapterArtifact): Promise<{ scanner: string; findings: Finding[] }> {
    const body = JSON.stringify({
      registry: artifact.registry,
      artifact: { repository: artifact.repository, digest: artifact.digest, mime_type: artifact.mediaType },
    });
    const accepted = await this.call('/scan', { method: 'POST', body, headers: { 'content-type': SCAN_REQUEST_TYPE, accept: 'application/vnd.scanner.adapter.scan.response+json; version=1.0' } });
    if (accepted.status !== 202) throw new AdapterError(`scanner adapter refused the scan request: HTTP ${accepted.status} ${await errorText(accepted)}`);
    const id = (await accepted.json().catch(() => undefined)) as { id?: unknown } | undefined;
    if (typeof id?.id !== 'string' || !/^[A-Za-z0-9._-]{1,200}$/.test(id.id)) throw new AdapterError('scanner adapter answered the scan request without a usable id');
    const deadline = Date.now() + this.opts.timeoutMs;
    for (;;) {
      const res = await this.call(`/scan/${id.id}/report`, { headers: { accept: HARBOR_REPORT_TYPE } });
      if (res.status === 302) {
        await res.body?.cancel();
        if (Date.now() > deadline) throw new AdapterError(`scanner adapter did not finish within ${Math.round(this.opts.timeoutMs / 1000)} s`);
        const refresh = Number(res.headers.get('refresh-after'));
        await sleep(Number.isFinite(refresh) && refresh > 0 ? Math.min(refresh * 1000, 30_000) : (this.opts.pollMs ?? 1000));
        continue;
      }
      if (res.status !== 200) throw new AdapterError(`scanner adapter failed the scan: HTTP ${res.status} ${await errorText(res)}`);
      const parsed = reportSchema.safeParse(await res.json().catch(() => undefined));
      if (!parsed.success) throw new AdapterError(`scanner adapter report is malformed: ${parsed.error.issues[0]?.path.join('.')} ${parsed.error.issues[0]?.message}`);
      const scanner = parsed.data.scanner ? `${parsed.data.scanner.name} ${parsed.data.scanner.version ?? ''}`.trim() : this.opts.url;
      return { scanner, findings: (parsed.data.vulnerabilities ?? []).map(toFinding) };
    }
  }
}

async function errorText(res: Response): Promise<string> {
  const text = await res.text().catch(() => '');
  try {
    const m = (JSON.parse(text) as { error?: { message?: string } }).error?.message;
    if (m) return m;
  } catch {
    // not JSON: the raw text says what it says
  }
  return text.slice(0, 200);
}

function toFinding(v: z.infer<typeof vulnerabilitySchema>): Finding {
  const vector = v.preferred_cvss?.vector_v3 ?? undefined;
  const score = v.preferred_cvss?.score_v3 ?? (vector ? cvss3BaseScore(vector) : undefined) ?? undefined;
  const severity: Severity = severityFromLabel(v.severity ?? undefined) ?? (score !== undefined ? severityFromScore(score) : 'unknown');
  return {
    vulnId: v.id,
    aliases: [],
    severity,
    score,
    package: v.package,
    packageType: 'adapter',
    installed: v.version,
    fixed: v.fix_version || undefined,
    layer: v.layer?.digest ?? '',
    summary: v.description?.split('\n')[0]?.slice(0, 300) || undefined,
  };
}
