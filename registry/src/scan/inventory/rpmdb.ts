import Database from 'better-sqlite3';
import type { ParsedPackage } from './types.js';

/*
 * RPM's sqlite database (rpm ≥ 4.16: Fedora 33+, RHEL 9, Rocky/Alma 9, openSUSE): table Packages holds one
 * header blob per installed package. The file is a package database inside an image, not Berth's metadata,
 * so it is opened here, read-only and in memory, from the bytes the layer walker collected.
 *
 * Header blob: il (entries) and dl (data bytes) as big-endian uint32, il index entries of
 * {tag, type, offset, count}, then the data store. Strings are NUL-terminated.
 */

const TAG = { NAME: 1000, VERSION: 1001, RELEASE: 1002, EPOCH: 1003, ARCH: 1022, SOURCERPM: 1044, MODULARITYLABEL: 5096 } as const;
const TYPE_INT32 = 4;
const TYPE_STRING = 6;
const TYPE_I18NSTRING = 9;

export interface RpmHeader {
  name: string;
  epoch: number | undefined;
  version: string;
  release: string;
  arch: string | undefined;
  sourceRpm: string | undefined;
  /** MODULARITYLABEL, "name:stream:version:context", set on packages built in a module stream. */
  modularityLabel: string | undefined;
}

export function parseRpmHeader(blob: Buffer): RpmHeader | undefined {
  if (blob.length < 8) return undefined;
  const il = blob.readUInt32BE(0);
  const dl = blob.readUInt32BE(4);
  const dataStart = 8 + il * 16;
  if (il > 100_000 || dataStart + dl > blob.length) return undefined;
  const values = new Map<number, string | number>();
  for (let i = 0; i < il; i++) {
    const e = 8 + i * 16;
    const tag = blob.readUInt32BE(e);
    const type = blob.readUInt32BE(e + 4);
    const offset = blob.readUInt32BE(e + 8);
    if (!Object.values(TAG).includes(tag as (typeof TAG)[keyof typeof TAG]) || offset >= dl) continue;
    const at = dataStart + offset;
    if (type === TYPE_STRING || type === TYPE_I18NSTRING) {
      const end = blob.indexOf(0, at);
      if (end < 0 || end > dataStart + dl) continue;
      values.set(tag, blob.toString('utf8', at, end));
    } else if (type === TYPE_INT32 && at + 4 <= dataStart + dl) {
      values.set(tag, blob.readUInt32BE(at));
    }
  }
  const str = (t: number) => (typeof values.get(t) === 'string' ? (values.get(t) as string) : undefined);
  const name = str(TAG.NAME);
  const version = str(TAG.VERSION);
  const release = str(TAG.RELEASE);
  if (!name || !version || !release) return undefined;
  const epoch = values.get(TAG.EPOCH);
  return { name, epoch: typeof epoch === 'number' ? epoch : undefined, version, release, arch: str(TAG.ARCH), sourceRpm: str(TAG.SOURCERPM), modularityLabel: str(TAG.MODULARITYLABEL) };
}

/** "openssl-3.0.7-27.el9.src.rpm" → name "openssl", version "3.0.7-27.el9". */
export function splitSourceRpm(s: string): { name: string; version: string } | undefined {
  const m = /^(.+)-([^-]+)-([^-]+)\.(?:no)?src\.rpm$/.exec(s);
  return m ? { name: m[1]!, version: `${m[2]}-${m[3]}` } : undefined;
}

export function parseRpmSqlite(bytes: Buffer): ParsedPackage[] {
  let db: Database.Database;
  try {
    // rpm keeps its database in WAL mode; a deserialised in-memory copy cannot open a WAL, so mark the copy
    // as a rollback-journal database (file format bytes 18 and 19), which is what it is once checkpointed.
    const copy = Buffer.from(bytes);
    if (copy.length > 20 && copy.subarray(0, 16).toString('latin1') === 'SQLite format 3\0') {
      if (copy[18] === 2) copy[18] = 1;
      if (copy[19] === 2) copy[19] = 1;
    }
    db = new Database(copy, { readonly: true });
  } catch (e) {
    throw new Error(`not an SQLite database (${(e as Error).message})`);
  }
  try {
    const rows = db.prepare<[], { blob: Buffer }>('SELECT blob FROM Packages').all();
    const out: ParsedPackage[] = [];
    for (const r of rows) {
      const h = Buffer.isBuffer(r.blob) ? parseRpmHeader(r.blob) : undefined;
      if (!h || h.name.startsWith('gpg-pubkey')) continue;
      const evr = `${h.epoch !== undefined ? `${h.epoch}:` : ''}${h.version}-${h.release}`;
      const src = h.sourceRpm ? splitSourceRpm(h.sourceRpm) : undefined;
      const [modName, modStream] = h.modularityLabel?.split(':') ?? [];
      out.push({
        type: 'rpm',
        name: h.name,
        version: evr,
        sourceName: src?.name ?? h.name,
        sourceVersion: src ? `${h.epoch !== undefined ? `${h.epoch}:` : ''}${src.version}` : evr,
        arch: h.arch,
        ...(modName && modStream ? { module: `${modName}:${modStream}` } : {}),
      });
    }
    return out;
  } catch (e) {
    throw new Error(`cannot read its Packages table (${(e as Error).message})`);
  } finally {
    db.close();
  }
}
