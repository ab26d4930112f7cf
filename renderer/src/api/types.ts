/** Response shapes of the admin API (/api/v1/openapi.json is the reference). */

export type Role = 'admin' | 'developer' | 'guest';

export interface User {
  id: number;
  username: string;
  role: Role;
  disabled: boolean;
  createdAt: number;
  updatedAt: number;
}

export interface SessionInfo {
  user: User;
  csrfToken: string | null;
}

export interface SystemInfo {
  version: string;
  uptimeSeconds: number;
  registryHost: string;
  insecure: boolean;
  storage: { dataDir: string | null; berthBytes: number; fsTotalBytes: number; fsFreeBytes: number };
  counts: { repositories: number; manifests: number; blobs: number; users: number };
  features: Record<string, boolean>;
  gc: { schedule: string; graceMinutes: number };
}

export interface RepositorySummary {
  name: string;
  project: string;
  createdAt: number;
  manifestCount: number;
  tagCount: number;
  bytes: number;
  lastPushedAt: number | null;
  lastPulledAt: number | null;
}

export interface ManifestView {
  digest: string;
  mediaType: string;
  size: number;
  artifactType: string | null;
  subject: string | null;
  createdAt: number;
  lastPulledAt: number | null;
  blobBytes: number;
  tags: string[];
  totalBytes: number;
  isIndex: boolean;
  referrerCount: number;
}

export interface RepositoryDetail extends RepositorySummary {
  tags: { name: string; digest: string; updatedAt: number }[];
  manifests: ManifestView[];
}

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface Descriptor {
  digest: string;
  mediaType: string;
  size: number;
}

export interface ArtifactDetail extends ManifestView {
  children: (Descriptor & { platform: Platform | null; present: boolean })[];
  config: Descriptor | null;
  layers: Descriptor[];
  platform: Platform | null;
  imageCreated: string | null;
  annotations: Record<string, string>;
  referrers: { digest: string; mediaType: string; artifactType: string | null; size: number; createdAt: number }[];
  parents: string[];
}

export interface GcResult {
  dryRun: boolean;
  linksRemoved: number;
  blobsRemoved: number;
  bytesFreed: number;
  orphanFilesRemoved?: number;
  uploadsRemoved: number;
  durationMs: number;
}

export interface GcStatus {
  running: boolean;
  schedule: string;
  graceMinutes: number;
  last: { at: number; actor: string | null; result: GcResult } | null;
}

export interface AuditEntry {
  id: number;
  at: number;
  type: string;
  actor: string | null;
  repository: string | null;
  reference: string | null;
  detail: unknown;
}

export interface MetricsSummary {
  range: string;
  stepMs: number;
  pulls: { at: number; count: number }[];
  totalPulls: number;
  topRepositories: { repository: string; count: number }[];
}

export interface Project {
  name: string;
  public: boolean;
  kind: string;
  createdAt: number;
}

export interface AccessToken {
  id: number;
  name: string;
  createdAt: number;
  expiresAt: number | null;
  lastUsedAt: number | null;
}

export interface SystemSettings {
  gc: { schedule: string; source: 'config' | 'settings'; configDefault: string };
  storage: { dataDir: string; database: string; blobs: string; uploads: string; secrets: string; dropFolder: string | null };
  tls: { externalUrl: string | null; servedOverHttps: boolean; note: string };
}
