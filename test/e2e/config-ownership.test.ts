import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startDistribution } from '../helpers/docker-registry.js';
import { makeImage, writeLayout, imageBlobs } from '../helpers/oci-image.js';
import { tempDir } from '../helpers/temp-dir.js';
import { cliPath, runBerth, skopeo, startBerthProcess, type BerthProcess } from '../helpers/processes.js';

/*
 * Issue 12 §1: the config file is declarative, and nothing but `serve` (or `berth config apply`) reconciles
 * it. A proxy project from berth.yaml must survive every offline command run without --config, with its
 * cache: skopeo pulls anonymously through it before and after, the second time with the upstream gone.
 */

test('offline commands without --config leave the config-defined proxy project and its cache alone', { timeout: 180_000, skip: !fs.existsSync(cliPath) && 'run npm run build first' }, async (t) => {
  const work = tempDir('berth-own-');
  t.after(() => fs.rmSync(work, { recursive: true, force: true }));
  const up = await startDistribution();
  let upRunning = true;
  t.after(async () => {
    if (upRunning) await up.stop();
    fs.rmSync(up.dir, { recursive: true, force: true });
  });
  const img = await makeImage({ layers: 1 });
  const seed = path.join(work, 'seed');
  writeLayout(seed, imageBlobs(img), { '1': img.manifest });
  await skopeo(['copy', '--dest-tls-verify=false', `oci:${seed}:1`, `docker://${up.host}/library/app:1`]);

  const data = path.join(work, 'data');
  const config = path.join(work, 'berth.yaml');
  fs.writeFileSync(
    config,
    [`registries:`, `  - name: hq`, `    url: ${up.url}`, `proxies:`, `  - project: hub`, `    registry: hq`, `    public: true`, `    mirrorFor: [docker.io]`, ''].join('\n'),
  );
  let server: BerthProcess | undefined = await startBerthProcess(data, {}, undefined, ['--config', config]);
  t.after(() => server?.stop());
  const pull = async (out: string) => {
    const dir = path.join(work, out);
    await skopeo(['copy', '--src-tls-verify=false', '--src-no-creds', `docker://${server!.host}/hub/library/app:1`, `oci:${dir}:x`]);
    const index = JSON.parse(fs.readFileSync(path.join(dir, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
    return index.manifests[0]!.digest;
  };
  assert.equal(await pull('before'), img.manifest.digest, 'anonymous pull through the proxy project');
  await server.stop();
  server = undefined;

  // The offline commands of the issue, each without --config, each on the same data folder.
  const bundle = path.join(work, 'bundle.tar');
  const steps: { args: string[]; input?: string; status: number }[] = [
    { args: ['user', 'add', 'bob', '--data', data], input: 'bob-password\n', status: 0 },
    { args: ['gc', '--data', data], status: 0 },
    { args: ['export', '--data', data, '--out', bundle], status: 0 },
    { args: ['import', '--data', data, '--repository', 'library/copy', path.join(work, 'before')], status: 0 },
    { args: ['replicate', '--data', data, '--rule', 'none'], status: 1 },
  ];
  for (const s of steps) {
    const r = await runBerth(s.args, s.input === undefined ? {} : { input: s.input });
    assert.equal(r.status, s.status, `berth ${s.args.join(' ')}: ${r.stdout}${r.stderr}`);
  }

  // The server starts with the same file, and the cache is there: pulls work with the upstream gone.
  await up.stop();
  upRunning = false;
  server = await startBerthProcess(data, {}, undefined, ['--config', config]);
  assert.equal(await pull('after'), img.manifest.digest, 'anonymous pull from the kept cache');
  const proxies = await fetch(`${server.url}/api/v1/proxies`, { headers: { authorization: `Basic ${Buffer.from('admin:test-admin-pw').toString('base64')}` } });
  const body = (await proxies.json()) as { items: { project: string; source: string }[] };
  assert.deepEqual(body.items.map((p) => [p.project, p.source]), [['hub', 'file']]);
});
