/*
 * Replication figures for `npm run bench` (called from run.ts; also runs alone:
 * `node --import tsx test/bench/replication.ts`).
 * - full copy: N images pulled from a Debian docker-registry ("headquarters") into a fresh Berth by a
 *   replication rule, against `skopeo sync` of the same repositories from the same registry into a fresh Berth
 *   server. Target: no slower.
 * - no-change rerun of a rule over 100 tags. Target: about a second.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { startDistribution } from '../helpers/docker-registry.js';
import { createTestRegistry, ADMIN_PASSWORD, tempDir } from '../helpers/test-registry.js';
import { skopeo } from '../helpers/processes.js';
import { makeImage } from '../helpers/oci-image.js';
import { httpPushBlob, httpPutManifest, replicationCore } from '../helpers/replication.js';
import { stat, summarize, type Target } from './report.js';

export interface ReplicationBenchOptions {
  rounds?: number;
  images?: number;
  layersPerImage?: number;
  layerMiB?: number;
  rerunTags?: number;
}

export async function replicationBench(opts: ReplicationBenchOptions = {}): Promise<{ targets: Target[]; notes: string[] }> {
  const rounds = opts.rounds ?? 3;
  const images = opts.images ?? 8;
  const layers = opts.layersPerImage ?? 3;
  const layerMiB = opts.layerMiB ?? 4;
  const rerunTags = opts.rerunTags ?? 100;
  const hq = await startDistribution();
  const work = tempDir('bench-repl-');
  try {
    for (let i = 0; i < images; i++) {
      const img = await makeImage({ layers, files: { 'data.bin': randomBytes(layerMiB * 1024 * 1024) } });
      for (const b of [img.config, ...img.layers]) await httpPushBlob(hq.url, `bench/app-${i}`, b);
      await httpPutManifest(hq.url, `bench/app-${i}`, 'v1', img.manifest);
    }
    for (let i = 0; i < rerunTags; i++) {
      const img = await makeImage();
      for (const b of [img.config, ...img.layers]) await httpPushBlob(hq.url, 'bench/many', b);
      await httpPutManifest(hq.url, 'bench/many', `t${i}`, img.manifest);
    }
    const registries = [{ name: 'hq', url: hq.url }];
    const berthTimes: number[] = [];
    const skopeoTimes: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const core = replicationCore({ registries, replication: [{ name: 'full', registry: 'hq', direction: 'pull', repositories: ['bench/app-*'], destination: 'mirror', concurrency: 4 }] }, path.join(work, `berth-${r}`));
      const t0 = performance.now();
      const res = await core.replication.run('full');
      berthTimes.push((performance.now() - t0) / 1000);
      if (res.execution.status !== 'succeeded') throw new Error(`bench replication failed: ${res.execution.error}`);
      core.close();

      const target = await createTestRegistry({ data: path.join(work, `skopeo-${r}`) });
      const yaml = path.join(work, `sync-${r}.yaml`);
      const repos = Array.from({ length: images }, (_, i) => `    bench/app-${i}: ".*"`).join('\n');
      fs.writeFileSync(yaml, `${hq.host}:\n  tls-verify: false\n  images-by-tag-regex:\n${repos}\n`);
      const t1 = performance.now();
      await skopeo(['sync', '--src', 'yaml', '--dest', 'docker', '--dest-tls-verify=false', '--dest-creds', `admin:${ADMIN_PASSWORD}`, '--preserve-digests', yaml, `${target.host}/mirror`], { timeoutMs: 600_000 });
      skopeoTimes.push((performance.now() - t1) / 1000);
      await target.close();
    }

    const core = replicationCore({ registries, replication: [{ name: 'many', registry: 'hq', direction: 'pull', repositories: ['bench/many'] }] }, path.join(work, 'rerun'));
    const first = await core.replication.run('many');
    if (first.execution.copied !== rerunTags) throw new Error(`expected ${rerunTags} copied, got ${first.execution.copied}: ${first.execution.error}`);
    const rerun: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const t0 = performance.now();
      const again = await core.replication.run('many');
      rerun.push((performance.now() - t0) / 1000);
      if (again.execution.copied !== 0) throw new Error('the no-change rerun copied something');
    }
    core.close();
    const rs = stat(rerun);
    const mb = (images * layers * layerMiB).toFixed(0);
    return {
      targets: [
        summarize(`replication full copy, ${images} images / ~${mb} MiB, seconds (vs skopeo sync)`, berthTimes, skopeoTimes, 'lower', 1),
        {
          label: `replication rerun, ${rerunTags} tags, nothing new, seconds (vs 1 s)`,
          berth: rs,
          distribution: stat([1]),
          ratio: 1 / rs.median,
          target: '≈ 1 s',
          pass: rs.median <= 1.5,
        },
      ],
      notes: [
        'replication: the "distribution" column of the full-copy row is `skopeo sync` from the same docker-registry into a fresh Berth server; both runs start from an empty Berth.',
      ],
    };
  } finally {
    await hq.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await replicationBench({ rounds: Number(process.env.ROUNDS ?? 3) });
  for (const t of r.targets) console.log(`${t.label}: berth ${t.berth.median.toFixed(2)} / other ${t.distribution.median.toFixed(2)} → ${t.pass === undefined ? 'info' : t.pass ? 'PASS' : 'FAIL'}`);
}
