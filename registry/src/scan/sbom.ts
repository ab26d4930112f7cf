import { createHash, randomUUID } from 'node:crypto';
import { berthVersion } from '../version.js';
import { languagePackageTypes, purl, type Inventory } from './inventory/types.js';
import type { Finding } from './matcher.js';

/*
 * The inventory as a software bill of materials: CycloneDX 1.5 JSON (with the vulnerabilities found, as
 * CycloneDX allows) and SPDX 2.3 JSON. Package URLs identify components in both.
 */

export interface SbomSubject {
  /** repository:tag or repository@digest as the user named it */
  name: string;
  digest: string;
}

export function cycloneDx(subject: SbomSubject, inv: Inventory, findings: Finding[] = [], now = new Date()): Record<string, unknown> {
  const components = inv.packages.map((p) => {
    const ref = purl(p, inv.os);
    return {
      type: languagePackageTypes.has(p.type) ? 'library' : 'application',
      'bom-ref': ref,
      name: p.name,
      version: p.version,
      purl: ref,
      properties: [
        { name: 'berth:layer', value: p.layer },
        { name: 'berth:path', value: `/${p.path}` },
        ...(p.sourceName ? [{ name: 'berth:source', value: `${p.sourceName} ${p.sourceVersion ?? ''}`.trim() }] : []),
      ],
    };
  });
  const byPackage = new Map(inv.packages.map((p) => [`${p.type}\0${p.name}\0${p.version}`, purl(p, inv.os)]));
  return {
    bomFormat: 'CycloneDX',
    specVersion: '1.5',
    serialNumber: `urn:uuid:${randomUUID()}`,
    version: 1,
    metadata: {
      timestamp: now.toISOString(),
      tools: { components: [{ type: 'application', name: 'berth', version: berthVersion }] },
      component: {
        type: 'container',
        'bom-ref': subject.digest,
        name: subject.name,
        version: subject.digest,
        ...(inv.os ? { properties: [{ name: 'berth:os', value: `${inv.os.id} ${inv.os.versionId}` }] } : {}),
      },
    },
    components,
    vulnerabilities: findings.map((f) => ({
      id: f.vulnId,
      ...(f.summary ? { description: f.summary } : {}),
      ratings: [{ severity: f.severity === 'unknown' ? 'unknown' : f.severity, ...(f.score !== undefined ? { score: f.score } : {}) }],
      ...(f.aliases.length ? { references: f.aliases.map((a) => ({ id: a, source: { name: a.split('-')[0] } })) } : {}),
      affects: [{ ref: byPackage.get(`${f.packageType}\0${f.package}\0${f.installed}`) ?? f.package }],
      ...(f.fixed ? { recommendation: `upgrade to ${f.fixed}` } : {}),
    })),
  };
}

function spdxId(s: string): string {
  return `SPDXRef-Package-${createHash('sha256').update(s).digest('hex').slice(0, 16)}`;
}

export function spdx(subject: SbomSubject, inv: Inventory, now = new Date()): Record<string, unknown> {
  const root = 'SPDXRef-Image';
  const packages = inv.packages.map((p) => {
    const ref = purl(p, inv.os);
    return {
      SPDXID: spdxId(`${ref}\0${p.path}`),
      name: p.name,
      versionInfo: p.version,
      downloadLocation: 'NOASSERTION',
      filesAnalyzed: false,
      ...(p.sourceName && p.sourceName !== p.name ? { sourceInfo: `built from source package ${p.sourceName} ${p.sourceVersion ?? ''}`.trim() } : {}),
      externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: ref }],
    };
  });
  return {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name: subject.name,
    documentNamespace: `https://berth.invalid/spdx/${subject.digest.replace(':', '-')}/${randomUUID()}`,
    creationInfo: { created: now.toISOString().replace(/\.\d+Z$/, 'Z'), creators: [`Tool: berth-${berthVersion}`] },
    packages: [
      { SPDXID: root, name: subject.name, versionInfo: subject.digest, downloadLocation: 'NOASSERTION', filesAnalyzed: false, primaryPackagePurpose: 'CONTAINER' },
      ...packages,
    ],
    relationships: [
      { spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: root },
      ...packages.map((p) => ({ spdxElementId: root, relationshipType: 'CONTAINS', relatedSpdxElement: p.SPDXID })),
    ],
  };
}
