import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createTestRegistry, tempDir, ADMIN_PASSWORD } from '../helpers/test-registry.js';
import { makeImage } from '../helpers/oci-image.js';
import { pushImage, expectError } from '../helpers/v2-client.js';
import { cliPath, runBerth } from '../helpers/processes.js';

/*
 * An upstream that requires credentials (another Berth: Bearer token auth with a realm), the password kept in
 * the secret store through `berth secret set`, and never in the config, the database or the logs.
 */


test('upstream credentials come from the secret store (token dance against a Bearer realm); nothing in plaintext', async (t) => {
  assert.ok(fs.existsSync(cliPath), 'run `npm run build` first');
  const upstream = await createTestRegistry();
  t.after(() => upstream.close());
  const img = await makeImage();
  await pushImage(upstream, 'private/app', '1', img);

  const data = tempDir('proxy-secrets-');
  t.after(() => fs.rmSync(data, { recursive: true, force: true }));
  const logFile = path.join(data, 'log.txt');
  const reg = await createTestRegistry({
    data,
    registries: [{ name: 'hq', url: upstream.url, insecure: true, username: 'admin' }],
    proxies: [{ project: 'hq-cache', registry: 'hq' }],
  });
  t.after(() => reg.close());

  // No secret yet: the upstream refuses, the client hears a precise DENIED.
  await expectError(await reg.fetch('/v2/hq-cache/private/app/manifests/1'), 403, 'DENIED');

  const set = await runBerth(['secret', 'set', 'registry:hq', '--data', data], { env: { BERTH_SECRET_BACKEND: 'file' }, input: `${ADMIN_PASSWORD}\n` });
  assert.equal(set.status, 0, set.stderr);
  assert.match(set.stdout, /stored registry:hq \(file\)/);
  const list = await runBerth(['secret', 'list', '--data', data], { env: { BERTH_SECRET_BACKEND: 'file' } });
  assert.equal(list.stdout.trim(), 'registry:hq');
  assert.doesNotMatch(list.stdout, new RegExp(ADMIN_PASSWORD));

  const r = await reg.fetch('/v2/hq-cache/private/app/manifests/1', { headers: { accept: img.manifest.mediaType } });
  assert.equal(r.status, 200, await r.clone().text());
  assert.equal(r.headers.get('docker-content-digest'), img.manifest.digest);
  const blob = await reg.fetch(`/v2/hq-cache/private/app/blobs/${img.layers[0]!.digest}`);
  assert.equal(blob.status, 200);
  assert.equal((await blob.arrayBuffer()).byteLength, img.layers[0]!.size);

  // The key file is private; the password is in no file of the data folder in plaintext.
  const keyMode = fs.statSync(path.join(data, 'secrets', 'key')).mode & 0o777;
  assert.equal(keyMode, 0o600);
  reg.server.core.registry.flush();
  const needle = Buffer.from(ADMIN_PASSWORD);
  const walk = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
  for (const f of walk(data)) {
    if (f === logFile) continue;
    assert.equal(fs.readFileSync(f).includes(needle), false, `${f} holds the password in plaintext`);
  }

  const del = await runBerth(['secret', 'delete', 'registry:hq', '--data', data], { env: { BERTH_SECRET_BACKEND: 'file' } });
  assert.equal(del.status, 0, del.stderr);
  const missing = await runBerth(['secret', 'delete', 'registry:hq', '--data', data], { env: { BERTH_SECRET_BACKEND: 'file' } });
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /no secret named registry:hq/);
});
