import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { tempDir } from '../helpers/temp-dir.js';
import { cliPath, runBerth } from '../helpers/processes.js';
import { EncryptedFileSecretStore, keychainService, openSecretStore } from '../../registry/src/secrets/index.js';

/*
 * The keychain backend against a real Secret Service: GNOME Keyring on a private D-Bus session bus (apt packages
 * gnome-keyring and dbus-daemon, installed by .ci/run). The bus has no service activation, so nothing but the
 * daemon started here answers, and no unlock prompt can be shown (as on a headless machine). Secrets are read and
 * written through @napi-rs/keyring and checked with the keyring's own files; the CLI runs as an operator would.
 */

const have = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const haveModule = (() => {
  try {
    createRequire(import.meta.url).resolve('@napi-rs/keyring');
    return true;
  } catch {
    return false;
  }
})();
const skip = !have('gnome-keyring-daemon') || !have('dbus-daemon') ? 'gnome-keyring and dbus-daemon are not installed (apt-get install gnome-keyring dbus-daemon)' : !haveModule ? '@napi-rs/keyring is not installed (npm ci)' : fs.existsSync(cliPath) ? false : `${cliPath} is missing: run npm run build first`;

const KEYRING_PASSWORD = 'keyring-test-pw';

/** Collects a child's output and resolves when it matches, or fails after a bounded time. */
function waitForOutput(proc: ChildProcess, pattern: RegExp, what: string, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => done(new Error(`${what}: no ${pattern} within ${timeoutMs} ms; output: ${out}`)), timeoutMs);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = pattern.exec(out);
      if (m) done(undefined, m[1] ?? m[0]);
    };
    const onExit = (code: number | null) => done(new Error(`${what} exited (${code}) before ${pattern}; output: ${out}`));
    function done(err?: Error, value?: string) {
      clearTimeout(timer);
      proc.stdout?.off('data', onData);
      proc.stderr?.off('data', onData);
      proc.off('exit', onExit);
      if (err) reject(err);
      else resolve(value!);
    }
    proc.stdout?.on('data', onData);
    proc.stderr?.on('data', onData);
    proc.once('exit', onExit);
  });
}

async function stop(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  await exited;
}

/** A session bus of our own: no service files, so a missing keyring stays missing. */
async function startBus(dir: string): Promise<{ address: string; proc: ChildProcess }> {
  const config = path.join(dir, 'bus.conf');
  fs.writeFileSync(
    config,
    `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>session</type><listen>unix:tmpdir=${dir}</listen><auth>EXTERNAL</auth>
<policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/></policy></busconfig>\n`,
  );
  const proc = spawn('dbus-daemon', ['--config-file', config, '--nofork', '--print-address=1'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const address = await waitForOutput(proc, /^(unix:\S+)\n/m, 'dbus-daemon');
  return { address, proc };
}

/** Whether a name has an owner on the bus (dbus-send, from dbus-bin). */
function nameOwned(address: string, name: string): boolean {
  const r = spawnSync('dbus-send', ['--bus=' + address, '--print-reply', '--dest=org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus.NameHasOwner', `string:${name}`], { encoding: 'utf8' });
  return r.status === 0 && /boolean true/.test(r.stdout);
}

/** GNOME Keyring's Secret Service on the bus; `unlock` feeds the login keyring's password on stdin. */
async function startKeyring(env: NodeJS.ProcessEnv, unlock: boolean): Promise<ChildProcess> {
  const args = ['--foreground', '--components=secrets', ...(unlock ? ['--unlock'] : [])];
  const proc = spawn('gnome-keyring-daemon', args, { env, stdio: ['pipe', 'ignore', 'ignore'] });
  proc.stdin!.end(unlock ? KEYRING_PASSWORD : undefined);
  // Ready once it owns org.freedesktop.secrets on the bus (bounded; it takes well under a second).
  const until = Date.now() + 10_000;
  while (!nameOwned(env.DBUS_SESSION_BUS_ADDRESS!, 'org.freedesktop.secrets')) {
    if (proc.exitCode !== null) throw new Error(`gnome-keyring-daemon exited (${proc.exitCode})`);
    if (Date.now() > until) throw new Error('gnome-keyring-daemon did not take org.freedesktop.secrets within 10 s');
    await new Promise((r) => setTimeout(r, 50));
  }
  return proc;
}

interface Session {
  env: Record<string, string>;
  data: string;
  secretsDir: string;
  home: string;
}

async function session(t: { after(fn: () => Promise<void> | void): void }): Promise<Session & { bus: ChildProcess }> {
  const dir = tempDir('berth-keychain-');
  const home = path.join(dir, 'home');
  const runtime = path.join(dir, 'run');
  fs.mkdirSync(home);
  fs.mkdirSync(runtime, { mode: 0o700 });
  const { address, proc: bus } = await startBus(dir);
  t.after(async () => {
    await stop(bus);
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const data = path.join(dir, 'data');
  // Offline commands need an existing data folder: a site's folder is made by init (or serve).
  const init = await runBerth(['init', '--data', data]);
  assert.equal(init.status, 0, init.stderr);
  return { env: { DBUS_SESSION_BUS_ADDRESS: address, HOME: home, XDG_RUNTIME_DIR: runtime }, data, secretsDir: path.join(data, 'secrets'), home, bus };
}

function withEnv(env: Record<string, string>): () => void {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  return () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}

test('keychain: secrets go to an unlocked GNOME Keyring; migrate moves them to the file and back, verified', { skip }, async (t) => {
  const s = await session(t);
  const keyring = await startKeyring({ ...process.env, ...s.env }, true);
  t.after(() => stop(keyring));
  const cli = (args: string[], input?: string) => runBerth([...args, '--data', s.data], { env: s.env, input });

  const set = await cli(['secret', 'set', 'registry:hq'], 'hunter2-in-the-keyring');
  assert.equal(set.status, 0, set.stderr);
  assert.equal(set.stdout, 'stored registry:hq (keychain)\n');
  assert.equal(set.stderr, '', 'no fallback notice when the keychain answers');
  assert.equal((await cli(['secret', 'set', 'replication/hq-token'], 'tok-42')).status, 0);
  assert.equal(fs.existsSync(path.join(s.secretsDir, 'secrets.json')), false, 'nothing in the encrypted file');
  // In the keyring's own storage, under this data folder's service (the login keyring file, encrypted by it).
  assert.ok(fs.readdirSync(path.join(s.home, '.local/share/keyrings')).includes('login.keyring'));
  const restore = withEnv(s.env);
  t.after(restore);
  const store = await openSecretStore({ dataDir: s.data, secretsDir: s.secretsDir, env: {}, warn: (m) => assert.fail(m) });
  assert.equal(store.kind, 'keychain');
  assert.equal(await store.get('registry:hq'), 'hunter2-in-the-keyring');
  assert.deepEqual(await store.list(), ['registry:hq', 'replication/hq-token']);

  const toFile = await cli(['secret', 'migrate', '--to', 'file']);
  assert.equal(toFile.status, 0, toFile.stderr);
  assert.equal(toFile.stdout, 'moved 2 secrets from the keychain store to the file store\n');
  assert.deepEqual(await store.list(), [], 'deleted from the keyring once copied and read back');
  const file = new EncryptedFileSecretStore(s.secretsDir, undefined);
  assert.equal(await file.get('registry:hq'), 'hunter2-in-the-keyring');
  assert.equal(await file.get('replication/hq-token'), 'tok-42');
  // The file stays the backend although the keyring answers (its items are gone).
  const list = await cli(['secret', 'list']);
  assert.equal(list.stdout, 'registry:hq\nreplication/hq-token\n');
  const after = await cli(['secret', 'set', 'registry:other'], 'x');
  assert.equal(after.stdout, 'stored registry:other (file)\n');

  const toKeychain = await cli(['secret', 'migrate', '--to', 'keychain']);
  assert.equal(toKeychain.status, 0, toKeychain.stderr);
  assert.equal(toKeychain.stdout, 'moved 3 secrets from the file store to the keychain store\n');
  assert.deepEqual(await file.list(), []);
  assert.equal(await store.get('replication/hq-token'), 'tok-42');
  assert.equal((await cli(['secret', 'set', 'registry:third'], 'y')).stdout, 'stored registry:third (keychain)\n');
  assert.equal(keychainService(s.data), (store as { service?: string }).service);
});

test('keychain: a locked keyring or none at all: the encrypted file, said once; migrate refuses and keeps everything', { skip }, async (t) => {
  const s = await session(t);
  const cli = (args: string[], input?: string) => runBerth([...args, '--data', s.data], { env: s.env, input });

  // No Secret Service on the bus.
  const absent = await cli(['secret', 'set', 'registry:hq'], 'in-the-file');
  assert.equal(absent.status, 0, absent.stderr);
  assert.equal(absent.stdout, 'stored registry:hq (file)\n');
  assert.equal(absent.stderr.match(/OS keychain not used/g)?.length, 1, absent.stderr);
  assert.match(absent.stderr, /secrets\.json/);

  // A login keyring created (unlocked) once, then the daemon restarted without its password: locked.
  const first = await startKeyring({ ...process.env, ...s.env }, true);
  const kept = await runBerth(['secret', 'set', 'registry:in-keyring', '--data', s.data], { env: { ...s.env, BERTH_SECRET_BACKEND: 'keychain' }, input: 'k' });
  assert.equal(kept.stdout, 'stored registry:in-keyring (keychain)\n', kept.stderr);
  await stop(first);
  const locked = await startKeyring({ ...process.env, ...s.env }, false);
  t.after(() => stop(locked));
  const restore = withEnv(s.env);
  t.after(restore);
  const notices: string[] = [];
  const open = () => openSecretStore({ dataDir: s.data, secretsDir: s.secretsDir, env: {}, warn: (m) => notices.push(m) });
  const store = await open();
  assert.equal(store.kind, 'file');
  assert.equal(await store.get('registry:hq'), 'in-the-file');
  assert.equal((await open()).kind, 'file');
  assert.equal(notices.length, 1, 'said once per process');
  assert.match(notices[0]!, /locked/i);

  const migrate = await cli(['secret', 'migrate', '--to', 'keychain']);
  assert.notEqual(migrate.status, 0);
  assert.match(migrate.stderr, /OS keychain cannot be used: .*locked/i);
  assert.deepEqual(await new EncryptedFileSecretStore(s.secretsDir, undefined).list(), ['registry:hq'], 'nothing lost');
  const forced = await cli(['secret', 'list'], undefined);
  assert.equal(forced.stdout, 'registry:hq\n');
  const keychainOnly = await runBerth(['secret', 'list', '--data', s.data], { env: { ...s.env, BERTH_SECRET_BACKEND: 'keychain' } });
  assert.notEqual(keychainOnly.status, 0);
  assert.match(keychainOnly.stderr, /OS keychain cannot be used/);
});
