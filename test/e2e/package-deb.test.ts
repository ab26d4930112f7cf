import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawn, execFileSync } from 'node:child_process';
import { makeImage, writeLayout, imageBlobs } from '../helpers/oci-image.js';
import { repoRoot, freePort, waitForHttp, skopeo } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';

// Installs into this machine: needs root and dpkg, and must not meet a Berth package someone installed for real.
const canInstall = process.getuid?.() === 0 && hasCommand('dpkg-deb') && !isInstalled();

function hasCommand(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function isInstalled(): boolean {
  try {
    return execFileSync('dpkg-query', ['-W', '-f=${Status}', 'berth'], { encoding: 'utf8' }).includes('installed');
  } catch {
    return false;
  }
}

function run(cmd: string, args: string[], timeoutMs = 120_000): string {
  return execFileSync(cmd, args, { cwd: repoRoot, encoding: 'utf8', timeout: timeoutMs, stdio: ['ignore', 'pipe', 'pipe'] });
}

test('the headless .deb installs, serves as its unit would, and keeps the data on remove but not on purge', { skip: !canInstall && 'needs root, dpkg-deb and no installed berth package', timeout: 600_000 }, async () => {
  const deb = run('bash', ['build/package-server.sh'], 480_000).trim().split('\n').pop()!;
  const work = tempDir();
  let serving: ReturnType<typeof spawn> | undefined;
  try {
    run('dpkg', ['-i', path.join(repoRoot, deb)]);
    assert.equal(run('id', ['-u', '-n', 'berth']).trim(), 'berth', 'a system user');
    assert.ok(fs.statSync('/var/lib/berth').isDirectory());
    const port = await freePort();
    // The installed config says 0.0.0.0:5000; a test may use 127.0.0.1 only, on a free port.
    fs.writeFileSync('/etc/berth/config.yaml', `listen: 127.0.0.1:${port}\ndata: /var/lib/berth\ngc:\n  schedule: ""\n`);
    const unit = fs.readFileSync('/lib/systemd/system/berth.service', 'utf8');
    const execStart = /^ExecStart=(.+)$/m.exec(unit)![1]!.split(' ');
    // systemd is not running here: the unit's ExecStart, as its User=, with its environment.
    // Its own process group: runuser does not pass SIGKILL on, so cleanup signals the whole group.
    serving = spawn('runuser', ['-u', 'berth', '--', 'env', 'NODE_ENV=production', 'BERTH_ADMIN_PASSWORD=package-admin-pw', ...execStart], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    serving.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    serving.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    await waitForHttp(`http://127.0.0.1:${port}/healthz`, 30_000, serving).catch((e: Error) => assert.fail(`${e.message}\n${out}`));
    const banner = new RegExp(`Berth is listening on 127\\.0\\.0\\.1:${port}`);
    const until = Date.now() + 10_000;
    while (!banner.test(out) && Date.now() < until) await new Promise((r) => serving!.stderr!.once('data', r).once('close', r));
    assert.match(out, banner);

    const img = await makeImage({ files: { 'etc/hello': 'from the package test\n' } });
    writeLayout(path.join(work, 'in'), imageBlobs(img), { v1: img.manifest });
    const creds = ['--creds', 'admin:package-admin-pw'];
    await skopeo(['copy', '--dest-tls-verify=false', '--dest-creds', 'admin:package-admin-pw', `oci:${path.join(work, 'in')}:v1`, `docker://127.0.0.1:${port}/edge/app:v1`]);
    await skopeo(['copy', '--src-tls-verify=false', '--src-creds', 'admin:package-admin-pw', `docker://127.0.0.1:${port}/edge/app:v1`, `oci:${path.join(work, 'out')}:v1`]);
    const raw = await skopeo(['inspect', '--raw', '--tls-verify=false', ...creds, `docker://127.0.0.1:${port}/edge/app:v1`]);
    assert.equal(raw, img.manifest.bytes.toString());
    assert.equal(fs.statSync('/var/lib/berth/berth.db').uid, Number(run('id', ['-u', 'berth']).trim()), 'the service user owns its data');

    const exited = new Promise<void>((r) => serving!.once('exit', () => r()));
    process.kill(-serving.pid!, 'SIGTERM');
    await exited;
    serving = undefined;

    run('dpkg', ['-r', 'berth']);
    assert.ok(!fs.existsSync('/usr/bin/berth'));
    assert.ok(fs.existsSync('/var/lib/berth/berth.db'), 'remove keeps the data');
    run('dpkg', ['-P', 'berth']);
    assert.ok(!fs.existsSync('/var/lib/berth'), 'purge removes the data');
    assert.ok(!fs.existsSync('/etc/berth'));
  } finally {
    if (serving?.pid) process.kill(-serving.pid, 'SIGKILL');
    try {
      execFileSync('dpkg', ['-P', 'berth'], { stdio: 'ignore' });
    } catch {
      // not installed: nothing to clean
    }
    fs.rmSync(work, { recursive: true, force: true });
  }
});
