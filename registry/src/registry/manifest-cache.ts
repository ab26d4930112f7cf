/**
 * Bytes of recently served manifests, bounded by total size. Content-addressed, so entries never go stale;
 * this only spares the disk read on the hottest path (manifest GET).
 */
export class ManifestCache {
  private readonly entries = new Map<string, Buffer>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  get(digest: string): Buffer | undefined {
    const b = this.entries.get(digest);
    if (b) {
      // refresh recency
      this.entries.delete(digest);
      this.entries.set(digest, b);
    }
    return b;
  }

  set(digest: string, bytes: Buffer): void {
    if (bytes.length > this.maxBytes / 4 || this.entries.has(digest)) return;
    this.entries.set(digest, bytes);
    this.bytes += bytes.length;
    for (const [k, v] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(k);
      this.bytes -= v.length;
    }
  }

  delete(digest: string): void {
    const b = this.entries.get(digest);
    if (b) {
      this.entries.delete(digest);
      this.bytes -= b.length;
    }
  }
}
