import { spawn, execFile, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import fs from 'node:fs';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export const repoRoot = path.resolve(import.meta.dirname, '..', '..');
export const cliPath = path.join(repoRoot, 'dist', 'registry', 'src', 'cli.js');

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export async function waitForHttp(url: string, timeoutMs = 15_000, proc?: ChildProcess): Promise<void> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < until) {
    if (proc && proc.exitCode !== null) throw new Error(`process exited with ${proc.exitCode} before ${url} answered`);
    try {
      const r = await fetch(url);
      await r.arrayBuffer();
      return;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms: ${String(last)}`);
}

export interface BerthProcess {
  proc: ChildProcess;
  url: string;
  host: string;
  port: number;
  output(): string;
  /** SIGKILL and wait for exit. */
  kill9(): Promise<void>;
  stop(): Promise<void>;
}

/** Runs the built CLI (`berth serve`) as a separate process, as an operator would. Requires `npm run build`. */
export async function startBerthProcess(data: string, env: Record<string, string> = {}, port?: number, args: string[] = []): Promise<BerthProcess> {
  if (!fs.existsSync(cliPath)) throw new Error(`${cliPath} is missing: run npm run build first`);
  const p = port ?? (await freePort());
  const proc = spawn(process.execPath, [cliPath, 'serve', '--data', data, '--listen', `127.0.0.1:${p}`, ...args], {
    env: { ...process.env, BERTH_ADMIN_PASSWORD: 'test-admin-pw', BERTH_LOG_LEVEL: 'warn', BERTH_GC_SCHEDULE: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const url = `http://127.0.0.1:${p}`;
  await waitForHttp(`${url}/healthz`, 15_000, proc);
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  return {
    proc,
    url,
    host: `127.0.0.1:${p}`,
    port: p,
    output: () => out,
    async kill9() {
      if (proc.exitCode === null) proc.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      await exited;
    },
  };
}

export async function skopeo(args: string[], opts: { timeoutMs?: number } = {}): Promise<string> {
  try {
    const { stdout } = await execFileAsync('skopeo', args, { timeout: opts.timeoutMs ?? 120_000, maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`skopeo ${args.join(' ')} failed: ${err.stderr ?? err.message}`);
  }
}

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the built `berth` CLI without blocking this process (a Berth serving in it must keep answering the
 * CLI). The test's own BERTH_* variables are not inherited, so a developer's shell cannot change the outcome.
 */
export function runBerth(args: string[], opts: { env?: Record<string, string>; input?: string } = {}): Promise<CliResult> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('BERTH_')));
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [cliPath, ...args], { env: { ...inherited, BERTH_LOG_LEVEL: 'warn', ...opts.env } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', reject);
    p.on('close', (status) => resolve({ status, stdout, stderr }));
    p.stdin.end(opts.input);
  });
}
