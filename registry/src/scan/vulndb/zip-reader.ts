import fs from 'node:fs';
import zlib from 'node:zlib';

/*
 * A small, fast reader for the zip archives osv.dev publishes (tens of thousands of small JSON files):
 * reads the central directory (zip64 included), then walks entries in file order through one window buffer
 * and inflates each with inflateRawSync, bounded. A general zip library opens a stream per entry, which costs
 * more than the record itself (over ten times slower on OSV's archives). Stored and deflated entries only; others
 * are refused with their name.
 */

export interface ZipEntry {
  name: string;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

export class ZipFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ZipFormatError';
  }
}

const WINDOW = 8 * 1024 * 1024;

function readAt(fd: number, pos: number, len: number): Buffer {
  const b = Buffer.alloc(len);
  const n = fs.readSync(fd, b, 0, len, pos);
  return b.subarray(0, n);
}

function centralDirectory(fd: number, fileSize: number): { offset: number; size: number; count: number } {
  // The end record is in the last 64 KiB + 22 bytes (its comment is at most 65535 bytes).
  const tailLen = Math.min(fileSize, 65_557);
  const tail = readAt(fd, fileSize - tailLen, tailLen);
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new ZipFormatError('no end of central directory record: not a zip archive, or a truncated one');
  let count = tail.readUInt16LE(eocd + 10);
  let size = tail.readUInt32LE(eocd + 12);
  let offset = tail.readUInt32LE(eocd + 16);
  // Zip64: a locator just before the end record points at the zip64 end record.
  if (eocd >= 20 && tail.readUInt32LE(eocd - 20) === 0x07064b50) {
    const z64 = Number(tail.readBigUInt64LE(eocd - 20 + 8));
    const rec = readAt(fd, z64, 56);
    if (rec.length < 56 || rec.readUInt32LE(0) !== 0x06064b50) throw new ZipFormatError('damaged zip64 end record');
    count = Number(rec.readBigUInt64LE(32));
    size = Number(rec.readBigUInt64LE(40));
    offset = Number(rec.readBigUInt64LE(48));
  }
  if (offset + size > fileSize) throw new ZipFormatError('the central directory lies outside the file');
  return { offset, size, count };
}

export function listZip(fd: number, fileSize: number): ZipEntry[] {
  const cd = centralDirectory(fd, fileSize);
  if (cd.size > 512 * 1024 * 1024) throw new ZipFormatError('central directory larger than 512 MiB');
  const buf = readAt(fd, cd.offset, cd.size);
  const entries: ZipEntry[] = [];
  let p = 0;
  for (let i = 0; i < cd.count; i++) {
    if (p + 46 > buf.length || buf.readUInt32LE(p) !== 0x02014b50) throw new ZipFormatError(`damaged central directory at entry ${i}`);
    const method = buf.readUInt16LE(p + 10);
    const crc = buf.readUInt32LE(p + 16);
    let compressedSize = buf.readUInt32LE(p + 20);
    let size = buf.readUInt32LE(p + 24);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    let localOffset = buf.readUInt32LE(p + 42);
    const name = buf.toString('utf8', p + 46, p + 46 + nameLen);
    // Zip64 extended information: the 0xFFFFFFFF fields, in this order, as 64-bit values.
    let e = p + 46 + nameLen;
    const extraEnd = e + extraLen;
    while (e + 4 <= extraEnd) {
      const id = buf.readUInt16LE(e);
      const len = buf.readUInt16LE(e + 2);
      if (id === 0x0001) {
        let q = e + 4;
        if (size === 0xffffffff) (size = Number(buf.readBigUInt64LE(q))), (q += 8);
        if (compressedSize === 0xffffffff) (compressedSize = Number(buf.readBigUInt64LE(q))), (q += 8);
        if (localOffset === 0xffffffff) localOffset = Number(buf.readBigUInt64LE(q));
      }
      e += 4 + len;
    }
    entries.push({ name, method, crc, compressedSize, size, localOffset });
    p = extraEnd + commentLen;
  }
  return entries.sort((a, b) => a.localOffset - b.localOffset);
}

/** Yields each entry (filtered by `want`) with its bytes, in file order; each at most `maxBytes`. */
export function* readZip(file: string, want: (name: string) => boolean, maxBytes: number): Generator<{ name: string; data: Buffer }> {
  const fd = fs.openSync(file, 'r');
  try {
    const fileSize = fs.fstatSync(fd).size;
    let winStart = 0;
    let win: Buffer = Buffer.alloc(0);
    const slice = (pos: number, len: number): Buffer => {
      if (pos < winStart || pos + len > winStart + win.length) {
        winStart = pos;
        win = readAt(fd, pos, Math.max(len, WINDOW));
        if (win.length < len) throw new ZipFormatError('entry data runs past the end of the file');
      }
      return win.subarray(pos - winStart, pos - winStart + len);
    };
    for (const entry of listZip(fd, fileSize)) {
      if (entry.name.endsWith('/') || !want(entry.name)) continue;
      if (entry.size > maxBytes || entry.compressedSize > maxBytes) throw new ZipFormatError(`${entry.name}: larger than ${maxBytes} bytes`);
      const head = slice(entry.localOffset, 30);
      if (head.readUInt32LE(0) !== 0x04034b50) throw new ZipFormatError(`${entry.name}: damaged local header`);
      const dataStart = entry.localOffset + 30 + head.readUInt16LE(26) + head.readUInt16LE(28);
      const raw = slice(dataStart, entry.compressedSize);
      let data: Buffer;
      if (entry.method === 0) data = Buffer.from(raw);
      else if (entry.method === 8) {
        try {
          data = zlib.inflateRawSync(raw, { maxOutputLength: maxBytes });
        } catch (err) {
          throw new ZipFormatError(`${entry.name}: ${(err as Error).message}`);
        }
      } else throw new ZipFormatError(`${entry.name}: compression method ${entry.method} is not supported (only stored and deflate)`);
      if (data.length !== entry.size) throw new ZipFormatError(`${entry.name}: ${data.length} bytes inflated, the directory says ${entry.size}`);
      if (zlib.crc32(data) !== entry.crc) throw new ZipFormatError(`${entry.name}: CRC mismatch, the archive is damaged`);
      yield { name: entry.name, data };
    }
  } finally {
    fs.closeSync(fd);
  }
}
