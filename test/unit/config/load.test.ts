import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, validateConfig, ConfigError } from '../../../registry/src/config/load.js';
import { defaultDataDir } from '../../../registry/src/config/schema.js';

function withFile(text: string, fn: (file: string) => void): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-config-'));
  try {
    const file = path.join(dir, 'berth.yaml');
    fs.writeFileSync(file, text);
    fn(file);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function configError(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ConfigError, `not a ConfigError: ${String(e)}`);
    return e.message;
  }
  assert.fail('no error');
}

test('defaults apply when nothing is configured', () => {
  const c = loadConfig({ env: {} });
  assert.equal(c.listen, '0.0.0.0:5000');
  assert.equal(c.auth.service, 'berth');
  assert.equal(c.auth.tokenTtlSeconds, 300);
  assert.equal(c.log.level, 'info');
  assert.equal(c.log.requests, true);
  assert.equal(c.gc.graceMinutes, 24 * 60);
  assert.equal(c.storage.manifestCacheMiB, 32);
  assert.equal(typeof c.data, 'string');
  assert.ok(c.data.length > 0);
});

test('the default data folder follows XDG_DATA_HOME', () => {
  assert.equal(defaultDataDir({ XDG_DATA_HOME: '/srv/xdg' }), path.join('/srv/xdg', 'berth'));
  if (process.getuid?.() !== 0) assert.equal(defaultDataDir({}), path.join(os.homedir(), '.local', 'share', 'berth'));
});

test('a YAML file sets values and keeps defaults for the rest', () => {
  withFile('listen: 127.0.0.1:6000\ndata: /tmp/berth-a\nlog:\n  level: warn\ngc:\n  graceMinutes: 5\n', (file) => {
    const c = loadConfig({ file, env: {} });
    assert.equal(c.listen, '127.0.0.1:6000');
    assert.equal(c.data, '/tmp/berth-a');
    assert.equal(c.log.level, 'warn');
    assert.equal(c.log.requests, true);
    assert.equal(c.gc.graceMinutes, 5);
    assert.equal(c.gc.uploadMaxAgeMinutes, 24 * 60);
  });
});

test('BERTH_CONFIG names the file when no file is given', () => {
  withFile('listen: 127.0.0.1:6001\n', (file) => {
    assert.equal(loadConfig({ env: { BERTH_CONFIG: file } }).listen, '127.0.0.1:6001');
  });
});

test('an empty file is the defaults', () => {
  withFile('', (file) => assert.equal(loadConfig({ file, env: {} }).listen, '0.0.0.0:5000'));
});

test('environment overrides the file; flags override both', () => {
  withFile('listen: 127.0.0.1:6000\ndata: /tmp/from-file\ngc:\n  graceMinutes: 5\n  schedule: "0 1 * * *"\n', (file) => {
    const env = {
      BERTH_LISTEN: '127.0.0.1:7000',
      BERTH_DATA: '/tmp/from-env',
      BERTH_GC_GRACE_MINUTES: '9',
      BERTH_LOG_REQUESTS: 'false',
      BERTH_TOKEN_TTL_SECONDS: '600',
      BERTH_EXTERNAL_URL: 'https://berth.example.test',
    };
    const fromEnv = loadConfig({ file, env });
    assert.equal(fromEnv.listen, '127.0.0.1:7000');
    assert.equal(fromEnv.data, '/tmp/from-env');
    assert.equal(fromEnv.gc.graceMinutes, 9);
    assert.equal(fromEnv.gc.schedule, '0 1 * * *', 'unrelated keys of the same section survive');
    assert.equal(fromEnv.log.requests, false);
    assert.equal(fromEnv.auth.tokenTtlSeconds, 600);
    assert.equal(fromEnv.externalUrl, 'https://berth.example.test');

    const fromFlags = loadConfig({ file, env, flags: { listen: '127.0.0.1:8000', data: '/tmp/from-flag', 'gc.graceMinutes': 11, externalUrl: undefined } });
    assert.equal(fromFlags.listen, '127.0.0.1:8000');
    assert.equal(fromFlags.data, '/tmp/from-flag');
    assert.equal(fromFlags.gc.graceMinutes, 11);
    assert.equal(fromFlags.externalUrl, 'https://berth.example.test', 'an undefined flag does not erase a value');
  });
});

test('empty environment variables are ignored', () => {
  assert.equal(loadConfig({ env: { BERTH_LISTEN: '' } }).listen, '0.0.0.0:5000');
});

test('errors name the field, for file, environment and flag values alike', () => {
  withFile('listen: nowhere\n', (file) => {
    const msg = configError(() => loadConfig({ file, env: {} }));
    assert.match(msg, /listen/);
    assert.match(msg, new RegExp(file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  });
  withFile('gc:\n  graceMinutes: -1\n', (file) => assert.match(configError(() => loadConfig({ file, env: {} })), /gc\.graceMinutes/));
  withFile('auth:\n  tokenTtl: 5\n', (file) => assert.match(configError(() => loadConfig({ file, env: {} })), /auth/));
  withFile('colour: blue\n', (file) => assert.match(configError(() => loadConfig({ file, env: {} })), /colour/));
  assert.match(configError(() => loadConfig({ env: { BERTH_GC_GRACE_MINUTES: 'soon' } })), /gc\.graceMinutes: .*\(from BERTH_GC_GRACE_MINUTES\)/);
  assert.match(configError(() => loadConfig({ env: {}, flags: { listen: 'nowhere' } })), /listen: .*\(from a command-line flag\)/);
  assert.match(configError(() => loadConfig({ env: { BERTH_TOKEN_TTL_SECONDS: '1' } })), /auth\.tokenTtlSeconds/);
  assert.match(configError(() => loadConfig({ env: { BERTH_LOG_LEVEL: 'loud' } })), /log\.level/);
  assert.match(configError(() => loadConfig({ env: { BERTH_LOG_REQUESTS: 'yes' } })), /log\.requests/);
  assert.equal(loadConfig({ env: { BERTH_LOG_REQUESTS: '1' } }).log.requests, true);
  assert.equal(loadConfig({ env: { BERTH_LOG_REQUESTS: '0' } }).log.requests, false);
  assert.match(configError(() => loadConfig({ env: {}, flags: { externalUrl: 'not a url' } })), /externalUrl/);
  assert.match(configError(() => validateConfig({ storage: { manifestCacheMiB: 'big' } })), /storage\.manifestCacheMiB/);
});

test('unreadable, non-YAML and non-mapping files are clear errors', () => {
  assert.match(configError(() => loadConfig({ file: '/nonexistent/berth.yaml', env: {} })), /cannot read config file \/nonexistent\/berth\.yaml/);
  withFile('listen: [unclosed\n', (file) => assert.match(configError(() => loadConfig({ file, env: {} })), /not valid YAML/));
  withFile('- a\n- b\n', (file) => assert.match(configError(() => loadConfig({ file, env: {} })), /must be a mapping/));
});
