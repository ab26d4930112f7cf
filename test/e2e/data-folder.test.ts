import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { tempDir } from '../helpers/temp-dir.js';
import { cliPath, runBerth } from '../helpers/processes.js';

/*
 * Issue 12 §2: the data folder is found, never invented. Offline commands refuse (exit 2, one line naming the
 * folder and how to create one) when it or its database is missing; `berth init` creates one; offline
 * commands find the folder the service uses through --data, BERTH_DATA, the config's `data` or the default.
 */

const skip = !fs.existsSync(cliPath) && 'run npm run build first';

/** Every offline command, as a user would type it, with a data folder given by `where` (flags). */
const offline = (where: string[], work: string): string[][] => [
  ['user', 'add', 'bob', ...where],
  ['user', 'list', ...where],
  ['user', 'passwd', 'bob', ...where],
  ['user', 'delete', 'bob', ...where],
  ['token', 'list', 'admin', ...where],
  ['gc', ...where],
  ['export', ...where, '--out', path.join(work, 'b.tar')],
  ['import', ...where, path.join(work, 'b.tar')],
  ['replicate', ...where, '--rule', 'x'],
  ['secret', 'list', ...where],
  ['vulndb', 'status', ...where],
  ['scan', ...where, 'library/app:1'],
  ['config', 'apply', ...where],
];

function assertRefused(r: { status: number | null; stdout: string; stderr: string }, folder: string, what: string): void {
  assert.equal(r.status, 2, `${what}: ${r.stdout}${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `${what}: one line, got ${r.stderr}`);
  assert.ok(lines[0]!.includes(folder), `${what}: names ${folder}: ${r.stderr}`);
  assert.match(lines[0]!, /berth init/, `${what}: says how to create one`);
}

test('offline commands refuse a missing data folder (or one without a database) and create nothing', { skip, timeout: 120_000 }, async (t) => {
  const work = tempDir('berth-data-');
  t.after(() => fs.rmSync(work, { recursive: true, force: true }));
  const missing = path.join(work, 'missing', 'berth');
  for (const args of offline(['--data', missing], work)) {
    assertRefused(await runBerth(args, { input: 'a-long-password\n' }), missing, args.join(' '));
    assert.equal(fs.existsSync(path.join(work, 'missing')), false, `${args.join(' ')} created nothing`);
  }
  const empty = path.join(work, 'empty');
  fs.mkdirSync(empty);
  assertRefused(await runBerth(['user', 'add', 'bob', '--data', empty], { input: 'a-long-password\n' }), empty, 'an empty folder');
  assert.deepEqual(fs.readdirSync(empty), [], 'no database was created in it');

  // The default folder (here under XDG_DATA_HOME, which wins over /var/lib/berth for root too) is not invented either.
  const xdg = path.join(work, 'xdg');
  assertRefused(await runBerth(['user', 'add', 'bob'], { input: 'a-long-password\n', env: { XDG_DATA_HOME: xdg } }), path.join(xdg, 'berth'), 'the default folder');
  assert.equal(fs.existsSync(xdg), false);
});

test('berth init creates a data folder; offline commands find it by --data, BERTH_DATA, the config file and the default', { skip, timeout: 120_000 }, async (t) => {
  const work = tempDir('berth-data-');
  t.after(() => fs.rmSync(work, { recursive: true, force: true }));
  const data = path.join(work, 'srv', 'berth');
  const init = await runBerth(['init', '--data', data]);
  assert.equal(init.status, 0, init.stderr);
  assert.match(init.stdout, new RegExp(`created .*${data}`));
  assert.ok(fs.existsSync(path.join(data, 'berth.db')));
  const again = await runBerth(['init', '--data', data]);
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stdout, /exists already/);

  const add = await runBerth(['user', 'add', 'bob', '--data', data], { input: 'bob-password\n' });
  assert.equal(add.status, 0, add.stderr);
  const byEnv = await runBerth(['user', 'list'], { env: { BERTH_DATA: data } });
  assert.equal(byEnv.status, 0, byEnv.stderr);
  assert.match(byEnv.stdout, /^bob\tdeveloper$/m);
  const config = path.join(work, 'berth.yaml');
  fs.writeFileSync(config, `data: ${data}\n`);
  const byConfig = await runBerth(['user', 'list', '--config', config]);
  assert.match(byConfig.stdout, /^bob\tdeveloper$/m, byConfig.stderr);
  const byConfigEnv = await runBerth(['user', 'list'], { env: { BERTH_CONFIG: config } });
  assert.match(byConfigEnv.stdout, /^bob\tdeveloper$/m, byConfigEnv.stderr);

  const xdg = path.join(work, 'xdg');
  assert.equal((await runBerth(['init'], { env: { XDG_DATA_HOME: xdg } })).status, 0);
  const byDefault = await runBerth(['user', 'add', 'carol'], { input: 'carol-password\n', env: { XDG_DATA_HOME: xdg } });
  assert.equal(byDefault.status, 0, byDefault.stderr);
  assert.ok(fs.existsSync(path.join(xdg, 'berth', 'berth.db')));
});
