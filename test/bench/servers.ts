import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { cliPath, freePort, waitForHttp } from '../helpers/processes.js';
import { writeDistributionConfig } from '../helpers/docker-registry.js';

/** A server under test: its base URL, its process (for /proc readings) and how to stop it. */
export interface BenchServer {
  name: string;
  url: string;
  proc: ChildProcess;
  stop(): Promise<void>;
}

export const ADMIN_PASSWORD = 'test-admin-pw';

/*
 * Both servers log every request at their default level, to a file (not to a pipe this process has to drain,
 * which would steal CPU from whichever server is being measured on a small machine).
 */
function spawnLogged(cmd: string, args: string[], logFile: string, env: NodeJS.ProcessEnv): ChildProcess {
  const fd = fs.openSync(logFile, 'a');
  try {
    return spawn(cmd, args, { env, stdio: ['ignore', fd, fd] });
  } finally {
    fs.closeSync(fd);
  }
}

function stopper(proc: ChildProcess): () => Promise<void> {
  const exited = new Promise<void>((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) resolve();
    else proc.once('exit', () => resolve());
  });
  return async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
}

/** The built CLI (`berth serve`) with its default logging (info, one line per request). */
export async function startBerth(dir: string, label = 'berth'): Promise<BenchServer> {
  const port = await freePort();
  const data = path.join(dir, `${label}-data`);
  const proc = spawnLogged(process.execPath, [cliPath, 'serve', '--data', data, '--listen', `127.0.0.1:${port}`], path.join(dir, `${label}.log`), {
    ...process.env,
    BERTH_ADMIN_PASSWORD: ADMIN_PASSWORD,
    BERTH_GC_SCHEDULE: '',
    BERTH_LOG_LEVEL: 'info',
  });
  const stop = stopper(proc);
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${url}/healthz`, 20_000, proc);
  } catch (e) {
    await stop();
    throw e;
  }
  return { name: 'Berth', url, proc, stop };
}

/** Debian's docker-registry (Distribution 2.8), filesystem storage, access log on (its defaults), no auth. */
export async function startDistributionLogged(dir: string): Promise<BenchServer> {
  const port = await freePort();
  const configPath = writeDistributionConfig(path.join(dir, 'distribution'), port);
  const proc = spawnLogged('/usr/bin/docker-registry', ['serve', configPath], path.join(dir, 'distribution.log'), process.env);
  const stop = stopper(proc);
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${url}/v2/`, 20_000, proc);
  } catch (e) {
    await stop();
    throw e;
  }
  return { name: 'Distribution', url, proc, stop };
}

/** A field of /proc/PID/status in bytes (VmRSS, VmHWM), or undefined once the process is gone. */
export function procStatusBytes(pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined {
  try {
    const text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** CPU time (user + system) the process has used so far, in seconds. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // fields after the command name (which may contain spaces) start after the last ')'
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100 on Linux)
  } catch {
    return NaN;
  }
}
