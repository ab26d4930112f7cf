/** What an image holds, as the inventory reports it (and the SBOM exports it). */

export type PackageType = 'deb' | 'apk' | 'rpm' | 'npm' | 'pypi' | 'golang' | 'cargo' | 'gem';

/** Packages of a language ecosystem (libraries), as opposed to those of the OS distribution. */
export const languagePackageTypes: ReadonlySet<PackageType> = new Set(['npm', 'pypi', 'golang', 'cargo', 'gem']);

export interface InventoryPackage {
  type: PackageType;
  name: string;
  version: string;
  /** The source package (dpkg `Source:`, apk `o:`, rpm SOURCERPM); advisories of OS distributions name these. */
  sourceName?: string;
  sourceVersion?: string;
  arch?: string;
  /**
   * The RHEL-family module stream the package was installed from ("nodejs:18", from rpm's MODULARITYLABEL
   * "nodejs:18:9040020240307:rhel9"): advisories of one stream do not apply to another's builds.
   */
  module?: string;
  /** The file the package was read from, without a leading slash. */
  path: string;
  /** Digest of the layer that brought this name and version in. */
  layer: string;
}

export interface OsInfo {
  id: string;
  versionId: string;
  prettyName: string | undefined;
  codename: string | undefined;
}

export interface Inventory {
  os: OsInfo | undefined;
  packages: InventoryPackage[];
  /** Package databases found but not read (older RPM formats, oversized files …): reported, never silently skipped. */
  notes: string[];
  layers: { digest: string; size: number }[];
}

/** A package as a parser returns it, before a layer is attributed. */
export type ParsedPackage = Omit<InventoryPackage, 'layer' | 'path'>;

/** The package URL (purl spec) of a package, for SBOMs and reports. */
export function purl(p: InventoryPackage, os: OsInfo | undefined): string {
  const enc = encodeURIComponent;
  switch (p.type) {
    case 'npm': {
      const at = p.name.startsWith('@') ? p.name.indexOf('/') : -1;
      const ns = at > 0 ? `${enc(p.name.slice(0, at))}/` : '';
      return `pkg:npm/${ns}${enc(at > 0 ? p.name.slice(at + 1) : p.name)}@${enc(p.version)}`;
    }
    case 'pypi':
      return `pkg:pypi/${enc(p.name)}@${enc(p.version)}`;
    case 'golang':
      // The module path's segments become namespace and name: pkg:golang/golang.org/x/net@v0.17.0.
      return `pkg:golang/${p.name.split('/').map(enc).join('/')}@${enc(p.version)}`;
    case 'cargo':
      return `pkg:cargo/${enc(p.name)}@${enc(p.version)}`;
    case 'gem':
      return `pkg:gem/${enc(p.name)}@${enc(p.version)}${p.arch ? `?platform=${enc(p.arch)}` : ''}`;
    default: {
      const vendor = os?.id ?? (p.type === 'deb' ? 'debian' : p.type === 'apk' ? 'alpine' : 'unknown');
      const q: string[] = [];
      if (p.arch) q.push(`arch=${enc(p.arch)}`);
      if (os) q.push(`distro=${enc(`${os.id}-${os.versionId}`)}`);
      if (p.sourceName && p.sourceName !== p.name) q.push(`upstream=${enc(p.sourceName)}`);
      return `pkg:${p.type}/${enc(vendor)}/${enc(p.name)}@${enc(p.version)}${q.length ? `?${q.join('&')}` : ''}`;
    }
  }
}
