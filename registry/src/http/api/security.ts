import { z } from 'zod';
import { route, type ApiRoute } from './route.js';
import { ApiError } from './errors.js';
import { digest, queryInt, repositoryName, timestamp } from './schemas.js';
import type { ScanService } from '../../scan/scan-service.js';
import { severities } from '../../scan/severity.js';

/*
 * The security views of the GUI: one overview of everything scanned (totals, database status, the worst
 * artifacts, the most widespread vulnerabilities) and the per-artifact report summaries a repository page
 * lists. Read-only; scanning and the gate settings are in scan.ts.
 */

const counts = z.object(Object.fromEntries(severities.map((s) => [s, z.number().int()])) as Record<(typeof severities)[number], z.ZodNumber>);

export const vulnDbStatusSchema = z.object({
  builtAt: timestamp.nullable().meta({ description: 'the newest build date among the imported sources' }),
  records: z.number().int(),
  sources: z.array(z.object({ name: z.string(), records: z.number().int(), builtAt: timestamp.nullable(), importedAt: timestamp, file: z.string() })),
  stale: z.string().nullable().meta({ description: 'why the database counts as stale (scan.dbMaxAgeDays), or null' }),
  staleBlocks: z.boolean().meta({ description: 'a stale database blocks gated pulls (scan.dbStale: block)' }),
});

export const securityOverviewSchema = z.object({
  artifacts: z.object({
    total: z.number().int().meta({ description: 'images and indexes (each digest once; platforms of an index and referrers not counted)' }),
    scanned: z.number().int(),
    failed: z.number().int(),
    notScanned: z.number().int(),
    vulnerable: z.number().int().meta({ description: 'scanned artifacts with at least one finding' }),
  }),
  totals: counts.meta({ description: 'findings by severity, summed over the scanned artifacts' }),
  database: vulnDbStatusSchema,
  mostVulnerable: z.array(
    z.object({
      repository: z.string(),
      otherRepositories: z.number().int(),
      digest: z.string(),
      tags: z.array(z.string()),
      scannedAt: timestamp,
      counts,
    }),
  ),
  topVulnerabilities: z.array(
    z.object({
      id: z.string(),
      aliases: z.array(z.string()),
      severity: z.enum(severities),
      score: z.number().nullable(),
      packages: z.array(z.string()),
      fixed: z.array(z.string()).meta({ description: 'fixed versions (empty: no fix known)' }),
      artifacts: z.number().int().meta({ description: 'how many scanned artifacts have it' }),
      summary: z.string().nullable(),
    }),
  ),
});

export const scanSummariesSchema = z.object({
  items: z.array(z.object({ digest: z.string(), status: z.enum(['ok', 'failed']), scannedAt: timestamp, error: z.string().nullable(), counts })),
});

export function securityRoutes(scan: ScanService): ApiRoute[] {
  return [
    route<Record<string, never>, { limit: number }>({
      method: 'get',
      path: '/security/overview',
      summary: 'Findings by severity across scanned artifacts, scan coverage, database status, the most vulnerable artifacts and the most widespread vulnerabilities',
      tag: 'scan',
      access: 'user',
      query: z.object({ limit: queryInt(1, 100).default(10) }),
      response: securityOverviewSchema,
      handler(_ctx, { query }, deps) {
        const reports = deps.meta.scanReports;
        const sources = deps.meta.vulndb.sources();
        const database = {
          builtAt: scan.scanner.dbBuiltAt() ?? null,
          records: sources.reduce((n, s) => n + s.records, 0),
          sources: sources.map((s) => ({ name: s.name, records: s.records, builtAt: s.builtAt ?? null, importedAt: s.importedAt, file: s.file })),
          stale: scan.staleness() ?? null,
          staleBlocks: scan.staleBlocks,
        };
        return {
          ...reports.overview(),
          database,
          mostVulnerable: reports.mostVulnerable(query.limit),
          topVulnerabilities: reports.widespreadVulnerabilities(query.limit).map((v) => ({ ...v, score: v.score ?? null, summary: v.summary ?? null })),
        };
      },
    }),
    route<{ name: string }, { digest?: string }>({
      method: 'get',
      path: '/repositories/{name}/scan-summaries',
      summary: "Each scanned manifest of a repository (or the one `digest` names): status, scan time and findings by severity, without the findings; an unscanned manifest is not listed",
      tag: 'scan',
      access: 'user',
      params: z.object({ name: repositoryName }),
      query: z.object({ digest: digest.optional() }),
      response: scanSummariesSchema,
      handler(_ctx, { params, query }, deps) {
        if (!deps.meta.repositories.get(params.name)) throw new ApiError('repository_not_found', `no repository ${params.name}`);
        return { items: deps.meta.scanReports.repositorySummaries(params.name, query.digest).map((r) => ({ ...r, error: r.error ?? null })) };
      },
    }),
  ];
}
