import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createTestRegistry, tempDir, ADMIN_PASSWORD, basic } from '../helpers/test-registry.js';
import { ApiSession } from '../helpers/api-client.js';
import { expectError, pushBlob, putManifest, pushImage } from '../helpers/v2-client.js';
import { makeImage, makeIndex, makeArtifact, writeLayout, imageBlobs, type Blob } from '../helpers/oci-image.js';
import { skopeo } from '../helpers/processes.js';
import { openCore, push } from '../helpers/transfer-fixtures.js';
import { replicationCore, seedImage, tagsOf, digestOf } from '../helpers/replication.js';

/*
 * Tag immutability end to end: rules through the admin API, refusals through /v2 (DENIED, the rule named),
 * through skopeo, through an offline import, through replication into this Berth; same-digest re-pushes and
 * other tags unaffected.
 */

const creds = `admin:${ADMIN_PASSWORD}`;

test('immutable tags: push, delete, skopeo and API refusals name the rule; same digest and other tags are fine', { timeout: 60_000 }, async (t) => {
  const reg = await createTestRegistry();
  t.after(() => reg.close());
  const work = tempDir('berth-immutable-');
  t.after(() => fs.rmSync(work, { recursive: true, force: true }));
  const api = await ApiSession.login(reg);
  const a = await makeImage();
  const b = await makeImage();
  await pushImage(reg, 'team/app', 'v1', a);
  await pushImage(reg, 'team/app', 'latest', a);

  // Rules: admins only, validated, listed for everyone signed in; not on projects that do not exist.
  assert.equal((await api.call('POST', '/users', { username: 'dev', password: 'dev-password-1', role: 'developer' })).status, 201);
  const dev = await ApiSession.login(reg, 'dev', 'dev-password-1');
  assert.equal((await dev.call('POST', '/projects/team/immutability-rules', { tags: 'v*' })).status, 403);
  const bad = await api.call('POST', '/projects/team/immutability-rules', { repositories: '**', tags: '' });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error.id, 'validation_failed');
  assert.equal((await api.call('POST', '/projects/nope/immutability-rules', { tags: 'v*' })).status, 404);
  const created = await api.call('POST', '/projects/team/immutability-rules', { repositories: 'app', tags: 'v*' });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const rule = created.body as { id: number; repositories: string; tags: string };
  assert.deepEqual({ repositories: rule.repositories, tags: rule.tags }, { repositories: 'app', tags: 'v*' });
  assert.equal((await api.call('POST', '/projects/team/immutability-rules', { repositories: 'app', tags: 'v*' })).status, 409);
  const listed = await dev.call('GET', '/projects/team/immutability-rules');
  assert.deepEqual(listed.body.items.map((r: { id: number }) => r.id), [rule.id]);

  // Moving v1 to another digest: DENIED naming the rule; v1 still points at a.
  for (const blob of [b.config, ...b.layers]) {
    const r = await reg.fetch(`/v2/team/app/blobs/uploads/?digest=${blob.digest}`, { method: 'POST', body: blob.bytes });
    assert.equal(r.status, 201);
  }
  const moved = await expectError(await putManifest(reg, 'team/app', 'v1', b.manifest), 403, 'DENIED');
  assert.match(moved.errors[0]!.message, new RegExp(`tag team/app:v1 is immutable \\(immutability rule #${rule.id} of project team: repositories "app", tags "v\\*"\\)`));
  const head = await reg.fetch('/v2/team/app/manifests/v1', { method: 'HEAD', headers: { accept: a.manifest.mediaType } });
  assert.equal(head.headers.get('docker-content-digest'), a.manifest.digest);
  // The same digest again is fine; new tags are fine (and then immutable themselves); other tags stay mutable.
  assert.equal((await putManifest(reg, 'team/app', 'v1', a.manifest)).status, 201);
  assert.equal((await putManifest(reg, 'team/app', 'v2', b.manifest)).status, 201);
  assert.equal((await putManifest(reg, 'team/app', 'latest', b.manifest)).status, 201);
  await expectError(await putManifest(reg, 'team/app', 'v2', a.manifest), 403, 'DENIED');
  // Another repository of the project is not matched by "app".
  await pushImage(reg, 'team/other', 'v1', a);
  await pushImage(reg, 'team/other', 'v1', b);

  // Deletes: the tag, the manifest it points at (by digest, over /v2 and the admin API); other tags may go.
  const delTag = await expectError(await reg.fetch('/v2/team/app/manifests/v1', { method: 'DELETE' }), 403, 'DENIED');
  assert.match(delTag.errors[0]!.message, /tag team\/app:v1 is immutable .* cannot be deleted/);
  const delDigest = await expectError(await reg.fetch(`/v2/team/app/manifests/${a.manifest.digest}`, { method: 'DELETE' }), 403, 'DENIED');
  assert.match(delDigest.errors[0]!.message, new RegExp(`manifest ${a.manifest.digest} of team/app is tagged v1, which is immutable \\(immutability rule #${rule.id}`));
  const apiDel = await api.call('DELETE', `/repositories/${encodeURIComponent('team/app')}/tags/v1`);
  assert.equal(apiDel.status, 403);
  assert.match(apiDel.body.error.message, /immutable/);
  assert.equal((await reg.fetch('/v2/team/app/manifests/latest', { method: 'DELETE' })).status, 202);

  // skopeo: pushing another image over the immutable tag fails with the rule in its message; a new tag works, twice.
  const c = await makeImage();
  const layout = path.join(work, 'c');
  writeLayout(layout, imageBlobs(c), { c: c.manifest });
  await assert.rejects(
    skopeo(['copy', '--dest-tls-verify=false', '--dest-creds', creds, `oci:${layout}:c`, `docker://${reg.host}/team/app:v1`]),
    /denied.*tag team\/app:v1 is immutable \(immutability rule #\d+ of project team/is,
  );
  await skopeo(['copy', '--dest-tls-verify=false', '--dest-creds', creds, `oci:${layout}:c`, `docker://${reg.host}/team/app:v3`]);
  await skopeo(['copy', '--dest-tls-verify=false', '--dest-creds', creds, `oci:${layout}:c`, `docker://${reg.host}/team/app:v3`]);
  assert.equal(await digestOf(reg.url, 'team/app', 'v3', basic('admin', ADMIN_PASSWORD)), c.manifest.digest);

  // Removing the rule makes the tags mutable again.
  assert.equal((await api.call('DELETE', `/projects/team/immutability-rules/${rule.id}`)).status, 204);
  assert.equal((await api.call('DELETE', `/projects/team/immutability-rules/${rule.id}`)).status, 404);
  assert.equal((await putManifest(reg, 'team/app', 'v1', b.manifest)).status, 201);
  // Policy changes are in the audit log with who made them.
  const audit = await api.call('GET', '/audit?type=policy.changed');
  assert.ok(audit.body.items.some((e: { actor: string; detail: { change: string } }) => e.actor === 'admin' && /added rule/.test(e.detail.change)), JSON.stringify(audit.body));
});

test('an immutable tag protects what it reaches: index children, referrers and their blobs (skopeo pushes)', { timeout: 120_000 }, async (t) => {
  const reg = await createTestRegistry();
  t.after(() => reg.close());
  const work = tempDir('berth-immutable-reach-');
  t.after(() => fs.rmSync(work, { recursive: true, force: true }));
  const api = await ApiSession.login(reg);
  /** skopeo copies an OCI layout holding `top` (and `blobs`) to `dest`, byte for byte, every platform. */
  const copy = (name: string, blobs: Blob[], top: Blob, dest: string) => {
    const dir = path.join(work, name);
    writeLayout(dir, blobs, { [name]: top });
    return skopeo(['copy', '--all', '--preserve-digests', '--dest-tls-verify=false', '--dest-creds', creds, `oci:${dir}:${name}`, `docker://${reg.host}/${dest}`]);
  };
  const del = (what: 'manifests' | 'blobs', digest: string) => reg.fetch(`/v2/team/app/${what}/${digest}`, { method: 'DELETE' });
  const there = async (what: 'manifests' | 'blobs', digest: string) => (await reg.fetch(`/v2/team/app/${what}/${digest}`, { method: 'HEAD' })).status === 200;
  const referrers = async (digest: string) =>
    ((await (await reg.fetch(`/v2/team/app/referrers/${digest}`)).json()) as { manifests: { digest: string }[] }).manifests.map((m) => m.digest);

  // A multi-arch index under v1 and a signature of it, pushed by skopeo before any rule exists.
  const amd64 = await makeImage({ arch: 'amd64' });
  const arm64 = await makeImage({ arch: 'arm64' });
  const index = makeIndex([{ image: amd64, arch: 'amd64' }, { image: arm64, arch: 'arm64' }]);
  await copy('multi', [...imageBlobs(amd64), ...imageBlobs(arm64)], index, 'team/app:v1');
  const sig = makeArtifact({ artifactType: 'application/vnd.example.sig', subject: index, payload: Buffer.from('signature of v1') });
  await copy('sig', sig.blobs, sig.manifest, `team/app@${sig.manifest.digest}`);
  assert.deepEqual(await referrers(index.digest), [sig.manifest.digest]);
  // Content no immutable tag reaches, in the same repository.
  const loose = await makeImage();
  await pushImage(reg, 'team/app', 'dev', loose);

  const created = await api.call('POST', '/projects/team/immutability-rules', { tags: 'v*' });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const rule = created.body as { id: number; allowReferrers: boolean };
  assert.equal(rule.allowReferrers, false);
  const named = `which is immutable \\(immutability rule #${rule.id} of project team: repositories "\\*\\*", tags "v\\*"`;

  // Deleting by digest what v1 reaches: a child manifest, the signature, a child's layer, the signature's payload.
  for (const [what, digest] of [
    ['manifests', arm64.manifest.digest],
    ['manifests', sig.manifest.digest],
    ['blobs', arm64.layers[0]!.digest],
    ['blobs', amd64.config.digest],
    ['blobs', sig.blobs[1]!.digest],
  ] as const) {
    const refused = await expectError(await del(what, digest), 403, 'DENIED');
    const kind = what === 'manifests' ? 'manifest' : 'blob';
    assert.match(refused.errors[0]!.message, new RegExp(`^${kind} ${digest} of team/app is part of tag team/app:v1, ${named}`), `${what} ${digest}`);
    assert.deepEqual(refused.errors[0]!.detail, { repository: 'team/app', tag: 'v1', rule: rule.id });
    assert.ok(await there(what, digest), `${what} ${digest} is still there`);
  }
  // What no immutable tag reaches goes as before.
  assert.equal((await del('manifests', loose.manifest.digest)).status, 202);
  assert.equal((await del('blobs', loose.layers[0]!.digest)).status, 202);

  // A new referrer of protected content (an SBOM of a child): skopeo's push is refused naming the rule.
  const sbom = makeArtifact({ artifactType: 'application/spdx+json', subject: arm64.manifest, payload: Buffer.from('{"spdxVersion":"SPDX-2.3"}') });
  await assert.rejects(copy('sbom', sbom.blobs, sbom.manifest, `team/app@${sbom.manifest.digest}`), new RegExp(`denied.*tag team/app:v1 is immutable \\(immutability rule #${rule.id}.*does not allow adding referrers`, 's'));
  assert.deepEqual(await referrers(arm64.manifest.digest), []);
  assert.equal(await there('manifests', sbom.manifest.digest), false);
  // A referrer of content no immutable tag reaches is fine.
  const other = await makeImage();
  await pushImage(reg, 'team/app', 'nightly', other);
  const note = makeArtifact({ artifactType: 'application/vnd.example.note', subject: other.manifest, payload: Buffer.from('note') });
  await copy('note', note.blobs, note.manifest, `team/app@${note.manifest.digest}`);

  // A rule that allows referrers: the SBOM may be added; once attached it is protected like the rest.
  assert.equal((await api.call('DELETE', `/projects/team/immutability-rules/${rule.id}`)).status, 204);
  const open = await api.call('POST', '/projects/team/immutability-rules', { tags: 'v*', allowReferrers: true });
  assert.equal(open.status, 201, JSON.stringify(open.body));
  assert.equal(open.body.allowReferrers, true);
  assert.equal((await api.call('GET', '/projects/team/immutability-rules')).body.items[0].allowReferrers, true);
  await copy('sbom', sbom.blobs, sbom.manifest, `team/app@${sbom.manifest.digest}`);
  assert.deepEqual(await referrers(arm64.manifest.digest), [sbom.manifest.digest]);
  await expectError(await del('manifests', sbom.manifest.digest), 403, 'DENIED');
  await expectError(await del('blobs', sbom.blobs[1]!.digest), 403, 'DENIED');
  await expectError(await del('manifests', amd64.manifest.digest), 403, 'DENIED');
  // Any protecting rule that does not allow referrers refuses them (over /v2 directly as well).
  const strict = await api.call('POST', '/projects/team/immutability-rules', { repositories: 'app', tags: 'v1' });
  assert.equal(strict.status, 201);
  const late = makeArtifact({ artifactType: 'application/vnd.example.sig', subject: index, payload: Buffer.from('late signature') });
  for (const b of late.blobs) await pushBlob(reg, 'team/app', b);
  const lateRefused = await expectError(await putManifest(reg, 'team/app', late.manifest.digest, late.manifest), 403, 'DENIED');
  assert.match(lateRefused.errors[0]!.message, new RegExp(`immutability rule #${strict.body.id} .*does not allow adding referrers`));
  // Re-pushing a referrer that is already there changes nothing and is fine.
  assert.equal((await putManifest(reg, 'team/app', sig.manifest.digest, sig.manifest)).status, 201);

  // Without rules, the content is ordinary again.
  for (const r of (await api.call('GET', '/projects/team/immutability-rules')).body.items as { id: number }[]) {
    assert.equal((await api.call('DELETE', `/projects/team/immutability-rules/${r.id}`)).status, 204);
  }
  assert.equal((await del('manifests', sig.manifest.digest)).status, 202);
  assert.equal((await del('blobs', arm64.layers[0]!.digest)).status, 202);
});

test('an offline import that would move an immutable tag is refused as a whole; replication into it fails its task', { timeout: 60_000 }, async (t) => {
  const work = tempDir('berth-immutable-in-');
  t.after(() => fs.rmSync(work, { recursive: true, force: true }));

  // Import: the bundle carries team/app:v1 (another digest) and team/app:v9; nothing of it lands.
  const dst = openCore(path.join(work, 'dst'));
  t.after(() => dst.close());
  const src = openCore(path.join(work, 'src'));
  t.after(() => src.close());
  const mine = await makeImage();
  const theirs = await makeImage();
  const extra = await makeImage();
  await push(dst, 'team/app', 'v1', mine.manifest, [mine.config, ...mine.layers]);
  dst.policies.immutability.add('team', { repositories: '**', tags: 'v*' }, { username: 'admin' });
  await push(src, 'team/app', 'v1', theirs.manifest, [theirs.config, ...theirs.layers]);
  await push(src, 'team/app', 'v9', extra.manifest, [extra.config, ...extra.layers]);
  const bundle = path.join(work, 'b.tar');
  await src.transfer.exportToFile({ out: bundle, selection: { repositories: [], tags: [] } });
  await assert.rejects(dst.transfer.import([bundle], { actor: { username: 'ops' } }), /tag team\/app:v1 is immutable/);
  const repo = dst.meta.repositories.get('team/app')!;
  assert.equal(dst.meta.manifests.tagDigest(repo.id, 'v1'), mine.manifest.digest);
  assert.equal(dst.meta.manifests.tagDigest(repo.id, 'v9'), undefined, 'the batch is all or nothing');

  // Replication pulling into this Berth: the run that would move an immutable tag fails that task (as in Harbor).
  const hq = await createTestRegistry();
  t.after(() => hq.close());
  await seedImage(hq.host, 'library/app', 'v1', undefined, creds);
  const edge = replicationCore({
    registries: [{ name: 'hq', url: hq.url }],
    replication: [{ name: 'in', registry: 'hq', direction: 'pull', repositories: ['library/app'] }],
  });
  t.after(() => {
    edge.close();
    fs.rmSync(edge.config.data, { recursive: true, force: true });
  });
  assert.equal((await edge.replication.run('in')).execution.status, 'succeeded');
  const first = edge.registry.manifests.resolve('library/app', 'v1').row.digest;
  edge.policies.immutability.add('library', { repositories: '**', tags: 'v*' }, { username: 'admin' });
  await seedImage(hq.host, 'library/app', 'v1', undefined, creds);
  assert.notEqual(await digestOf(hq.url, 'library/app', 'v1'), first);
  const r = await edge.replication.run('in');
  assert.equal(r.execution.status, 'failed');
  const { tasks } = edge.replication.execution(r.execution.id);
  assert.match(tasks.find((x) => x.status === 'failed')!.error ?? '', /immutable/);
  assert.equal(edge.registry.manifests.resolve('library/app', 'v1').row.digest, first);
  assert.deepEqual(await tagsOf(hq.url, 'library/app'), ['v1']);
});
