/** Response shapes of the policy API (registry/src/http/api/immutability.ts, quotas.ts, retention.ts). */

export interface ImmutabilityRule {
  id: number;
  project: string;
  repositories: string;
  tags: string;
  /** New referrers (signatures, SBOMs) of the content a matching tag protects may be pushed. */
  allowReferrers: boolean;
  createdAt: number;
}

export interface ProjectQuota {
  project: string;
  limitBytes: number | null;
  usedBytes: number;
}

export interface RetentionRule {
  id: number;
  project: string;
  repositories: string;
  tags: string;
  keepLatest: number | null;
  keepDays: number | null;
  untagged: boolean;
  createdAt: number;
}

export interface RetentionPolicy {
  project: string;
  schedule: string;
  nextRunAt: number | null;
  running: boolean;
  rules: RetentionRule[];
}

export interface PlannedTag {
  tag: string;
  digest: string;
  reason: string;
}

export interface RetentionPlan {
  project: string;
  createdAt: number;
  repositories: { repository: string; kept: PlannedTag[]; removeTags: PlannedTag[]; removeManifests: { digest: string; tags: string[]; reason: string }[] }[];
  totals: { repositories: number; tagsKept: number; tagsRemoved: number; manifestsRemoved: number };
}

export interface RetentionRun {
  id: number;
  project: string;
  trigger: 'manual' | 'schedule';
  actor: string | null;
  dryRun: boolean;
  status: 'running' | 'succeeded' | 'failed' | 'interrupted';
  startedAt: number;
  finishedAt: number | null;
  tagsKept: number;
  tagsRemoved: number;
  manifestsRemoved: number;
  errors: string[];
}

export type RetentionRunSummary = RetentionRun & { itemCount: number };
export type RetentionRunDetail = RetentionRun & { items: string[] };
