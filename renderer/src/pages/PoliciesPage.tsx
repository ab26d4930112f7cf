import { useState } from 'react';
import type { Project } from '../api/types';
import { useApi } from '../components/useApi';
import { ErrorBox, Loading, PageHeader } from '../components/ui';
import { QuotaCard } from './QuotaCard';
import { ImmutabilityCard } from './ImmutabilityCard';
import { RetentionCard } from './RetentionCard';

/**
 * Content policies per project: the storage quota and its usage, tag immutability rules, and tag retention
 * (rules, schedule, dry run, run now, history). Everyone signed in sees them; administrators change them.
 * Proxy projects are not listed: a cache follows its upstream and is bounded by its own cache cap and TTL.
 */
export function PoliciesPage() {
  const projects = useApi<{ items: Project[] }>('/projects');
  const [project, setProject] = useState<string>();
  const local = projects.data?.items.filter((p) => p.kind === 'local');
  const current = project ?? local?.[0]?.name;
  return (
    <>
      <PageHeader title="Policies" subtitle="Per project: how much storage it may use, which tags may never change, and which old tags are cleaned up." />
      {projects.error && <ErrorBox error={projects.error} onRetry={projects.reload} />}
      {!projects.data && projects.loading && <Loading />}
      {local && local.length === 0 && <p className="muted pad">There are no projects yet: they appear with the first push.</p>}
      {local && current && (
        <>
          <div className="field project-picker">
            <label htmlFor="policy-project">Project</label>
            <select id="policy-project" value={current} onChange={(e) => setProject(e.target.value)}>
              {local.map((p) => (
                <option key={p.name} value={p.name}>
                  {p.name}
                </option>
              ))}
            </select>
          </div>
          {/* Keyed by project: drafts and results of one project never show under another. */}
          <div key={current}>
            <QuotaCard project={current} />
            <ImmutabilityCard project={current} />
            <RetentionCard project={current} />
          </div>
        </>
      )}
    </>
  );
}
