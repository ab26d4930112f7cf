/**
 * Scanning figures for `npm run bench` (run.ts calls benchScan): inventory throughput over gzip layers in MB/s
 * of compressed input against `gzip -dc | tar -t` over the same files (target ≥ 0.7), and the time to import
 * an OSV database of 100k records.
 *
 *   BERTH_BENCH_SCAN_MIB      uncompressed size of the layer set (default 512)
 *   BERTH_BENCH_VULN_RECORDS  records in the imported database (default 100000)
 *   standalone: node --import tsx test/bench/scan.ts
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { InventoryBuilder } from '../../registry/src/scan/inventory/inventory-builder.js';
import { Meta } from '../../registry/src/meta/index.js';
import { VulnDbImporter } from '../../registry/src/scan/vulndb/importer.js';
import { zipArchive } from '../helpers/osv-fixture.js';
import { goBuildInfo, goModInfo, syntheticGoBinary } from '../helpers/go-binary.js';

export interface ScanBenchResult {
  compressedBytes: number;
  scanMBs: number;
  baselineMBs: number;
  /** scan ÷ baseline; the target is ≥ 0.7 */
  ratio: number;
  packages: number;
  importRecords: number;
  importSeconds: number;
}

const MiB = 1024 * 1024;

/** Go build information as the linker writes it, for one binary in eight. */
const goInfo = goBuildInfo('go1.21.5', goModInfo({ path: 'example.com/svc', deps: [{ path: 'golang.org/x/net', version: 'v0.17.0' }, { path: 'google.golang.org/grpc', version: 'v1.59.0' }] }));

/**
 * A layer like real ones: many small text files (compress well), some binaries (do not), a dpkg database. The
 * binaries are ELF executables (mode 0755), so every one of their bytes goes through the Go build information
 * search, as in an image of Go programs; one in eight is a Go binary.
 */
async function writeLayer(file: string, bytes: number, seed: number): Promise<void> {
  const pack = tar.pack();
  const out = pipeline(pack, zlib.createGzip({ level: 6 }), fs.createWriteStream(file));
  const text = Buffer.from(`${'lorem ipsum dolor sit amet, consectetur adipiscing elit '.repeat(40)}\n`);
  pack.entry({ name: 'var/lib/dpkg/status' }, fs.existsSync('/var/lib/dpkg/status') ? fs.readFileSync('/var/lib/dpkg/status') : '');
  let written = 0;
  for (let i = 0; written < bytes; i++) {
    const binary = i % 4 === 0;
    const size = binary ? 256 * 1024 : 32 * 1024;
    const body = binary
      ? syntheticGoBinary(i % 32 === 0 ? goInfo : Buffer.alloc(0), { size, random: true })
      : Buffer.concat(Array.from({ length: Math.ceil(size / text.length) }, () => text)).subarray(0, size);
    const name = binary ? `usr/lib/l${seed}/d${i % 97}/bin${i}` : `usr/share/l${seed}/d${i % 97}/f${i}.txt`;
    await new Promise<void>((resolve, reject) => pack.entry({ name, size: body.length, mode: binary ? 0o755 : 0o644 }, body, (e) => (e ? reject(e) : resolve())));
    written += size;
  }
  pack.finalize();
  await out;
}

function osvRecord(i: number): Record<string, unknown> {
  return {
    schema_version: '1.6.0',
    id: `BENCH-${i}`,
    modified: '2026-01-01T00:00:00Z',
    aliases: [`CVE-2099-${i}`],
    summary: `synthetic advisory ${i} for the import benchmark`,
    severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }],
    affected: [{ package: { ecosystem: 'Debian:12', name: `pkg-${i % 5000}` }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: `1.${i % 100}-1` }] }] }],
  };
}

export async function benchScan(): Promise<ScanBenchResult> {
  const total = Number(process.env.BERTH_BENCH_SCAN_MIB ?? 512) * MiB;
  const recordCount = Number(process.env.BERTH_BENCH_VULN_RECORDS ?? 100_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-bench-scan-'));
  try {
    const layers = [0, 1, 2, 3].map((i) => path.join(dir, `layer-${i}.tar.gz`));
    for (const [i, f] of layers.entries()) await writeLayer(f, total / layers.length, i);
    const compressed = layers.reduce((n, f) => n + fs.statSync(f).size, 0);

    // Baseline first and then Berth, each once to warm the page cache and once measured.
    const baseline = () => {
      const t = process.hrtime.bigint();
      for (const f of layers) execFileSync('bash', ['-c', 'gzip -dc "$1" | tar -t > /dev/null', 'x', f]);
      return Number(process.hrtime.bigint() - t) / 1e9;
    };
    const scan = async () => {
      const t = process.hrtime.bigint();
      const b = new InventoryBuilder({ maxExpansionRatio: 1000 });
      for (const f of layers) await b.addLayer({ digest: f, size: fs.statSync(f).size, open: () => fs.createReadStream(f, { highWaterMark: MiB }) });
      const inv = b.finish();
      return { seconds: Number(process.hrtime.bigint() - t) / 1e9, packages: inv.packages.length };
    };
    baseline();
    const baseSeconds = baseline();
    await scan();
    const s = await scan();

    const records = Array.from({ length: recordCount }, (_, i) => osvRecord(i));
    const zip = path.join(dir, 'all.zip');
    fs.writeFileSync(zip, zipArchive(Object.fromEntries(records.map((r) => [`${String(r.id)}.json`, JSON.stringify(r)]))));
    const meta = Meta.open(path.join(dir, 'berth.db'));
    let importSeconds: number;
    try {
      const t = process.hrtime.bigint();
      await new VulnDbImporter(meta.vulndb).importFile(zip);
      importSeconds = Number(process.hrtime.bigint() - t) / 1e9;
    } finally {
      meta.close();
    }
    const mb = compressed / 1e6;
    return {
      compressedBytes: compressed,
      scanMBs: mb / s.seconds,
      baselineMBs: mb / baseSeconds,
      ratio: baseSeconds / s.seconds,
      packages: s.packages,
      importRecords: recordCount,
      importSeconds,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  benchScan().then((r) => console.log(JSON.stringify(r, null, 2)), (e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
