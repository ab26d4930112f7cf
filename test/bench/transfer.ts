/**
 * Offline transfer figures for `npm run bench` (run.ts calls benchTransfer): export and import throughput of
 * a multi-GB set with the built CLI, against `tar` + `sha256sum` over the same bytes, and the peak RSS of the
 * berth process at a quarter and at the full size (it must stay flat as bundles grow).
 *
 *   BERTH_BENCH_TRANSFER_MIB   size of the set (default 2048)
 *   standalone: node --import tsx test/bench/transfer.ts
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { randomFillSync, createHash } from 'node:crypto';
import { cliPath } from '../helpers/processes.js';
import { procStatusBytes } from './servers.js';

export interface TransferBenchResult {
  setBytes: number;
  exportMiBs: number;
  importMiBs: number;
  baselineExportMiBs: number;
  baselineImportMiBs: number;
  /** Berth ÷ baseline; the target is ≥ 0.8 */
  exportRatio: number;
  importRatio: number;
  peakRssMiB: { export: { quarter: number; full: number }; import: { quarter: number; full: number } };
}

interface Timed {
  seconds: number;
  peakRss: number;
}

/** Runs a command, polling its peak RSS (VmHWM) until it exits. */
function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], env });
    let err = '';
    let peak = 0;
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const poll = setInterval(() => (peak = Math.max(peak, procStatusBytes(child.pid!, 'VmHWM') ?? 0)), 50);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearInterval(poll);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (code !== 0) reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err}`));
      else resolve({ seconds, peakRss: peak });
    });
  });
}

/** An OCI layout with `bytes` of incompressible layers (64 MiB each) in images of 4 layers. */
function writeLayout(dir: string, bytes: number): void {
  const blobs = path.join(dir, 'blobs', 'sha256');
  fs.mkdirSync(blobs, { recursive: true });
  const put = (b: Buffer) => {
    const hex = createHash('sha256').update(b).digest('hex');
    fs.writeFileSync(path.join(blobs, hex), b);
    return { digest: `sha256:${hex}`, size: b.length };
  };
  const layerSize = 64 * 1024 * 1024;
  const buf = Buffer.alloc(layerSize);
  const refs: unknown[] = [];
  let left = bytes;
  for (let img = 0; left > 0; img++) {
    const layers = [];
    for (let i = 0; i < 4 && left > 0; i++) {
      const n = Math.min(layerSize, left);
      randomFillSync(buf, 0, n);
      layers.push({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...put(buf.subarray(0, n)) });
      left -= n;
    }
    const config = put(Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, n: img })));
    const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config }, layers }));
    refs.push({ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...put(manifest), annotations: { 'org.opencontainers.image.ref.name': `bench/set:img${img}` } });
  }
  fs.writeFileSync(path.join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  fs.writeFileSync(path.join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: refs }));
}

async function round(work: string, bytes: number) {
  const env = { ...process.env, BERTH_LOG_LEVEL: 'warn' };
  const layout = path.join(work, 'layout');
  const src = path.join(work, 'src');
  writeLayout(layout, bytes);
  await timed(process.execPath, [cliPath, 'import', '--data', src, layout], env);
  fs.rmSync(layout, { recursive: true, force: true });

  const bundle = path.join(work, 'bundle.tar');
  const exp = await timed(process.execPath, [cliPath, 'export', '--data', src, '--out', bundle], env);
  const size = fs.statSync(bundle).size;
  const baseTar = path.join(work, 'baseline.tar');
  const baseExp = await timed('sh', ['-c', `tar -cf - -C "${path.join(src, 'blobs')}" sha256 | tee "${baseTar}" | sha256sum >/dev/null && sync -f "${baseTar}"`]);
  fs.rmSync(baseTar, { force: true });

  const dst = path.join(work, 'dst');
  const imp = await timed(process.execPath, [cliPath, 'import', '--data', dst, bundle], env);
  fs.rmSync(dst, { recursive: true, force: true });
  const x = path.join(work, 'x');
  fs.mkdirSync(x);
  const baseImp = await timed('sh', ['-c', `tar -xf "${bundle}" -C "${x}" && find "${x}" -type f -exec sha256sum {} + >/dev/null && sync -f "${x}"`]);
  fs.rmSync(x, { recursive: true, force: true });
  fs.rmSync(bundle, { force: true });
  fs.rmSync(src, { recursive: true, force: true });
  const mibs = (s: number) => size / 1024 / 1024 / s;
  return { size, exp, imp, exportMiBs: mibs(exp.seconds), importMiBs: mibs(imp.seconds), baseExportMiBs: mibs(baseExp.seconds), baseImportMiBs: mibs(baseImp.seconds) };
}

export async function benchTransfer(opts: { mib?: number; workDir?: string } = {}): Promise<TransferBenchResult> {
  const mib = opts.mib ?? Number(process.env.BERTH_BENCH_TRANSFER_MIB ?? 2048);
  const work = fs.mkdtempSync(path.join(opts.workDir ?? os.tmpdir(), 'berth-bench-transfer-'));
  try {
    const quarter = await round(path.join(work, 'q'), Math.round((mib * 1024 * 1024) / 4));
    const full = await round(path.join(work, 'f'), mib * 1024 * 1024);
    const toMiB = (b: number) => Math.round(b / 1024 / 1024);
    return {
      setBytes: full.size,
      exportMiBs: full.exportMiBs,
      importMiBs: full.importMiBs,
      baselineExportMiBs: full.baseExportMiBs,
      baselineImportMiBs: full.baseImportMiBs,
      exportRatio: full.exportMiBs / full.baseExportMiBs,
      importRatio: full.importMiBs / full.baseImportMiBs,
      peakRssMiB: {
        export: { quarter: toMiB(quarter.exp.peakRss), full: toMiB(full.exp.peakRss) },
        import: { quarter: toMiB(quarter.imp.peakRss), full: toMiB(full.imp.peakRss) },
      },
    };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  benchTransfer().then(
    (r) => process.stdout.write(`${JSON.stringify(r, null, 2)}\n`),
    (e: unknown) => {
      process.stderr.write(`${String((e as Error).stack ?? e)}\n`);
      process.exit(1);
    },
  );
}
