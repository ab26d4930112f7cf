import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawn, execFileSync } from 'node:child_process';
import { makeImage, writeLayout, imageBlobs } from '../helpers/oci-image.js';
import { repoRoot, freePort, skopeo } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';

/** The README's quick start, block by block, as a newcomer runs it: a clone, a clean environment, no variables. */
function readmeBlock(heading: string): string[] {
  const readme = fs.readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf(heading));
  return /```sh\n([\s\S]*?)```/.exec(section)![1]!.split('\n').filter((l) => l.trim() && !l.startsWith('#'));
}

test('a fresh clone builds, serves and takes a push and a pull with the README’s own commands', { timeout: 600_000 }, async () => {
  const work = tempDir('berth-clone-');
  const clone = path.join(work, 'berth');
  const data = path.join(work, 'data');
  execFileSync('git', ['clone', '-q', repoRoot, clone]);
  // Only what a login shell has; BERTH_DATA keeps a root test run out of /var/lib/berth.
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: work, BERTH_DATA: data, npm_config_cache: path.join(process.env.HOME ?? '/root', '.npm') };
  const [install] = readmeBlock('## Quick start');
  assert.match(install!, /^npm ci && npm start/);
  const port = await freePort();
  // `npm start -- --listen …`, as the README shows for another address.
  const cmd = `${install!.split('#')[0]!.trim().replace('npm ci', 'npm ci --prefer-offline --no-audit --no-fund')} -- --listen 127.0.0.1:${port}`;
  const server = spawn('sh', ['-c', cmd], { cwd: clone, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  server.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  server.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  try {
    const until = Date.now() + 480_000;
    while (!/GUI: /.test(out)) {
      assert.ok(Date.now() < until && server.exitCode === null, `no banner:\n${out}`);
      await new Promise((r) => server.stderr!.once('data', r).once('close', r));
    }
    const password = fs.readFileSync(path.join(data, 'initial-admin-password'), 'utf8').trim();
    assert.ok(out.includes(password), 'the generated password is printed once');
    const layout = path.join(work, 'layout');
    const img = await makeImage({ files: { 'srv/index.html': '<h1>web</h1>\n' } });
    writeLayout(layout, imageBlobs(img), { '1.0': img.manifest });
    const [push, pull] = readmeBlock('Push and pull with any OCI client').map((l) =>
      l.replaceAll('PASSWORD', password).replaceAll('localhost:5000', `127.0.0.1:${port}`).replace('oci:./layout', `oci:${layout}`),
    );
    await skopeo(push!.split(' ').slice(1));
    const storage = path.join(work, 'podman');
    execFileSync('podman', ['--root', `${storage}/root`, '--runroot', `${storage}/run`, ...pull!.split(' ').slice(1)], { stdio: 'pipe', timeout: 120_000 });
    const pulled = execFileSync('podman', ['--root', `${storage}/root`, '--runroot', `${storage}/run`, 'image', 'inspect', '--format', '{{.Digest}}', `127.0.0.1:${port}/apps/web:1.0`], { encoding: 'utf8' });
    assert.equal(pulled.trim(), img.manifest.digest);
  } finally {
    if (server.pid && server.exitCode === null) process.kill(-server.pid, 'SIGKILL');
    fs.rmSync(work, { recursive: true, force: true });
  }
});
