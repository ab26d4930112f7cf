import zlib from 'node:zlib';

/*
 * A small OSV database for scanning tests, in the structure real advisories have (Debian DSA/DEBIAN-CVE,
 * Alpine secdb, GitHub advisories for npm and PyPI), plus a writer for the zip archives osv.dev publishes.
 * Versions that depend on this machine's own dpkg status are passed in, so the expected findings follow it.
 */

/** Writes a real zip (deflate, central directory) of name → bytes; what osv.dev's all.zip files are. */
export function zipArchive(files: Record<string, string | Buffer>): Buffer {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const [name, content] of Object.entries(files)) {
    const data = typeof content === 'string' ? Buffer.from(content) : content;
    const packed = zlib.deflateRawSync(data);
    const nameBytes = Buffer.from(name);
    const crc = zlib.crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(8, 8); // deflate
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0);
    cd.writeUInt16LE(20, 4);
    cd.writeUInt16LE(20, 6);
    cd.writeUInt16LE(0x0800, 8);
    cd.writeUInt16LE(8, 10);
    cd.writeUInt32LE(crc, 16);
    cd.writeUInt32LE(packed.length, 20);
    cd.writeUInt32LE(data.length, 24);
    cd.writeUInt16LE(nameBytes.length, 28);
    cd.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, packed);
    central.push(cd, nameBytes);
    offset += local.length + nameBytes.length + packed.length;
  }
  const cdBytes = Buffer.concat(central);
  const count = Object.keys(files).length;
  // More than 65,535 entries (a full Debian or PyPI dump) needs the zip64 end record and its locator.
  const zip64: Buffer[] = [];
  if (count > 0xffff) {
    const rec = Buffer.alloc(56);
    rec.writeUInt32LE(0x06064b50, 0);
    rec.writeBigUInt64LE(44n, 4);
    rec.writeUInt16LE(45, 12);
    rec.writeUInt16LE(45, 14);
    rec.writeBigUInt64LE(BigInt(count), 24);
    rec.writeBigUInt64LE(BigInt(count), 32);
    rec.writeBigUInt64LE(BigInt(cdBytes.length), 40);
    rec.writeBigUInt64LE(BigInt(offset), 48);
    const locator = Buffer.alloc(20);
    locator.writeUInt32LE(0x07064b50, 0);
    locator.writeBigUInt64LE(BigInt(offset + cdBytes.length), 8);
    locator.writeUInt32LE(1, 16);
    zip64.push(rec, locator);
  }
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Math.min(count, 0xffff), 8);
  end.writeUInt16LE(Math.min(count, 0xffff), 10);
  end.writeUInt32LE(cdBytes.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cdBytes, ...zip64, end]);
}

export function recordsZip(records: Record<string, unknown>[]): Buffer {
  return zipArchive(Object.fromEntries(records.map((r) => [`${String(r.id)}.json`, JSON.stringify(r, null, 2)])));
}

const debianRange = (fixed: string, introduced = '0') => [{ type: 'ECOSYSTEM', events: [{ introduced }, { fixed }] }];

/** Debian records; `glibcFixed` above the installed glibc makes every glibc binary vulnerable. */
export function debianRecords(v: { glibcFixed: string; opensslFixed: string; bashSourceFixed: string }): Record<string, unknown>[] {
  return [
    {
      schema_version: '1.6.0',
      id: 'DEBIAN-CVE-2025-4802',
      modified: '2025-06-01T10:00:00Z',
      published: '2025-05-16T20:15:00Z',
      aliases: ['CVE-2025-4802'],
      summary: 'glibc: static setuid binary dlopen may incorrectly search LD_LIBRARY_PATH',
      affected: [{ package: { ecosystem: 'Debian:12', name: 'glibc' }, ranges: debianRange(v.glibcFixed) }],
      severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H' }],
    },
    {
      // The same package in another release must not match a Debian 12 image.
      schema_version: '1.6.0',
      id: 'DEBIAN-CVE-2024-2961',
      modified: '2024-05-01T10:00:00Z',
      aliases: ['CVE-2024-2961'],
      summary: 'glibc: iconv out-of-bounds write (bullseye only in this fixture)',
      affected: [{ package: { ecosystem: 'Debian:11', name: 'glibc' }, ranges: debianRange('9:9.99-1') }],
    },
    {
      schema_version: '1.6.0',
      id: 'DSA-5999-1',
      modified: '2026-01-10T08:00:00Z',
      aliases: ['CVE-2026-0001'],
      summary: 'openssl: fixed already in the installed version',
      affected: [{ package: { ecosystem: 'Debian:12', name: 'openssl' }, ranges: debianRange(v.opensslFixed) }],
      database_specific: { severity: 'high' },
    },
    {
      // Matched through the source version (bash's binary carries a binNMU suffix).
      schema_version: '1.6.0',
      id: 'DEBIAN-CVE-2026-0002',
      modified: '2026-02-02T08:00:00Z',
      aliases: ['CVE-2026-0002'],
      summary: 'bash: source package vulnerable below the fixed version',
      affected: [{ package: { ecosystem: 'Debian:12', name: 'bash' }, ranges: debianRange(v.bashSourceFixed) }],
    },
  ];
}

export function alpineRecords(): Record<string, unknown>[] {
  return [
    {
      schema_version: '1.6.0',
      id: 'ALPINE-CVE-2024-5535',
      modified: '2024-07-01T00:00:00Z',
      aliases: ['CVE-2024-5535'],
      summary: 'openssl: SSL_select_next_proto buffer overread',
      affected: [{ package: { ecosystem: 'Alpine:v3.19', name: 'openssl' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '3.1.6-r0' }] }] }],
      severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:H' }],
    },
    {
      schema_version: '1.6.0',
      id: 'ALPINE-CVE-2023-42363',
      modified: '2024-01-01T00:00:00Z',
      aliases: ['CVE-2023-42363'],
      summary: 'busybox: use-after-free in awk (fixed in the installed revision)',
      affected: [{ package: { ecosystem: 'Alpine:v3.19', name: 'busybox' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1.36.1-r15' }] }] }],
    },
    {
      schema_version: '1.6.0',
      id: 'ALPINE-CVE-2023-5678',
      modified: '2023-12-01T00:00:00Z',
      aliases: ['CVE-2023-5678'],
      summary: 'openssl in Alpine 3.18 only',
      affected: [{ package: { ecosystem: 'Alpine:v3.18', name: 'openssl' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '3.1.9-r0' }] }] }],
    },
  ];
}

export function npmAndPypiRecords(): Record<string, unknown>[] {
  return [
    {
      schema_version: '1.4.0',
      id: 'GHSA-35jh-r3h4-6jhm',
      modified: '2024-03-01T00:00:00Z',
      published: '2021-05-06T16:05:51Z',
      aliases: ['CVE-2021-23337'],
      summary: 'Command Injection in lodash',
      severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H' }],
      affected: [{ package: { ecosystem: 'npm', name: 'lodash' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '4.17.21' }] }] }],
      database_specific: { severity: 'HIGH', cwe_ids: ['CWE-77', 'CWE-94'], github_reviewed: true },
    },
    {
      schema_version: '1.4.0',
      id: 'GHSA-xvch-5gv4-984h',
      modified: '2024-02-01T00:00:00Z',
      aliases: ['CVE-2021-44906'],
      summary: 'Prototype Pollution in minimist',
      severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }],
      affected: [
        { package: { ecosystem: 'npm', name: 'minimist' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '0.2.4' }] }] },
        { package: { ecosystem: 'npm', name: 'minimist' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '1.0.0' }, { fixed: '1.2.6' }] }] },
      ],
      database_specific: { severity: 'CRITICAL' },
    },
    {
      schema_version: '1.4.0',
      id: 'GHSA-hrpp-h998-j3pp',
      modified: '2023-01-01T00:00:00Z',
      aliases: ['CVE-2022-24999'],
      summary: 'qs vulnerable to Prototype Pollution',
      affected: [{ package: { ecosystem: 'npm', name: 'qs' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '6.5.0' }, { fixed: '6.5.3' }] }] }],
      database_specific: { severity: 'HIGH' },
    },
    {
      schema_version: '1.4.0',
      id: 'GHSA-h5c8-rqwp-cp95',
      modified: '2024-01-11T00:00:00Z',
      aliases: ['CVE-2024-22195'],
      summary: 'Jinja vulnerable to HTML attribute injection when passing user input as keys to xmlattr filter',
      severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:L/I:L/A:N' }],
      affected: [{ package: { ecosystem: 'PyPI', name: 'jinja2' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '3.1.3' }] }], versions: ['3.1.2'] }],
    },
  ];
}

export const alpineInstalledDb = `C:Q1p1m6hDmbVSyHHLuWc2OeLq6pXT8=
P:musl
V:1.2.4_git20230717-r4
A:x86_64
S:407574
I:662 
T:the musl c library (libc) implementation
o:musl
m:Natanael Copa <ncopa@alpinelinux.org>

C:Q1N+ZzCJYnRUkkrRwAyx6DA9ciVfE=
P:busybox
V:1.36.1-r15
A:x86_64
T:Size optimized toolbox of many common UNIX utilities
o:busybox

C:Q1x4qZUzDQNzkSsEQzWg6zI=
P:libcrypto3
V:3.1.4-r5
A:x86_64
T:Crypto library from openssl
o:openssl

C:Q1vNhq7Ezs3vJn1LPcOg3s=
P:libssl3
V:3.1.4-r5
A:x86_64
T:SSL shared libraries
o:openssl
`;

export const alpineOsRelease = `NAME="Alpine Linux"
ID=alpine
VERSION_ID=3.19.1
PRETTY_NAME="Alpine Linux v3.19"
HOME_URL="https://alpinelinux.org/"
`;

export const npmLockfile = JSON.stringify({
  name: 'web',
  version: '1.0.0',
  lockfileVersion: 3,
  requires: true,
  packages: {
    '': { name: 'web', version: '1.0.0', dependencies: { lodash: '^4.17.20', minimist: '^1.2.5' } },
    'node_modules/lodash': { version: '4.17.20', resolved: 'https://registry.npmjs.org/lodash/-/lodash-4.17.20.tgz', integrity: 'sha512-x' },
    'node_modules/minimist': { version: '1.2.5', resolved: 'https://registry.npmjs.org/minimist/-/minimist-1.2.5.tgz', integrity: 'sha512-y' },
    'node_modules/@scope/tool': { version: '2.0.0' },
    'packages/local': { version: '0.0.1', link: true },
  },
});

/*
 * Go, crates.io and RubyGems records, as golang/vulndb (GO-…), rustsec/advisory-db's OSV export (RUSTSEC-…)
 * and github/advisory-database (GHSA-…) publish them; long lists (affected symbols, references) shortened.
 */
export function goCratesGemRecords(): Record<string, unknown>[] {
  return [
    {
      schema_version: '1.3.1',
      id: 'GO-2023-2102',
      modified: '0001-01-01T00:00:00Z',
      published: '0001-01-01T00:00:00Z',
      aliases: ['CVE-2023-44487', 'CVE-2023-39325', 'GHSA-4374-p667-p6c8'],
      summary: 'HTTP/2 rapid reset can cause excessive work in net/http',
      details: 'A malicious HTTP/2 client which rapidly creates requests and immediately resets them can cause excessive server resource consumption.',
      affected: [
        {
          package: { name: 'stdlib', ecosystem: 'Go' },
          ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.20.10' }, { introduced: '1.21.0-0' }, { fixed: '1.21.3' }] }],
          ecosystem_specific: { imports: [{ path: 'net/http', symbols: ['ListenAndServe', 'Server.Serve', 'http2serverConn.serve'] }] },
        },
        {
          package: { name: 'golang.org/x/net', ecosystem: 'Go' },
          ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '0.17.0' }] }],
          ecosystem_specific: { imports: [{ path: 'golang.org/x/net/http2', symbols: ['Server.ServeConn', 'serverConn.serve'] }] },
        },
      ],
      references: [{ type: 'REPORT', url: 'https://go.dev/issue/63417' }],
      database_specific: { url: 'https://pkg.go.dev/vuln/GO-2023-2102' },
    },
    {
      schema_version: '1.3.1',
      id: 'GO-2024-2687',
      modified: '0001-01-01T00:00:00Z',
      published: '0001-01-01T00:00:00Z',
      aliases: ['CVE-2023-45288', 'GHSA-4v7x-pqxf-cx7m'],
      summary: 'HTTP/2 CONTINUATION flood in net/http',
      affected: [
        {
          package: { name: 'stdlib', ecosystem: 'Go' },
          ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.21.9' }, { introduced: '1.22.0-0' }, { fixed: '1.22.2' }] }],
          ecosystem_specific: { imports: [{ path: 'net/http', symbols: ['Client.Do', 'Server.Serve'] }] },
        },
        {
          package: { name: 'golang.org/x/net', ecosystem: 'Go' },
          ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '0.23.0' }] }],
          ecosystem_specific: { imports: [{ path: 'golang.org/x/net/http2', symbols: ['Framer.ReadFrame'] }] },
        },
      ],
      database_specific: { url: 'https://pkg.go.dev/vuln/GO-2024-2687', review_status: 'REVIEWED' },
    },
    {
      schema_version: null,
      id: 'RUSTSEC-2023-0044',
      modified: '2023-07-08T12:30:19Z',
      published: '2023-06-20T12:00:00Z',
      aliases: ['GHSA-xcf7-rvmh-g6q4'],
      related: [],
      summary: '`openssl` `X509VerifyParamRef::set_host` buffer over-read',
      details: 'When this function was passed an empty string, `openssl` would attempt to call `strlen` on it, reading arbitrary memory until it reached a NUL byte.',
      severity: [],
      affected: [
        {
          package: { ecosystem: 'crates.io', name: 'openssl', purl: 'pkg:cargo/openssl' },
          ecosystem_specific: { affects: { arch: [], os: [], functions: ['openssl::x509::verify::X509VerifyParamRef::set_host'] }, affected_functions: null },
          database_specific: { categories: ['memory-exposure'], cvss: null, informational: null },
          ranges: [{ type: 'SEMVER', events: [{ introduced: '0.0.0-0' }, { fixed: '0.10.55' }] }],
          versions: [],
        },
      ],
      database_specific: { license: 'CC0-1.0' },
    },
    {
      schema_version: null,
      id: 'RUSTSEC-2020-0071',
      modified: '2023-06-13T13:10:24Z',
      published: '2020-11-18T12:00:00Z',
      aliases: ['CVE-2020-26235', 'GHSA-wcg3-cvx6-7396'],
      related: [],
      summary: 'Potential segfault in the time crate',
      severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:L/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H' }],
      affected: [
        {
          package: { ecosystem: 'crates.io', name: 'time', purl: 'pkg:cargo/time' },
          database_specific: { categories: ['code-execution', 'memory-corruption'], cvss: 'CVSS:3.1/AV:L/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H', informational: null },
          ranges: [
            {
              type: 'SEMVER',
              events: [
                { introduced: '0.0.0-0' },
                { fixed: '0.2.0' },
                ...['1', '2', '3', '4', '5', '6'].flatMap((n) => [{ introduced: `0.2.${n}-0` }, { fixed: `0.2.${n}` }]),
                { introduced: '0.2.7-0' },
                { fixed: '0.2.23' },
              ],
            },
          ],
          versions: [],
        },
      ],
      database_specific: { license: 'CC0-1.0' },
    },
    {
      schema_version: '1.2.0',
      id: 'GHSA-crjr-9rc5-ghw8',
      modified: '2022-05-26T19:44:18Z',
      published: '2022-04-11T21:18:06Z',
      aliases: ['CVE-2022-24836'],
      summary: 'Inefficient Regular Expression Complexity in Nokogiri',
      severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H' }],
      affected: [{ package: { ecosystem: 'RubyGems', name: 'nokogiri' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1.13.4' }] }] }],
      database_specific: { cwe_ids: ['CWE-1333', 'CWE-400'], severity: 'HIGH', github_reviewed: true },
    },
    {
      schema_version: '1.3.0',
      id: 'GHSA-93pm-5p5f-3ghx',
      modified: '2023-01-20T16:55:03Z',
      published: '2023-01-18T18:24:40Z',
      aliases: ['CVE-2022-44571'],
      summary: 'Denial of Service Vulnerability in Rack Content-Disposition parsing',
      severity: [],
      affected: [
        ['2.0.0', '2.0.9.2'],
        ['2.1.0', '2.1.4.2'],
        ['2.2.0', '2.2.6.1'],
        ['3.0.0.0', '3.0.4.1'],
      ].map(([introduced, fixed]) => ({ package: { ecosystem: 'RubyGems', name: 'rack' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced }, { fixed }] }] })),
      database_specific: { cwe_ids: [], severity: 'LOW', github_reviewed: true },
    },
  ];
}
