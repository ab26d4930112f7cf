import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import cron from 'node-cron';
import { createTestRegistry, tempDir, type TestRegistry } from '../helpers/test-registry.js';
import { ApiSession } from '../helpers/api-client.js';

describe('system settings: GC schedule (live, persisted), storage paths, TLS', () => {
  const data = tempDir();
  let reg: TestRegistry;
  before(async () => {
    reg = await createTestRegistry({ data, gc: { schedule: '0 4 * * *' } });
  });
  after(async () => {
    await reg.close();
    fs.rmSync(data, { recursive: true, force: true });
  });

  test('shows the config default, storage paths and plain-HTTP TLS status to admins only', async () => {
    const admin = await ApiSession.login(reg);
    const r = await admin.call('GET', '/system/settings');
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.gc, { schedule: '0 4 * * *', source: 'config', configDefault: '0 4 * * *' });
    assert.equal(r.body.storage.dataDir, data);
    assert.ok(r.body.storage.database.startsWith(data) && r.body.storage.blobs.startsWith(data));
    assert.equal(r.body.tls.externalUrl, null);
    assert.equal(r.body.tls.servedOverHttps, false);
    assert.match(r.body.tls.note, /reverse proxy/);
    await admin.call('POST', '/users', { username: 'dev', password: 'dev-password', role: 'developer' });
    const dev = await ApiSession.login(reg, 'dev', 'dev-password');
    assert.equal((await dev.call('GET', '/system/settings')).status, 403);
    assert.equal((await dev.call('PATCH', '/system/settings', { gcSchedule: '' })).status, 403);
  });

  test('an invalid cron expression is refused with a precise error and changes nothing', async () => {
    const admin = await ApiSession.login(reg);
    for (const bad of ['every day', '61 * * * *', '* * *']) {
      const r = await admin.call('PATCH', '/system/settings', { gcSchedule: bad });
      assert.equal(r.status, 400, bad);
      assert.equal(r.body.error.field, 'gcSchedule');
      assert.match(r.body.error.message, /not a valid cron expression/);
    }
    assert.equal((await admin.call('PATCH', '/system/settings', { gcSchedule: 5 })).status, 400);
    assert.equal((await admin.call('GET', '/gc')).body.schedule, '0 4 * * *');
  });

  test('a new schedule applies to the running server at once, survives a restart, and can be reset', async () => {
    const admin = await ApiSession.login(reg);
    let runs = 0;
    const off = reg.server.core.events.on('gc.finished', (e) => {
      if (!e.dryRun) runs++;
    });
    try {
      // every second (node-cron's six-field form): the live task must fire within a few seconds
      const r = await admin.call('PATCH', '/system/settings', { gcSchedule: '* * * * * *' });
      assert.equal(r.status, 200);
      assert.deepEqual(r.body, { schedule: '* * * * * *', source: 'settings', configDefault: '0 4 * * *' });
      const deadline = Date.now() + 5000;
      while (runs === 0 && Date.now() < deadline) await sleep(100);
      assert.ok(runs > 0, 'scheduled GC ran under the new schedule');
      assert.equal((await admin.call('GET', '/gc')).body.schedule, '* * * * * *');
      assert.equal((await admin.call('GET', '/system')).body.gc.schedule, '* * * * * *');
      // off: no more runs
      assert.equal((await admin.call('PATCH', '/system/settings', { gcSchedule: '' })).body.schedule, '');
      // The every-second task is gone from node-cron (destroyed, not paused), so nothing can fire it again.
      const everySecond = () => [...cron.getTasks().values()].filter((task) => (task as unknown as { cronExpression?: string }).cronExpression === '* * * * * *');
      assert.deepEqual(everySecond(), [], 'no scheduled GC once it is off');
    } finally {
      off();
    }
    assert.equal((await admin.call('PATCH', '/system/settings', { gcSchedule: '30 2 * * 0' })).status, 200);
    await reg.server.close();
    reg = await createTestRegistry({ data, gc: { schedule: '0 4 * * *' } });
    const again = await ApiSession.login(reg);
    assert.equal((await again.call('GET', '/gc')).body.schedule, '30 2 * * 0', 'the stored setting overrides the config file after a restart');
    const reset = await again.call('PATCH', '/system/settings', { gcSchedule: null });
    assert.deepEqual(reset.body, { schedule: '0 4 * * *', source: 'config', configDefault: '0 4 * * *' });
  });
});
