import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startBerthProcess, skopeo } from '../helpers/processes.js';
import { tempDir, basic, ADMIN_PASSWORD } from '../helpers/test-registry.js';
import { makeImage, writeLayout, imageBlobs } from '../helpers/oci-image.js';

const execFileAsync = promisify(execFile);

/*
 * podman pulls from and pushes to `berth serve`. Its storage (vfs driver), run root and configuration all
 * live in a temp dir, so the test touches nothing of the machine's own podman setup.
 */
test('podman pulls an image from Berth and pushes a retagged copy back', { timeout: 120_000 }, async (t) => {
  const work = tempDir('berth-e2e-podman-');
  t.after(() => fs.rmSync(work, { recursive: true, force: true }));
  const conf = (name: string, text: string) => {
    fs.writeFileSync(path.join(work, name), text);
    return path.join(work, name);
  };
  const env = {
    ...process.env,
    CONTAINERS_STORAGE_CONF: conf('storage.conf', `[storage]\ndriver = "vfs"\nrunroot = "${work}/run"\ngraphroot = "${work}/graph"\n`),
    CONTAINERS_REGISTRIES_CONF: conf('registries.conf', 'unqualified-search-registries = []\n'),
    CONTAINERS_CONF: conf('containers.conf', '[engine]\nevents_logger = "none"\ncgroup_manager = "cgroupfs"\n'),
    XDG_RUNTIME_DIR: path.join(work, 'xdg'),
    TMPDIR: work,
  };
  const podman = async (args: string[]) => {
    try {
      return (await execFileAsync('podman', ['--storage-driver', 'vfs', ...args], { env, timeout: 60_000 })).stdout;
    } catch (e) {
      const err = e as { code?: string; stderr?: string; message: string };
      if (err.code === 'ENOENT') throw new Error('podman is not installed (apt-get install podman; .ci/run installs it)');
      throw new Error(`podman ${args.join(' ')} failed: ${err.stderr ?? err.message}`);
    }
  };

  const berth = await startBerthProcess(path.join(work, 'data'));
  t.after(() => berth.stop());
  const creds = ['--tls-verify=false', '--creds', `admin:${ADMIN_PASSWORD}`];
  const img = await makeImage({ files: { 'etc/motd': 'hello from berth\n' }, layers: 2 });
  writeLayout(path.join(work, 'layout'), imageBlobs(img), { v1: img.manifest });
  await skopeo(['copy', '--dest-tls-verify=false', '--dest-creds', `admin:${ADMIN_PASSWORD}`, `oci:${path.join(work, 'layout')}:v1`, `docker://${berth.host}/team/pod:v1`]);

  await podman(['pull', '-q', ...creds, `${berth.host}/team/pod:v1`]);
  const [digest, arch, id] = (await podman(['image', 'inspect', '--format', '{{.Digest}} {{.Architecture}} {{.Id}}', `${berth.host}/team/pod:v1`])).trim().split(' ');
  assert.equal(digest, img.manifest.digest);
  assert.equal(arch, 'amd64');
  // podman's image id is the config digest
  assert.equal(`sha256:${id}`, img.config.digest);

  await podman(['tag', `${berth.host}/team/pod:v1`, `${berth.host}/team/pushed:v2`]);
  await podman(['push', '-q', ...creds, `${berth.host}/team/pushed:v2`]);
  const r = await fetch(`${berth.url}/v2/team/pushed/manifests/v2`, {
    headers: { authorization: basic('admin', ADMIN_PASSWORD), accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' },
  });
  assert.equal(r.status, 200);
  const pushed = (await r.json()) as { config: { digest: string }; layers: { digest: string }[] };
  assert.equal(pushed.config.digest, img.config.digest);
  assert.equal(pushed.layers.length, 2);
  for (const l of pushed.layers) {
    assert.equal((await fetch(`${berth.url}/v2/team/pushed/blobs/${l.digest}`, { method: 'HEAD', headers: { authorization: basic('admin', ADMIN_PASSWORD) } })).status, 200);
  }
  await podman(['rmi', '-a', '-f']);
});
