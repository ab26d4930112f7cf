import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTestRegistry, tempDir } from '../helpers/test-registry.js';
import { ApiSession } from '../helpers/api-client.js';
import { freePort } from '../helpers/processes.js';
import { watchCoreSignals } from '../../main/src/core-signals.js';
import type { CoreSignal } from '../../main/src/tray-status.js';

// The desktop tray's feed from a real core: a replication run that fails (its peer is not listening) is
// reported live, and replayed from the execution history after a restart.
test('tray signals from a real core: failed replication live and after a restart', async (t) => {
  const data = tempDir();
  let reg = await createTestRegistry({ data });
  t.after(async () => {
    await reg.close();
    fs.rmSync(data, { recursive: true, force: true });
  });
  const s = await ApiSession.login(reg);
  const deadPort = await freePort();
  assert.equal((await s.call('POST', '/registries', { name: 'hq', url: `http://127.0.0.1:${deadPort}` })).status, 201);
  const rule = { name: 'from-hq', registry: 'hq', direction: 'pull', repositories: ['apps/web'] };
  assert.equal((await s.call('POST', '/replication/rules', rule)).status, 201);

  const seen: CoreSignal[] = [];
  const stop = watchCoreSignals(reg.server.core, (sig) => seen.push(sig));
  assert.deepEqual(seen, [], 'a rule that never ran says nothing');
  assert.equal((await s.call('POST', '/replication/rules/from-hq/run')).status, 202);
  const deadline = Date.now() + 60_000;
  while (seen.length === 0 && Date.now() < deadline) await sleep(100);
  stop();
  assert.deepEqual(seen, [{ type: 'replication', rule: 'from-hq', ok: false }]);

  await reg.server.close();
  reg = await createTestRegistry({ data });
  const replayed: CoreSignal[] = [];
  watchCoreSignals(reg.server.core, (sig) => replayed.push(sig))();
  assert.deepEqual(replayed, [{ type: 'replication', rule: 'from-hq', ok: false }]);
});
