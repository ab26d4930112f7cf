/*
 * `npm run bench`: Berth (the built CLI, its own process) and Debian's docker-registry (CNCF Distribution 2.8)
 * side by side on 127.0.0.1, measured with the same clients in alternating order, against the targets of
 * issue 2. Prints a table and writes test-output/bench.json. Not part of `npm test`.
 *
 * Knobs (environment): BENCH_ROUNDS (default 3), BENCH_WRK_SECONDS (default 10), BENCH_EXTRA (proxy,
 * replication, transfer, scan or all: further sections, off by default).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { repoRoot } from '../helpers/processes.js';
import { ADMIN_PASSWORD, cpuSeconds, procStatusBytes, startBerth, startDistributionLogged, type BenchServer } from './servers.js';
import {
  MiB,
  basicAuth,
  blobDigest,
  getBlob,
  pullToken,
  pushChunked,
  pushMonolithic,
  pushSmallImage,
  randomFile,
  wrk,
  type AuthHeader,
  type TestFile,
  type WrkResult,
} from './client.js';
import { printReport, summarize, type Report, type Target } from './report.js';

const ROUNDS = clampInt(process.env.BENCH_ROUNDS, 3, 1, 10);
const WRK_SECONDS = clampInt(process.env.BENCH_WRK_SECONDS, 10, 2, 60);
const TRANSFER_TIMEOUT_MS = 120_000;

/**
 * Further sections other features contribute (proxy cache, replication, offline transfer). Off by default so
 * that `npm run bench` stays within a few minutes; `BENCH_EXTRA=all` or e.g. `BENCH_EXTRA=proxy,transfer`.
 */
const EXTRA = new Set((process.env.BENCH_EXTRA ?? '').split(',').map((s) => s.trim()).filter(Boolean));
const wantExtra = (name: string): boolean => EXTRA.has('all') || EXTRA.has(name);
/** Hard stop for the whole run: every phase checks it before starting another measurement. */
const DEADLINE = Date.now() + (EXTRA.size > 0 ? 40 : 9) * 60_000;

const REPO = 'bench/app';
const MANIFEST_ACCEPT = 'application/vnd.oci.image.manifest.v1+json';

function clampInt(v: string | undefined, dflt: number, min: number, max: number): number {
  const n = v === undefined || v === '' ? dflt : Number(v);
  return Number.isInteger(n) ? Math.min(max, Math.max(min, n)) : dflt;
}

function checkDeadline(phase: string): void {
  if (Date.now() > DEADLINE) throw new Error(`bench ran past its time limit before ${phase}`);
}

function log(msg: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

/** Alternates which server goes first, so neither always gets the cooler (or hotter) machine. */
function ordered<T>(round: number, a: T, b: T): T[] {
  return round % 2 === 0 ? [a, b] : [b, a];
}

function machine(): Report['machine'] {
  const cpu = /model name\s*:\s*(.+)/.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? os.cpus()[0]?.model ?? 'unknown';
  let distribution = 'unknown';
  try {
    distribution = execFileSync('/usr/bin/docker-registry', ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    // version is informational
  }
  return {
    date: new Date().toISOString(),
    nproc: os.availableParallelism(),
    cpu,
    memTotalGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    loadAvgAtStart: os.loadavg().map((l) => Math.round(l * 100) / 100),
    node: process.version,
    distribution,
  };
}

async function manifestPhase(berth: BenchServer, dist: BenchServer, token: string): Promise<Record<string, WrkResult[]>> {
  const headers = { Authorization: `Bearer ${token}`, Accept: MANIFEST_ACCEPT };
  const out: Record<string, WrkResult[]> = { Berth: [], Distribution: [] };
  const opts = { threads: 2, connections: 64, seconds: WRK_SECONDS };
  for (const s of [berth, dist]) await wrk(`${s.url}/v2/${REPO}/manifests/v1`, headers, { ...opts, seconds: 2 }); // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    for (const s of ordered(round, berth, dist)) {
      checkDeadline('manifest GET');
      const r = await wrk(`${s.url}/v2/${REPO}/manifests/v1`, headers, opts);
      // A wrong answer invalidates the figure; socket errors (timeouts under overload) are reported, not hidden.
      if (r.non2xx > 0) throw new Error(`${s.name}: ${r.non2xx} non-2xx answers under wrk`);
      log(`manifest GET ${s.name}: ${r.requestsPerSec.toFixed(0)} req/s (p99 ${r.p99ms?.toFixed(2)} ms, ${r.errors} socket errors)`);
      out[s.name]!.push(r);
    }
  }
  return out;
}

async function blobPhase(servers: BenchServer[], auth: Record<string, AuthHeader>, blob: TestFile): Promise<{ single: Record<string, number[]>; parallel: Record<string, number[]> }> {
  const single: Record<string, number[]> = {};
  const parallel: Record<string, number[]> = {};
  for (const s of servers) {
    await pushMonolithic(s.url, 'bench/blob', blob, auth[s.name]!, TRANSFER_TIMEOUT_MS);
    const got = await blobDigest(s.url, 'bench/blob', blob.digest, auth[s.name]!);
    if (got !== blob.digest) throw new Error(`${s.name} served ${got} for ${blob.digest}`);
    await getBlob(s.url, 'bench/blob', blob, auth[s.name]!, TRANSFER_TIMEOUT_MS); // warm the page cache
    single[s.name] = [];
    parallel[s.name] = [];
  }
  const [a, b] = servers as [BenchServer, BenchServer];
  for (let round = 0; round < ROUNDS; round++) {
    for (const s of ordered(round, a, b)) {
      checkDeadline('blob GET');
      const secs = await getBlob(s.url, 'bench/blob', blob, auth[s.name]!, TRANSFER_TIMEOUT_MS);
      single[s.name]!.push(blob.size / MiB / secs);
      const t0 = performance.now();
      await Promise.all([0, 1, 2, 3].map(() => getBlob(s.url, 'bench/blob', blob, auth[s.name]!, TRANSFER_TIMEOUT_MS)));
      parallel[s.name]!.push((4 * blob.size) / MiB / ((performance.now() - t0) / 1000));
      log(`blob GET ${s.name}: ${single[s.name]!.at(-1)!.toFixed(0)} MiB/s single, ${parallel[s.name]!.at(-1)!.toFixed(0)} MiB/s with 4 clients`);
    }
  }
  return { single, parallel };
}

async function pushPhase(
  servers: BenchServer[],
  auth: Record<string, AuthHeader>,
  layer: TestFile,
): Promise<{ mono: Record<string, number[]>; chunked: Record<string, number[]>; monoCpu: Record<string, number[]> }> {
  const mono: Record<string, number[]> = {};
  const chunked: Record<string, number[]> = {};
  const monoCpu: Record<string, number[]> = {};
  for (const s of servers) {
    mono[s.name] = [];
    chunked[s.name] = [];
    monoCpu[s.name] = [];
  }
  const [a, b] = servers as [BenchServer, BenchServer];
  for (let round = 0; round < ROUNDS; round++) {
    for (const s of ordered(round, a, b)) {
      checkDeadline('push');
      const cpu0 = cpuSeconds(s.proc.pid!);
      mono[s.name]!.push(await pushMonolithic(s.url, `bench/push-${round}`, layer, auth[s.name]!, TRANSFER_TIMEOUT_MS));
      monoCpu[s.name]!.push(cpuSeconds(s.proc.pid!) - cpu0);
      chunked[s.name]!.push(await pushChunked(s.url, `bench/chunked-${round}`, layer, 128 * MiB, auth[s.name]!));
      log(`push 512 MiB ${s.name}: monolithic ${mono[s.name]!.at(-1)!.toFixed(2)} s, chunked ${chunked[s.name]!.at(-1)!.toFixed(2)} s`);
    }
  }
  return { mono, chunked, monoCpu };
}

/** Pushes the 1 GiB layer (monolithic, then chunked) to a freshly started server and reads its peak RSS. */
async function memoryPhase(
  server: BenchServer,
  auth: AuthHeader,
  layer: TestFile,
): Promise<{ vmHWM: number; sampledPeak: number; idleRss: number; startupHWM: number; seconds: number }> {
  const pid = server.proc.pid!;
  const idleRss = procStatusBytes(pid, 'VmRSS') ?? 0;
  const startupHWM = procStatusBytes(pid, 'VmHWM') ?? 0;
  // Reset the peak so VmHWM covers the push alone, not start-up (Linux: "5" clears the peak RSS).
  fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');
  let sampledPeak = idleRss;
  const sampler = setInterval(() => (sampledPeak = Math.max(sampledPeak, procStatusBytes(pid, 'VmRSS') ?? 0)), 50);
  const t0 = performance.now();
  try {
    checkDeadline('1 GiB push');
    await pushMonolithic(server.url, 'bench/big', layer, auth, TRANSFER_TIMEOUT_MS);
    await pushChunked(server.url, 'bench/big-chunked', layer, 256 * MiB, auth);
  } finally {
    clearInterval(sampler);
  }
  const vmHWM = procStatusBytes(pid, 'VmHWM') ?? 0;
  log(`1 GiB push ${server.name}: VmHWM ${(vmHWM / MiB).toFixed(1)} MiB (idle ${(idleRss / MiB).toFixed(1)} MiB, start-up peak ${(startupHWM / MiB).toFixed(1)} MiB)`);
  return { vmHWM, sampledPeak, idleRss, startupHWM, seconds: (performance.now() - t0) / 1000 };
}

/** Runs the opted-in sections of other features and adds their rows to `targets`; returns their notes. */
async function extraSections(targets: Target[]): Promise<string[]> {
  const notes: string[] = [];
  if (wantExtra('proxy')) {
    checkDeadline('proxy section');
    const { runProxyBench } = await import('./proxy.js');
    const p = await runProxyBench({ log });
    targets.push(
      { ...summarize('Proxy: cold pull via Berth vs direct (ms)', p.coldBerthMs, p.directMs, 'lower', undefined), target: 'Berth ≤ 1.15x direct', pass: p.targets.coldRatio },
      summarize('Proxy: warm pull, Berth vs Distribution proxy (ms)', p.warmBerthMs, p.warmDistributionMs, 'lower', undefined),
      { ...summarize('Proxy: tag pull, upstream down (ms)', p.offlineTagPullMs, [], 'lower', undefined), target: '< 1000 ms each', pass: p.targets.offlineUnderOneSecond },
    );
    notes.push('Proxy rows: the Distribution column is a direct pull from the upstream (cold) or from Distribution\'s own pull-through cache (warm).');
  }
  if (wantExtra('replication')) {
    checkDeadline('replication section');
    const { replicationBench } = await import('./replication.js');
    const r = await replicationBench();
    targets.push(...r.targets);
    notes.push(...r.notes);
  }
  if (wantExtra('transfer')) {
    checkDeadline('transfer section');
    const { benchTransfer } = await import('./transfer.js');
    const t = await benchTransfer();
    targets.push(
      { ...summarize('Transfer: export (MiB/s) vs baseline', [t.exportMiBs], [t.baselineExportMiBs], 'higher', undefined), target: '≥ 0.8x baseline', pass: t.exportRatio >= 0.8 },
      { ...summarize('Transfer: import (MiB/s) vs baseline', [t.importMiBs], [t.baselineImportMiBs], 'higher', undefined), target: '≥ 0.8x baseline', pass: t.importRatio >= 0.8 },
    );
    notes.push(`Transfer rows: the Distribution column is the baseline of transfer.ts; peak RSS (MiB) ${JSON.stringify(t.peakRssMiB)}.`);
  }
  if (wantExtra('scan')) {
    checkDeadline('scan section');
    const { benchScan } = await import('./scan.js');
    const s = await benchScan();
    targets.push({
      ...summarize('Scan: compressed layers (MB/s) vs gzip -dc | tar -t', [s.scanMBs], [s.baselineMBs], 'higher', undefined),
      target: '≥ 0.7x baseline',
      pass: s.ratio >= 0.7,
    });
    notes.push(`Scan rows: the Distribution column is \`gzip -dc | tar -t\` over the same layers; ${s.importRecords} OSV records imported in ${s.importSeconds.toFixed(1)} s.`);
  }
  return notes;
}

async function main(): Promise<void> {
  const started = Date.now();
  const info = machine();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-bench-'));
  const running: BenchServer[] = [];
  const start = async (p: Promise<BenchServer>): Promise<BenchServer> => {
    const s = await p;
    running.push(s);
    return s;
  };
  const stop = async (s: BenchServer): Promise<void> => {
    await s.stop();
    running.splice(running.indexOf(s), 1);
  };
  try {
    log(`temp dir ${dir}; ${ROUNDS} rounds, wrk ${WRK_SECONDS} s`);
    const blob = await randomFile(path.join(dir, 'blob-256m'), 256 * MiB);
    const layer = await randomFile(path.join(dir, 'layer-512m'), 512 * MiB);
    const big = await randomFile(path.join(dir, 'layer-1g'), 1024 * MiB);
    log('test data written');

    const berth = await start(startBerth(dir));
    const dist = await start(startDistributionLogged(dir));
    const auth: Record<string, AuthHeader> = { Berth: { Authorization: basicAuth('admin', ADMIN_PASSWORD) }, Distribution: {} };
    for (const s of [berth, dist]) await pushSmallImage(s.url, REPO, 'v1', auth[s.name]!);
    const token = await pullToken(berth.url, REPO, 'admin', ADMIN_PASSWORD);

    const manifests = await manifestPhase(berth, dist, token);
    const blobs = await blobPhase([berth, dist], auth, blob);
    const pushes = await pushPhase([berth, dist], auth, layer);
    const mainHWM = { Berth: procStatusBytes(berth.proc.pid!, 'VmHWM') ?? 0, Distribution: procStatusBytes(dist.proc.pid!, 'VmHWM') ?? 0 };
    await stop(berth);
    await stop(dist);
    fs.rmSync(path.join(dir, 'berth-data'), { recursive: true, force: true });
    fs.rmSync(path.join(dir, 'distribution-data'), { recursive: true, force: true });

    const freshBerth = await start(startBerth(dir, 'berth-rss'));
    const berthMem = await memoryPhase(freshBerth, auth.Berth!, big);
    await stop(freshBerth);
    const freshDist = await start(startDistributionLogged(dir));
    const distMem = await memoryPhase(freshDist, {}, big);
    await stop(freshDist);

    const rps = (name: string): number[] => manifests[name]!.map((r) => r.requestsPerSec);
    const p99 = (name: string): number[] => manifests[name]!.map((r) => r.p99ms ?? NaN);
    const errs = (name: string): number[] => manifests[name]!.map((r) => r.errors);
    const targets: Target[] = [
      summarize('Manifest GET, pull token, 64 conns (req/s)', rps('Berth'), rps('Distribution'), 'higher', 5),
      summarize('  p99 latency (ms)', p99('Berth'), p99('Distribution'), 'lower', undefined),
      summarize('  socket errors/timeouts (count)', errs('Berth'), errs('Distribution'), 'lower', undefined),
      summarize('Blob GET 256 MiB, 1 client (MiB/s)', blobs.single.Berth!, blobs.single.Distribution!, 'higher', 1),
      summarize('Blob GET 256 MiB, 4 clients (MiB/s)', blobs.parallel.Berth!, blobs.parallel.Distribution!, 'higher', 1),
      summarize('Push 512 MiB monolithic (s)', pushes.mono.Berth!, pushes.mono.Distribution!, 'lower', 1),
      summarize('  server CPU per monolithic push (s)', pushes.monoCpu.Berth!, pushes.monoCpu.Distribution!, 'lower', undefined),
      summarize('Push 512 MiB chunked, 4x128 MiB (s)', pushes.chunked.Berth!, pushes.chunked.Distribution!, 'lower', 1),
      {
        ...summarize('Peak RSS pushing 1 GiB, VmHWM (MB)', [berthMem.vmHWM / 1e6], [distMem.vmHWM / 1e6], 'lower', undefined),
        target: 'Berth < 150 MB',
        pass: berthMem.vmHWM < 150e6,
      },
      summarize('  Idle RSS after start (MB)', [berthMem.idleRss / 1e6], [distMem.idleRss / 1e6], 'lower', undefined),
      summarize('  Start-up peak RSS (MB)', [berthMem.startupHWM / 1e6], [distMem.startupHWM / 1e6], 'lower', undefined),
    ];
    const extraNotes = await extraSections(targets);
    const report: Report = {
      machine: info,
      settings: { rounds: ROUNDS, wrkSeconds: WRK_SECONDS, wrk: '-t2 -c64', repository: REPO },
      notes: [
        'Distribution runs without auth (it cannot issue tokens itself); Berth verifies a bearer token on every request. A fair comparison would favour Distribution.',
        'Both servers log every request (Berth: pino at info; Distribution: access log) to a file.',
        'Figures are medians over the rounds, [min-max] in brackets; servers alternate who goes first each round.',
        ...extraNotes,
        'Peak RSS: each server freshly started; its peak is reset (/proc/PID/clear_refs) and a 1 GiB layer pushed monolithic (curl -T) then chunked (4x256 MiB); VmHWM read after. MB = 10^6 bytes.',
      ],
      targets,
      memory: { Berth: berthMem, Distribution: distMem, peakAfterOtherPhases: mainHWM },
      durationSeconds: Math.round((Date.now() - started) / 1000),
    };
    printReport(report);
    const outDir = path.join(repoRoot, 'test-output');
    fs.mkdirSync(outDir, { recursive: true });
    fs.writeFileSync(path.join(outDir, 'bench.json'), `${JSON.stringify({ ...report, raw: { manifests, blobs, pushes } }, null, 2)}\n`);
    log(`wrote ${path.join(outDir, 'bench.json')}`);
    if (targets.some((t) => t.pass === false)) process.exitCode = 1;
  } finally {
    for (const s of [...running]) await s.stop().catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  const cause = e instanceof Error && e.cause ? ` (cause: ${String((e.cause as Error).message ?? e.cause)})` : '';
  process.stderr.write(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}${cause}\n`);
  process.exitCode = 1;
});
