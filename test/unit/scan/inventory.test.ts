import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { InventoryBuilder } from '../../../registry/src/scan/inventory/inventory-builder.js';
import { normalizeEntryPath } from '../../../registry/src/scan/inventory/layer-walker.js';
import { makeLayer } from '../../helpers/oci-image.js';

async function build(layers: Record<string, string>[]) {
  const b = new InventoryBuilder({ maxExpansionRatio: 100 });
  const digests: string[] = [];
  for (const files of layers) {
    const l = await makeLayer(files);
    digests.push(l.blob.digest);
    await b.addLayer({ digest: l.blob.digest, size: l.blob.size, open: () => Readable.from([l.blob.bytes]) });
  }
  return { inv: b.finish(), digests };
}

const stanza = (name: string, version: string, extra = '') => `Package: ${name}\nStatus: install ok installed\nVersion: ${version}\n${extra}\n`;

test('inventory: opaque whiteouts, distroless status.d, layer attribution, RPM databases reported', async () => {
  const { inv, digests } = await build([
    {
      'var/lib/dpkg/status': stanza('base-files', '12.4') + stanza('zlib1g', '1:1.2.13.dfsg-1', 'Source: zlib\n') + 'Package: gone\nStatus: deinstall ok config-files\nVersion: 1\n',
      'opt/app/node_modules/left-pad/package.json': '{"name":"left-pad","version":"1.3.0"}',
      'var/lib/rpm/rpmdb.sqlite': 'SQLite format 3\0',
      'var/lib/rpm/Packages': 'BerkeleyDB',
    },
    {
      'var/lib/dpkg/status': stanza('base-files', '12.4') + stanza('zlib1g', '1:1.2.13.dfsg-1', 'Source: zlib\n') + stanza('curl', '7.88.1-10+deb12u5'),
      'opt/app/.wh..wh..opq': '',
      'opt/app/node_modules/right-pad/package.json': '{"name":"right-pad","version":"1.0.1"}',
      'var/lib/dpkg/status.d/tzdata': 'Package: tzdata\nVersion: 2024a-0+deb12u1\nArchitecture: all\n',
      'var/lib/dpkg/status.d/tzdata.md5sums': 'abc  usr/share/zoneinfo/UTC\n',
    },
  ]);
  const names = inv.packages.map((p) => `${p.type}:${p.name}@${p.version}`).sort();
  assert.deepEqual(names, ['deb:base-files@12.4', 'deb:curl@7.88.1-10+deb12u5', 'deb:tzdata@2024a-0+deb12u1', 'deb:zlib1g@1:1.2.13.dfsg-1', 'npm:right-pad@1.0.1']);
  const layerOf = (n: string) => inv.packages.find((p) => p.name === n)!.layer;
  assert.equal(layerOf('zlib1g'), digests[0], 'unchanged since the first layer');
  assert.equal(layerOf('curl'), digests[1]);
  assert.equal(inv.packages.find((p) => p.name === 'zlib1g')!.sourceName, 'zlib');
  assert.equal(inv.notes.length, 2);
  assert.match(inv.notes[0]!, /^\/var\/lib\/rpm\/rpmdb\.sqlite \(layer 1\): (not an SQLite database|cannot read its Packages table).*; its packages were not scanned$/);
  assert.equal(inv.notes[1], '/var/lib/rpm/Packages: RPM database in an older format (BerkeleyDB Packages / ndb Packages.db) found: not supported, RPM packages were not scanned');
});

test('inventory: entry names that escape the root are refused', () => {
  assert.equal(normalizeEntryPath('./etc/os-release'), 'etc/os-release');
  assert.equal(normalizeEntryPath('/usr//lib/os-release'), 'usr/lib/os-release');
  assert.equal(normalizeEntryPath('../etc/passwd'), undefined);
  assert.equal(normalizeEntryPath('a/../../b'), undefined);
  assert.equal(normalizeEntryPath('a\0b'), undefined);
});
