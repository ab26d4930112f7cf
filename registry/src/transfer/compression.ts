import { spawn } from 'node:child_process';
import fsp from 'node:fs/promises';
import zlib from 'node:zlib';
import { Duplex, Transform, type Readable } from 'node:stream';
import { TransferError } from './errors.js';

export type Compression = 'none' | 'gzip' | 'zstd';

/**
 * Bundles are uncompressed by default: image layers are compressed already, so squeezing the tar again
 * costs most of the throughput for a percent or two. `zstd` helps with uncompressed (docker-archive) layers.
 * Node 20 has no zstd in zlib: the Debian `zstd` binary runs as a child process behind a stream pipe.
 */
export function compressor(kind: Compression): Duplex | undefined {
  if (kind === 'none') return undefined;
  if (kind === 'gzip') return zlib.createGzip({ level: 6 });
  return zstdProcess(['-q', '-c', '-T0', '-3']);
}

export function decompressor(kind: Compression): Duplex | undefined {
  if (kind === 'none') return undefined;
  if (kind === 'gzip') return zlib.createGunzip();
  return zstdProcess(['-d', '-q', '-c']);
}

/** Detects compression from the first bytes. */
/** The compression of a file, from its first bytes. */
export async function sniffFileCompression(file: string): Promise<Compression> {
  const fh = await fsp.open(file, 'r');
  try {
    const b = Buffer.alloc(4);
    const { bytesRead } = await fh.read(b, 0, 4, 0);
    return sniffCompression(b.subarray(0, bytesRead));
  } finally {
    await fh.close();
  }
}

export function sniffCompression(head: Buffer): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  return 'none';
}

function zstdProcess(args: string[]): Duplex {
  const child = spawn('zstd', args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  const duplex = Duplex.from({ writable: child.stdin, readable: child.stdout });
  child.on('error', (e: NodeJS.ErrnoException) => {
    duplex.destroy(
      new TransferError('TOOL', e.code === 'ENOENT' ? 'zstd is not installed (apt-get install zstd)' : `zstd failed to start: ${e.message}`),
    );
  });
  child.on('exit', (code) => {
    if (code !== 0 && code !== null) duplex.destroy(new TransferError('TOOL', `zstd exited with ${code}: ${stderr.trim() || 'no message'}`));
  });
  // If the consumer gives up early, do not leave zstd running.
  duplex.on('close', () => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  child.stdin.on('error', () => undefined);
  return duplex;
}

/**
 * Counts bytes in and out of a decompressor and stops a decompression bomb: once more than `floor` bytes came
 * out, output may not exceed `ratio` times the compressed input.
 */
export function bombGuard(input: Readable, decompressed: Readable, ratio: number, floor = 64 * 1024 * 1024): Readable {
  let inBytes = 0;
  let outBytes = 0;
  input.on('data', (c: Buffer) => (inBytes += c.length));
  const guard = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      outBytes += chunk.length;
      if (outBytes > floor && outBytes > inBytes * ratio) {
        cb(new TransferError('TOO_LARGE', `the archive expands more than ${ratio}:1 (${outBytes} bytes from ${inBytes}); refusing a likely decompression bomb`));
        return;
      }
      cb(null, chunk);
    },
  });
  decompressed.on('error', (e) => guard.destroy(e));
  return decompressed.pipe(guard);
}
