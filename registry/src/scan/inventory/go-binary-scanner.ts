import { checkHeader, GO_BUILDINFO_ALIGN, GO_BUILDINFO_MAGIC } from './go-buildinfo.js';

/*
 * Finds a Go binary's build information while its bytes stream past in a layer, without holding the binary:
 * each chunk is searched for the magic (Buffer#indexOf), only the last few bytes are carried over to catch a
 * magic split between two chunks, and from a candidate header on only the blob itself is kept (bounded by
 * checkHeader). A candidate must sit at a 16-byte aligned file offset, as the linker places it; candidates
 * that are not a header (the magic as a string constant in a program that reads build information, like
 * `go` itself) are dropped and the search goes on right after them.
 */

const EMPTY: Buffer = Buffer.alloc(0);
const SEAM = GO_BUILDINFO_MAGIC.length - 1;

interface Capture {
  /** File offset of the candidate's first byte. */
  start: number;
  parts: Buffer[];
  size: number;
  /** Bytes needed before checkHeader can decide. */
  need: number;
}

export class GoBuildInfoScanner {
  /** File offset of the next byte pushed. */
  private offset = 0;
  /** The previous chunk's last bytes, for a magic that straddles two chunks. */
  private tail: Buffer = EMPTY;
  private capture: Capture | undefined;
  private found: Buffer | undefined;
  private legacy: Buffer | undefined;

  push(chunk: Buffer): void {
    const at = this.offset;
    this.offset += chunk.length;
    if (this.found || chunk.length === 0) return;
    if (this.capture) {
      this.capture.parts.push(chunk);
      this.capture.size += chunk.length;
      if (this.capture.size >= this.capture.need) this.decide();
      return;
    }
    this.search(chunk, at);
  }

  /**
   * The build information blob (header and strings) when found; else a pre-1.18 header when one was seen (the
   * parser reports it); else an empty buffer (not a Go binary, or one without build information).
   */
  result(): Buffer {
    return this.found ?? this.legacy ?? EMPTY;
  }

  private search(buf: Buffer, at: number): void {
    if (this.tail.length > 0) {
      // Only a magic that starts in the tail can be found here; one starting in buf is found below.
      const tailLength = this.tail.length;
      const seam = Buffer.concat([this.tail, buf.subarray(0, SEAM)]);
      const base = at - tailLength;
      for (let j = seam.indexOf(GO_BUILDINFO_MAGIC); j >= 0 && j < tailLength; j = seam.indexOf(GO_BUILDINFO_MAGIC, j + 1)) {
        if ((base + j) % GO_BUILDINFO_ALIGN !== 0) continue;
        this.begin(base + j, [seam.subarray(j, tailLength), buf]);
        return;
      }
    }
    for (let i = buf.indexOf(GO_BUILDINFO_MAGIC); i >= 0; i = buf.indexOf(GO_BUILDINFO_MAGIC, i + 1)) {
      if ((at + i) % GO_BUILDINFO_ALIGN !== 0) continue;
      this.begin(at + i, [buf.subarray(i)]);
      return;
    }
    this.tail = buf.length >= SEAM ? buf.subarray(buf.length - SEAM) : Buffer.concat([this.tail, buf]).subarray(-SEAM);
  }

  private begin(start: number, parts: Buffer[]): void {
    this.tail = EMPTY;
    this.capture = { start, parts, size: parts.reduce((n, p) => n + p.length, 0), need: 0 };
    this.decide();
  }

  /** Decides on the captured candidate as far as its bytes allow. */
  private decide(): void {
    const c = this.capture!;
    const bytes = c.parts.length === 1 ? c.parts[0]! : Buffer.concat(c.parts);
    c.parts = [bytes];
    const h = checkHeader(bytes);
    if (h.kind === 'more') {
      c.need = h.need;
      return;
    }
    if (h.kind === 'inline') {
      if (bytes.length < h.length) {
        c.need = h.length;
        return;
      }
      // A copy: the chunk it came from is not kept alive.
      this.found = Buffer.from(bytes.subarray(0, h.length));
      this.capture = undefined;
      return;
    }
    if (h.kind === 'legacy') this.legacy ??= Buffer.from(bytes.subarray(0, 32));
    // Not (or not readable as) the build information: search again from the byte after the candidate.
    this.capture = undefined;
    this.search(bytes.subarray(1), c.start + 1);
  }
}
