/*
 * Proxy cache figures for the README, called by run.ts (`runProxyBench()`) or on its own:
 *   node --import tsx test/bench/proxy.ts        (needs `npm run build`: Berth runs as the built CLI)
 *
 * - cold pull through Berth vs a direct pull from the upstream (target ≤ 1.15x)
 * - warm pull from Berth vs from Distribution's own pull-through cache (`proxy.remoteurl`), same data
 * - tag pulls with the upstream stopped (target < 1 s each)
 * Every pull is `skopeo copy docker://… dir:…` of the same image (3 incompressible layers), medians over rounds.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { startDistribution, type DistributionRegistry } from '../helpers/docker-registry.js';
import { startBerthProcess, skopeo, type BerthProcess } from '../helpers/processes.js';
import { tempDir } from '../helpers/test-registry.js';
import { makeImage, writeLayout, imageBlobs } from '../helpers/oci-image.js';

export interface ProxyBenchResult {
  imageMiB: number;
  rounds: number;
  directMs: number[];
  coldBerthMs: number[];
  /** median cold-through-Berth / median direct; target ≤ 1.15 */
  coldRatio: number;
  warmBerthMs: number[];
  warmDistributionMs: number[];
  /** median warm Berth / median warm Distribution proxy (lower is better for Berth) */
  warmRatio: number;
  /** manifest-by-tag answers with the upstream stopped (revalidation fails, cached tag served) */
  offlineTagPullMs: number[];
  offlineTagPullMaxMs: number;
  /** whole-image skopeo copies by tag with the upstream stopped */
  offlineImagePullMs: number[];
  targets: { coldRatio: boolean; offlineUnderOneSecond: boolean };
}

const median = (v: number[]): number => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

export async function runProxyBench(opts: { rounds?: number; layerMiB?: number; log?: (msg: string) => void } = {}): Promise<ProxyBenchResult> {
  const rounds = opts.rounds ?? 3;
  const layerMiB = opts.layerMiB ?? 16;
  const log = opts.log ?? ((m: string) => process.stderr.write(`[proxy bench] ${m}\n`));
  const work = tempDir('proxy-bench-');
  let upstream: DistributionRegistry | undefined;
  let distProxy: DistributionRegistry | undefined;
  let berth: BerthProcess | undefined;
  try {
    upstream = await startDistribution();
    // Random bytes: gzip cannot shrink them, so the transfer is what is measured.
    const img = await makeImage({ files: { 'payload.bin': randomBytes(layerMiB * 1024 * 1024) }, layers: 3 });
    const layout = path.join(work, 'layout');
    writeLayout(layout, imageBlobs(img), { '1': img.manifest });
    await skopeo(['copy', '--dest-tls-verify=false', `oci:${layout}:1`, `docker://${upstream.host}/bench/app:1`]);
    // A small other image, pulled once through each side before measuring, so that process warm-up (JIT, first
    // connections) is not counted as proxy cost.
    const warm = await makeImage();
    const warmLayout = path.join(work, 'warmup');
    writeLayout(warmLayout, imageBlobs(warm), { '1': warm.manifest });
    await skopeo(['copy', '--dest-tls-verify=false', `oci:${warmLayout}:1`, `docker://${upstream.host}/bench/warmup:1`]);
    const imageMiB = imageBlobs(img).reduce((n, b) => n + b.size, 0) / 1024 / 1024;

    const projects = Array.from({ length: rounds }, (_, i) => `cold${i}`);
    const config = [
      'registries:',
      `  - { name: hq, url: "${upstream.url}", insecure: true, timeoutSeconds: 2 }`,
      'proxies:',
      ...projects.map((p) => `  - { project: ${p}, registry: hq, public: true }`),
      '  - { project: fresh, registry: hq, public: true, manifestMaxAgeSeconds: 0 }',
      '  - { project: warmup, registry: hq, public: true }',
      '',
    ].join('\n');
    fs.writeFileSync(path.join(work, 'berth.yaml'), config);
    berth = await startBerthProcess(path.join(work, 'berth-data'), { BERTH_CONFIG: path.join(work, 'berth.yaml') });
    distProxy = await startDistribution({ proxyRemoteUrl: upstream.url });

    let n = 0;
    const pull = async (host: string, ref: string): Promise<number> => {
      const out = path.join(work, `out-${n++}`);
      const t0 = performance.now();
      await skopeo(['copy', '--src-tls-verify=false', `docker://${host}/${ref}`, `dir:${out}`]);
      const ms = performance.now() - t0;
      fs.rmSync(out, { recursive: true, force: true });
      return ms;
    };

    await pull(upstream.host, 'bench/warmup:1');
    await pull(berth.host, 'warmup/bench/warmup:1');
    const directMs: number[] = [];
    const coldBerthMs: number[] = [];
    for (let i = 0; i < rounds; i++) {
      // Alternate the order so neither side always runs on the warmer page cache.
      const direct = () => pull(upstream!.host, 'bench/app:1').then((ms) => directMs.push(ms));
      const cold = () => pull(berth!.host, `${projects[i]}/bench/app:1`).then((ms) => coldBerthMs.push(ms));
      if (i % 2 === 0) await direct().then(cold);
      else await cold().then(direct);
      log(`round ${i + 1}: direct ${Math.round(directMs[i]!)} ms, cold through Berth ${Math.round(coldBerthMs[i]!)} ms`);
    }

    await pull(distProxy.host, 'bench/app:1'); // fill Distribution's cache
    await pull(berth.host, 'fresh/bench/app:1'); // and the project used offline below
    const warmBerthMs: number[] = [];
    const warmDistributionMs: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const b = () => pull(berth!.host, `${projects[0]}/bench/app:1`).then((ms) => warmBerthMs.push(ms));
      const d = () => pull(distProxy!.host, 'bench/app:1').then((ms) => warmDistributionMs.push(ms));
      if (i % 2 === 0) await b().then(d);
      else await d().then(b);
      log(`round ${i + 1}: warm Berth ${Math.round(warmBerthMs[i]!)} ms, warm Distribution proxy ${Math.round(warmDistributionMs[i]!)} ms`);
    }

    await upstream.stop();
    // A tag pull is answered when its manifest is: `fresh` revalidates every time (maxAge 0), so this is the
    // failed check against the stopped upstream plus serving the cached tag. Whole image copies are reported too.
    const offlineTagPullMs: number[] = [];
    const offlineImagePullMs: number[] = [];
    for (let i = 0; i < rounds * 3; i++) {
      const t0 = performance.now();
      const r = await fetch(`${berth.url}/v2/fresh/bench/app/manifests/1`, { headers: { accept: img.manifest.mediaType } });
      await r.arrayBuffer();
      if (r.status !== 200) throw new Error(`offline tag pull answered ${r.status}`);
      offlineTagPullMs.push(performance.now() - t0);
    }
    for (let i = 0; i < rounds; i++) offlineImagePullMs.push(await pull(berth.host, 'fresh/bench/app:1'));
    log(`offline tag answers: ${offlineTagPullMs.map(Math.round).join(', ')} ms; whole image: ${offlineImagePullMs.map(Math.round).join(', ')} ms`);

    const coldRatio = median(coldBerthMs) / median(directMs);
    const offlineTagPullMaxMs = Math.max(...offlineTagPullMs);
    return {
      imageMiB: Math.round(imageMiB * 10) / 10,
      rounds,
      directMs,
      coldBerthMs,
      coldRatio: Math.round(coldRatio * 100) / 100,
      warmBerthMs,
      warmDistributionMs,
      warmRatio: Math.round((median(warmBerthMs) / median(warmDistributionMs)) * 100) / 100,
      offlineTagPullMs,
      offlineTagPullMaxMs,
      offlineImagePullMs,
      targets: { coldRatio: coldRatio <= 1.15, offlineUnderOneSecond: offlineTagPullMaxMs < 1000 },
    };
  } finally {
    await berth?.stop();
    await distProxy?.stop();
    await upstream?.stop();
    for (const d of [work, upstream?.dir, distProxy?.dir]) if (d) fs.rmSync(d, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
  runProxyBench({ rounds: Number.isInteger(rounds) && rounds > 0 ? rounds : 3 }).then(
    (r) => process.stdout.write(`${JSON.stringify(r, null, 2)}\n`),
    (e: unknown) => {
      process.stderr.write(`${String(e)}\n`);
      process.exit(1);
    },
  );
}
