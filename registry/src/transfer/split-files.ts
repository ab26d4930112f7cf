import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { TransferError } from './errors.js';

const partPattern = /^(.*)\.part(\d{3,})$/;

export function partName(file: string, n: number): string {
  return `${file}.part${String(n).padStart(3, '0')}`;
}

/** "4G", "700M", "1.5GiB", "123456" → bytes. */
export function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?$/i.exec(text.trim());
  if (!m) throw new TransferError('INPUT', `not a size: ${text} (use e.g. 4G, 700M, 1048576)`);
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  const n = Math.floor(Number(m[1]) * mult);
  if (n < 1024) throw new TransferError('INPUT', `split size ${text} is too small (at least 1K)`);
  return n;
}

/** Writes a byte stream into FILE.part001, FILE.part002 … of at most `partBytes` each. */
export class SplitWriter extends Writable {
  readonly parts: string[] = [];
  private fd: number | undefined;
  private written = 0;

  constructor(
    private readonly file: string,
    private readonly partBytes: number,
  ) {
    super({ highWaterMark: 1 << 20 });
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.writeAll(chunk).then(() => cb(), cb);
  }

  private async writeAll(chunk: Buffer): Promise<void> {
    let off = 0;
    while (off < chunk.length) {
      if (this.fd === undefined || this.written === this.partBytes) await this.rotate();
      const n = Math.min(chunk.length - off, this.partBytes - this.written);
      let done = 0;
      while (done < n) {
        done += await new Promise<number>((resolve, reject) =>
          fs.write(this.fd!, chunk, off + done, n - done, null, (e, w) => (e ? reject(e) : resolve(w))),
        );
      }
      off += n;
      this.written += n;
    }
  }

  private async rotate(): Promise<void> {
    await this.closePart();
    const name = partName(this.file, this.parts.length + 1);
    this.fd = fs.openSync(name, 'w', 0o644);
    this.parts.push(name);
    this.written = 0;
  }

  private async closePart(): Promise<void> {
    if (this.fd === undefined) return;
    const fd = this.fd;
    this.fd = undefined;
    await new Promise<void>((resolve, reject) => fs.fsync(fd, (e) => (e ? reject(e) : resolve())));
    fs.closeSync(fd);
  }

  override _final(cb: (e?: Error | null) => void): void {
    this.closePart().then(() => cb(), cb);
  }

  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
    cb(err);
  }
}

/**
 * Groups command-line inputs: `x.tar.part001 x.tar.part002` (or just one of them, or `x.tar` when only parts
 * exist) become one input made of all parts in order. Refuses a gap in the numbering.
 */
export async function groupInputs(inputs: string[]): Promise<string[][]> {
  const groups: string[][] = [];
  const seen = new Set<string>();
  for (const raw of inputs) {
    const abs = path.resolve(raw);
    const m = partPattern.exec(abs);
    let base: string | undefined = m ? m[1]! : undefined;
    if (!m && !fs.existsSync(abs) && fs.existsSync(partName(abs, 1))) base = abs;
    if (base === undefined) {
      if (!fs.existsSync(abs)) throw new TransferError('INPUT', `${raw}: no such file or folder`);
      if (!seen.has(abs)) groups.push([abs]);
      seen.add(abs);
      continue;
    }
    if (seen.has(base)) continue;
    seen.add(base);
    const dir = path.dirname(base);
    const prefix = `${path.basename(base)}.part`;
    const numbers = (await fsp.readdir(dir))
      .filter((f) => f.startsWith(prefix) && /^\d{3,}$/.test(f.slice(prefix.length)))
      .map((f) => Number(f.slice(prefix.length)))
      .sort((a, b) => a - b);
    if (numbers.length === 0) throw new TransferError('INPUT', `${raw}: no parts found`);
    numbers.forEach((n, i) => {
      if (n !== i + 1) throw new TransferError('INPUT', `${path.basename(base)}: part ${String(i + 1).padStart(3, '0')} is missing`);
    });
    groups.push(numbers.map((n) => partName(base, n)));
  }
  return groups;
}

/** The parts, one after the other, as one stream. `onBytes` reports raw bytes read (progress). */
export function concatFiles(files: string[], onBytes?: (n: number) => void): Readable {
  async function* chunks(): AsyncGenerator<Buffer> {
    for (const f of files) {
      for await (const c of fs.createReadStream(f, { highWaterMark: 1 << 20 })) {
        onBytes?.((c as Buffer).length);
        yield c as Buffer;
      }
    }
  }
  return Readable.from(chunks(), { objectMode: false, highWaterMark: 1 << 20 });
}
