import type { ComponentType, ReactNode } from 'react';
import { icons } from '../components/Icons';
import { DashboardPage } from './DashboardPage';
import { RepositoriesPage } from './RepositoriesPage';
import { RepositoryPage } from './RepositoryPage';
import { ArtifactPage } from './ArtifactPage';
import { UsersPage } from './UsersPage';
import { SettingsPage } from './SettingsPage';
import { ActivityPage } from './ActivityPage';
import { ReplicationPage } from './ReplicationPage';
import { TransferPage } from './TransferPage';
import { RegistriesPage } from './RegistriesPage';
import { ProxiesPage } from './ProxiesPage';
import { AccessTokensPage } from './AccessTokensPage';
import { SecurityPage } from './SecurityPage';
import { PoliciesPage } from './PoliciesPage';

/**
 * Every page of the GUI in one table. A new capability (proxy caches, replication, offline transfer …)
 * adds its page here with `feature` set to the key /api/v1/system reports in `features`; the navigation and
 * the router pick it up, and the page stays hidden on a Berth without that service.
 */
export interface PageDef {
  /** Path pattern: a literal prefix; `match` decides for parameterised paths. */
  path: string;
  match?: (path: string) => Record<string, string> | undefined;
  component: ComponentType<{ params: Record<string, string> }>;
  nav?: { label: string; icon: ReactNode; order: number };
  feature?: string;
  /** Who sees the page: anyone signed in, writers (admin, developer) or admins. */
  access?: 'user' | 'writer' | 'admin';
}

export const pages: PageDef[] = [
  { path: '/', component: DashboardPage, nav: { label: 'Dashboard', icon: icons.dashboard, order: 10 } },
  { path: '/repositories', component: RepositoriesPage, nav: { label: 'Repositories', icon: icons.repositories, order: 20 } },
  {
    path: '/repositories/',
    match: (p) => (p.startsWith('/repositories/') && p.length > 14 ? { name: p.slice(14) } : undefined),
    component: RepositoryPage,
  },
  {
    path: '/artifacts/',
    // /artifacts/<repository>@<digest>
    match: (p) => {
      const m = /^\/artifacts\/(.+)@([^@/]+)$/.exec(p);
      return m ? { name: m[1]!, digest: m[2]! } : undefined;
    },
    component: ArtifactPage,
  },
  { path: '/security', component: SecurityPage, feature: 'scan', nav: { label: 'Security', icon: icons.shield, order: 25 } },
  { path: '/policies', component: PoliciesPage, feature: 'policies', nav: { label: 'Policies', icon: icons.policy, order: 27 } },
  { path: '/proxy', component: ProxiesPage, access: 'admin', feature: 'proxy', nav: { label: 'Proxy caches', icon: icons.proxy, order: 30 } },
  { path: '/replication', component: ReplicationPage, access: 'admin', feature: 'replication', nav: { label: 'Replication', icon: icons.replication, order: 40 } },
  { path: '/transfer', component: TransferPage, access: 'admin', feature: 'transfer', nav: { label: 'Offline transfer', icon: icons.transfer, order: 50 } },
  { path: '/registries', component: RegistriesPage, access: 'admin', feature: 'proxy', nav: { label: 'Registries', icon: icons.settings, order: 60 } },
  { path: '/activity', component: ActivityPage, access: 'writer', nav: { label: 'Activity', icon: icons.activity, order: 70 } },
  { path: '/users', component: UsersPage, access: 'admin', nav: { label: 'Users', icon: icons.users, order: 80 } },
  { path: '/tokens', component: AccessTokensPage, nav: { label: 'Access tokens', icon: icons.key, order: 85 } },
  { path: '/settings', component: SettingsPage, nav: { label: 'System', icon: icons.settings, order: 90 } },
];

export function findPage(path: string, visible: PageDef[]): { page: PageDef; params: Record<string, string> } | undefined {
  const clean = path.split('?')[0]!.replace(/\/+$/, '') || '/';
  for (const page of visible) {
    if (page.match) {
      const params = page.match(clean);
      if (params) return { page, params };
    } else if (clean === page.path) {
      return { page, params: {} };
    }
  }
  return undefined;
}
