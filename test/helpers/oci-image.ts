import fs from 'node:fs';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import zlib from 'node:zlib';
import tar from 'tar-stream';

/*
 * Builds real OCI image layouts on disk (tar + gzip + sha256, as the image spec describes) for tests to push
 * with skopeo or over HTTP. Nothing here is mocked: the layouts are what `umoci` or `skopeo copy oci:` produce.
 */

export interface Blob {
  digest: string;
  size: number;
  mediaType: string;
  bytes: Buffer;
}

export function sha256(b: Buffer | string): string {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`;
}

export function blobOf(bytes: Buffer, mediaType: string): Blob {
  return { digest: sha256(bytes), size: bytes.length, mediaType, bytes };
}

/** A gzip-compressed tar layer with the given files. */
export async function makeLayer(files: Record<string, string | Buffer>): Promise<{ blob: Blob; diffId: string }> {
  const pack = tar.pack();
  for (const [name, content] of Object.entries(files)) {
    pack.entry({ name, mode: 0o644, mtime: new Date(0) }, typeof content === 'string' ? Buffer.from(content) : content);
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  const tarBytes = Buffer.concat(chunks);
  const gz = zlib.gzipSync(tarBytes);
  return { blob: blobOf(gz, 'application/vnd.oci.image.layer.v1.tar+gzip'), diffId: sha256(tarBytes) };
}

export interface Image {
  manifest: Blob;
  config: Blob;
  layers: Blob[];
}

export async function makeImage(opts: { files?: Record<string, string | Buffer>; arch?: string; os?: string; layers?: number } = {}): Promise<Image> {
  const layers: Blob[] = [];
  const diffIds: string[] = [];
  const n = opts.layers ?? 1;
  for (let i = 0; i < n; i++) {
    const l = await makeLayer({ ...(opts.files ?? {}), [`layer-${i}.txt`]: randomBytes(16).toString('hex') });
    layers.push(l.blob);
    diffIds.push(l.diffId);
  }
  const config = blobOf(
    Buffer.from(
      JSON.stringify({
        architecture: opts.arch ?? 'amd64',
        os: opts.os ?? 'linux',
        created: '2026-01-01T00:00:00Z',
        config: { Cmd: ['/bin/sh'] },
        rootfs: { type: 'layers', diff_ids: diffIds },
      }),
    ),
    'application/vnd.oci.image.config.v1+json',
  );
  const manifest = blobOf(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: descriptor(config),
        layers: layers.map((l) => descriptor(l)),
      }),
    ),
    'application/vnd.oci.image.manifest.v1+json',
  );
  return { manifest, config, layers };
}

export function descriptor(b: Blob, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { mediaType: b.mediaType, digest: b.digest, size: b.size, ...extra };
}

/** An OCI image index over per-platform images. */
export function makeIndex(images: { image: Image; arch: string; os?: string }[], extra: Record<string, unknown> = {}): Blob {
  return blobOf(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: images.map((i) => descriptor(i.image.manifest, { platform: { architecture: i.arch, os: i.os ?? 'linux' } })),
        ...extra,
      }),
    ),
    'application/vnd.oci.image.index.v1+json',
  );
}

export const emptyConfig: Blob = blobOf(Buffer.from('{}'), 'application/vnd.oci.empty.v1+json');

/** An artifact manifest (OCI 1.1 style) with an artifactType, optional subject, and one layer. */
export function makeArtifact(opts: { artifactType: string; subject?: Blob; payload: Buffer; payloadType?: string; annotations?: Record<string, string> }): { manifest: Blob; blobs: Blob[] } {
  const layer = blobOf(opts.payload, opts.payloadType ?? 'application/octet-stream');
  const manifest = blobOf(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        artifactType: opts.artifactType,
        config: descriptor(emptyConfig),
        layers: [descriptor(layer)],
        ...(opts.subject ? { subject: descriptor(opts.subject) } : {}),
        ...(opts.annotations ? { annotations: opts.annotations } : {}),
      }),
    ),
    'application/vnd.oci.image.manifest.v1+json',
  );
  return { manifest, blobs: [emptyConfig, layer] };
}

/** Writes blobs and an index.json naming `refs` (ref name → manifest/index blob) as an OCI layout folder. */
export function writeLayout(dir: string, blobs: Blob[], refs: Record<string, Blob>): void {
  fs.mkdirSync(path.join(dir, 'blobs', 'sha256'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  for (const b of blobs) fs.writeFileSync(path.join(dir, 'blobs', 'sha256', b.digest.slice(7)), b.bytes);
  for (const b of Object.values(refs)) fs.writeFileSync(path.join(dir, 'blobs', 'sha256', b.digest.slice(7)), b.bytes);
  const index = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: Object.entries(refs).map(([ref, b]) => descriptor(b, { annotations: { 'org.opencontainers.image.ref.name': ref } })),
  };
  fs.writeFileSync(path.join(dir, 'index.json'), JSON.stringify(index));
}

export function imageBlobs(img: Image): Blob[] {
  return [img.config, ...img.layers, img.manifest];
}
