/** Response shapes of the scanning API (registry/src/http/api/scan.ts and security.ts). */

export const severities = ['critical', 'high', 'medium', 'low', 'unknown'] as const;
export type Severity = (typeof severities)[number];
export type SeverityCounts = Record<Severity, number>;

export interface Finding {
  vulnId: string;
  aliases: string[];
  severity: Severity;
  score?: number;
  package: string;
  packageType: string;
  installed: string;
  fixed?: string;
  layer?: string;
  summary?: string;
}

export interface VulnerabilityReport {
  digest: string;
  status: 'ok' | 'failed';
  scannedAt: number;
  dbBuiltAt: number | null;
  error: string | null;
  counts: SeverityCounts;
  findings: Finding[];
  /** What the scan could not check (an OS without vulnerability data, unsupported package databases …). */
  notes: string[];
}

export interface VulnDbInfo {
  builtAt: number | null;
  sources: { name: string; records: number; builtAt?: number; importedAt: number; file: string }[];
}

export interface SecurityOverview {
  artifacts: { total: number; scanned: number; failed: number; notScanned: number; vulnerable: number };
  totals: SeverityCounts;
  database: {
    builtAt: number | null;
    records: number;
    sources: { name: string; records: number; builtAt: number | null; importedAt: number; file: string }[];
    stale: string | null;
    staleBlocks: boolean;
  };
  mostVulnerable: { repository: string; otherRepositories: number; digest: string; tags: string[]; scannedAt: number; counts: SeverityCounts }[];
  topVulnerabilities: { id: string; aliases: string[]; severity: Severity; score: number | null; packages: string[]; fixed: string[]; artifacts: number; summary: string | null }[];
}

export interface ScanSummary {
  digest: string;
  status: 'ok' | 'failed';
  scannedAt: number;
  error: string | null;
  counts: SeverityCounts;
}

export interface AllowlistEntry {
  id: string;
  expiresAt?: number;
}

export interface ProjectScanSettings {
  scanOnPush: boolean;
  gateSeverity: Severity | null;
  gateUnscanned: 'allow' | 'block';
  allowlist: AllowlistEntry[];
}

/** The payload of the server-sent 'scan.finished' event. */
export interface ScanFinishedEvent {
  repository: string;
  digest: string;
  status: 'ok' | 'failed';
  counts: SeverityCounts;
  error?: string;
}
