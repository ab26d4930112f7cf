import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { startServer } from '../../registry/src/server.js';
import { validateConfig } from '../../registry/src/config/load.js';
import { createLogger } from '../../registry/src/logger.js';
import { tempDir } from '../helpers/temp-dir.js';
import { repoRoot } from '../helpers/processes.js';

const cliSource = path.join(repoRoot, 'registry', 'src', 'cli.ts');

/** Runs the CLI from source (no build needed) with a clean BERTH_* environment; resolves when `until` matches or it exits. */
function runCli(args: string[], opts: { input?: string; until?: RegExp; timeoutMs?: number } = {}): Promise<{ status: number | null; out: string }> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('BERTH_')));
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', cliSource, ...args], { env: { ...env, BERTH_LOG_LEVEL: 'warn' }, cwd: repoRoot });
    let out = '';
    const timer = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`berth ${args.join(' ')} timed out; output so far:\n${out}`));
    }, opts.timeoutMs ?? 30_000);
    const seen = (d: Buffer) => {
      out += d.toString();
      if (opts.until?.test(out)) p.kill('SIGTERM');
    };
    p.stdout.on('data', seen);
    p.stderr.on('data', seen);
    p.on('error', reject);
    p.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, out });
    });
    p.stdin.end(opts.input);
  });
}

test('a busy port is found before the admin user and its password file are created', async () => {
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  const port = (blocker.address() as net.AddressInfo).port;
  const data = tempDir();
  try {
    const cfg = validateConfig({ listen: `127.0.0.1:${port}`, data, log: { level: 'silent', requests: false }, gc: { schedule: '' } });
    let created = false;
    await assert.rejects(
      startServer(cfg, { log: createLogger('silent'), env: {}, onAdminCreated: () => (created = true) }),
      (e: Error) => e.name === 'ConfigError' && e.message === `cannot listen on 127.0.0.1:${port}: another program is already listening there; choose another address with --listen HOST:PORT, BERTH_LISTEN or listen: in the config file`,
    );
    assert.equal(created, false);
    assert.deepEqual(fs.readdirSync(data), [], 'nothing is written to the data folder');
  } finally {
    blocker.close();
    fs.rmSync(data, { recursive: true, force: true });
  }
});

test('a short password and an unknown role are refused in sentences, exit 2 and 1', async () => {
  const data = tempDir();
  try {
    assert.equal((await runCli(['init', '--data', data])).status, 0);
    const short = await runCli(['user', 'add', 'alice', '--data', data], { input: 'short\n' });
    assert.equal(short.out.trim(), 'berth: the password must have at least 8 characters');
    assert.equal(short.status, 2);
    const role = await runCli(['user', 'add', 'alice', '--data', data, '--role', 'root'], { input: 'long-enough-pw\n' });
    assert.match(role.out, /argument 'root' is invalid\. Allowed choices are admin, developer, guest\./);
    assert.notEqual(role.status, 0);
  } finally {
    fs.rmSync(data, { recursive: true, force: true });
  }
});

test('the start banner prints the address really listened on and the GUI URL', async () => {
  const data = tempDir();
  try {
    const r = await runCli(['serve', '--data', data, '--listen', '127.0.0.1:0'], { until: /GUI: .*\n/ });
    const m = /Berth is listening on 127\.0\.0\.1:(\d+)\n/.exec(r.out);
    assert.ok(m, r.out);
    assert.notEqual(m[1], '0', 'the real port, not the one asked for');
    assert.match(r.out, new RegExp(`GUI: +http://127\\.0\\.0\\.1:${m[1]}/\\n`));
  } finally {
    fs.rmSync(data, { recursive: true, force: true });
  }
});
