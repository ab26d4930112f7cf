import type { BlobStore } from '../store/blob-store.js';
import { parseDigest } from '../oci/digest.js';
import { parseManifest } from '../oci/manifest.js';
import { isIndexMediaType } from '../oci/media-types.js';
import type { Finding } from './matcher.js';
import { HarborAdapterClient, type AdapterOptions } from './harbor-adapter.js';
import { ScanError } from './scanner.js';

export interface AdapterEngineOptions extends AdapterOptions {
  /** Berth's URL as the adapter reaches it. */
  registryUrl: string;
  /** A short-lived token that may pull `repository` and nothing else. */
  pullToken: (repository: string) => Promise<string>;
}

/**
 * Scans through a Harbor scanner adapter. Adapters take image manifests, so an index is scanned platform by
 * platform (those stored here) and the findings merged, as Berth's own scanner aggregates an index.
 */
export class AdapterEngine {
  readonly client: HarborAdapterClient;

  constructor(
    private readonly store: BlobStore,
    private readonly opts: AdapterEngineOptions,
  ) {
    this.client = new HarborAdapterClient(opts);
  }

  async scan(repository: string, digest: string, mediaType: string): Promise<{ scanner: string; findings: Finding[] }> {
    const images: { digest: string; mediaType: string }[] = [];
    if (isIndexMediaType(mediaType)) {
      const index = parseManifest(await this.store.readSmall(parseDigest(digest)), mediaType);
      for (const m of index.manifests) if (this.store.existsSync(parseDigest(m.digest)) && !isIndexMediaType(m.mediaType)) images.push(m);
      if (images.length === 0) throw new ScanError(`${repository}@${digest}: no platform of this index is stored here`);
    } else {
      images.push({ digest, mediaType });
    }
    const authorization = `Bearer ${await this.opts.pullToken(repository)}`;
    const findings: Finding[] = [];
    let scanner = this.opts.url;
    for (const image of images) {
      const r = await this.client.scan({ registry: { url: this.opts.registryUrl, authorization }, repository, digest: image.digest, mediaType: image.mediaType });
      scanner = r.scanner;
      findings.push(...r.findings);
    }
    return { scanner, findings };
  }
}
