import fs from 'node:fs';
import zlib from 'node:zlib';
import type { Readable } from 'node:stream';
import tar from 'tar-stream';
import { readZip } from './zip-reader.js';

/*
 * Reads the JSON documents of a vulnerability archive one at a time: OSV's per-ecosystem all.zip, a tar or
 * tar.gz of the same files, or one JSON record. The kind is sniffed from the first bytes. Each document is
 * bounded; nothing else is held in memory.
 */

export const MAX_RECORD_BYTES = 16 * 1024 * 1024;

export interface ArchiveDocument {
  name: string;
  text: string;
}

async function readBounded(stream: Readable, name: string): Promise<string> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of stream as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > MAX_RECORD_BYTES) {
      stream.destroy();
      throw new Error(`${name}: larger than ${MAX_RECORD_BYTES} bytes, not an OSV record`);
    }
    chunks.push(c);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function* zipDocuments(file: string): AsyncGenerator<ArchiveDocument> {
  for (const e of readZip(file, (n) => n.endsWith('.json'), MAX_RECORD_BYTES)) yield { name: e.name, text: e.data.toString('utf8') };
}

async function* tarDocuments(file: string, gzip: boolean): AsyncGenerator<ArchiveDocument> {
  const extract = tar.extract();
  const src = fs.createReadStream(file);
  src.on('error', (e) => extract.destroy(e));
  if (gzip) {
    const gunzip = zlib.createGunzip();
    gunzip.on('error', (e) => extract.destroy(e));
    src.pipe(gunzip).pipe(extract);
  } else {
    src.pipe(extract);
  }
  try {
    for await (const entry of extract) {
      const h = entry.header;
      if (h.type !== 'file' || !h.name.endsWith('.json')) {
        entry.resume();
        continue;
      }
      yield { name: h.name, text: await readBounded(entry as unknown as Readable, h.name) };
    }
  } finally {
    src.destroy();
  }
}

export async function sniffArchive(file: string): Promise<'zip' | 'tar' | 'tar.gz' | 'json'> {
  const fh = await fs.promises.open(file, 'r');
  try {
    const head = Buffer.alloc(512);
    const { bytesRead } = await fh.read(head, 0, 512, 0);
    const h = head.subarray(0, bytesRead);
    if (h.length >= 4 && h.readUInt32LE(0) === 0x04034b50) return 'zip';
    if (h.length >= 4 && h.readUInt32LE(0) === 0x06054b50) return 'zip'; // empty zip
    if (h.length >= 2 && h[0] === 0x1f && h[1] === 0x8b) return 'tar.gz';
    if (h.length >= 262 && h.subarray(257, 262).toString('latin1') === 'ustar') return 'tar';
    if (/^\s*[{[]/.test(h.toString('utf8', 0, Math.min(64, h.length)))) return 'json';
    throw new Error(`${file}: not a zip, tar, tar.gz or JSON file`);
  } finally {
    await fh.close();
  }
}

export async function* archiveDocuments(file: string): AsyncGenerator<ArchiveDocument> {
  const kind = await sniffArchive(file);
  if (kind === 'zip') yield* zipDocuments(file);
  else if (kind === 'tar' || kind === 'tar.gz') yield* tarDocuments(file, kind === 'tar.gz');
  else {
    const stat = await fs.promises.stat(file);
    if (stat.size > MAX_RECORD_BYTES) throw new Error(`${file}: a JSON file larger than ${MAX_RECORD_BYTES} bytes; give an archive of records instead`);
    yield { name: file, text: await fs.promises.readFile(file, 'utf8') };
  }
}
