import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { freePort, waitForHttp } from './processes.js';
import { tempDir } from './temp-dir.js';

export interface DistributionRegistry {
  url: string;
  host: string;
  port: number;
  dir: string;
  proc: ChildProcess;
  /** everything the registry logged (its access log included) */
  logs(): string;
  stop(): Promise<void>;
}

/**
 * Debian's CNCF Distribution (`docker-registry`, 2.8) on a random 127.0.0.1 port with filesystem storage in
 * a temp dir: the real headquarters/upstream registry for tests. `proxyRemoteUrl` turns it into
 * Distribution's own pull-through cache.
 */
export interface DistributionOptions {
  proxyRemoteUrl?: string;
  /** http.secret: fixed, so upload sessions survive a restart (a random one is made per start otherwise). */
  secret?: string;
  /** An htpasswd file (bcrypt entries): Basic auth required for every request. */
  htpasswd?: string;
}

/** Writes a docker-registry config (filesystem storage under `dir`, access log on) and returns its path. */
export function writeDistributionConfig(dir: string, port: number, opts: DistributionOptions = {}): string {
  const storage = path.join(dir, 'storage');
  fs.mkdirSync(storage, { recursive: true });
  const config = [
    'version: 0.1',
    'log:',
    '  level: info',
    '  accesslog:',
    '    disabled: false',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${storage}`,
    '  delete:',
    '    enabled: true',
    '  maintenance:',
    '    uploadpurging:',
    '      enabled: false',
    'http:',
    `  addr: 127.0.0.1:${port}`,
    ...(opts.secret ? [`  secret: ${opts.secret}`] : []),
    '  headers:',
    '    X-Content-Type-Options: [nosniff]',
    ...(opts.proxyRemoteUrl ? ['proxy:', `  remoteurl: ${opts.proxyRemoteUrl}`] : []),
    ...(opts.htpasswd ? ['auth:', '  htpasswd:', '    realm: test', `    path: ${opts.htpasswd}`] : []),
    '',
  ].join('\n');
  const configPath = path.join(dir, 'config.yml');
  fs.writeFileSync(configPath, config);
  return configPath;
}

export async function startDistribution(
  opts: DistributionOptions & { port?: number; dir?: string } = {},
): Promise<DistributionRegistry> {
  const port = opts.port ?? (await freePort());
  const dir = opts.dir ?? tempDir('distribution-');
  const configPath = writeDistributionConfig(dir, port, opts);
  const proc = spawn('/usr/bin/docker-registry', ['serve', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/v2/`, 15_000, proc);
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  return {
    url,
    host: `127.0.0.1:${port}`,
    port,
    dir,
    proc,
    logs: () => out,
    async stop() {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      await exited;
    },
  };
}
