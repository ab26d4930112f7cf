import { z } from 'zod';
import { route, type ApiRoute } from './route.js';
import { ApiError } from './errors.js';
import type { ScanService } from '../../scan/scan-service.js';
import { isSeverity, severities } from '../../scan/severity.js';
import { cycloneDx, spdx } from '../../scan/sbom.js';
import { CYCLONEDX_MEDIA_TYPE } from '../../scan/sbom-referrer.js';
import type { Inventory } from '../../scan/inventory/types.js';
import type { Finding } from '../../scan/matcher.js';
import type { FindingRow } from '../../meta/scan-reports.js';

const asFinding = (f: FindingRow): Finding => ({ ...f, severity: isSeverity(f.severity) ? f.severity : 'unknown', layer: f.layer ?? '' });

/*
 * Scanning over the admin API: database status, scan now, an artifact's report, and a project's scan
 * switches (scan on push, pull gate, allowlist). Thin: the ScanService and the meta tables do the work.
 */

const allowlistSchema = z.array(z.object({ id: z.string().min(1).max(100), expiresAt: z.number().int().optional() }).strict()).max(1000);

const settingsSchema = z
  .object({
    scanOnPush: z.boolean(),
    /** Block pulls with findings at or above this severity; null = no gate. */
    gateSeverity: z.enum(severities).nullable(),
    gateUnscanned: z.enum(['allow', 'block']),
    allowlist: allowlistSchema,
  })
  .strict();

const repoParams = z.object({ name: z.string().min(1).max(255), reference: z.string().min(1).max(200) });

export function scanRoutes(scan: ScanService): ApiRoute[] {
  return [
    route({
      method: 'get',
      path: '/vulndb',
      summary: 'The vulnerability database: imported sources, record counts, build dates, staleness, the artifact it came from',
      tag: 'scan',
      access: 'user',
      handler(_ctx, _input, deps) {
        // `artifact`: the database artifact last loaded from the registry (or that failed to load), if any.
        return { builtAt: scan.scanner.dbBuiltAt() ?? null, sources: deps.meta.vulndb.sources(), stale: scan.staleness() ?? null, artifact: scan.artifacts.lastLoaded() ?? null };
      },
    }),
    route({
      method: 'post',
      path: '/scan/all',
      summary: 'Queue a scan of every stored image and index; returns how many were queued',
      tag: 'scan',
      access: 'admin',
      handler() {
        return { queued: scan.scanAll() };
      },
    }),
    route({
      method: 'get',
      path: '/scan/allowlist',
      summary: 'The system CVE allowlist, honoured by every project\'s pull gate',
      tag: 'scan',
      access: 'user',
      handler() {
        return { allowlist: scan.systemAllowlist() };
      },
    }),
    route<Record<string, never>, Record<string, never>, { allowlist: z.infer<typeof allowlistSchema> }>({
      method: 'put',
      path: '/scan/allowlist',
      summary: 'Replace the system CVE allowlist',
      tag: 'scan',
      access: 'admin',
      body: z.object({ allowlist: allowlistSchema }).strict(),
      handler(_ctx, { body }) {
        scan.setSystemAllowlist(body.allowlist);
        return { allowlist: scan.systemAllowlist() };
      },
    }),
    route<{ name: string; reference: string }>({
      method: 'post',
      path: '/repositories/{name}/artifacts/{reference}/scan',
      summary: 'Scan an artifact now and return its report',
      tag: 'scan',
      access: 'writer',
      params: repoParams,
      async handler(_ctx, { params }) {
        // A failed scan is a ScanError: 422 scan_failed with the reason (toApiError), also kept in the report.
        const r = await scan.scan(params.name, params.reference);
        // The inventory too: `berth scan --server` prints tables and SBOMs from this one answer.
        return { digest: r.digest, scannedAt: r.scannedAt, dbBuiltAt: r.dbBuiltAt ?? null, counts: r.counts, findings: r.findings, notes: r.inventory.notes, inventory: r.inventory, stale: scan.staleness() ?? null, staleBlocks: scan.staleBlocks };
      },
    }),
    route<{ name: string; reference: string }>({
      method: 'get',
      path: '/repositories/{name}/artifacts/{reference}/vulnerabilities',
      summary: "An artifact's last scan report (findings worst first)",
      tag: 'scan',
      access: 'user',
      params: repoParams,
      handler(_ctx, { params }, deps) {
        const { row } = deps.registry.manifests.resolve(params.name, params.reference);
        const report = deps.meta.scanReports.get(row.digest);
        if (!report) throw new ApiError('not_found', `${params.name}@${row.digest} has not been scanned`);
        return { digest: row.digest, status: report.status, scannedAt: report.scannedAt, dbBuiltAt: report.dbBuiltAt ?? null, error: report.error ?? null, counts: report.counts, findings: deps.meta.scanReports.findings(row.digest), notes: (report.inventory as Inventory | undefined)?.notes ?? [] };
      },
    }),
    route<{ name: string; reference: string }, { format: 'cyclonedx' | 'spdx' }>({
      method: 'get',
      path: '/repositories/{name}/artifacts/{reference}/sbom',
      summary: "An artifact's SBOM (CycloneDX 1.5 or SPDX 2.3 JSON) from its last successful scan",
      tag: 'scan',
      access: 'user',
      params: repoParams,
      query: z.object({ format: z.enum(['cyclonedx', 'spdx']).default('cyclonedx') }),
      handler(ctx, { params, query }, deps) {
        const { row } = deps.registry.manifests.resolve(params.name, params.reference);
        const report = deps.meta.scanReports.get(row.digest);
        if (!report || report.status !== 'ok' || !report.inventory) throw new ApiError('not_found', `${params.name}@${row.digest} has no successful scan to take an SBOM from`);
        const subject = { name: `${params.name}@${row.digest}`, digest: row.digest };
        const inventory = report.inventory as Inventory;
        const doc = query.format === 'spdx' ? spdx(subject, inventory) : cycloneDx(subject, inventory, deps.meta.scanReports.findings(row.digest).map(asFinding));
        ctx.set('content-disposition', `attachment; filename="${row.digest.slice(7, 19)}.${query.format === 'spdx' ? 'spdx' : 'cdx'}.json"`);
        return doc;
      },
    }),
    route<{ name: string; reference: string }>({
      method: 'post',
      path: '/repositories/{name}/artifacts/{reference}/sbom',
      summary: "Attach the artifact's SBOM (CycloneDX) to it as an OCI referrer; returns the referrer's digest",
      tag: 'scan',
      access: 'writer',
      status: 201,
      params: repoParams,
      async handler(ctx, { params }) {
        const attached = await scan.attachSbom(params.name, params.reference, { username: ctx.state.auth?.principal.username });
        return { digest: attached.digest, artifactType: CYCLONEDX_MEDIA_TYPE };
      },
    }),
    route<{ name: string }>({
      method: 'get',
      path: '/projects/{name}/scan-settings',
      summary: "A project's scanning switches: scan on push, pull gate, CVE allowlist",
      tag: 'scan',
      access: 'user',
      params: z.object({ name: z.string().min(1).max(255) }),
      handler(_ctx, { params }, deps) {
        if (!deps.meta.repositories.project(params.name)) throw new ApiError('project_not_found', `no project ${params.name}`);
        const s = deps.meta.scanReports.projectSettings(params.name);
        return { ...s, gateSeverity: s.gateSeverity ?? null };
      },
    }),
    route<{ name: string }, Record<string, never>, z.infer<typeof settingsSchema>>({
      method: 'put',
      path: '/projects/{name}/scan-settings',
      summary: "Set a project's scanning switches",
      tag: 'scan',
      access: 'admin',
      params: z.object({ name: z.string().min(1).max(255) }),
      body: settingsSchema,
      handler(_ctx, { params, body }, deps) {
        if (!deps.meta.repositories.project(params.name)) throw new ApiError('project_not_found', `no project ${params.name}`);
        deps.meta.scanReports.setProjectSettings(params.name, { ...body, gateSeverity: body.gateSeverity ?? undefined });
        return { ...body };
      },
    }),
  ];
}
