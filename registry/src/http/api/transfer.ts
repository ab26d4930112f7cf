import fs from 'node:fs/promises';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { z } from 'zod';
import { route, type ApiRoute } from './route.js';
import { ApiError } from './errors.js';
import { repositoryName } from './schemas.js';
import { isTransferError, type TransferErrorCode } from '../../transfer/errors.js';
import type { TransferService, TransferActivity } from '../../transfer/transfer-service.js';
import type { ExportOptions } from '../../transfer/exporter.js';
import type { StoragePaths } from '../../store/paths.js';
import { StagingArea } from '../../store/staging-area.js';

/*
 * Offline transfer (issue 5) over HTTP: an export streams straight into the download response; an upload is
 * streamed into a staging file inside the data folder (never buffered, capped by the free disk) and imported
 * from there like any file, then removed. Progress reaches the GUI as `transfer.activity` server-sent events.
 */

export interface TransferRouteDeps {
  transfer: TransferService;
  paths: StoragePaths;
  /** Disk an import must leave free (config transfer.reserveMiB). */
  reserveBytes: number;
}

const activitySchema = z.object({
  id: z.string(),
  kind: z.enum(['import', 'export']),
  source: z.enum(['cli', 'api', 'drop-folder']),
  label: z.string(),
  state: z.enum(['running', 'done', 'failed']),
  phase: z.string(),
  bytesDone: z.number(),
  bytesTotal: z.number().nullable(),
  startedAt: z.number(),
  finishedAt: z.number().nullable(),
  report: z.record(z.string(), z.unknown()).nullable(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
});

/** A list in the query string: `?repository=a&repository=b` or `?repository=a,b`. */
const globList = z
  .union([z.string(), z.array(z.string())])
  .optional()
  .transform((v) => (v === undefined ? [] : (Array.isArray(v) ? v : [v]).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean)))
  .pipe(z.array(z.string().max(256)).max(100));

const since = z
  .string()
  .max(64)
  .refine((s) => !Number.isNaN(Date.parse(s)), 'a date such as 2026-01-31 or 2026-01-31T12:00:00Z')
  .optional()
  .meta({ description: 'leave out blobs stored before this date (incremental bundle)' });

const selectionBody = z
  .object({
    repositories: z.array(z.string().min(1).max(256)).max(100).default([]),
    tags: z.array(z.string().min(1).max(256)).max(100).default([]),
    since,
    compression: z.enum(['none', 'gzip', 'zstd']).default('none'),
  })
  .strict();

type SelectionInput = z.output<typeof selectionBody>;

const transferStatus: Partial<Record<TransferErrorCode, 'validation_failed' | 'payload_too_large' | 'unavailable'>> = {
  TOO_LARGE: 'payload_too_large',
  TOOL: 'unavailable',
};

/** Transfer errors are the caller's input (a bad archive, nothing selected) unless said otherwise. */
function transferApiError(e: unknown): unknown {
  if (!isTransferError(e)) return e;
  return new ApiError(transferStatus[e.code] ?? 'validation_failed', `${e.code}: ${e.message}`);
}

const plain = (a: TransferActivity) => ({
  ...a,
  bytesTotal: a.bytesTotal ?? null,
  finishedAt: a.finishedAt ?? null,
  report: (a.report as unknown as Record<string, unknown> | undefined) ?? null,
  error: a.error ?? null,
});

function exportOptions(s: SelectionInput): ExportOptions {
  return { selection: { repositories: s.repositories, tags: s.tags }, since: s.since, compression: s.compression };
}

/** A file name a browser may save: letters, digits, dot, dash, underscore. */
function safeName(name: string | undefined): string {
  const base = (name ?? '').split(/[\\/]/).pop()!.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '');
  return base.slice(0, 100) || 'upload.tar';
}

export function transferRoutes(deps: TransferRouteDeps): ApiRoute[] {
  const { transfer } = deps;
  return [
    route({
      method: 'get',
      path: '/transfer/activity',
      summary: 'The last 50 imports and exports (GUI, CLI and drop folder), newest first',
      tag: 'transfer',
      access: 'admin',
      response: z.object({ items: z.array(activitySchema) }),
      handler() {
        return { items: transfer.recent().map(plain) };
      },
    }),
    route<Record<string, never>, Record<string, never>, SelectionInput>({
      method: 'post',
      path: '/transfer/export/preview',
      summary: 'What an export with this selection would hold (images, blobs, bytes), without writing it',
      tag: 'transfer',
      access: 'admin',
      body: selectionBody,
      response: z.object({
        images: z.array(z.object({ repository: z.string(), tag: z.string(), digest: z.string() })),
        manifests: z.number().int(),
        blobs: z.number().int(),
        blobsIncluded: z.number().int(),
        blobBytes: z.number().int(),
        includedBytes: z.number().int(),
        base: z.record(z.string(), z.string()).nullable(),
      }),
      async handler(_ctx, { body }) {
        try {
          const d = await transfer.preview(exportOptions(body));
          return {
            images: d.images,
            manifests: d.manifests.length,
            blobs: d.blobs.length,
            blobsIncluded: d.blobs.filter((b) => b.included).length,
            blobBytes: d.totals.blobBytes,
            includedBytes: d.totals.includedBytes,
            base: (d.base as Record<string, string> | null) ?? null,
          };
        } catch (e) {
          throw transferApiError(e);
        }
      },
    }),
    route<Record<string, never>, { repository: string[]; tag: string[]; since?: string; compression: 'none' | 'gzip' | 'zstd' }>({
      method: 'get',
      path: '/transfer/export',
      summary: 'Download a bundle of the selected repositories and tags (a GET, so a plain link or <a download> works)',
      tag: 'transfer',
      access: 'admin',
      raw: true,
      rawContentType: 'application/x-tar',
      query: z.object({ repository: globList, tag: globList, since, compression: z.enum(['none', 'gzip', 'zstd']).default('none') }),
      async handler(ctx, { query }) {
        const opts = exportOptions({ repositories: query.repository, tags: query.tag, since: query.since, compression: query.compression });
        // Refuse an empty selection or a bad date with a JSON error before the download starts.
        try {
          await transfer.preview(opts);
        } catch (e) {
          throw transferApiError(e);
        }
        const ext = query.compression === 'gzip' ? '.tar.gz' : query.compression === 'zstd' ? '.tar.zst' : '.tar';
        const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
        const body = new PassThrough({ highWaterMark: 1 << 20 });
        ctx.status = 200;
        ctx.type = query.compression === 'none' ? 'application/x-tar' : query.compression === 'gzip' ? 'application/gzip' : 'application/zstd';
        ctx.set('Content-Disposition', `attachment; filename="berth-bundle-${stamp}${ext}"`);
        ctx.body = body;
        // A failure half-way aborts the response: the browser reports a failed download, never a short file.
        transfer.export(opts, body, 'api').catch((e: unknown) => {
          ctx.state.log.warn({ err: e }, 'export download failed');
          body.destroy(e as Error);
        });
      },
    }),
    route<Record<string, never>, { filename?: string; repository?: string }>({
      method: 'post',
      path: '/transfer/import',
      summary: 'Import an uploaded bundle, OCI layout tar or docker-save tar (raw request body, any size the disk can take)',
      tag: 'transfer',
      access: 'admin',
      query: z.object({
        filename: z.string().max(255).optional().meta({ description: 'original file name (shown in the activity list)' }),
        repository: repositoryName.optional().meta({ description: 'repository for images whose archive names only a tag' }),
      }),
      response: z.object({ reports: z.array(z.record(z.string(), z.unknown())) }),
      async handler(ctx, { query }) {
        const stats = await fs.statfs(deps.paths.root);
        const room = stats.bavail * stats.bsize - deps.reserveBytes;
        const declared = Number(ctx.get('content-length') || NaN);
        if (Number.isFinite(declared) && declared > room) throw new ApiError('payload_too_large', `the upload (${declared} bytes) does not fit on the data disk (${Math.max(room, 0)} bytes free above the reserve)`);
        if (declared === 0) throw new ApiError('validation_failed', 'the upload is empty', { field: '(root)' });
        const staging = await StagingArea.create(deps.paths);
        try {
          let staged;
          try {
            staged = await staging.write(ctx.req, { maxBytes: Math.max(room, 0) });
          } catch (e) {
            if (/larger than/.test((e as Error).message)) throw new ApiError('payload_too_large', `the upload does not fit on the data disk (${Math.max(room, 0)} bytes free above the reserve)`);
            throw e;
          }
          if (staged.size === 0) throw new ApiError('validation_failed', 'the upload is empty', { field: '(root)' });
          // Named as uploaded, so the activity list and reports show the operator's file name.
          const file = path.join(staging.dir, safeName(query.filename));
          await fs.rename(staged.file, file);
          const actor = { username: ctx.state.auth!.principal.username };
          const reports = await transfer.import([file], { repository: query.repository, actor, source: 'api' }).catch((e: unknown) => {
            throw transferApiError(e);
          });
          return { reports: reports.map((r) => ({ ...r, inputs: r.inputs.map((i) => path.basename(i)) })) };
        } finally {
          await staging.discard();
        }
      },
    }),
  ];
}
