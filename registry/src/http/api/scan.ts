import { z } from 'zod';
import { route, type ApiRoute } from './route.js';
import { ApiError } from './errors.js';
import type { ScanService } from '../../scan/scan-service.js';
import { severities } from '../../scan/severity.js';

/*
 * Scanning over the admin API: database status, scan now, an artifact's report, and a project's scan
 * switches (scan on push, pull gate, allowlist). Thin: the ScanService and the meta tables do the work.
 */

const settingsSchema = z
  .object({
    scanOnPush: z.boolean(),
    /** Block pulls with findings at or above this severity; null = no gate. */
    gateSeverity: z.enum(severities).nullable(),
    gateUnscanned: z.enum(['allow', 'block']),
    allowlist: z.array(z.object({ id: z.string().min(1).max(100), expiresAt: z.number().int().optional() }).strict()).max(1000),
  })
  .strict();

const repoParams = z.object({ name: z.string().min(1).max(255), reference: z.string().min(1).max(200) });

export function scanRoutes(scan: ScanService): ApiRoute[] {
  return [
    route({
      method: 'get',
      path: '/vulndb',
      summary: 'The vulnerability database: imported sources, record counts, build dates',
      tag: 'scan',
      access: 'user',
      handler(_ctx, _input, deps) {
        return { builtAt: scan.scanner.dbBuiltAt() ?? null, sources: deps.meta.vulndb.sources() };
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
        const r = await scan.scan(params.name, params.reference);
        return { digest: r.digest, scannedAt: r.scannedAt, dbBuiltAt: r.dbBuiltAt ?? null, counts: r.counts, findings: r.findings, notes: r.inventory.notes };
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
        return { digest: row.digest, status: report.status, scannedAt: report.scannedAt, dbBuiltAt: report.dbBuiltAt ?? null, error: report.error ?? null, counts: report.counts, findings: deps.meta.scanReports.findings(row.digest) };
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
