import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import bcrypt from 'bcryptjs';
import { startDistribution } from '../helpers/docker-registry.js';
import { tempDir } from '../helpers/test-registry.js';
import { cliPath } from '../helpers/processes.js';
import { makeImage } from '../helpers/oci-image.js';
import { seedImage, digestOf, pushLocal, replicationCore, startTestProxy, writeConfig, type ProxyDecision } from '../helpers/replication.js';
import { EncryptedFileSecretStore } from '../../registry/src/secrets/index.js';
import { ReplicationService } from '../../registry/src/replication/index.js';
import type { Core } from '../../registry/src/core.js';

/* Replication when the link misbehaves: a remote that stops mid-transfer, one that answers 429, credentials. */

function cleanup(core: Core): void {
  core.close();
  fs.rmSync(core.config.data, { recursive: true, force: true });
}

/** A replication engine on the core's data with small chunks and quick, few retries: failures show fast. */
function smallChunkService(core: Core, chunkBytes: number, attempts: number): ReplicationService {
  return new ReplicationService({
    meta: core.meta,
    registry: core.registry,
    events: core.events,
    log: core.log,
    secrets: async () => new EncryptedFileSecretStore(core.paths.secretsDir, undefined),
    registries: (n) => core.remoteRegistry(n),
    engine: { chunkBytes, retry: { attempts, baseMs: 100, maxMs: 200 }, clientRetries: 0 },
  });
}

test('a push interrupted by stopping the remote resumes the blob at the chunk it reached', async (t) => {
  const secret = randomBytes(16).toString('hex');
  let site = await startDistribution({ secret });
  const { port, dir } = site;
  const MiB = 1024 * 1024;
  let patches = 0;
  let stopped = false;
  // Behind a buffering proxy (as nginx in front of Harbor): the registry is stopped while the 3rd chunk is on its way.
  const proxy = await startTestProxy(site.url, async (r): Promise<ProxyDecision> => {
    if (r.method === 'PATCH' && ++patches === 3 && !stopped) {
      stopped = true;
      await site.stop();
    }
    return 'forward';
  });
  t.after(async () => {
    await proxy.close();
    await site.stop();
  });
  const core = replicationCore({
    registries: [{ name: 'site', url: proxy.url }],
    replication: [{ name: 'big', registry: 'site', direction: 'push', repositories: ['team/big'], bandwidth: '8MiB/s' }],
  });
  t.after(() => cleanup(core));
  const img = await makeImage({ files: { 'payload.bin': randomBytes(5 * MiB) } });
  await pushLocal(core, 'team/big', 'v1', img);
  const layer = img.layers[0]!;
  const svc = smallChunkService(core, MiB, 2);

  const failed = await svc.run('big');
  assert.equal(failed.execution.status, 'failed');
  assert.match(core.replication.execution(failed.execution.id).tasks[0]!.error ?? '', /502|unavailable|ECONNREFUSED|answered/);
  const saved = core.meta.replication.savedUpload('big', 'team/big', layer.digest);
  assert.equal(saved?.offset, 2 * MiB, 'two chunks were acknowledged before the remote stopped');

  site = await startDistribution({ port, dir, secret });
  const before = proxy.requests.length;
  const resumed = await svc.run('big');
  assert.equal(resumed.execution.status, 'succeeded', resumed.execution.error ?? '');
  const patchesAfter = proxy.requests.slice(before).filter((r) => r.method === 'PATCH');
  assert.equal(patchesAfter[0]!.headers['content-range'], `${2 * MiB}-${3 * MiB - 1}`, 'the upload went on at 2 MiB, not at 0');
  assert.ok(resumed.execution.bytes <= layer.size - 2 * MiB, `resent ${resumed.execution.bytes} bytes of ${layer.size}`);
  assert.equal(await digestOf(site.url, 'team/big', 'v1'), img.manifest.digest);
  const blob = await fetch(`${site.url}/v2/team/big/blobs/${layer.digest}`, { method: 'HEAD' });
  assert.equal(Number(blob.headers.get('content-length')), layer.size);
  assert.equal(core.meta.replication.savedUpload('big', 'team/big', layer.digest), undefined);
});

test('a push whose chunk is torn inside the remote restarts the blob from byte 0, and the execution says so', async (t) => {
  const site = await startDistribution();
  const MiB = 1024 * 1024;
  let patches = 0;
  // The 3rd chunk reaches the registry half-way, then the link drops: docker-registry forgets the session.
  const proxy = await startTestProxy(site.url, (r): ProxyDecision => (r.method === 'PATCH' && ++patches === 3 ? { cutAfter: MiB / 2 } : 'forward'));
  t.after(async () => {
    await proxy.close();
    await site.stop();
  });
  const core = replicationCore({
    registries: [{ name: 'site', url: proxy.url }],
    replication: [{ name: 'big', registry: 'site', direction: 'push', repositories: ['team/big'] }],
  });
  t.after(() => cleanup(core));
  const img = await makeImage({ files: { 'payload.bin': randomBytes(3 * MiB) } });
  await pushLocal(core, 'team/big', 'v1', img);
  const layer = img.layers[0]!;
  const svc = smallChunkService(core, MiB, 2);

  const run = await svc.run('big');
  assert.equal(run.execution.status, 'succeeded', run.execution.error ?? '');
  const patchRanges = proxy.requests.filter((r) => r.method === 'PATCH').map((r) => r.headers['content-range']);
  assert.deepEqual(patchRanges.slice(0, 3), ['0-1048575', '1048576-2097151', '2097152-3145727'], 'two whole chunks, then the torn one');
  assert.equal(patchRanges[3], '0-1048575', 'after the torn chunk the blob started again at byte 0');
  const task = core.replication.execution(run.execution.id).tasks[0]!;
  assert.equal(task.status, 'succeeded');
  assert.match(task.error ?? '', new RegExp(`blob ${layer.digest}: the upload session saved at ${2 * MiB} bytes is unknown to the remote \\(it answered 404 on its status\\); the blob restarted from byte 0`));
  assert.equal(await digestOf(site.url, 'team/big', 'v1'), img.manifest.digest);
  const blob = await fetch(`${site.url}/v2/team/big/blobs/${layer.digest}`, { method: 'HEAD' });
  assert.equal(Number(blob.headers.get('content-length')), layer.size);
});

test('a pull interrupted by stopping the remote resumes the blob with ranged reads from the chunk it reached', async (t) => {
  const MiB = 1024 * 1024;
  let hq = await startDistribution();
  const { port, dir } = hq;
  const img = await makeImage({ files: { 'payload.bin': randomBytes(5 * MiB) } });
  const layer = img.layers.reduce((a, b) => (b.size > a.size ? b : a));
  await seedImage(hq.host, 'team/big', 'v1', img);
  let layerGets = 0;
  let stopped = false;
  const proxy = await startTestProxy(hq.url, async (r): Promise<ProxyDecision> => {
    if (r.method === 'GET' && r.url.includes(`/blobs/${layer.digest}`) && ++layerGets === 3 && !stopped) {
      stopped = true;
      await hq.stop();
    }
    return 'forward';
  });
  t.after(async () => {
    await proxy.close();
    await hq.stop();
  });
  const core = replicationCore({
    registries: [{ name: 'hq', url: proxy.url }],
    replication: [{ name: 'in', registry: 'hq', direction: 'pull', repositories: ['team/big'] }],
  });
  t.after(() => cleanup(core));
  const svc = smallChunkService(core, MiB, 2);

  const failed = await svc.run('in');
  assert.equal(failed.execution.status, 'failed');
  const saved = core.meta.replication.savedUpload('in', 'team/big', layer.digest);
  assert.equal(saved?.offset, 2 * MiB, 'two whole chunks arrived before the remote stopped');
  assert.throws(() => core.registry.manifests.resolve('team/big', 'v1'), 'nothing half-copied is visible');

  hq = await startDistribution({ port, dir });
  const before = proxy.requests.length;
  const resumed = await svc.run('in');
  assert.equal(resumed.execution.status, 'succeeded', resumed.execution.error ?? '');
  const gets = proxy.requests.slice(before).filter((r) => r.method === 'GET' && r.url.includes(`/blobs/${layer.digest}`));
  assert.equal(gets[0]!.headers.range, `bytes=${2 * MiB}-${3 * MiB - 1}`, 'the copy went on at 2 MiB, not at 0');
  const left: string[] = [];
  for (let start = 2 * MiB; start < layer.size; start += MiB) left.push(`bytes=${start}-${Math.min(start + MiB, layer.size) - 1}`);
  assert.deepEqual(gets.map((g) => g.headers.range), left, 'the chunks left, once each');
  assert.ok(resumed.execution.bytes <= layer.size - 2 * MiB + img.config.size, `fetched ${resumed.execution.bytes} bytes again of ${layer.size}`);
  assert.equal(core.registry.manifests.resolve('team/big', 'v1').row.digest, img.manifest.digest);
  const stat = core.registry.blobs.stat('team/big', layer.digest);
  assert.equal(stat.size, layer.size);
  assert.equal(core.meta.replication.savedUpload('in', 'team/big', layer.digest), undefined);
});

test('a remote that ignores byte ranges still gets its big blobs copied, in one piece', async (t) => {
  const MiB = 1024 * 1024;
  const hq = await startDistribution();
  const img = await makeImage({ files: { 'payload.bin': randomBytes(3 * MiB) } });
  await seedImage(hq.host, 'team/big', 'v1', img);
  // Like a CDN in front of a registry that drops Range: a ranged GET gets a 200 (here with no body at all).
  const proxy = await startTestProxy(hq.url, (r): ProxyDecision => (r.headers.range ? { status: 200 } : 'forward'));
  t.after(async () => {
    await proxy.close();
    await hq.stop();
  });
  const core = replicationCore({ registries: [{ name: 'hq', url: proxy.url }], replication: [{ name: 'in', registry: 'hq', direction: 'pull', repositories: ['team/big'] }] });
  t.after(() => cleanup(core));
  const svc = smallChunkService(core, MiB, 1);
  const run = await svc.run('in');
  assert.equal(run.execution.status, 'succeeded', run.execution.error ?? '');
  assert.equal(core.registry.manifests.resolve('team/big', 'v1').row.digest, img.manifest.digest);
  assert.ok(proxy.requests.some((r) => r.headers.range), 'a ranged read was tried first');
});

test('a remote answering 429 with Retry-After is waited for, and the run completes', async (t) => {
  const hq = await startDistribution();
  await seedImage(hq.host, 'library/alpine', '3.20');
  await seedImage(hq.host, 'library/alpine', '3.21');
  const busy = new Set([3, 4, 9]);
  const proxy = await startTestProxy(hq.url, (r) => (busy.has(r.n) ? { status: 429, headers: { 'retry-after': '1' } } : 'forward'));
  t.after(async () => {
    await proxy.close();
    await hq.stop();
  });
  const core = replicationCore({
    registries: [{ name: 'hq', url: proxy.url }],
    replication: [{ name: 'alpine', registry: 'hq', direction: 'pull', repositories: ['library/alpine'] }],
  });
  t.after(() => cleanup(core));
  const r = await core.replication.run('alpine');
  assert.equal(r.execution.status, 'succeeded', r.execution.error ?? '');
  assert.equal(r.execution.copied, 2);
  const reqs = proxy.requests;
  const limited = reqs.filter((x) => x.status === 429);
  assert.equal(limited.length, 3);
  for (const l of limited) {
    const next = reqs.find((x) => x.n > l.n && x.url === l.url && x.method === l.method);
    assert.ok(next, `${l.method} ${l.url} was retried`);
    assert.ok(next.at - l.at >= 900, `waited ${next.at - l.at} ms after Retry-After: 1`);
  }
  assert.deepEqual(core.registry.content.tags('library/alpine', undefined, undefined).items, ['3.20', '3.21']);
});

test('credentials come from the secret store; wrong ones fail the run without leaking', async (t) => {
  const dir = tempDir('htpasswd-');
  const password = `pw-${randomBytes(8).toString('hex')}`;
  fs.writeFileSync(path.join(dir, 'htpasswd'), `hq-bot:${bcrypt.hashSync(password, 4)}\n`);
  const hq = await startDistribution({ htpasswd: path.join(dir, 'htpasswd') });
  t.after(async () => {
    await hq.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  await seedImage(hq.host, 'apps/api', 'v1', undefined, `hq-bot:${password}`);
  const core = replicationCore({
    registries: [{ name: 'hq', url: hq.url, username: 'hq-bot' }],
    replication: [{ name: 'api', registry: 'hq', direction: 'pull', repositories: ['apps/api'] }],
  });
  t.after(() => cleanup(core));
  const store = new EncryptedFileSecretStore(core.paths.secretsDir, undefined);

  await store.set('registry:hq', 'wrong-password');
  const refused = await core.replication.run('api');
  assert.equal(refused.execution.status, 'failed');
  assert.match(refused.execution.error ?? '', /refused the credentials|unauthorized|401/);

  await store.set('registry:hq', password);
  const ok = await core.replication.run('api');
  assert.equal(ok.execution.status, 'succeeded', ok.execution.error ?? '');
  assert.equal(core.registry.content.tags('apps/api', undefined, undefined).items[0], 'v1');
  core.close();
  const files = [core.paths.database, `${core.paths.database}-wal`].filter((f) => fs.existsSync(f));
  for (const f of files) assert.ok(!fs.readFileSync(f).includes(password), `${f} holds no password`);
  for (const f of fs.readdirSync(core.paths.secretsDir)) assert.ok(!fs.readFileSync(path.join(core.paths.secretsDir, f)).includes(password));
});

test('berth replicate runs one rule and exits non-zero when it fails', { skip: !fs.existsSync(cliPath) && 'run npm run build first' }, async (t) => {
  const hq = await startDistribution();
  let hqUp = true;
  t.after(() => (hqUp ? hq.stop() : undefined));
  await seedImage(hq.host, 'library/busybox', '1.36');
  const data = tempDir('berth-cli-');
  t.after(() => fs.rmSync(data, { recursive: true, force: true }));
  const config = writeConfig(data, {
    registries: [{ name: 'hq', url: hq.url }],
    replication: [{ name: 'from-hq', registry: 'hq', direction: 'pull', repositories: ['library/busybox'] }],
    log: { level: 'error' },
  });
  const run = () => spawnSync(process.execPath, [cliPath, 'replicate', '--config', config, '--data', data, '--rule', 'from-hq'], { encoding: 'utf8', timeout: 60_000 });
  // The rule must be applied first: only serve, init and config apply change what the file declares.
  const init = spawnSync(process.execPath, [cliPath, 'init', '--data', data], { encoding: 'utf8' });
  assert.equal(init.status, 0, init.stderr);
  const notApplied = run();
  assert.equal(notApplied.status, 2, notApplied.stderr);
  assert.match(notApplied.stderr, /replication rule from-hq is in the config file but not applied .*berth config apply/);
  const apply = spawnSync(process.execPath, [cliPath, 'config', 'apply', '--config', config, '--data', data], { encoding: 'utf8' });
  assert.equal(apply.status, 0, apply.stdout + apply.stderr);
  assert.match(apply.stdout, /changed: registry hq added\n.*changed: replication rule from-hq added/s);
  const ok = run();
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /from-hq: succeeded .* 1 copied/);
  const dry = spawnSync(process.execPath, [cliPath, 'replicate', '--config', config, '--data', data, '--rule', 'from-hq', '--dry-run'], { encoding: 'utf8' });
  assert.match(dry.stdout, /skip\s+library\/busybox:1.36 -> library\/busybox:1.36/);
  await hq.stop();
  hqUp = false;
  const down = run();
  assert.equal(down.status, 1, down.stdout + down.stderr);
  assert.match(down.stderr, /hq/);
  const unknown = spawnSync(process.execPath, [cliPath, 'replicate', '--config', config, '--data', data, '--rule', 'nope'], { encoding: 'utf8' });
  assert.notEqual(unknown.status, 0);
  assert.match(unknown.stderr, /replication rule nope does not exist/);
});
