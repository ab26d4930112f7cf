import { useCallback, useEffect, useMemo, useState } from 'react';
import { api, setCsrfToken, setUnauthenticatedHandler, ApiError } from '../api/client';
import type { SessionInfo, SystemInfo } from '../api/types';
import { RouterProvider, useRouter, Link } from './router';
import { SessionContext, type SessionState } from './session';
import { pages, findPage, type PageDef } from '../pages';
import { LoginPage } from '../pages/LoginPage';
import { Loading, ErrorBox, EmptyState } from '../components/ui';
import { icons } from '../components/Icons';
import { DiskBanner } from '../components/DiskBanner';
import { useTheme } from './theme';

export function App() {
  return (
    <RouterProvider>
      <Shell />
    </RouterProvider>
  );
}

type Boot = { state: 'loading' } | { state: 'signed-out' } | { state: 'error'; error: Error } | { state: 'signed-in'; session: SessionInfo };

function Shell() {
  const [boot, setBoot] = useState<Boot>({ state: 'loading' });
  const [system, setSystem] = useState<SystemInfo>();

  const load = useCallback(() => {
    api<{ user: SessionInfo['user'] | null; csrfToken: string | null }>('GET', '/session').then(
      (s) => {
        setCsrfToken(s.csrfToken);
        setBoot(s.user ? { state: 'signed-in', session: { user: s.user, csrfToken: s.csrfToken } } : { state: 'signed-out' });
      },
      (e: unknown) => {
        if (e instanceof ApiError && e.status === 401) setBoot({ state: 'signed-out' });
        else setBoot({ state: 'error', error: e as Error });
      },
    );
  }, []);

  useEffect(() => {
    setUnauthenticatedHandler(() => setBoot({ state: 'signed-out' }));
    load();
  }, [load]);

  useEffect(() => {
    if (boot.state !== 'signed-in') return;
    api<SystemInfo>('GET', '/system').then(setSystem, () => undefined);
  }, [boot.state]);

  if (boot.state === 'loading') return <div className="boot"><Loading /></div>;
  if (boot.state === 'error') return <div className="boot"><ErrorBox error={boot.error} onRetry={load} /></div>;
  if (boot.state === 'signed-out') {
    return (
      <LoginPage
        onSignedIn={(s) => {
          setCsrfToken(s.csrfToken);
          setBoot({ state: 'signed-in', session: s });
        }}
      />
    );
  }
  const signOut = () => {
    api('DELETE', '/session').finally(() => {
      setCsrfToken(null);
      setBoot({ state: 'signed-out' });
    });
  };
  const role = boot.session.user.role;
  const session: SessionState = {
    user: boot.session.user,
    system,
    signOut,
    can: { write: role === 'admin' || role === 'developer', admin: role === 'admin' },
  };
  return (
    <SessionContext.Provider value={session}>
      <Layout session={session} />
    </SessionContext.Provider>
  );
}

function visiblePages(s: SessionState): PageDef[] {
  return pages.filter((p) => {
    if (p.feature && !s.system?.features[p.feature]) return false;
    if (p.access === 'admin') return s.can.admin;
    if (p.access === 'writer') return s.can.write;
    return true;
  });
}

function Layout({ session }: { session: SessionState }) {
  const { path } = useRouter();
  const visible = useMemo(() => visiblePages(session), [session.system, session.can.admin, session.can.write]);
  const found = findPage(path, visible);
  const nav = visible.filter((p) => p.nav).sort((a, b) => a.nav!.order - b.nav!.order);
  const current = path.split('?')[0]!;
  const activeNav = (p: PageDef) => (p.path === '/' ? current === '/' : current === p.path || current.startsWith(`${p.path}/`) || (p.path === '/repositories' && current.startsWith('/artifacts/')));
  // On a phone the sidebar is a top bar whose navigation opens as a menu; it closes when a page is chosen.
  const [menuOpen, setMenuOpen] = useState(false);
  useEffect(() => setMenuOpen(false), [path]);
  const { theme, toggle } = useTheme();
  return (
    <div className="layout">
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      <aside className={`sidebar${menuOpen ? ' open' : ''}`}>
        <div className="sidebar-top">
          <div className="brand">
            <svg width="28" height="28" viewBox="0 0 32 32" aria-hidden="true">
              <rect width="32" height="32" rx="7" fill="#3b82f6" />
              <path d="M7 19h18l-3 6H10z" fill="#fff" />
              <path d="M10 16V9h5v7M17 16v-5h5v5" stroke="#fff" strokeWidth="2" fill="none" />
            </svg>
            <span>Berth</span>
          </div>
          <button type="button" className="btn btn-ghost btn-icon menu-button" aria-expanded={menuOpen} aria-controls="main-menu" onClick={() => setMenuOpen((o) => !o)}>
            {menuOpen ? icons.close : icons.menu}
            <span className="sr-only">Menu</span>
          </button>
        </div>
        <div className="sidebar-menu" id="main-menu">
          <nav aria-label="Main">
            <ul>
              {nav.map((p) => (
                <li key={p.path}>
                  <Link to={p.path} className={activeNav(p) ? 'active' : undefined} aria-current={activeNav(p) ? 'page' : undefined}>
                    {p.nav!.icon}
                    <span>{p.nav!.label}</span>
                  </Link>
                </li>
              ))}
            </ul>
          </nav>
          <div className="sidebar-foot">
            <div className="who">
              <div className="avatar" aria-hidden="true">
                {session.user.username.slice(0, 1).toUpperCase()}
              </div>
              <div>
                <div className="who-name">{session.user.username}</div>
                <div className="who-role">{session.user.role}</div>
              </div>
            </div>
            <button type="button" className="btn btn-ghost btn-small" onClick={toggle} aria-label={theme === 'dark' ? 'Use the light theme' : 'Use the dark theme'}>
              {theme === 'dark' ? icons.sun : icons.moon} {theme === 'dark' ? 'Light theme' : 'Dark theme'}
            </button>
            <button type="button" className="btn btn-ghost btn-small" onClick={session.signOut}>
              {icons.logout} Sign out
            </button>
            {session.system && <div className="version">Berth {session.system.version}</div>}
          </div>
        </div>
      </aside>
      <main id="main" className="content" tabIndex={-1}>
        <DiskBanner />
        {found ? (
          <found.page.component key={path} params={found.params} />
        ) : (
          <EmptyState title="Page not found">
            <p>
              There is nothing at <code>{path}</code>. <Link to="/">Go to the dashboard</Link>.
            </p>
          </EmptyState>
        )}
      </main>
    </div>
  );
}
