import { Readable } from 'node:stream';
import type { Registry, Actor } from '../registry/index.js';
import { MediaTypes } from '../oci/media-types.js';
import { digestOf } from '../oci/digest.js';
import { EMPTY_CONFIG, emptyConfigDescriptor } from '../oci/empty-config.js';
import { cycloneDx } from './sbom.js';
import type { Inventory } from './inventory/types.js';

/*
 * The inventory attached to its image as an OCI 1.1 referrer: a CycloneDX document in an artifact manifest
 * whose subject is the image, so that `GET /v2/<name>/referrers/<digest>`, replication and offline bundles
 * carry it with the image (as cosign/syft/trivy attach theirs). The document lists components only: the
 * vulnerabilities change with every database, the SBOM does not.
 */

export const CYCLONEDX_MEDIA_TYPE = 'application/vnd.cyclonedx+json';

export interface AttachedSbom {
  digest: string;
  size: number;
}

export async function attachSbom(
  registry: Registry,
  repository: string,
  subject: { digest: string; mediaType: string; size: number },
  inventory: Inventory,
  actor: Actor,
): Promise<AttachedSbom> {
  const doc = Buffer.from(JSON.stringify(cycloneDx({ name: `${repository}@${subject.digest}`, digest: subject.digest }, inventory, [])));
  const docDigest = digestOf(doc);
  const configDigest = emptyConfigDescriptor.digest;
  // Monolithic pushes through the upload service: the same verification, events and repository links as a
  // client's push. The document is generated metadata of bounded size, not a layer.
  await registry.uploads.monolithic(repository, configDigest, Readable.from([EMPTY_CONFIG]), { contentLength: EMPTY_CONFIG.length }, actor);
  await registry.uploads.monolithic(repository, docDigest, Readable.from([doc]), { contentLength: doc.length }, actor);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaTypes.ociManifest,
      artifactType: CYCLONEDX_MEDIA_TYPE,
      config: emptyConfigDescriptor,
      layers: [{ mediaType: CYCLONEDX_MEDIA_TYPE, digest: docDigest, size: doc.length, annotations: { 'org.opencontainers.image.title': 'sbom.cdx.json' } }],
      subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
      annotations: { 'org.opencontainers.image.created': new Date().toISOString(), 'io.berth.sbom.generator': 'berth' },
    }),
  );
  const digest = digestOf(manifest);
  await registry.manifests.put(repository, digest, manifest, MediaTypes.ociManifest, actor);
  return { digest, size: manifest.length };
}
