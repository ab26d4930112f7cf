import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { startDistribution, type DistributionRegistry } from '../helpers/docker-registry.js';
import { createTestRegistry, tempDir, ADMIN_PASSWORD, type TestRegistry } from '../helpers/test-registry.js';
import { makeImage, makeIndex, writeLayout, imageBlobs, type Image, type Blob } from '../helpers/oci-image.js';
import { skopeo } from '../helpers/processes.js';

const execFileAsync = promisify(execFile);

/*
 * containerd as a real mirror client: `ctr image pull docker.io/library/app:1` with a hosts.toml whose mirror
 * host is Berth. containerd adds `?ns=docker.io`, Berth routes that into the proxy project whose `mirrorFor`
 * lists docker.io, and that project fetches from a real upstream (Debian's docker-registry, seeded with
 * skopeo). Each containerd runs with its own root, state and socket in a temp dir and no CRI plugin, so the
 * test touches nothing of the machine's own containerd.
 */

interface Containerd {
  socket: string;
  stop(): Promise<void>;
}

let work: string;
let up: DistributionRegistry;
let reg: TestRegistry;
let amd64: Image;
let index: Blob;
const running = new Set<Containerd>();

async function startContainerd(name: string): Promise<Containerd> {
  const dir = path.join(work, name);
  fs.mkdirSync(dir, { recursive: true });
  const socket = path.join(dir, 'c.sock');
  const config = [
    'version = 2',
    `root = "${dir}/root"`,
    `state = "${dir}/state"`,
    // CRI would want a CNI setup and the kernel's cgroups; pulling needs neither.
    'disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs"]',
    '[grpc]',
    `  address = "${socket}"`,
    '[ttrpc]',
    `  address = "${socket}.ttrpc"`,
    '[debug]',
    '  address = ""',
    '[metrics]',
    '  address = ""',
    '[plugins."io.containerd.internal.v1.opt"]',
    `  path = "${dir}/opt"`,
    '',
  ].join('\n');
  fs.writeFileSync(path.join(dir, 'config.toml'), config);
  let proc: ChildProcess;
  try {
    proc = spawn('containerd', ['--config', path.join(dir, 'config.toml')], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    throw new Error(`cannot start containerd (apt-get install containerd; .ci/run installs it): ${(e as Error).message}`);
  }
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  proc.once('error', (e) => (out += `\n${e.message}`));
  const deadline = Date.now() + 15_000;
  while (!fs.existsSync(socket)) {
    if (proc.exitCode !== null || Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`containerd did not start (apt-get install containerd; .ci/run installs it): ${out.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const c: Containerd = {
    socket,
    async stop() {
      running.delete(c);
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
  running.add(c);
  return c;
}

async function ctr(c: Containerd, args: string[]): Promise<string> {
  try {
    const { stdout } = await execFileAsync('ctr', ['--address', c.socket, ...args], { timeout: 60_000 });
    return stdout;
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`ctr ${args.join(' ')} failed: ${err.stderr ?? err.message}`);
  }
}

/** A hosts dir that sends docker.io pulls to Berth only (server = the mirror, so nothing falls back to the internet). */
function hostsDir(name: string): string {
  const dir = path.join(work, name, 'certs.d');
  fs.mkdirSync(path.join(dir, 'docker.io'), { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'docker.io', 'hosts.toml'),
    [`server = "${reg.url}"`, '', `[host."${reg.url}"]`, '  capabilities = ["pull", "resolve"]', ''].join('\n'),
  );
  return dir;
}

/** Pulls with the native snapshotter (no overlay mount needed) and returns the digest containerd recorded. */
async function pull(c: Containerd, hosts: string, ref: string, extra: string[] = []): Promise<string> {
  await ctr(c, ['image', 'pull', '--snapshotter', 'native', '--hosts-dir', hosts, ...extra, ref]);
  const list = await ctr(c, ['image', 'ls']);
  const line = list.split('\n').find((l) => l.startsWith(`${ref} `));
  assert.ok(line, `containerd lists ${ref}: ${list}`);
  const digest = line.split(/\s+/).find((f) => f.startsWith('sha256:'));
  assert.ok(digest, line);
  return digest;
}

function upstreamRequests(fragment: string): number {
  return up.logs().split('\n').filter((l) => l.includes(`"GET ${fragment}`)).length;
}

before(async () => {
  work = tempDir('berth-e2e-containerd-');
  up = await startDistribution();
  amd64 = await makeImage({ arch: 'amd64', layers: 2, files: { 'etc/motd': 'via the berth mirror\n' } });
  const arm64 = await makeImage({ arch: 'arm64' });
  index = makeIndex([{ image: amd64, arch: 'amd64' }, { image: arm64, arch: 'arm64' }]);
  const layout = path.join(work, 'layout');
  writeLayout(layout, [...imageBlobs(amd64), ...imageBlobs(arm64)], { '1': index });
  await skopeo(['copy', '--all', '--dest-tls-verify=false', `oci:${layout}:1`, `docker://${up.host}/library/app:1`]);
  const solo = await makeImage({ layers: 1 });
  writeLayout(path.join(work, 'solo'), imageBlobs(solo), { '1': solo.manifest });
  await skopeo(['copy', '--dest-tls-verify=false', `oci:${path.join(work, 'solo')}:1`, `docker://${up.host}/team/private:1`]);
  reg = await createTestRegistry({
    registries: [{ name: 'hub', url: up.url, insecure: true, timeoutSeconds: 2, failuresBeforeDown: 1, downSeconds: 60 }],
    proxies: [
      // The usual mirror setup: anonymous pulls, as dockerd and containerd mirrors do not always authenticate.
      { project: 'hub-cache', registry: 'hub', mirrorFor: ['docker.io'], public: true, manifestMaxAgeSeconds: 0 },
      { project: 'quay-cache', registry: 'hub', mirrorFor: ['quay.io'], manifestMaxAgeSeconds: 0 },
    ],
  });
});

after(async () => {
  for (const c of [...running]) await c.stop();
  await reg?.close();
  await up?.stop();
  if (up) fs.rmSync(up.dir, { recursive: true, force: true });
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

test('containerd pulls docker.io/library/app:1 through Berth as its mirror; the proxy project fetched it from the upstream', { timeout: 120_000 }, async () => {
  const c = await startContainerd('ctrd-cold');
  const digest = await pull(c, hostsDir('ctrd-cold'), 'docker.io/library/app:1');
  assert.equal(digest, index.digest, 'containerd recorded the multi-arch index the upstream holds');
  // containerd picked linux/amd64 out of the index and fetched its blobs: Berth had to fetch them upstream.
  assert.equal(upstreamRequests('/v2/library/app/manifests/1'), 1, up.logs());
  for (const b of [amd64.config, ...amd64.layers]) assert.equal(upstreamRequests(`/v2/library/app/blobs/${b.digest}`), 1, `upstream served ${b.digest} once`);
  const core = reg.server.core;
  const repo = core.meta.repositories.get('hub-cache/library/app');
  assert.ok(repo, 'cached under the docker.io proxy project');
  assert.equal(core.meta.manifests.tagDigest(repo.id, '1'), index.digest);
  for (const b of [amd64.config, ...amd64.layers]) assert.equal(core.meta.blobs.linkedSize(repo.id, b.digest), b.size);
  assert.equal(core.meta.repositories.get('library/app'), undefined, 'nothing landed outside the proxy project');
  await c.stop();
});

test('a private proxy project: containerd pulls with --user through the token flow; without it, it is refused', { timeout: 120_000 }, async () => {
  const c = await startContainerd('ctrd-private');
  const hosts = path.join(work, 'ctrd-private', 'certs.d');
  fs.mkdirSync(path.join(hosts, 'quay.io'), { recursive: true });
  fs.writeFileSync(path.join(hosts, 'quay.io', 'hosts.toml'), [`server = "${reg.url}"`, '', `[host."${reg.url}"]`, '  capabilities = ["pull", "resolve"]', ''].join('\n'));
  await assert.rejects(pull(c, hosts, 'quay.io/team/private:1'), /pull access denied.*insufficient_scope/);
  const digest = await pull(c, hosts, 'quay.io/team/private:1', ['--user', `admin:${ADMIN_PASSWORD}`]);
  const repo = reg.server.core.meta.repositories.get('quay-cache/team/private');
  assert.ok(repo, 'routed by ?ns=quay.io into the project that mirrors quay.io');
  assert.equal(reg.server.core.meta.repositories.get('hub-cache/team/private'), undefined, 'not into the docker.io mirror');
  assert.equal(reg.server.core.meta.manifests.tagDigest(repo.id, '1'), digest);
  await c.stop();
});

test('with the upstream stopped, a fresh containerd still pulls docker.io/library/app:1 from the Berth cache', { timeout: 120_000 }, async () => {
  await up.stop();
  const c = await startContainerd('ctrd-offline');
  const t0 = performance.now();
  const digest = await pull(c, hostsDir('ctrd-offline'), 'docker.io/library/app:1');
  assert.equal(digest, index.digest);
  assert.ok(performance.now() - t0 < 20_000, 'the cached tag is served without waiting long for the dead upstream');
  const metrics = await (await reg.fetch('/metrics')).text();
  assert.match(metrics, /berth_proxy_stale_served_total\{project="hub-cache",reason="[a-z]+"\} [1-9]/);
  await c.stop();
});
