import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import YAML from 'yaml';
import { repoRoot } from '../../helpers/processes.js';

const require = createRequire(import.meta.url);

// electron-builder is an optional dependency (it comes with Electron, whose binary download may be impossible here).
let builderInstalled = true;
try {
  require.resolve('app-builder-lib/out/util/config/config');
} catch {
  builderInstalled = false;
}

test('build/electron-builder.yml passes electron-builder’s own schema and names the targets', { skip: !builderInstalled && 'electron-builder is not installed (optional dependency)' }, async () => {
  const cfg = YAML.parse(fs.readFileSync(path.join(repoRoot, 'build', 'electron-builder.yml'), 'utf8')) as Record<string, any>;
  const { validateConfiguration } = require('app-builder-lib/out/util/config/config') as { validateConfiguration(c: unknown, log: unknown): Promise<void> };
  const { DebugLogger } = require('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };
  await validateConfiguration(cfg, new DebugLogger(false));
  await assert.rejects(validateConfiguration({ ...cfg, linux: { ...cfg.linux, targets: 'deb' } }, new DebugLogger(false)), /configuration\.linux/);
  assert.deepEqual(cfg.linux.target, ['AppImage', 'deb', 'rpm']);
  assert.deepEqual(cfg.win.target, ['nsis']);
  assert.deepEqual(cfg.mac.target, ['dmg']);
  assert.equal(cfg.npmRebuild, true, 'better-sqlite3 must be rebuilt for Electron');
  assert.equal(cfg.extraMetadata.main, 'dist/main/src/index.js');
  for (const f of ['build/icon.png', 'build/tray.png']) {
    const png = fs.readFileSync(path.join(repoRoot, f));
    assert.equal(png.subarray(1, 4).toString(), 'PNG', f);
    if (f.endsWith('icon.png')) assert.ok(png.readUInt32BE(16) >= 512, 'app icon at least 512 px (macOS needs it)');
  }
});

test('build/berth.service starts the CLI the package builds and is accepted by systemd-analyze', () => {
  const unit = fs.readFileSync(path.join(repoRoot, 'build', 'berth.service'), 'utf8');
  const wrapper = fs.readFileSync(path.join(repoRoot, 'build', 'deb', 'berth'), 'utf8');
  const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { bin: { berth: string } };
  assert.match(unit, /^ExecStart=\/usr\/bin\/berth serve --config \/etc\/berth\/config\.yaml$/m);
  assert.ok(wrapper.includes(`/usr/lib/berth/${pkg.bin.berth} "$@"`), 'the package’s berth command runs the built CLI');
  assert.match(unit, /^NoNewPrivileges=true$/m);
  assert.doesNotMatch(unit, /BERTH_ADMIN_PASSWORD=/, 'secrets belong in the EnvironmentFile');
  let analyze = true;
  try {
    execFileSync('systemd-analyze', ['--version'], { stdio: 'ignore' });
  } catch {
    analyze = false;
  }
  if (analyze) {
    // Prints problems on stderr; exit status is non-zero for a broken unit.
    // verify also wants the ExecStart binary: the package installs /usr/bin/berth, so a copy points at /bin/true.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-unit-'));
    try {
      fs.writeFileSync(path.join(dir, 'berth.service'), unit.replace(/^ExecStart=\/usr\/bin\/berth /m, 'ExecStart=/bin/true '));
      execFileSync('systemd-analyze', ['verify', path.join(dir, 'berth.service')], { stdio: 'pipe' });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
});
